"""The docs site in docs/: every Python snippet on every page runs as written, every
``lrviz`` command line uses commands and options that exist, every link points to a
file, and Sphinx builds it with warnings as errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from snippets import (
    ROOT,
    blocks,
    command_lines,
    local_links,
    run_pytest,
    run_python,
    unknown_options,
)

DOCS = ROOT / "docs"
PAGES = {p.name: p.read_text(encoding="utf-8") for p in sorted(DOCS.glob("*.md"))}
SNIPPETS = [
    (name, i, code) for name, text in PAGES.items() for i, code in enumerate(blocks(text, "python"))
]
COMMANDS = [(name, argv) for name, text in PAGES.items() for argv in command_lines(text)]
GUIDES = (
    "recorder",
    "frameworks",
    "logs",
    "checks",
    "figures",
    "sweeps",
    "trace-format",
    "bad-input",
)


def test_the_site_has_its_guides_design_notes_benchmarks_and_references() -> None:
    for page in (*GUIDES, "design", "speed", "quickstart", "index", "changes"):
        assert f"{page}.md" in PAGES, page
    assert ".. click:: lrviz.cli:main" in (DOCS / "cli.rst").read_text(encoding="utf-8")
    assert ".. autoclass:: lrviz.recorder.Recorder" in (DOCS / "api.rst").read_text(
        encoding="utf-8"
    )
    assert len(SNIPPETS) >= 6 and len(COMMANDS) > 60


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, index, code", SNIPPETS, ids=[f"{name}-{i}" for name, i, _ in SNIPPETS]
)
def test_every_python_snippet_runs_as_written(
    name: str, index: int, code: str, tmp_path: Path
) -> None:
    done = run_python(code, tmp_path)
    assert done.returncode == 0, f"{name}, snippet {index} failed:\n{code}\n{done.stderr}"


@pytest.mark.parametrize(
    "name, argv", COMMANDS, ids=[f"{name}: {' '.join(a)[:50]}" for name, a in COMMANDS]
)
def test_every_command_line_uses_options_that_exist(name: str, argv: list[str]) -> None:
    assert unknown_options(argv) == [], f"{name}: {' '.join(argv)}"


@pytest.mark.parametrize("name", PAGES)
def test_every_link_points_to_a_file(name: str) -> None:
    assert "SPEC §" not in PAGES[name] and "SPEC.md" not in PAGES[name]
    for target in local_links(PAGES[name]):
        assert (DOCS / target).exists(), f"{name}: {target}"


@pytest.mark.slow
def test_the_docs_build_with_warnings_as_errors(tmp_path: Path) -> None:
    """Offline, as CI builds them: a warning (a broken reference, a docstring that is
    not valid reStructuredText, a page in no table of contents) fails the build."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            str(DOCS),
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    for page in (*GUIDES, "cli", "api"):
        assert (tmp_path / f"{page}.html").exists(), page
    cli = (tmp_path / "cli.html").read_text(encoding="utf-8")
    assert 'id="cmdoption-lrviz-simulate-steps-per-epoch"' in cli
    assert 'id="lrviz-import"' in cli
    api = (tmp_path / "api.html").read_text(encoding="utf-8")
    assert 'id="lrviz.recorder.Recorder.load_state_dict"' in api
    assert 'id="lrviz.report.write_report"' in api


@pytest.mark.slow
@pytest.mark.parametrize("source", ["docs/checks.md", "README.md"])
def test_the_fixture_snippet_writes_its_golden_then_passes(source: str, tmp_path: Path) -> None:
    """The pytest snippet as a test file in a project: the first run writes the golden
    and fails, the second passes, as the checks page says."""
    text = (ROOT / source).read_text(encoding="utf-8")
    [code] = [c for c in blocks(text, "python") if "lr_trace_regression" in c]
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_schedule.py").write_text(code, encoding="utf-8")
    runs = [run_pytest(tmp_path) for _ in range(2)]
    assert runs[0].returncode == 1, runs[0].stdout + runs[0].stderr
    assert "no golden LR trace yet: wrote tests/test_schedule/" in runs[0].stdout
    assert runs[1].returncode == 0, runs[1].stdout + runs[1].stderr


def test_the_command_line_check_finds_what_does_not_exist() -> None:
    lines = command_lines(
        "Run `lrviz run --epochs 5 --nope 3`, then\n\n```sh\nlrviz plott x\n```\n"
    )
    assert [unknown_options(argv) for argv in lines] == [["--nope"], ["plott"]]


def test_the_changes_link_to_files_that_exist() -> None:
    changes = (ROOT / "CHANGES.md").read_text(encoding="utf-8")
    assert changes.startswith("# Changes\n\n## Unreleased\n")
    for target in local_links(changes):
        assert (ROOT / target).exists(), target
