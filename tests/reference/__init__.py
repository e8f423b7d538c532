"""The instructor's reference answers: what every exercise check compares with.

A learner copy holds no code that computes an exercise's result. Its ``testCases.py`` checks
compare with expected values stored as data in ``expected_values.json`` beside it, one entry per
(check, public case), made here from the reference by ``python -m tests.reference store`` (part
of ``make notebooks``); the grader computes the same values here, in its own process, for hidden
cases drawn afresh each run.

Every ``verify_*`` check takes ``answers``: a callable ``answers(name, case) -> value`` that
returns the expected values (and the results of the typical wrong versions, for the hints) of
entry ``name`` on ``case``, a tuple of plain numbers, strings and lists from which both sides
rebuild the inputs. ``answers_for(assignment)`` is the reference's callable; the stored one lives
in each ``testCases.py`` (``stored_answers``).

Each assignment's reference is the module ``tests/reference/<assignment name>.py``, which
defines ``answer(name, case)``.
"""

import importlib
import json
import math
import sys
from contextlib import contextmanager
from pathlib import Path

import numpy as np

STORE = "expected_values.json"  # beside each part folder's testCases.py


def key(name, case):
    """The stored entry's key: the check's name and the case as Python writes it."""
    return f"{name} {_plain(case)!r}"


def _plain(case):
    if isinstance(case, (list, tuple)):
        return tuple(_plain(x) for x in case)
    if isinstance(case, np.generic):
        return case.item()
    return case


def encode(value):
    """``value`` as JSON data: arrays as {"array": nested lists, "dtype": ..., "shape": ...}."""
    if isinstance(value, np.ndarray | np.generic):
        array = np.asarray(value)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"cannot store an array of dtype {array.dtype}")
        return {"array": array.ravel().tolist(), "dtype": array.dtype.str, "shape": array.shape}
    if isinstance(value, dict):
        return {"dict": {str(k): encode(v) for k, v in value.items()}}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return {"float": repr(value)}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot store a value of type {type(value).__name__}")


def answers_for(assignment):
    """The reference's ``answers(name, case)`` for ``assignment`` (an ``Assignment``)."""
    with _beside(assignment.path.parent):
        module = importlib.import_module(f"tests.reference.{assignment.name}")
    return module.answer


@contextmanager
def _beside(folder):
    """Imports resolve as in the notebook's kernel while a reference module loads."""
    folder = str(folder)
    sys.path.insert(0, folder)
    try:
        yield
    finally:
        sys.path.remove(folder)


def recording(answer, table):
    """``answer`` that also stores each value it gives in ``table`` under ``key(name, case)``."""

    def answers(name, case):
        value = answer(name, case)
        table[key(name, case)] = encode(value)
        return value

    return answers


def write(path, table):
    """Write ``table`` as the stored expected values; return whether the file changed."""
    text = json.dumps(dict(sorted(table.items())), indent=0, sort_keys=True) + "\n"
    path = Path(path)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True
