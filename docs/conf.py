"""Sphinx configuration of lrviz's docs: MyST Markdown pages, a CLI reference generated
from the click commands (sphinx-click), an API reference from the docstrings (autodoc,
Google style through napoleon). Builds offline: no intersphinx, no external images."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the checkout's lrviz, whatever is installed

from lrviz import __version__  # noqa: E402

project = "lrviz"
author = "lrviz contributors"
copyright = "lrviz contributors"
release = version = __version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx_click",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False

html_theme = "furo"
html_title = f"lrviz {release}"
html_static_path: list[str] = []


def _plain_bars(app: object, ctx: object, lines: list[str]) -> None:
    """The commands' help is plain text, read as reStructuredText by sphinx-click: a
    ``|`` there (``|actual - golden|``, ``csv|json``) is not a substitution."""
    lines[:] = [line.replace("|", "\\|") for line in lines]


def setup(app: object) -> None:
    for part in ("description", "options", "arguments", "epilog"):
        app.connect(f"sphinx-click-process-{part}", _plain_bars)  # type: ignore[attr-defined]
