"""Tools outside Python that some tests need (headless Chromium, Java and the W3C Nu HTML
checker): where they are, and what a test does when they are missing: skip, saying why,
except on CI (``LRVIZ_CI=1``, set by ``.ci/run``), where a missing tool fails the test,
so that what users actually see is never left unchecked unnoticed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent

VNU_JAR = ROOT / ".ci" / "node" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
"""Where ``.ci/run`` installs the checker (``npm install --prefix .ci/node vnu-jar``)."""


def missing(what: str) -> None:
    """Skip the test loudly (the reason shows in pytest's summary), or fail it on CI."""
    if os.environ.get("LRVIZ_CI") == "1":
        pytest.fail(f"{what} (LRVIZ_CI=1: CI must run this test)")
    pytest.skip(f"NOT CHECKED: {what}")


def chromium() -> str:
    """The headless browser's path."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        missing("headless Chromium is needed: apt-get install chromium")
    assert found
    return found


def vnu() -> list[str]:
    """The command that runs the Nu HTML checker: ``java -jar vnu.jar``."""
    java = shutil.which("java")
    jar = Path(os.environ.get("LRVIZ_VNU_JAR", VNU_JAR))
    if not java:
        missing("Java is needed to run the W3C Nu HTML checker (vnu.jar)")
    if not jar.is_file():
        missing(
            f"the W3C Nu HTML checker is not at {jar}: run "
            "`npm install --prefix .ci/node vnu-jar@26.9.27` or set LRVIZ_VNU_JAR"
        )
    assert java
    return [java, "-jar", str(jar)]
