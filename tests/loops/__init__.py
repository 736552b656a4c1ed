"""Training loops written the way public projects write them, each recorded by lrviz.

Every script has a ``main()`` that trains a few-parameter model on synthetic data (a
fixed seed, CPU, no downloads) and returns what lrviz recorded together with the truth
read from torch while the loop ran (:mod:`loops.truth`). ``tests/test_loops.py`` checks
lrviz's words against that truth.
"""
