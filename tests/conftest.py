"""Shared fixtures: one CliRunner, and the lesson's run traces computed once per session."""

from __future__ import annotations

import pytest
from click.testing import CliRunner


@pytest.fixture
def runner() -> CliRunner:
    """A click test runner that keeps stderr apart from stdout."""
    return CliRunner()
