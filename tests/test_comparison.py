"""lrviz.comparison: tolerance edges, divergences, counts, and the golden-file workflow."""

from __future__ import annotations

import copy
import math
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrviz.comparison import (
    Comparison,
    GoldenFileError,
    check_golden,
    compare,
    obtained_path,
)
from lrviz.simulation import simulate
from lrviz.trace import Epoch, Trace

NAN, INF = math.nan, math.inf


def make(
    lrs: list[float] | None = None,
    *,
    name: str = "StepLR",
    params: dict[str, Any] | None = None,
    final_lr: float | None = None,
    **per_epoch: list[Any],
) -> Trace:
    """A hand-built trace: one rate per epoch (one group), plus optional per-epoch fields.

    Without ``lrs``, the rate is 0.1 throughout, for as many epochs as the fields have.
    """
    if lrs is None:
        lrs = [0.1] * len(next(iter(per_epoch.values()), [0.1] * 3))
    epochs = tuple(
        Epoch(epoch=k + 1, lr=(lr,), **{key: values[k] for key, values in per_epoch.items()})
        for k, lr in enumerate(lrs)
    )
    return Trace(
        meta={"lrviz": "test", "source": "simulate"},
        experiment=None,
        schedule={"name": name, "params": {"step_size": 2} if params is None else params},
        initial_lr=(lrs[0],),
        epochs=epochs,
        final_lr=(lrs[-1] if final_lr is None else final_lr,),
    )


def torch_rates(scheduler_class: str, epochs: int, **params: Any) -> list[list[float]]:
    """The rates torch applies: get_last_lr() at construction and after every step."""
    import torch

    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    scheduler = getattr(torch.optim.lr_scheduler, scheduler_class)(optimizer, **params)
    rates = [scheduler.get_last_lr()]
    for _ in range(epochs):
        optimizer.step()
        scheduler.step()
        rates.append(scheduler.get_last_lr())
    return rates


# --- tolerance: |actual - golden| <= atol + rtol * |golden|, golden the reference ---

TOLERANCE_CASES = [
    # (actual, golden, rtol, atol, match)
    (1.5, 1.0, 0.5, 0.0, True),  # exactly on the rtol bound
    (math.nextafter(1.5, INF), 1.0, 0.5, 0.0, False),  # one ulp outside it
    (0.5, 1.0, 0.5, 0.0, True),  # the bound holds below the golden value too
    (0.5 - 2**-53, 1.0, 0.5, 0.0, False),  # the smallest step whose difference shows
    (0.25, 0.0, 0.0, 0.25, True),  # exactly on the atol bound
    (math.nextafter(0.25, 1.0), 0.0, 0.0, 0.25, False),
    (1.75, 1.0, 0.5, 0.25, True),  # atol and rtol add up
    (math.nextafter(1.75, INF), 1.0, 0.5, 0.25, False),
    (2.0, 1.0, 0.5, 0.0, False),  # the golden value is the reference: 1 > 0.5 * 1 ...
    (1.0, 2.0, 0.5, 0.0, True),  # ... but 1 <= 0.5 * 2
    (1.0, 1.0, 0.0, 0.0, True),  # zero tolerance: equal only
    (math.nextafter(1.0, INF), 1.0, 0.0, 0.0, False),
    (0.0, 0.0, 0.0, 0.0, True),
    (-0.0, 0.0, 0.0, 0.0, True),
    (1e-300, 0.0, 1.0, 0.0, False),  # rtol cannot excuse anything at a golden 0
    (NAN, NAN, 0.0, 0.0, True),  # non-finite values match only themselves
    (NAN, 1.0, 1.0, 1.0, False),
    (1.0, NAN, 1.0, 1.0, False),
    (INF, INF, 0.0, 0.0, True),
    (-INF, -INF, 0.0, 0.0, True),
    (INF, -INF, 1.0, 1.0, False),
    (INF, 1e308, 1.0, 1e308, False),  # no tolerance reaches an infinity
    (1e308, INF, 1.0, 1e308, False),
    (NAN, INF, 1.0, 1.0, False),
]


@pytest.mark.parametrize(
    ("actual", "golden", "rtol", "atol", "match"),
    TOLERANCE_CASES,
    ids=[f"{a!r}-vs-{g!r}-rtol{r}-atol{t}" for a, g, r, t, _ in TOLERANCE_CASES],
)
@pytest.mark.parametrize("field", ["lr", "val_loss"])
def test_tolerance_edges(
    field: str, actual: float, golden: float, rtol: float, atol: float, match: bool
) -> None:
    if field == "lr":
        pair = make([0.1, actual]), make([0.1, golden])
    else:
        pair = make(val_loss=[0.5, actual]), make(val_loss=[0.5, golden])
    result = compare(*pair, rtol=rtol, atol=atol, fields=[field])
    assert result.ok is match
    assert bool(result) is match
    if not match:
        d = result.first_divergence
        assert d is not None
        assert (d.field, d.epoch, d.actual, d.golden) == (field, 2, actual, golden) or (
            math.isnan(d.actual) or math.isnan(d.golden)
        )
        assert result.differing_epochs == (2,)


@pytest.mark.parametrize(
    ("actual", "golden", "rel_diff"),
    [(1.5, 1.0, 0.5), (1.0, 4.0, 0.75), (1e-3, 0.0, INF), (NAN, 1.0, None), (1.0, INF, None)],
    ids=["above", "below", "golden-zero", "nan", "inf"],
)
def test_relative_difference_is_measured_against_golden(
    actual: float, golden: float, rel_diff: float | None
) -> None:
    d = compare(make(val_loss=[actual]), make(val_loss=[golden])).first_divergence
    assert d is not None
    assert d.rel_diff == rel_diff


@pytest.mark.parametrize(
    ("rtol", "atol", "message"),
    [
        (-1e-9, 0.0, "rtol must be a finite number >= 0, got -1e-09"),
        (NAN, 0.0, "rtol must be a finite number >= 0, got nan"),
        (0.0, INF, "atol must be a finite number >= 0, got inf"),
        (0.0, -1.0, "atol must be a finite number >= 0, got -1.0"),
    ],
    ids=["negative-rtol", "nan-rtol", "inf-atol", "negative-atol"],
)
def test_bad_tolerances_are_rejected(rtol: float, atol: float, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        compare(make(), make(), rtol=rtol, atol=atol)


# --- where and how much: the first divergence and the count ---


def test_first_divergence_against_torch_step_lr() -> None:
    # StepLR(step_size=30): torch changes the rate in step 30, so epoch 31 applies it.
    golden = Trace.from_rates(
        torch_rates("StepLR", 100, step_size=30, gamma=0.1),
        name="StepLR",
        params={"step_size": 30, "gamma": 0.1},
    )
    actual = Trace.from_rates(
        torch_rates("StepLR", 100, step_size=30, gamma=0.5),
        name="StepLR",
        params={"step_size": 30, "gamma": 0.5},
    )
    result = compare(actual, golden)
    assert not result.ok
    params = result.divergences[0]
    assert params.field == "schedule.params"
    assert params.actual["gamma"] == 0.5 and params.golden["gamma"] == 0.1
    first_rate = result.divergences[1]
    assert (first_rate.field, first_rate.epoch, first_rate.group) == ("lr", 31, 0)
    assert first_rate.actual == pytest.approx(0.05) and first_rate.golden == pytest.approx(0.01)
    assert first_rate.rel_diff == pytest.approx(4.0)
    assert result.differing_epochs == tuple(range(31, 101))
    assert result.divergences[-1].field == "final_lr"
    report = result.report()
    assert report.splitlines()[0] == "traces differ in 70 of 100 epochs (31-100)"
    assert "first divergence: schedule params differ: gamma: actual 0.5, golden 0.1" in report
    assert "first differing epoch: epoch 31, lr of group 0: actual 0.05" in report
    assert "(relative difference 4)" in report
    assert "golden 0.010000000000000002" in report  # torch's exact value, not rounded


def test_counts_every_differing_epoch_once() -> None:
    golden = make([0.1] * 10, val_loss=[1.0] * 10, train_loss=[2.0] * 10)
    actual = make(
        [0.1, 0.1, 0.2, 0.1, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1],
        val_loss=[1.0, 1.0, 9.0, 1.0, 1.0, 1.0, 9.0, 1.0, 1.0, 1.0],
        train_loss=[2.0] * 9 + [7.0],
        final_lr=0.1,
    )
    result = compare(actual, golden)
    assert result.fields == ("lr", "val_loss")  # train_loss is not a default field
    assert result.differing_epochs == (3, 5, 7)
    assert [(d.field, d.epoch) for d in result.divergences] == [
        ("lr", 3),
        ("val_loss", 3),
        ("lr", 5),
        ("val_loss", 7),
    ]
    assert result.report().startswith("traces differ in 3 of 10 epochs (3, 5, 7)\n")
    wider = compare(actual, golden, fields="lr,val_loss,train_loss")
    assert wider.differing_epochs == (3, 5, 7, 10)


def test_only_final_lr_differs() -> None:
    result = compare(make([0.1, 0.1], final_lr=0.02), make([0.1, 0.1], final_lr=0.01))
    assert not result.ok
    assert result.differing_epochs == ()
    d = result.first_divergence
    assert d is not None
    assert (d.field, d.epoch, d.group, d.actual, d.golden) == ("final_lr", None, 0, 0.02, 0.01)
    assert "final_lr (after the last step) of group 0: actual 0.02, golden 0.01" in str(result)
    assert result.report().splitlines()[0] == "traces differ"


@pytest.mark.parametrize(
    ("n_actual", "n_golden", "differing"),
    [(3, 5, (4, 5)), (5, 3, (4, 5))],
    ids=["actual-shorter", "actual-longer"],
)
def test_length_mismatch(n_actual: int, n_golden: int, differing: tuple[int, ...]) -> None:
    # Equal prefixes: only the number of epochs differs. The final rates come after
    # different steps, so they are not compared.
    actual = make([0.1] * n_actual, final_lr=0.5)
    golden = make([0.1] * n_golden, final_lr=0.9)
    result = compare(actual, golden)
    assert [(d.field, d.epoch, d.actual, d.golden) for d in result.divergences] == [
        ("epochs", 4, n_actual, n_golden)
    ]
    assert result.differing_epochs == differing
    assert result.epochs == 5
    longer = "golden" if n_golden > n_actual else "actual"
    assert f"(epochs 4-5 only in {longer})" in result.report()


def test_schedule_name_mismatch_alone_fails() -> None:
    result = compare(make(name="ExponentialLR"), make(name="StepLR"))
    assert not result.ok
    assert result.differing_epochs == ()
    d = result.first_divergence
    assert d is not None
    assert (d.field, d.actual, d.golden) == ("schedule.name", "ExponentialLR", "StepLR")
    assert "schedule name: actual 'ExponentialLR', golden 'StepLR'" in result.report()


def test_schedule_params_mismatch_names_each_key() -> None:
    result = compare(
        make(params={"step_size": 2, "gamma": 0.5, "last_epoch": -1}),
        make(params={"step_size": 2, "gamma": 0.1, "verbose": False}),
    )
    assert [d.field for d in result.divergences] == ["schedule.params"]
    line = result.report().splitlines()[1]
    assert line == (
        "  first divergence: schedule params differ: gamma: actual 0.5, golden 0.1; "
        "verbose: actual (none), golden False; last_epoch: actual -1, golden (none)"
    )


def test_params_compare_like_their_json() -> None:
    # In memory a milestone list may be a tuple, an int where the file has a float;
    # after a round trip they are lists and numbers, and equal.
    memory = make(name="MultiStepLR", params={"milestones": (30, 80), "gamma": 1, "x": NAN})
    stored = make(name="MultiStepLR", params={"milestones": [30, 80], "gamma": 1.0, "x": NAN})
    assert compare(memory, stored).ok
    assert compare(memory, Trace.from_dict(memory.to_dict())).ok


def test_group_count_mismatch() -> None:
    one = Trace.from_rates([0.1, 0.1, 0.01])
    two = Trace.from_rates([[0.1, 0.2], [0.1, 0.2], [0.01, 0.2]])
    result = compare(two, one)
    assert [(d.field, d.actual, d.golden) for d in result.divergences] == [("groups", 2, 1)]


def test_second_group_divergence_is_named() -> None:
    golden = Trace.from_rates([[0.1, 1.0], [0.1, 1.0], [0.01, 1.0]])
    actual = Trace.from_rates([[0.1, 1.0], [0.1, 2.0], [0.01, 2.0]])
    d = compare(actual, golden).first_divergence
    assert d is not None
    assert (d.field, d.epoch, d.group, d.actual, d.golden) == ("lr", 2, 1, 2.0, 1.0)


# --- fields ---


def test_default_fields_skip_val_loss_unless_both_have_it() -> None:
    simulated = make([0.1, 0.1])
    trained = make([0.1, 0.1], val_loss=[0.9, 0.8])
    result = compare(simulated, trained)
    assert result.ok
    assert result.fields == ("lr",)
    assert compare(trained, trained).fields == ("lr", "val_loss")


def test_fields_neither_trace_records_are_named_not_passed_silently() -> None:
    # Both StepLR traces lack a metric and momentum: absent in both is no difference,
    # but the report says those fields were not compared.
    result = compare(make([0.1, 0.1]), make([0.1, 0.1]), fields="lr,metric,momentum")
    assert result.ok
    assert (result.fields, result.unrecorded) == (("lr",), ("metric", "momentum"))
    assert result.report().endswith(
        "compared lr with rtol=1e-06, atol=0; neither trace records metric, momentum"
    )
    assert compare(make([0.1, 0.1]), make([0.1, 0.1])).unrecorded == ()


def test_a_check_of_only_unrecorded_fields_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^neither trace records metric, momentum: nothing to"):
        compare(make([0.1, 0.1]), make([0.1, 0.1]), fields="metric,momentum")


def test_asked_field_missing_on_one_side_differs() -> None:
    result = compare(make([0.1, 0.1]), make([0.1, 0.1], val_loss=[0.9, 0.8]), fields=["val_loss"])
    d = result.first_divergence
    assert d is not None
    assert (d.field, d.epoch, d.group, d.actual, d.golden, d.rel_diff) == (
        "val_loss",
        1,
        None,
        None,
        0.9,
        None,
    )
    assert "epoch 1, val_loss: actual (none), golden 0.9" in result.report()
    assert result.differing_epochs == (1, 2)


@pytest.mark.parametrize(
    ("field", "golden_values", "actual_values"),
    [
        ("train_loss", [1.0, 0.5], [1.0, 0.6]),
        ("val_accuracy", [0.5, 0.75], [0.5, 0.5]),
        ("metric", [1.0, 0.5], [1.0, NAN]),
        ("momentum", [(0.9,), (0.85,)], [(0.9,), (0.95,)]),
    ],
    ids=["train_loss", "val_accuracy", "metric", "momentum"],
)
def test_each_optional_field_is_compared_when_asked(
    field: str, golden_values: list[Any], actual_values: list[Any]
) -> None:
    golden = make([0.1, 0.1], **{field: golden_values})
    actual = make([0.1, 0.1], **{field: actual_values})
    assert compare(actual, golden).ok  # not a default field
    result = compare(actual, golden, fields=[field])
    d = result.first_divergence
    assert d is not None
    assert (d.field, d.epoch) == (field, 2)
    assert d.group == (0 if field == "momentum" else None)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (["lr", "loss"], "unknown field 'loss'; choose from lr, val_loss, train_loss"),
        ("lr,final_lr", "unknown field 'final_lr'"),
        ([], "no fields to compare"),
        ("", "unknown field ''"),
    ],
    ids=["unknown", "final_lr-is-part-of-lr", "empty-list", "empty-string"],
)
def test_bad_fields_are_rejected(fields: Any, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        compare(make(), make(), fields=fields)


def test_non_traces_are_rejected() -> None:
    with pytest.raises(TypeError, match=r"golden must be an lrviz\.Trace, got list"):
        compare(make(), [0.1, 0.1])  # type: ignore[arg-type]


# --- non-finite values, JSON round trip, no mutation ---


def test_diverged_runs_match_through_a_file(tmp_path: Path) -> None:
    trace = make([0.1, 0.1, 0.1], val_loss=[1.0, INF, NAN], train_loss=[1.0, -INF, NAN])
    trace.save(tmp_path / "t.json")
    loaded = Trace.load(tmp_path / "t.json")
    assert compare(loaded, trace, rtol=0, fields="lr,val_loss,train_loss").ok
    other = make([0.1, 0.1, 0.1], val_loss=[1.0, INF, INF], train_loss=[1.0, -INF, NAN])
    d = compare(other, loaded, fields="val_loss").first_divergence
    assert d is not None
    assert (d.epoch, d.actual, d.rel_diff) == (3, INF, None) and math.isnan(d.golden)


def test_inputs_are_not_mutated() -> None:
    actual = make([0.1, 0.2, 0.3], params={"milestones": [1, 2]}, val_loss=[1.0, NAN, 2.0])
    golden = make([0.1, 0.1, 0.1], params={"milestones": [1]}, val_loss=[1.0, 2.0, 3.0])
    before = copy.deepcopy((actual.to_dict(), golden.to_dict()))
    compare(actual, golden, fields=["lr", "val_loss"]).report()
    after = (actual.to_dict(), golden.to_dict())
    assert repr(after) == repr(before)  # repr: NaN != NaN would defeat ==


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=2, max_size=2),
        min_size=2,
        max_size=12,
    )
)
def test_a_trace_matches_itself_and_its_file_form(rows: list[list[float]]) -> None:
    trace = Trace.from_rates(rows)
    assert compare(trace, trace, rtol=0.0).ok
    assert compare(Trace.from_dict(trace.to_dict()), trace, rtol=0.0).ok


# --- the result object ---


def test_report_repr_and_bool_of_a_match() -> None:
    result = compare(make(val_loss=[1.0, 0.9, 0.8]), make(val_loss=[1.0, 0.9, 0.8]))
    assert isinstance(result, Comparison)
    assert result.ok and result and result.first_divergence is None
    assert (
        result.report() == "traces match: 3 epochs, compared lr, val_loss with rtol=1e-06, atol=0"
    )
    assert repr(result) == f"<Comparison: {result.report()}>"


def test_repr_is_one_line_with_the_first_divergence() -> None:
    result = compare(make([0.1, 0.2, 0.2]), make([0.1, 0.1, 0.1]))
    assert repr(result) == (
        "<Comparison: traces differ in 2 of 3 epochs (2-3); "
        "first divergence: epoch 2, lr of group 0: actual 0.2, golden 0.1 "
        "(relative difference 1)>"
    )


# --- Trace.from_rates, the "assert my schedule" trace ---


def test_from_rates_reads_like_torch_get_last_lr() -> None:
    rates = torch_rates("StepLR", 5, step_size=2, gamma=0.5)
    trace = Trace.from_rates(rates, name="StepLR", params={"step_size": 2, "gamma": 0.5})
    assert len(trace.epochs) == 5
    assert [e.lr for e in trace.epochs] == [tuple(r) for r in rates[:-1]]
    assert trace.initial_lr == (0.1,) and trace.final_lr == (rates[-1][0],)
    assert trace.rates() == [r[0] for r in rates]
    assert (trace.name, dict(trace.params)) == ("StepLR", {"step_size": 2, "gamma": 0.5})
    assert trace.meta["source"] == "record" and trace.experiment is None
    assert Trace.from_rates(trace.rates(), name="StepLR", params=trace.params) == trace


def test_from_rates_accepts_plain_numbers_and_saves() -> None:
    trace = Trace.from_rates(x / 10 for x in (1, 1, 0.5))
    assert trace.rates() == [0.1, 0.1, 0.05]
    assert trace.name == "unnamed" and trace.params == {}
    assert Trace.from_dict(trace.to_dict()) == trace


@pytest.mark.parametrize(
    ("rates", "error", "message"),
    [
        ([0.1], ValueError, "need at least 2 rates"),
        ([], ValueError, "need at least 2 rates"),
        ([[0.1, 0.2], [0.1]], ValueError, "same number of param groups (at least 1), got [1, 2]"),
        ([[], []], ValueError, "got [0]"),
        ([0.1, "0.1"], TypeError, "a rate must be a number or a list of numbers"),
        ([0.1, [0.1, None]], TypeError, "got [0.1, None]"),
    ],
    ids=["one", "none", "ragged", "empty-rows", "string", "none-in-row"],
)
def test_from_rates_rejects_bad_input(rates: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=re.escape(message)):
        Trace.from_rates(rates)


# --- the golden-file workflow (the pytest plugin's engine) ---


def test_golden_workflow(tmp_path: Path) -> None:
    golden = tmp_path / "test_mod" / "test_x.lrtrace.json"
    obtained = tmp_path / "test_mod" / "test_x.lrtrace.obtained.json"
    assert obtained_path(golden) == obtained
    v1, v2 = make([0.1, 0.1, 0.01]), make([0.1, 0.1, 0.02])

    missing = check_golden(v1, golden)
    assert (missing.status, missing.ok, missing.comparison) == ("missing", False, None)
    assert Trace.load(golden) == v1

    match = check_golden(v1, golden)
    assert (match.status, match.ok) == ("match", True)
    assert match.comparison is not None and match.comparison.ok

    mismatch = check_golden(v2, golden)
    assert (mismatch.status, mismatch.ok) == ("mismatch", False)
    assert mismatch.comparison is not None
    assert mismatch.comparison.differing_epochs == (3,)
    assert Trace.load(obtained) == v2
    assert Trace.load(golden) == v1  # a mismatch never touches the golden

    regenerated = check_golden(v2, golden, regen=True)
    assert (regenerated.status, regenerated.ok) == ("regenerated", True)
    assert Trace.load(golden) == v2
    assert not obtained.exists()  # the stale obtained file goes

    assert check_golden(v2, golden).status == "match"


def test_regen_leaves_a_matching_golden_alone(tmp_path: Path) -> None:
    golden = tmp_path / "g.lrtrace.json"
    golden.write_text(make().to_json().replace('"lrviz": "test"', '"lrviz": "0.0.1"'))
    before = golden.read_bytes()
    assert check_golden(make(), golden, regen=True).status == "match"
    assert golden.read_bytes() == before


def test_tolerance_reaches_the_golden_check(tmp_path: Path) -> None:
    golden = tmp_path / "g.lrtrace.json"
    check_golden(make([0.1, 0.1]), golden)
    assert check_golden(make([0.1, 0.1001]), golden).status == "mismatch"
    assert check_golden(make([0.1, 0.1001]), golden, rtol=1e-3).status == "match"


def test_unreadable_golden(tmp_path: Path) -> None:
    golden = tmp_path / "g.lrtrace.json"
    golden.write_text("{not json")
    with pytest.raises(GoldenFileError, match="is not JSON"):
        check_golden(make(), golden)
    assert check_golden(make(), golden, regen=True).status == "regenerated"
    assert Trace.load(golden) == make()


def test_bad_options_fail_before_any_file_is_written(tmp_path: Path) -> None:
    golden = tmp_path / "g.lrtrace.json"
    with pytest.raises(ValueError, match="unknown field 'lrs'"):
        check_golden(make(), golden, fields=["lrs"])
    with pytest.raises(ValueError, match="rtol must be"):
        check_golden(make(), golden, rtol=-1.0)
    assert not golden.exists()


# --- step-resolution traces -------------------------------------------------------------


def step_trace(spec: str = "onecycle", **options: Any) -> Trace:
    return simulate(spec, epochs=5, steps_per_epoch=10, lr=[0.1, 0.01], **options)


def test_step_traces_compare_step_by_step() -> None:
    golden = step_trace()
    assert compare(step_trace(), golden).report() == (
        "traces match: 50 steps, compared lr with rtol=1e-06, atol=0"
    )
    lr = [list(column) for column in golden.steps.lr]  # type: ignore[union-attr]
    lr[1][23] *= 1.001
    actual = replace(golden, steps=replace(golden.steps, lr=tuple(map(tuple, lr))))
    result = compare(actual, golden)
    first = result.first_divergence
    assert first is not None and (first.field, first.step, first.epoch, first.group) == (
        "lr",
        24,
        3,
        1,
    )
    assert result.differing_epochs == (24,) and result.unit == "step"
    assert result.report().splitlines()[:2] == [
        "traces differ in 1 of 50 steps (24)",
        f"  first divergence: step 24 (epoch 3), lr of group 1: actual {lr[1][23]!r}, golden "
        f"{golden.steps.lr[1][23]!r} (relative difference 0.001)",  # type: ignore[union-attr]
    ]


def test_a_step_trace_of_another_length_differs_in_its_steps() -> None:
    longer = simulate("onecycle:total_steps=60", epochs=6, steps_per_epoch=10)
    result = compare(longer, simulate("onecycle:total_steps=60", epochs=5, steps_per_epoch=10))
    assert any(d.field == "steps" and d.step == 51 for d in result.divergences)
    assert "number of steps: actual 60, golden 50 (steps 51-60 only in actual)" in result.report()


def _recorded_per_step(lr: float, val_loss: float) -> Trace:
    import torch

    from lrviz import Recorder

    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=8)
    rec = Recorder(optimizer, scheduler, every="step")
    for epoch in range(2):
        for _ in range(4):
            optimizer.step()
            scheduler.step()
        rec.log(val_loss=val_loss + epoch)
    return rec.trace


def test_step_traces_name_the_first_differing_rate_before_an_epochs_loss() -> None:
    """Rates differ from step 1, losses from the end of epoch 1: the rate came first."""
    result = compare(_recorded_per_step(0.1, 1.0), _recorded_per_step(0.05, 2.0))
    first = result.first_divergence
    assert first is not None
    assert (first.field, first.step, first.epoch, first.group) == ("lr", 1, 1, 0)
    assert first.describe().startswith("step 1 (epoch 1), lr of group 0: actual 0.1, golden 0.05")
    assert [d.field for d in result.divergences] == ["lr", "val_loss", "val_loss"]


def test_step_traces_put_an_epochs_loss_before_a_later_rate() -> None:
    """A loss that differs at the end of epoch 1 came before a rate that differs in epoch 2."""
    actual = _recorded_per_step(0.1, 1.0)
    assert actual.steps is not None
    lr = actual.steps.lr[0]
    later = Trace.from_dict(
        {
            **actual.to_dict(),
            "steps": {
                **actual.to_dict()["steps"],
                "lr": [[*lr[:6], lr[6] * 2, lr[7]]],
            },
        }
    )
    golden = _recorded_per_step(0.1, 2.0)
    fields = [(d.field, d.epoch) for d in compare(later, golden).divergences]
    assert fields[:2] == [("val_loss", 1), ("lr", 2)]


def _step_lr_run(epochs: int, resume_at: int = 0, gamma: float = 0.5) -> Trace:
    """A StepLR loop of ``epochs`` epochs recorded by a Recorder; ``resume_at``: the
    scheduler stepped that many times before the Recorder was made (a resumed run)."""
    import torch

    import lrviz

    optimizer = torch.optim.SGD(torch.nn.Linear(1, 1).parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=gamma)
    for _ in range(resume_at):
        optimizer.step()
        scheduler.step()
    rec = lrviz.Recorder(optimizer, scheduler)
    for _ in range(resume_at, epochs):
        optimizer.step()
        scheduler.step()
        rec.log(train_loss=1.0)
    return rec.trace


def test_a_resumed_trace_is_compared_at_the_full_runs_own_steps() -> None:
    full, resumed = _step_lr_run(10), _step_lr_run(10, resume_at=5)
    assert resumed.start == 5
    comparison = compare(resumed, full, fields="lr,train_loss")
    assert comparison.ok, comparison.report()
    assert "from the scheduler's step 6" in comparison.report()
    assert compare(full, resumed, fields="lr").ok


def test_a_resumed_trace_names_its_own_step_and_epoch_where_it_differs() -> None:
    full, resumed = _step_lr_run(10), _step_lr_run(10, resume_at=5, gamma=0.2)
    first = next(d for d in compare(resumed, full, fields="lr").divergences if d.field == "lr")
    # Step 1 of the resumed trace is epoch 6: 0.1 * 0.2**2 there, 0.1 * 0.5**2 in the full run.
    assert first.describe().startswith("step 1 (epoch 6), lr of group 0: actual 0.004")
    assert first.golden == pytest.approx(0.025)
    short = compare(_step_lr_run(8, resume_at=5), full, fields="lr")
    assert [d.describe() for d in short.divergences] == [
        "number of steps: actual 3, golden 5 (steps 4-5 only in golden)"
    ]
