"""The Regularization learner copy holds no answers (project issue #25).

What a learner receives (``testCases.py``, ``reg_utils.py`` and the stored expected values) holds
no function that passes an exercise's check on cases the grader draws: every callable of those
modules, with the adaptations a learner would try, fails ``verify_*`` run with the reference's
answers on cases of the hidden formats. The stored values are what the reference computes now,
and the reference agrees with the notebook's own solutions.
"""

import contextlib
import inspect
import io
import json
import random
import sys
import types
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

import reg_utils
from tests.grading.assignments import ASSIGNMENTS
from tests.grading.hidden import HIDDEN_CASES
from tests.helpers import load_module, named, notebook_definitions
from tests.reference import STORE, answers_for
from tests.reference.__main__ import tables

ASSIGNMENT = ASSIGNMENTS["regularization"]
FOLDER = ASSIGNMENT.path.parent
checks = load_module(FOLDER / "testCases.py", "part2_testCases_answers")
reference = answers_for(ASSIGNMENT)
nb = notebook_definitions(ASSIGNMENT.path)
EXERCISES = list(ASSIGNMENT.exercises)


def _fresh_cases(exercise, count=3):
    """Cases of the hidden format with values of their own: (seed, layer sizes, m, lambd or
    keep_prob), a network of any depth for the cost, of three layers for the rest."""
    rng = np.random.RandomState(sum(map(ord, exercise)))
    cases = []
    for _ in range(count):
        depth = rng.randint(1, 5) if exercise == "compute_cost_with_regularization" else 3
        dims = [int(n) for n in rng.randint(1, 8, size=depth)] + [1]
        m = int(rng.randint(3, 13))
        if "regularization" in exercise:
            strength = round(float(rng.uniform(0.01, 3.0)), 3)
        else:
            strength = round(float(rng.uniform(0.3, 0.95)), 3)
        cases.append((int(rng.randint(100, 10_000)), dims, m, strength))
    return tuple(cases)


def _graders_cases(exercise, runs=3):
    """Cases as the grader draws them (``HIDDEN_CASES`` holds either the cases or how to draw
    them from a ``random.Random``), for a few grading runs."""
    draw = HIDDEN_CASES[exercise]
    if not callable(draw):
        return tuple(draw)
    return tuple(case for run in range(runs) for case in draw(random.Random(run)))


GRADED_CASES = {name: _graders_cases(name) + _fresh_cases(name) for name in EXERCISES}


# What a learner copy ships -------------------------------------------------------------------


def _shipped_modules():
    """testCases.py and every module it imports from the part folder (reg_utils), recursively."""
    found, todo = [], [checks]
    while todo:
        module = todo.pop()
        if module in found:
            continue
        found.append(module)
        for value in vars(module).values():
            if not isinstance(value, types.ModuleType):
                value = sys.modules.get(str(getattr(value, "__module__", None)))
            path = getattr(value, "__file__", None)
            if path and Path(path).resolve().parent == FOLDER.resolve():
                todo.append(value)
    return found


SHIPPED = _shipped_modules()
SHIPPED_NAMES = {module.__name__ for module in SHIPPED}
FUNCTIONS = sorted(
    {
        (module.__name__, name): value
        for module in SHIPPED
        for name, value in vars(module).items()
        if callable(value)
        and not isinstance(value, types.ModuleType)
        and getattr(value, "__module__", None) in SHIPPED_NAMES
    }.items()
)


def test_the_learner_copy_is_testcases_and_reg_utils():
    assert {module.__name__ for module in SHIPPED} == {checks.__name__, "reg_utils"}
    assert set(ASSIGNMENT.files) == {"reg_utils.py", "testCases.py", STORE}
    assert len(FUNCTIONS) > 40  # the search found the modules' functions, private ones included


# A learner's stand-ins built from a shipped function ------------------------------------------

SIGNATURES = {
    "compute_cost_with_regularization": ("A3", "Y", "parameters", "lambd"),
    "backward_propagation_with_regularization": ("X", "Y", "cache", "lambd"),
    "forward_propagation_with_dropout": ("X", "parameters", "keep_prob", "rng"),
    "backward_propagation_with_dropout": ("X", "Y", "cache", "keep_prob"),
}


def _calls(function, exercise):
    """The ways a learner could call ``function`` with the exercise's arguments: every prefix of
    them, positionally and by the names ``function`` takes, the dropout cache with its masks
    left out (the 12-tuple of the plain backward pass)."""

    def prefix(k):
        return lambda *args: function(*args[:k])

    def by_name(*args):
        given = dict(zip(SIGNATURES[exercise], args, strict=True))
        accepted = inspect.signature(function).parameters
        return function(**{k: v for k, v in given.items() if k in accepted})

    def without_masks(*args):
        X, Y, cache, keep_prob = args
        plain = reg_utils.Cache(*(v for i, v in enumerate(cache) if i not in (1, 6)))
        return function(X, Y, plain, keep_prob)

    calls = [prefix(k) for k in range(len(SIGNATURES[exercise]), -1, -1)]
    with contextlib.suppress(TypeError, ValueError):
        inspect.signature(function)
        calls.append(by_name)
    if exercise == "backward_propagation_with_dropout":
        calls.append(without_masks)
    return calls


def _results(exercise, result):
    """What the learner could return from ``result``: itself, its first item, its number, and
    for the dropout forward pass a plain (A3, cache) made into the 14-tuple with full masks."""
    yield result
    if isinstance(result, tuple) and result:
        yield result[0]
    with contextlib.suppress(TypeError, ValueError):
        yield float(np.asarray(result).item())
    if exercise == "forward_propagation_with_dropout" and isinstance(result, tuple):
        if len(result) == 2 and isinstance(result[1], tuple) and len(result[1]) == 12:
            Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3 = result[1]
            ones1, ones2 = np.ones_like(Z1, bool), np.ones_like(Z2, bool)
            cache = (Z1, ones1, A1, W1, b1, Z2, ones2, A2, W2, b2, Z3, A3, W3, b3)
            yield result[0], cache


def _stand_ins(function, exercise):
    for call in _calls(function, exercise):
        for choice in range(4):

            def stand_in(*args, call=call, choice=choice, **kwargs):
                args = (*args, *kwargs.values())  # the checks pass keep_prob and rng by name
                options = list(_results(exercise, call(*args)))
                if choice >= len(options):
                    raise LookupError("no such adaptation")
                return options[choice]

            yield named(stand_in, exercise)


def _passes(exercise, target, cases):
    """Whether ``verify_<exercise>`` accepts ``target`` with the reference's answers."""
    verify = getattr(checks, f"verify_{exercise}")
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            verify(target, cases, answers=reference)
    except Exception:  # the grader scores any error as a failed check
        return False
    finally:
        plt.close("all")
    return True


@pytest.mark.parametrize("exercise", EXERCISES)
def test_no_shipped_function_passes_an_exercise_on_the_graders_cases(exercise):
    passing = [
        f"{module}.{name}"
        for (module, name), function in FUNCTIONS
        if any(
            _passes(exercise, stand_in, GRADED_CASES[exercise])
            for stand_in in _stand_ins(function, exercise)
        )
    ]
    assert passing == []


@pytest.mark.parametrize("exercise", EXERCISES)
def test_the_stand_ins_do_pass_when_built_on_the_notebooks_solution(exercise):
    # The adaptations are not what fails: wrapped around the right answer, they pass.
    stand_ins = list(_stand_ins(nb[exercise], exercise))
    assert _passes(exercise, stand_ins[0], GRADED_CASES[exercise])


@pytest.mark.parametrize("exercise", EXERCISES)
def test_the_stored_values_hold_no_graded_case(exercise):
    for case in GRADED_CASES[exercise]:
        with pytest.raises(LookupError):
            checks.stored_answers(exercise, case)


# The stored values and the reference -----------------------------------------------------------


def _same(stored, computed, where=""):
    """Assert that two encoded values agree: arrays to rtol 1e-12 (other CPUs round otherwise),
    masks and other integers exactly."""
    if isinstance(stored, dict) and "array" in stored:
        assert isinstance(computed, dict) and "array" in computed, where
        assert list(stored["shape"]) == list(computed["shape"]), where
        assert stored["dtype"] == computed["dtype"], where
        a, b = np.array(stored["array"]), np.array(computed["array"])
        if np.dtype(stored["dtype"]).kind == "f":
            assert np.allclose(a, b, rtol=1e-12, atol=1e-15), where
        else:
            assert np.array_equal(a, b), where
    elif isinstance(stored, dict):
        assert isinstance(computed, dict) and stored.keys() == computed.keys(), where
        for key in stored:
            _same(stored[key], computed[key], f"{where}[{key}]")
    elif isinstance(stored, list):
        assert isinstance(computed, list) and len(stored) == len(computed), where
        for i, (a, b) in enumerate(zip(stored, computed, strict=True)):
            _same(a, b, f"{where}[{i}]")
    elif isinstance(stored, float):
        assert computed == pytest.approx(stored, rel=1e-12, abs=1e-15), where
    else:
        assert stored == computed, where


def test_the_stored_expected_values_are_what_the_reference_computes():
    computed = tables([ASSIGNMENT.folder])[ASSIGNMENT.folder]
    stored = json.loads((FOLDER / STORE).read_text(encoding="utf-8"))
    assert sorted(stored) == sorted(computed)
    for key in stored:
        _same(stored[key], computed[key], key)


def _solution_values(exercise, case):
    """The notebook's own solution on ``case``, in the form of the reference's right answer."""
    solve = nb[exercise]
    if exercise == "compute_cost_with_regularization":
        A3, Y, parameters = checks._l2_cost_inputs(case)
        return float(solve(A3, Y, parameters, case[3]))
    if exercise == "backward_propagation_with_regularization":
        grads = solve(*checks._l2_backward_inputs(case), case[3])
        return {key: grads[key] for key in checks.GRADIENT_KEYS}
    if exercise == "forward_propagation_with_dropout":
        X, _, parameters = checks._dropout_inputs(case)
        _, cache = solve(X, parameters, case[3], np.random.RandomState(case[0]))
        return {key: getattr(cache, key) for key in ("Z1", "D1", "D2", "A3")}
    X, Y, _ = checks._dropout_inputs(case)
    grads = solve(X, Y, reference(exercise, case)["cache"], case[3])
    return {key: grads[key] for key in reference(exercise, case)["gradients"]}


def _right_answer(exercise, case):
    value = reference(exercise, case)
    if exercise == "compute_cost_with_regularization":
        return value["cost"]
    if exercise == "forward_propagation_with_dropout":
        return value
    return value["gradients"]


PUBLIC_CASES = {
    "compute_cost_with_regularization": checks.L2_COST_CASES,
    "backward_propagation_with_regularization": checks.L2_BACKWARD_CASES,
    "forward_propagation_with_dropout": checks.DROPOUT_FORWARD_CASES,
    "backward_propagation_with_dropout": checks.DROPOUT_BACKWARD_CASES,
}


@pytest.mark.parametrize("exercise", EXERCISES)
def test_the_reference_agrees_with_the_notebooks_solution_on_the_public_cases(exercise):
    for case in PUBLIC_CASES[exercise]:
        want, got = _right_answer(exercise, case), _solution_values(exercise, case)
        if isinstance(want, dict):
            assert want.keys() == got.keys(), case
            for key in want:
                np.testing.assert_allclose(
                    got[key], want[key], rtol=1e-12, err_msg=f"{case} {key}"
                )
        else:
            assert got == pytest.approx(want, rel=1e-12), case


@pytest.mark.parametrize("exercise", EXERCISES)
def test_the_notebooks_solution_passes_with_the_reference_on_the_graders_cases(exercise):
    verify = getattr(checks, f"verify_{exercise}")
    verify(nb[exercise], GRADED_CASES[exercise], answers=reference)


@pytest.mark.parametrize("exercise", EXERCISES)
def test_the_notebooks_solution_passes_on_the_cases_of_300_grading_runs(exercise):
    """Each grading run draws its own cases: a rare draw (run 42 draws a first hidden layer whose
    every unit is dead or dropped) once failed the solution's dropout in one run of about 300."""
    verify = getattr(checks, f"verify_{exercise}")
    verify(nb[exercise], _graders_cases(exercise, runs=300), answers=reference)


def test_the_notebooks_example_cache_is_the_references():
    X, Y, cache = checks.backward_propagation_with_dropout_test_case()
    want = reference("backward_propagation_with_dropout", checks.COURSE_DROPOUT_CASE)["cache"]
    for got, expected in zip(cache, want, strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)  # as _same
    assert X.shape == (3, 5) and Y.shape == (1, 5)


def test_the_search_finds_a_shipped_function_where_it_is_the_answer():
    # With lambd = 0 the L2 exercises' answers are the plain cost and backward pass that the
    # notebook's solutions call (reg_utils, the course's API): the search above would name them.
    for exercise, function, case in (
        (
            "compute_cost_with_regularization",
            reg_utils.compute_cost,
            (11, [5, 3, 2, 4, 1], 7, 0.0),
        ),
        (
            "backward_propagation_with_regularization",
            reg_utils.backward_propagation,
            (14, [5, 4, 3, 1], 6, 0.0),
        ),
    ):
        assert any(_passes(exercise, s, (case,)) for s in _stand_ins(function, exercise))
