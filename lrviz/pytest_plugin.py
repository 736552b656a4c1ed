"""pytest plugin: the ``lr_trace_regression`` fixture and the ``--lrviz-regen`` option.

pytest loads it through lrviz's ``pytest11`` entry point, so installing lrviz is
enough (``-p no:lrviz`` turns it off; ``-p lrviz`` turns it on when plugin autoload is
disabled). It holds only options, the fixture and the summary line: the comparison
and the golden-file workflow live in :mod:`lrviz.comparison`. It imports nothing heavy
(no torch, numpy or matplotlib), so it costs nothing at pytest start-up.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pytest

from lrviz.comparison import ATOL, RTOL, GoldenCheck, GoldenFileError, check_golden
from lrviz.trace import Trace

SUFFIX = ".lrtrace.json"
"""Golden files are ``<test module folder>/<test module name>/<basename>.lrtrace.json``."""

_REWRITTEN = pytest.StashKey[list[Path]]()
_SAFE_NAME = re.compile(r"[\w.-]+", re.ASCII)


def pytest_addoption(parser: pytest.Parser) -> None:
    """The ``--lrviz-regen`` option."""
    group = parser.getgroup("lrviz", "lrviz: learning-rate trace regression checks")
    group.addoption(
        "--lrviz-regen",
        action="store_true",
        default=False,
        help="lr_trace_regression: rewrite golden LR traces that are missing or differ "
        "(those tests pass) and list them at the end.",
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say which golden traces ``--lrviz-regen`` rewrote."""
    rewritten = terminalreporter.config.stash.get(_REWRITTEN, [])
    if rewritten:
        terminalreporter.section("lrviz")
        terminalreporter.write_line(f"rewrote {len(rewritten)} golden LR trace(s):")
        for path in rewritten:
            terminalreporter.write_line(f"  {_shown(terminalreporter.config, path)}")


class LRTraceRegression:
    """Checks LR traces against golden files kept beside the test module.

    Use it through the ``lr_trace_regression`` fixture.
    """

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self._request = request
        self._used: set[str] = set()

    def check(
        self,
        trace: Trace | Iterable[float] | Iterable[Iterable[float]],
        basename: str | None = None,
        *,
        rtol: float = RTOL,
        atol: float = ATOL,
        fields: str | Iterable[str] | None = None,
    ) -> None:
        """Compare ``trace`` with its golden file; fail the test on a difference.

        The golden file is ``tests/test_foo/<basename>.lrtrace.json`` for a test in
        ``tests/test_foo.py``. A missing golden is written and the test fails saying
        so; a mismatch fails with the first divergence and writes the actual trace to
        ``<basename>.lrtrace.obtained.json``; ``pytest --lrviz-regen`` rewrites
        missing or differing goldens instead.

        Args:
            trace: A :class:`~lrviz.trace.Trace` (from ``lrviz.Recorder``,
                ``lrviz.simulate``, ...), or rates as :meth:`Trace.from_rates` takes
                them: the initial rate, then the rate after each step.
            basename: The golden file's name without suffix; default: the test's name
                (class and parameter ids included, made file-safe).
            rtol: Relative tolerance, as :func:`lrviz.compare`.
            atol: Absolute tolerance, as :func:`lrviz.compare`.
            fields: Per-epoch fields to compare, as :func:`lrviz.compare`.

        Raises:
            TypeError: ``trace`` is neither a Trace nor a list of rates.
            ValueError: ``basename`` is not a plain file name or was already checked
                in this test; or an option is bad, as :func:`lrviz.compare` says.
        """
        __tracebackhide__ = True
        config = self._request.config
        try:
            golden = self._golden(basename)
            result = check_golden(
                _as_trace(trace),
                golden,
                regen=bool(config.getoption("lrviz_regen")),
                rtol=rtol,
                atol=atol,
                fields=fields,
            )
        except GoldenFileError as exc:
            pytest.fail(
                f"{exc}\nrerun with --lrviz-regen to rewrite the golden trace", pytrace=False
            )
        except (TypeError, ValueError) as exc:
            # Misuse (bad rates, basename or option): the traceback ends at the test's
            # call, with the message, instead of going through lrviz's insides.
            raise exc.with_traceback(None) from None
        if result.status == "regenerated":
            config.stash.setdefault(_REWRITTEN, []).append(golden)
        if not result.ok:
            pytest.fail(_failure(result, config), pytrace=False)

    def _golden(self, basename: str | None) -> Path:
        """``<test module folder>/<test module name>/<basename>.lrtrace.json``."""
        path = self._request.path
        return path.parent / path.stem / (self._basename(basename) + SUFFIX)

    def _basename(self, basename: str | None) -> str:
        if basename is None:
            node = self._request.node
            cls = self._request.cls
            name = f"{cls.__name__}_{node.name}" if cls is not None else node.name
            # Parametrised ids hold brackets, slashes, spaces...: keep a file-safe name.
            basename = re.sub(r"[^\w.-]+", "_", name, flags=re.ASCII).rstrip("_")
        elif not _SAFE_NAME.fullmatch(basename) or basename.startswith("."):
            raise ValueError(
                "basename must be a file name of letters, digits, '_', '-' and '.' "
                f"(not starting with '.'), got {basename!r}"
            )
        if basename in self._used:
            raise ValueError(
                f"basename {basename!r} was already checked in this test; "
                "give each check() its own basename="
            )
        self._used.add(basename)
        return basename


@pytest.fixture
def lr_trace_regression(request: pytest.FixtureRequest) -> LRTraceRegression:
    """Check learning-rate traces against golden files: ``lr_trace_regression.check(trace)``."""
    return LRTraceRegression(request)


def _as_trace(trace: object) -> Trace:
    if isinstance(trace, Trace):
        return trace
    if isinstance(trace, Iterable):
        return Trace.from_rates(trace)
    raise TypeError(f"check() takes an lrviz.Trace or a list of rates, got {type(trace).__name__}")


def _failure(result: GoldenCheck, config: pytest.Config) -> str:
    golden = _shown(config, result.golden)
    if result.comparison is None:
        return f"no golden LR trace yet: wrote {golden}\ncheck it, commit it, and rerun the test"
    return (
        f"LR trace differs from the golden {golden}\n{result.comparison.report()}\n"
        f"actual trace written to {_shown(config, result.obtained)}; "
        "if the change is intended, rerun with --lrviz-regen"
    )


def _shown(config: pytest.Config, path: Path) -> str:
    """A path relative to the folder pytest was started in, when it lies below it."""
    try:
        return str(path.relative_to(config.invocation_params.dir))
    except ValueError:
        return str(path)
