"""Processes a test started, found through ``/proc`` wherever they were reparented to,
and a bounded wait for a condition on them (Linux)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path


def processes_marked(mark: str) -> list[str]:
    """The command lines of the running processes whose environment holds ``mark``:
    every process a command started, wherever it was reparented to."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if not proc.name.isdigit() or mark.encode() not in (proc / "environ").read_bytes():
                continue
            if (proc / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                continue  # ended, waiting to be collected
            found.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def wait_for(condition: Callable[[], bool], seconds: float = 30.0) -> bool:
    """Whether ``condition`` holds within ``seconds``, polled every 10 ms."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.01)
    return condition()
