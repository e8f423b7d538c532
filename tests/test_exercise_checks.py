"""Every exercise of every assignment: the notebook's solution passes its check, and the check of
an exercise not done yet raises a one-line reminder (so that a grader that scores whether the
cell raised gives it 0), not a traceback. (Each check's classic mistakes are tested in the
test_*_checks.py file of its part.)"""

import functools

import pytest

from tests.grading.assignments import ASSIGNMENTS
from tests.helpers import load_module, notebook_definitions

CASES = [(name, exercise) for name, a in ASSIGNMENTS.items() for exercise in a.exercises]


@functools.cache
def part(name):
    """The assignment's checks (its testCases.py) and its notebook's definitions."""
    assignment = ASSIGNMENTS[name]
    checks = load_module(assignment.path.parent / "testCases.py", f"{name}_testCases")
    return checks, notebook_definitions(assignment.path)


@pytest.mark.parametrize("name, exercise", CASES)
def test_the_notebook_solution_passes_its_check(name, exercise, capsys):
    checks, nb = part(name)
    getattr(checks, f"{exercise}_test")(nb[exercise])
    assert capsys.readouterr().out.endswith("All tests passed.\n")


@pytest.mark.parametrize("name, exercise", CASES)
def test_an_exercise_not_done_yet_raises_a_one_line_reminder(name, exercise, capsys):
    checks, nb = part(name)
    namespace = dict(nb)  # the stub sees the notebook's globals, as a learner's cell would
    exec(f"def {exercise}(*args, **kwargs):\n    raise NotImplementedError()\n", namespace)
    with pytest.raises(checks.NotDoneYet) as raised:
        getattr(checks, f"{exercise}_test")(namespace[exercise])
    reminder = f"{exercise} is not done yet: write its code where it says YOUR CODE HERE."
    assert raised.value._render_traceback_() == [reminder]
    assert capsys.readouterr().out == ""
