"""``python -m lrviz`` is the ``lrviz`` command."""

from lrviz.cli import entry

# Guarded: a process spawned by multiprocessing (e.g. a joblib worker) imports this again.
if __name__ == "__main__":
    entry()
