"""The README as a newcomer reads it: every Python snippet runs as written, every
``lrviz`` command line it shows uses commands and options that exist, and it points to
nothing outside the repository."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest

from lrviz.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")

FENCE = re.compile(r"^( *)```(\w*)\n(.*?)^\1```$", re.S | re.M)


def blocks(language: str) -> list[str]:
    """The README's fenced blocks of one language, dedented."""
    out = []
    for indent, lang, body in FENCE.findall(README):
        if lang == language:
            out.append("".join(line[len(indent) :] for line in body.splitlines(True)))
    return out


PYTHON = blocks("python")


def test_the_readme_has_python_snippets() -> None:
    assert len(PYTHON) >= 3


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(PYTHON)))
def test_every_python_snippet_runs_as_written(index: int, tmp_path: Path) -> None:
    """In a fresh interpreter, in an empty folder (snippets write into reports/)."""
    script = tmp_path / "snippet.py"
    script.write_text(PYTHON[index], encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert done.returncode == 0, f"snippet {index} failed:\n{PYTHON[index]}\n{done.stderr}"


def command_lines() -> list[list[str]]:
    """Every ``lrviz SUBCOMMAND ...`` the README shows: in code spans and in shell and
    console blocks (a console line's prompt and output left out)."""
    texts = re.findall(r"`(lrviz [^`\n]+)`", README)
    for lang in ("sh", "console"):
        for block in blocks(lang):
            for line in block.splitlines():
                line = line.removeprefix("$ ")
                texts.extend(re.findall(r"(?:^|&& |\| )(lrviz [^&|#]+)", line))
    for block in blocks(""):  # synopses: "lrviz simulate SPEC | -c FILE [--epochs N] ..."
        texts.extend(re.findall(r"^lrviz .*(?:\n +\S.*)*", block, re.M))
    return [shlex.split(text.replace("...", "")) for text in texts]


COMMANDS = command_lines()


def test_the_readme_shows_command_lines() -> None:
    assert len(COMMANDS) > 30


@pytest.mark.parametrize("argv", COMMANDS, ids=[" ".join(a)[:60] for a in COMMANDS])
def test_every_command_line_uses_options_that_exist(argv: list[str]) -> None:
    assert isinstance(main, click.Group)
    if len(argv) < 2 or argv[1].startswith("-"):
        return  # `lrviz --help`, `lrviz -V`
    name = argv[1].split("|")[0]
    command = main.commands.get(name)
    assert command is not None, f"no command {name!r}: {' '.join(argv)}"
    known = {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)} | {"-h"}
    for token in argv[2:]:
        for part in token.strip("[]").split("|"):
            option = part.split("=")[0]
            if re.fullmatch(r"--?[A-Za-z][\w-]*", option):
                assert option in known, f"{' '.join(argv)}: {name} has no option {option}"


def test_no_reference_to_documents_outside_the_repository() -> None:
    assert "SPEC §" not in README and "SPEC.md" not in README
    for target in re.findall(r"\]\((?!https?://|#)([^)]+)\)", README):
        assert (ROOT / target).exists(), target
