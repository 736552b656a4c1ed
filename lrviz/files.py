"""Files lrviz writes: names that are safe on every file system, and writes that are all
or nothing."""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path

MAX_SLUG = 100
"""Characters of a label kept in a file name (file systems allow 255 bytes a name)."""

_RESERVED = re.compile(r"(CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])(\..*)?", re.IGNORECASE)
"""Names Windows keeps for devices, whatever their extension."""


def slug(label: str) -> str:
    """A file name for a schedule label (its trace and figure files): letters, digits and
    ``.=-`` only, never hidden (no leading dot), never a Windows device name, at most
    :data:`MAX_SLUG` characters. A label that loses most of itself on the way (one in
    another script) or is cut keeps a short hash of itself, so such labels stay apart.
    Labels whose names still meet, in any case, are refused where they are given
    (:func:`same_file_name`)."""
    safe = re.sub(r"[^A-Za-z0-9.=-]+", "_", label).strip("_.-")
    if len(safe) > MAX_SLUG or len(safe) * 2 < len(label.strip()):
        digest = hashlib.sha1(label.encode("utf-8")).hexdigest()[:8]
        safe = f"{safe[: MAX_SLUG - 9].rstrip('_.-')}-{digest}".lstrip("-")
    if not safe:
        safe = "schedule"
    if _RESERVED.fullmatch(safe):
        safe += "_"
    return safe


def same_file_name(a: str, b: str) -> bool:
    """Whether two labels give the same file name, on a file system that ignores case
    (macOS's and Windows' do)."""
    return slug(a).lower() == slug(b).lower()


def check_folder_target(out: Path) -> None:
    """Whether a report can go to ``out``, found before any work: the folder, or the
    nearest existing folder above it, must be a folder lrviz can write in; and it must
    not be what no one means (the file system's root, the root of a git checkout).

    Raises:
        ValueError: Naming the path and what is wrong.
    """
    import tempfile  # here, not at the top: it costs ``lrviz --help`` 8 ms

    shown = str(out)
    if out.is_symlink() and not out.exists():
        raise ValueError(
            f"output folder {shown!r} is a symbolic link to {os.readlink(out)!r}, which "
            "does not exist"
        )
    resolved = out.resolve()
    if resolved == Path(resolved.anchor):
        raise ValueError(
            f"output folder {shown!r} is the file system's root; give a folder of its own "
            "(e.g. -o reports)"
        )
    if (resolved / ".git").exists():
        raise ValueError(
            f"output folder {shown!r} is the root of a git checkout; give a folder of its "
            "own inside it (e.g. -o reports)"
        )
    if out.exists() and not out.is_dir():
        raise ValueError(f"output path {shown!r} is a file; give a folder (-o DIR)")
    existing = resolved
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ValueError(f"output folder {shown!r} cannot be made: {str(existing)!r} is a file")
    try:
        Path(tempfile.mkdtemp(prefix=".lrviz-probe-", dir=existing)).rmdir()
    except OSError as exc:
        raise ValueError(
            f"output folder {shown!r} cannot be written: {exc.strerror or exc} ({str(existing)!r})"
        ) from None


def read_text(path: str | os.PathLike[str], what: str, limit: int, starts: str = "") -> str:
    """The UTF-8 text of a file (gunzipped if compressed), read up to ``limit`` bytes, so
    that ``/dev/zero`` or a huge file is an error, not a machine out of memory.

    Args:
        path: The file.
        what: What it should be, for messages ("trace", "config").
        limit: The most bytes to read (after decompression).
        starts: What the text must start with (after white space), checked on the
            first bytes, before the rest is read.

    Raises:
        ValueError: Unreadable, larger than ``limit``, not UTF-8 or not starting as it
            must, or a gzip stream cut short or damaged; naming the file.
    """
    name = os.fspath(path)
    try:
        with open(path, "rb") as raw:
            data = raw.read(min(limit + 1, 1 << 16))
            _check_start(data, what, name, starts)
            if len(data) < limit + 1:
                data += raw.read(limit + 1 - len(data))
        if data[:2] == b"\x1f\x8b":  # gzip's magic number
            data = _gunzip(data, limit, what, name)
            _check_start(data[: 1 << 16], what, name, starts)
    except OSError as exc:
        raise ValueError(f"cannot read {what} {name!r}: {exc}") from exc
    if len(data) > limit:
        raise _too_large(what, name, limit)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"cannot read {what} {name!r}: not UTF-8 text ({exc})") from exc


def _too_large(what: str, name: str, limit: int) -> ValueError:
    return ValueError(
        f"{what} file {name!r} is larger than the {limit >> 20} MiB lrviz reads of one"
    )


def _gunzip(data: bytes, limit: int, what: str, name: str) -> bytes:
    """The gzip stream ``data`` (a file's first ``limit + 1`` bytes) decompressed, at most
    ``limit + 1`` bytes of it (more is the caller's error); a stream cut short or damaged
    is named as such, not left for the JSON parser to stumble on."""
    import zlib

    unzip = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = unzip.decompress(data, limit + 1)
    except zlib.error as exc:
        raise ValueError(
            f"cannot read {what} {name!r}: the gzip stream is truncated or corrupt ({exc})"
        ) from None
    if not unzip.eof and len(out) <= limit:
        if len(data) > limit:  # the file itself is larger than what is read of it
            raise _too_large(what, name, limit)
        raise ValueError(
            f"cannot read {what} {name!r}: the gzip stream is truncated or corrupt (it ends "
            f"after {len(data):,} bytes, before its end mark)"
        )
    return out


def _check_start(head: bytes, what: str, name: str, starts: str) -> None:
    if not starts or head[:2] == b"\x1f\x8b":
        return
    text = head.lstrip(b" \t\r\n").removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    if text and not text.startswith(starts.encode()):
        raise ValueError(
            f"{name!r} is not an lrviz {what}: one starts with {starts!r}, this file with "
            f"{text[:8]!r}"
        )


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


def replaced_input(inputs: Iterable[Path], replaced: Iterable[Path]) -> tuple[Path, Path] | None:
    """The first of ``inputs`` that writing ``replaced`` would replace or delete, with the
    replaced path it is in (a file, or a folder it lies in at any depth); None if none.

    Paths are compared resolved, so a symbolic link on either side, ``..`` or a relative
    path do not hide an input; an input that is itself a link counts both where it is
    and where it points.
    """
    targets = [target.resolve() for target in replaced]
    for path in inputs:
        for place in (path.resolve(), path.absolute().parent.resolve() / path.name):
            for target in targets:
                if place == target or place.is_relative_to(target):
                    return path, target
    return None
