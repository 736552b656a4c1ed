"""The README as a newcomer reads it: short, the two commands CI runs, every Python
snippet runs as written, every ``lrviz`` command line it shows uses commands and options
that exist, and every link points to a file in the repository."""

from __future__ import annotations

from pathlib import Path

import pytest
from snippets import ROOT, blocks, command_lines, local_links, run_python, unknown_options

README = (ROOT / "README.md").read_text(encoding="utf-8")
PYTHON = blocks(README, "python")
COMMANDS = command_lines(README)
RUN = ".venv/bin/pip install -c constraints.txt -e . && .venv/bin/lrviz run"
TEST = ".venv/bin/pip install -q -c constraints.txt -e '.[test]' && .venv/bin/pytest"


def test_the_readme_is_a_page_not_a_manual() -> None:
    assert len(README.splitlines()) <= 150


def test_the_readme_gives_the_two_commands_and_ci_runs_the_test_command_verbatim() -> None:
    shell = blocks(README, "sh")
    assert f"python3 -m venv .venv && {RUN}\n" in shell
    assert f"python3 -m venv .venv && {TEST}\n" in shell
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert f"python3 -m venv .venv && {TEST}" in ci


def test_the_readme_shows_the_recorder_loop_and_the_fixture() -> None:
    assert any("lrviz.Recorder(" in s and "rec.log(" in s for s in PYTHON)
    assert any("lr_trace_regression" in s for s in PYTHON)


def test_the_screenshot_is_small() -> None:
    assert "](docs/report.png)" in README
    assert (ROOT / "docs" / "report.png").stat().st_size < 300 * 1024


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(PYTHON)))
def test_every_python_snippet_runs_as_written(index: int, tmp_path: Path) -> None:
    done = run_python(PYTHON[index], tmp_path)
    assert done.returncode == 0, f"snippet {index} failed:\n{PYTHON[index]}\n{done.stderr}"


def test_the_readme_shows_every_command() -> None:
    from lrviz.cli import main

    shown = {argv[1] for argv in COMMANDS if len(argv) > 1}
    assert set(main.commands) <= shown  # type: ignore[attr-defined]


@pytest.mark.parametrize("argv", COMMANDS, ids=[" ".join(a)[:60] for a in COMMANDS])
def test_every_command_line_uses_options_that_exist(argv: list[str]) -> None:
    assert unknown_options(argv) == [], " ".join(argv)


def test_no_reference_to_documents_outside_the_repository() -> None:
    assert "SPEC §" not in README and "SPEC.md" not in README
    links = local_links(README)
    assert len(links) > 20
    for target in links:
        assert (ROOT / target).exists(), target
