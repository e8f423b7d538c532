"""Instructor tooling: learner copies generated from the solution notebooks, and grading.

    python -m tests.grading release [--out DIR] [--force]
    python -m tests.grading grade PATH... [--json] [--timeout SECONDS] [--budget SECONDS]
                                          [--jobs N] [--csv FILE] [--no-sandbox]

The assignment notebooks are the single source of truth: every exercise's solution sits between
``### BEGIN SOLUTION`` and ``### END SOLUTION`` in a cell with nbgrader metadata, and the points
of an exercise are those of its check cell. ``release`` removes the solutions; ``grade`` runs a
submitted notebook in a fresh kernel in a sandbox (``sandbox.py``), then the hidden checks of
``hidden.py`` in its own process, calling the learner's functions in that kernel (``remote.py``).
"""
