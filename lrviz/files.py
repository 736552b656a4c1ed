"""Files lrviz writes: names that are safe on every file system, and writes that are all
or nothing."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path


def slug(label: str) -> str:
    """A file-name-safe version of a schedule label (for its trace and figure files)."""
    return re.sub(r"[^A-Za-z0-9.=-]+", "_", label).strip("_") or "schedule"


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write ``text`` (UTF-8 with ``\\n`` line ends) or bytes to ``path`` through a
    temporary file and a rename, so that a failed write leaves the old file whole.

    A symbolic link stays one: its target is replaced. What exists but is not a regular
    file (``/dev/stdout``, ``/dev/null``, a pipe) is written to directly, since a rename
    would replace it (a device node, when run as root) with a regular file. The file gets
    the mode of the one it replaces, or a new file's (0o666 less the umask), not the
    temporary file's 0o600.
    """
    import tempfile  # here, not at the top: it costs ``lrviz --help`` 8 ms (shutil, bz2...)

    data = text.encode("utf-8") if isinstance(text, str) else text
    if path.exists() and not path.is_file():
        with path.open("wb") as f:
            f.write(data)
        return
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else _new_file_mode()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _new_file_mode() -> int:
    umask = os.umask(0)  # reading the umask means setting it: put it straight back
    os.umask(umask)
    return 0o666 & ~umask
