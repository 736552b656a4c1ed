"""``python -m lrviz`` is the ``lrviz`` command."""

from lrviz.cli import entry

entry()
