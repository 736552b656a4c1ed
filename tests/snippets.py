"""What the README and the docs pages show, read as a newcomer reads it: their Python
snippets, their ``lrviz`` command lines, their links (tests/test_readme.py and
tests/test_docs.py)."""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
from pathlib import Path

import click

from lrviz.cli import main

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^( *)```(\S*)\n(.*?)^\1```$", re.S | re.M)


def blocks(text: str, language: str) -> list[str]:
    """The fenced blocks of one language in a Markdown text, dedented."""
    out = []
    for indent, lang, body in FENCE.findall(text):
        if lang == language:
            out.append("".join(line[len(indent) :] for line in body.splitlines(True)))
    return out


def command_lines(text: str) -> list[list[str]]:
    """Every ``lrviz SUBCOMMAND ...`` a Markdown text shows: in code spans and in shell
    and console blocks (a console line's prompt and output left out), and synopses in
    plain blocks ("lrviz simulate SPEC | -c FILE [--epochs N] ...")."""
    texts = re.findall(r"`(lrviz [^`\n]+)`", text)
    for lang in ("sh", "console"):
        for block in blocks(text, lang):
            for line in block.splitlines():
                line = line.removeprefix("$ ")
                texts.extend(re.findall(r"(?:^|&& |\| )(lrviz [^&|#]+)", line))
    for block in blocks(text, ""):
        texts.extend(re.findall(r"^lrviz .*(?:\n +\S.*)*", block, re.M))
    return [shlex.split(t.replace("...", "")) for t in texts]


def unknown_options(argv: list[str]) -> list[str]:
    """The options of a command line that its command does not have (an unknown command
    is one too)."""
    assert isinstance(main, click.Group)
    if len(argv) < 2 or argv[1].startswith("-"):
        return []  # `lrviz --help`, `lrviz -V`
    name = argv[1].split("|")[0]
    command = main.commands.get(name)
    if command is None:
        return [name]
    known = {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)} | {"-h"}
    out = []
    for token in argv[2:]:
        for part in token.strip("[]").split("|"):
            option = part.split("=")[0]
            if re.fullmatch(r"--?[A-Za-z][\w-]*", option) and option not in known:
                out.append(option)
    return out


def local_links(text: str) -> list[str]:
    """The targets of a Markdown text's links and images that are files (no URL, no
    same-page anchor), without their anchors."""
    targets = re.findall(r"\]\((?!https?://|#)([^)\s]+)\)", text)
    return [t.split("#")[0] for t in targets]


def _env(port: int) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "PYTHONWARNINGS": "ignore",
        "RANK": "0",
        "LOCAL_RANK": "0",
        "WORLD_SIZE": "1",
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(port),
    }


def run_pytest(folder: Path) -> subprocess.CompletedProcess[str]:
    """Run pytest in ``folder`` as a project of one's own does, lrviz's plugin loaded
    through its entry point."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
        env=_env(0),
    )


def run_python(code: str, folder: Path) -> subprocess.CompletedProcess[str]:
    """Run a snippet as written in a fresh interpreter, in ``folder`` (snippets write
    into reports/), as ``torchrun`` would start it with one process (a distributed
    snippet's ``init_process_group`` finds its rank and a free port)."""
    script = folder / "snippet.py"
    script.write_text(code, encoding="utf-8")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return subprocess.run(
        [sys.executable, str(script)],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
        env=_env(port),
    )
