"""The HTML report (SPEC §7): self-contained, valid HTML5, accessible, escaped, complete."""

from __future__ import annotations

import html.parser
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import html5lib
import pytest
from test_cli_run import files

from lrviz.experiment import Experiment
from lrviz.report import write_report
from lrviz.trace import Trace
from lrviz.training import run


@pytest.fixture(scope="module")
def traces() -> list[Trace]:
    return run(Experiment(epochs=40))


@pytest.fixture(scope="module")
def page(traces: list[Trace], tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("report")
    return write_report(traces, out).read_text(encoding="utf-8")


class Tags(html.parser.HTMLParser):
    """Collects every start tag with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(page)
    return parser.tags


def test_is_valid_html5_with_a_language(page: str) -> None:
    html5lib.HTMLParser(strict=True).parse(page)  # raises on any parse error
    assert page.startswith("<!DOCTYPE html>")
    assert ("html", {"lang": "en"}) in tags(page)


def test_is_self_contained(page: str) -> None:
    found = tags(page)
    assert not [t for t, _ in found if t in {"script", "link", "iframe", "object"}]
    images = [a for t, a in found if t == "img"]
    assert images and all((a["src"] or "").startswith("data:image/svg+xml;base64,") for a in images)
    assert not re.search(r"(src|href)=\"(https?:)?//", page)
    assert "@import" not in page and "url(" not in page


def test_every_figure_has_a_caption_and_a_text_alternative(page: str) -> None:
    assert page.count("<figure>") == page.count("<figcaption>") == 5
    assert all((a.get("alt") or "").strip() for t, a in tags(page) if t == "img")


def test_shows_what_was_run_with_every_parameter(page: str) -> None:
    for text in (
        "wine",
        "Adam(lr=0.1",
        "Seeds",
        "torch",
        "lrviz 0.1.0",
        "step_size=30, gamma=0.1",
        "gamma=0.95",
        "mode=min, factor=0.1, patience=10, threshold=0.0001, threshold_mode=rel, "
        "cooldown=0, min_lr=0, eps=1e-08",
    ):
        assert text in page, text


def test_has_event_tables_and_the_comparison_table(page: str, traces: list[Trace]) -> None:
    assert "epoch 30 is a multiple of step_size 30: rate x gamma 0.1" in page
    assert "has not improved on its best" in page
    for heading in (
        "Best val loss (epoch)",
        "Final val loss",
        "Final accuracy",
        "Reductions",
        "Final LR",
        "10% LR at",
    ):
        assert heading in page
    step = traces[0]
    assert f"<td>{step.label}</td>" in page


def test_files_beside_the_page(traces: list[Trace], tmp_path: Path) -> None:
    write_report(traces, tmp_path)
    assert sorted(p.name for p in (tmp_path / "traces").iterdir()) == [
        "exp-seed0.json",
        "plateau-seed0.json",
        "step-seed0.json",
    ]
    svg = (tmp_path / "figures" / "lr.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert (tmp_path / "figures" / "lr.png").read_bytes().startswith(b"\x89PNG")


def test_the_same_traces_give_the_same_bytes(traces: list[Trace], tmp_path: Path) -> None:
    first = write_report(traces, tmp_path / "a").read_bytes()
    second = write_report(traces, tmp_path / "b").read_bytes()
    assert first == second


def test_text_from_traces_is_escaped(traces: list[Trace], tmp_path: Path) -> None:
    hostile = replace(
        traces[0], schedule={**traces[0].schedule, "label": "<script>alert(1)</script>"}
    )
    page = write_report([hostile], tmp_path).read_text()
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_external_changes_and_divergence_are_flagged(traces: list[Trace], tmp_path: Path) -> None:
    step = traces[0]
    epochs = list(step.epochs)
    # The rate of epoch 6 set by hand to half what the schedule gives: the page derives
    # its events from the rates, so the change must be in them.
    epochs[5] = replace(epochs[5], lr=tuple(x / 2 for x in epochs[5].lr))
    epochs[7] = replace(epochs[7], val_loss=float("nan"))
    flagged = replace(step, epochs=tuple(epochs))
    page = write_report([flagged], tmp_path).read_text()
    assert "changed outside the schedule" in page and "epoch 5" in page
    assert "training diverged at epoch 8" in page


def labelled(trace: Trace, label: str, **schedule: object) -> Trace:
    return replace(trace, schedule={**trace.schedule, "label": label, **schedule})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"params": {"step_size": 7}}, "two traces are labelled 'step' but are different sch"),
        ({}, "two traces are labelled 'step' but are the same seed; give each schedule its"),
    ],
    ids=["other-params", "same-seed"],
)
def test_a_label_names_one_schedule(
    traces: list[Trace], tmp_path: Path, change: dict[str, object], message: str
) -> None:
    twin = labelled(traces[0], "step", **change)
    with pytest.raises(ValueError, match=re.escape(message)):
        write_report([traces[0], twin], tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_labels_must_give_distinct_file_names(traces: list[Trace], tmp_path: Path) -> None:
    pair = [labelled(traces[0], "warm up"), labelled(traces[1], "warm_up")]
    with pytest.raises(ValueError, match="labels 'warm up' and 'warm_up' give the same file"):
        write_report(pair, tmp_path)


def test_refuses_a_file_as_output_and_an_empty_run(traces: list[Trace], tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(ValueError, match="is a file"):
        write_report(traces, target)
    with pytest.raises(ValueError, match="no traces"):
        write_report([], tmp_path / "empty")


def fail_renames(monkeypatch: pytest.MonkeyPatch, out: Path, failing: set[int]) -> None:
    """Make the given calls of ``os.replace`` into ``out`` (counting from 1) fail."""
    real_replace = os.replace
    calls = 0

    def replace(src: Any, dst: Any) -> None:
        nonlocal calls
        if Path(dst).is_relative_to(out):
            calls += 1
            if calls in failing:
                raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)


@pytest.mark.parametrize("failing", [1, 2, 3, 4, 5])
def test_a_swap_that_fails_midway_restores_the_previous_report(
    traces: list[Trace], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: int
) -> None:
    # The swap renames: old figures/ aside, new figures/ in, the same for traces/, index last.
    write_report(traces, tmp_path)
    before = files(tmp_path)
    fail_renames(monkeypatch, tmp_path, {failing})
    with pytest.raises(OSError, match="disk full"):
        write_report(traces[:1], tmp_path)
    monkeypatch.undo()
    assert files(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figures", "index.html", "traces"]


def test_a_failed_rollback_keeps_the_previous_report_in_the_stage(
    traces: list[Trace], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_report(traces, tmp_path)
    old_figures = files(tmp_path / "figures")
    fail_renames(monkeypatch, tmp_path, {2, 3})  # new figures/ in, then old figures/ back
    with pytest.raises(OSError, match="disk full"):
        write_report(traces[:1], tmp_path)
    monkeypatch.undo()
    [stage] = tmp_path.glob(".lrviz-*")
    assert files(stage / "old-figures") == old_figures


def test_an_index_that_is_a_folder_is_refused_before_any_work(
    traces: list[Trace], tmp_path: Path
) -> None:
    (tmp_path / "index.html").mkdir()
    (tmp_path / "index.html" / "keep.txt").write_text("mine")
    with pytest.raises(ValueError, match=r"has an index\.html, figures/ or traces/ that lrviz"):
        write_report(traces, tmp_path)
    assert files(tmp_path) == {Path("index.html/keep.txt"): b"mine"}
    assert [p.name for p in tmp_path.iterdir()] == ["index.html"]


SITE = "<!DOCTYPE html><title>my site</title>"


@pytest.mark.parametrize(
    ("sub", "index"),
    [("figures", None), ("traces", None), ("figures", SITE), ("traces", SITE), (None, SITE)],
    ids=["figures", "traces", "figures-other-index", "traces-other-index", "other-index"],
)
def test_refuses_a_folder_whose_index_figures_or_traces_lrviz_did_not_write(
    traces: list[Trace], tmp_path: Path, sub: str | None, index: str | None
) -> None:
    if sub is not None:
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "plot.png").write_bytes(b"mine")
    if index is not None:
        (tmp_path / "index.html").write_text(index)
    before = files(tmp_path)
    message = (
        f"output folder {str(tmp_path)!r} has an index.html, figures/ or traces/ that lrviz "
        "did not write"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        write_report(traces, tmp_path)
    assert files(tmp_path) == before
    assert len(list(tmp_path.iterdir())) == len(before)


def test_writes_into_a_folder_of_other_files_and_over_its_own_report(
    traces: list[Trace], tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    write_report(traces, tmp_path)
    write_report(traces[:1], tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert [p.name for p in (tmp_path / "traces").iterdir()] == ["step-seed0.json"]


def test_the_final_rate_of_a_one_cycle_is_the_last_one_an_update_used() -> None:
    """Stepped exactly total_steps times, a three-phase linear OneCycleLR leaves a
    negative rate in the optimizer that no update used (torch extrapolates): the
    comparison's final LR is the last rate used (issue 18)."""
    import torch

    import lrviz
    from lrviz.report import comparison_row

    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=0.1, total_steps=30, three_phase=True, anneal_strategy="linear"
    )
    rec = lrviz.Recorder(optimizer, scheduler, every="step")
    for _ in range(30):
        optimizer.step()
        scheduler.step()
    rec.log()
    trace = rec.trace
    assert trace.final_lr[0] < 0
    row = comparison_row(trace)
    assert row["final_lr"] == trace.rates(0)[-2] > 0
    step = lrviz.simulate("step:step_size=2", epochs=5)
    assert comparison_row(step)["final_lr"] == step.final_lr[0]
