"""The report page says only what is true of its figure (issue 18): events derived from
the rates now, no rule claimed where none checked them, the last rate an update used."""

from __future__ import annotations

import html
import math
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from test_plots import evaluated_every_five_steps

import lrviz
from lrviz.console import summary_lines
from lrviz.explanation import explain
from lrviz.logs import read_log
from lrviz.report import after_last, build_figures, derive_events
from lrviz.text import number


def page_text(index: Path) -> str:
    """The words of a report page, tags dropped, spaces joined."""
    text = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", index.read_text(), flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)))


def edited_step_lr() -> lrviz.Trace:
    """A StepLR trace whose file was edited: the drop at epoch 3 taken out of its rates,
    its stored events left as they were."""
    trace = lrviz.simulate("step:step_size=2,gamma=0.5", epochs=6)
    data = trace.to_dict()
    data["epochs"][2]["lr"] = data["epochs"][1]["lr"]
    edited = lrviz.Trace.from_dict(data)
    assert next(e.at for e in edited.events if e.kind == "reduce") == 2
    return edited


def test_the_page_shows_the_events_derived_from_the_rates_and_says_the_stored_differ(
    tmp_path: Path,
) -> None:
    edited = edited_step_lr()
    text = page_text(lrviz.write_report([edited], tmp_path / "r"))
    assert not re.search(r"\b2 reduce 0\.1 → 0\.05\b", text)
    derived = explain(edited)
    assert derived != list(edited.events)
    warning = re.search(r"Warnings .*?stores other events than lrviz derives[^.]*\.", text)
    assert warning is not None, text
    assert edited.label in warning.group(0) and "the page shows the derived ones" in text


def test_a_trace_whose_events_agree_gets_no_warning(tmp_path: Path) -> None:
    trace = lrviz.simulate("step:step_size=2,gamma=0.5", epochs=6)
    text = page_text(lrviz.write_report([trace], tmp_path / "r"))
    assert "stores other events" not in text


def nanogpt_rates(steps: int = 100) -> list[float]:
    """nanoGPT's get_lr: linear warm-up, cosine down to min_lr = max_lr / 10, constant."""
    top, low, warm, decay = 6e-4, 6e-5, 10, 80
    out = []
    for it in range(steps + 1):
        if it < warm:
            out.append(top * (it + 1) / (warm + 1))
        elif it > decay:
            out.append(low)
        else:
            ratio = (it - warm) / (decay - warm)
            out.append(low + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (top - low))
    return out


def test_rates_set_by_hand_are_phases_with_no_rule_claimed(tmp_path: Path) -> None:
    rates = lrviz.Trace.from_rates(nanogpt_rates(), name="none")
    trace = rates.with_events(explain(rates))  # as a Recorder stores it
    text = page_text(lrviz.write_report([trace], tmp_path / "r"))
    assert not re.search(r"outside the schedule|no rule for none|checked against", text), text
    assert "without a scheduler" in text
    row = re.search(r" none (\d+) (\S+) (never|epoch \d+)", text)
    assert row is not None, text
    assert row.group(1) != "0" and row.group(3) == "epoch 80", row.group(0)


def one_cycle_past_its_end() -> lrviz.Trace:
    trace = lrviz.simulate(
        "onecycle:max_lr=0.01,total_steps=32,three_phase=True,anneal_strategy=linear",
        epochs=32,
    )
    assert trace.final_lr[0] < 0  # torch extrapolates after the last step
    return trace


def test_the_final_lr_is_the_last_rate_an_update_used(tmp_path: Path) -> None:
    trace = one_cycle_past_its_end()
    used = trace.rates(0)[-2]
    text = page_text(lrviz.write_report([trace], tmp_path / "r"))
    row = re.search(re.escape(trace.label) + r" \d+ (\S+) epoch", text)
    assert row is not None, text
    assert row.group(1) == f"{used:.3g}"
    said = f"after the last step the rate is {number(trace.final_lr[0])} (no update used it)"
    assert said in text.lower()


def test_figures_drawn_for_the_stored_events_are_not_taken_for_the_derived(
    tmp_path: Path,
) -> None:
    """``lrviz report`` sends the traces as loaded to its figure worker: when the page's
    derived events differ from the stored ones (same count, other kinds), the figures,
    markers included, are those of the derived events."""
    trace = lrviz.simulate("step:step_size=2,gamma=0.5", epochs=6)
    stale = trace.with_events([replace(e, kind="external") for e in trace.events])
    stale.save(tmp_path / "stale.json")
    command = [sys.executable, "-m", "lrviz", "report", "-q", "-o", str(tmp_path / "r")]
    subprocess.run([*command, str(tmp_path / "stale.json")], check=True, timeout=300)
    (derived,), _ = derive_events([stale])
    (drawn,) = [f for f in build_figures([derived]) if f.slug == "lr"]
    assert (tmp_path / "r" / "figures" / "lr.svg").read_bytes() == drawn.svg


def test_a_page_of_losses_logged_at_their_steps_draws_them_and_names_them(
    tmp_path: Path,
) -> None:
    trace = evaluated_every_five_steps()
    text = page_text(lrviz.write_report([trace], tmp_path / "r"))
    assert "no losses were recorded" not in text
    assert (tmp_path / "r" / "figures" / "loss.svg").exists()
    assert "Losses as logged (eval_loss, loss), at the steps they were logged" in text


def test_the_console_summary_gives_the_final_lr_the_page_gives(tmp_path: Path) -> None:
    trace = one_cycle_past_its_end()
    trained = replace(trace, epochs=tuple(replace(e, val_loss=1.0) for e in trace.epochs))
    (line, _) = summary_lines([trained], tmp_path / "index.html")
    assert f"final LR {trace.rates(0)[-2]:.3g}," in line, line


def test_a_log_naming_no_scheduler_says_where_it_came_from_and_invents_nothing(
    tmp_path: Path,
) -> None:
    rows = ["step,lr"] + [f"{s},{0.1 * 0.5 ** (s // 40)}" for s in range(1, 121)]
    (tmp_path / "log.csv").write_text("\n".join(rows) + "\n")
    (trace,) = read_log(tmp_path / "log.csv")
    text = page_text(lrviz.write_report([trace], tmp_path / "r"))
    assert "log: imported from a table, rates as logged." in text
    assert "scheduler step" not in text and "1 epoch, 120 steps" in text
    assert not re.search(r"Optimizer|Model|Dataset|no rule for|outside the schedule", text)


def one_cycle_to_its_end(max_lr: str, lr: list[float]) -> lrviz.Trace:
    """A three-phase linear OneCycleLR stepped exactly total_steps times: torch
    extrapolates the rate after its last step below 0."""
    spec = f'onecycle:max_lr={max_lr},total_steps=20,three_phase=True,anneal_strategy="linear"'
    return lrviz.simulate(spec, epochs=1, steps_per_epoch=20, lr=lr)


def test_after_the_last_step_names_the_groups_whose_rate_no_update_used() -> None:
    two = one_cycle_to_its_end("[0.1,0.2]", [0.1, 0.2])
    assert after_last(two) == (
        "After the last step the rate of group 0 is -0.000444, of group 1 is -0.000888 "
        "(no update used it)."
    )
    same = one_cycle_to_its_end("0.1", [0.1, 0.1])
    assert (
        after_last(same)
        == "After the last step the rate of every group is -0.000444 (no update used it)."
    )
    # A schedule that ends where it should: its final rate is the rate after its last step.
    assert after_last(lrviz.simulate("step:step_size=2", epochs=4, lr=[0.1, 0.2])) == ""
