"""The pytest plugin: the lr_trace_regression golden workflow, run inside pytest (pytester)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from lrviz.trace import Trace

# The inner test reads its rates from rates.json, so a change of data never depends on
# a re-compiled (and possibly cached) test module.
RATES_TEST = """
import json
from pathlib import Path

def test_schedule(lr_trace_regression):
    rates = json.loads(Path(__file__).with_name("rates.json").read_text())
    lr_trace_regression.check(rates)
"""

V1 = [0.1, 0.1, 0.1, 0.01, 0.01]
V2 = [0.1, 0.1, 0.05, 0.01, 0.01]


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """pytest in-process, without hypothesis's plugin: its summary hook imports all of
    hypothesis, which pytester then unloads again, costing seconds per run."""
    return pytester.runpytest("-p", "no:hypothesispytest", *args)


def write_rates(pytester: pytest.Pytester, rates: list[float]) -> None:
    (pytester.path / "rates.json").write_text(json.dumps(rates))


def test_golden_workflow(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_sched=RATES_TEST)
    golden = pytester.path / "test_sched" / "test_schedule.lrtrace.json"
    obtained = golden.with_name("test_schedule.lrtrace.obtained.json")
    write_rates(pytester, V1)

    # 1. No golden yet: it is written and the test fails, saying so.
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "no golden LR trace yet: wrote test_sched/test_schedule.lrtrace.json",
            "check it, commit it, and rerun the test",
        ]
    )
    assert Trace.load(golden) == Trace.from_rates(V1)

    # 2. The same rates pass.
    run(pytester).assert_outcomes(passed=1)

    # 3. A changed schedule fails, naming the first differing epoch; the actual trace
    #    is written beside the golden, which stays as it was.
    write_rates(pytester, V2)
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "LR trace differs from the golden test_sched/test_schedule.lrtrace.json",
            "traces differ in 1 of 4 epochs (3)",
            "  first divergence: epoch 3, lr of group 0: actual 0.05, golden 0.1 "
            "(relative difference 0.5)",
            "actual trace written to test_sched/test_schedule.lrtrace.obtained.json; "
            "if the change is intended, rerun with --lrviz-regen",
        ]
    )
    assert Trace.load(obtained) == Trace.from_rates(V2)
    assert Trace.load(golden) == Trace.from_rates(V1)

    # 4. --lrviz-regen rewrites the golden, passes, and says which file it rewrote.
    result = run(pytester, "--lrviz-regen")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["*= lrviz =*", "rewrote 1 golden LR trace(s):", "  test_sched/test_schedule.lrtrace.json"]
    )
    assert Trace.load(golden) == Trace.from_rates(V2)
    assert not obtained.exists()

    # 5. Now the new schedule passes, and nothing is rewritten any more.
    result = run(pytester)
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*rewrote*")
    assert "rewrote" not in run(pytester, "--lrviz-regen").stdout.str()


def test_golden_names_follow_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_names="""
        import pytest

        RATES = [0.1, 0.1, 0.01]

        @pytest.mark.parametrize("gamma", [0.1, 0.5])
        def test_param(lr_trace_regression, gamma):
            lr_trace_regression.check(RATES)

        @pytest.mark.parametrize("spec", ["step:step_size=2", "a/b c"])
        def test_ids(lr_trace_regression, spec):
            lr_trace_regression.check(RATES)

        class TestGroup:
            def test_method(self, lr_trace_regression):
                lr_trace_regression.check(RATES)

        def test_two(lr_trace_regression):
            lr_trace_regression.check(RATES, basename="first")
            lr_trace_regression.check(RATES + [0.001], basename="second")
        """
    )
    run(pytester, "--lrviz-regen").assert_outcomes(passed=6)
    assert sorted(p.name for p in (pytester.path / "test_names").iterdir()) == [
        "TestGroup_test_method.lrtrace.json",
        "first.lrtrace.json",
        "second.lrtrace.json",
        "test_ids_a_b_c.lrtrace.json",
        "test_ids_step_step_size_2.lrtrace.json",
        "test_param_0.1.lrtrace.json",
        "test_param_0.5.lrtrace.json",
    ]
    run(pytester).assert_outcomes(passed=6)


def test_check_takes_a_trace_and_its_options(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_opts="""
        import lrviz
        import pytest

        def trace(final):
            return lrviz.Trace.from_rates(
                [0.1, 0.1, final], name="StepLR", params={"step_size": 2, "gamma": 0.1}
            )

        def test_write(lr_trace_regression):
            lr_trace_regression.check(trace(0.01), basename="step")

        def test_within_rtol(lr_trace_regression):
            lr_trace_regression.check(trace(0.010001), basename="step", rtol=1e-3)

        def test_within_atol(lr_trace_regression):
            lr_trace_regression.check(trace(0.0105), basename="step", rtol=0, atol=1e-3)

        def test_outside_default(lr_trace_regression):
            lr_trace_regression.check(trace(0.010001), basename="step")

        def test_fields(lr_trace_regression):
            # Passed through to compare, which refuses a field neither trace records.
            with pytest.raises(ValueError, match="neither trace records val_loss"):
                lr_trace_regression.check(trace(0.02), basename="step", fields=["val_loss"])
        """
    )
    run(pytester, "-k", "test_write", "--lrviz-regen").assert_outcomes(passed=1)
    result = run(pytester, "-k", "not test_write")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*first divergence: final_lr (after the last step) of group 0: "
            "actual 0.010001, golden 0.01*",
            "FAILED test_opts.py::test_outside_default - Failed: LR trace differs*",
        ]
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ("check([0.1, 0.1], basename='../up')", "ValueError: basename must be a file name"),
        ("check([0.1, 0.1], basename='.hidden')", "ValueError: basename must be a file name"),
        (
            "check(object())",
            "TypeError: check() takes an lrviz.Trace or a list of rates, got object",
        ),
        ("check([0.1, 0.1], fields='lrs')", "ValueError: unknown field 'lrs'*"),
        ("check([0.1])", "ValueError: need at least 2 rates*"),
    ],
    ids=["path", "hidden", "not-rates", "bad-field", "too-short"],
)
def test_misuse_is_an_error_without_plugin_frames(
    pytester: pytest.Pytester, call: str, message: str
) -> None:
    pytester.makepyfile(
        test_bad_call=f"""
        def test_it(lr_trace_regression):
            lr_trace_regression.{call}
        """
    )
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"E *{message}*"])
    # The traceback ends at the test's call: no frame of the plugin or of lrviz.
    result.stdout.no_fnmatch_line("*lrviz/*.py:*")
    assert not (pytester.path / "test_bad_call").exists()


def test_one_golden_per_check(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_twice="""
        def test_it(lr_trace_regression):
            lr_trace_regression.check([0.1, 0.1])
            lr_trace_regression.check([0.1, 0.2])
        """
    )
    result = run(pytester, "--lrviz-regen")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E *ValueError: basename 'test_it' was already checked in this test; "
            "give each check() its own basename="
        ]
    )
    assert Trace.load(pytester.path / "test_twice" / "test_it.lrtrace.json").rates() == [0.1, 0.1]


def test_unreadable_golden_fails_and_regen_repairs_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_sched=RATES_TEST)
    write_rates(pytester, V1)
    golden = pytester.path / "test_sched" / "test_schedule.lrtrace.json"
    golden.parent.mkdir()
    golden.write_text('{"schema": "lrviz.trace/0"}')
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*unsupported trace schema 'lrviz.trace/0'; this lrviz reads lrviz.trace/1 and*",
            "rerun with --lrviz-regen to rewrite the golden trace",
        ]
    )
    run(pytester, "--lrviz-regen").assert_outcomes(passed=1)
    assert Trace.load(golden) == Trace.from_rates(V1)


def test_option_is_listed_in_help(pytester: pytest.Pytester) -> None:
    run(pytester, "--help").stdout.fnmatch_lines(["*--lrviz-regen*"])


def test_installed_as_a_pytest11_entry_point() -> None:
    found = [ep for ep in entry_points(group="pytest11") if ep.name == "lrviz"]
    assert [ep.value for ep in found] == ["lrviz.pytest_plugin"]


def test_plugin_imports_nothing_heavy(tmp_path: Path) -> None:
    # pytest imports the plugin in every run of every project where lrviz is installed:
    # loading it, and a whole check, must not pull in torch & co.
    code = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        import lrviz.pytest_plugin
        from lrviz.comparison import check_golden
        from lrviz.trace import Trace

        golden = Path({str(tmp_path)!r}) / "g.lrtrace.json"
        for rates in ([0.1, 0.1, 0.01], [0.1, 0.1, 0.02]):
            print(check_golden(Trace.from_rates(rates), golden).status)
        heavy = ("torch", "numpy", "matplotlib", "sklearn", "scipy", "jinja2", "click")
        print(sorted(name for name in heavy if name in sys.modules))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines() == ["missing", "mismatch", "[]"]
