"""A learner's copy of Optimization Methods and Hyperparameter Search holds no answers.

Every function that a learner's copy ships (those of its ``testCases.py`` and utils modules and
of the folder's modules that they import), called with the learner's arguments in any order
and number, fails every exercise's check on the hidden cases' formats with the reference's
answers, and never as one of the typical mistakes the check names. The stored expected values
are the reference's, and the reference agrees with the notebooks' own solutions.
"""

import ast
import contextlib
import functools
import inspect
import io
import itertools
import json
import random
import sys
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest

import tests.reference.__main__ as store
from tests.grading.assignments import ASSIGNMENTS
from tests.grading.hidden import hidden_cases
from tests.helpers import load_module, named, notebook_definitions
from tests.reference import STORE, answers_for, key

MINE = ("optimization", "hyperparameter_search")
EXERCISES = [(name, exercise) for name in MINE for exercise in ASSIGNMENTS[name].exercises]
FOLDER = ASSIGNMENTS["optimization"].path.parent
checks = load_module(FOLDER / "testCases.py", "answers_optimization_search_testCases")

# The markers of the messages that name a typical mistake: a shipped function that fails with
# one of them computes a wrong version's result, one line away from the answer.
MISTAKE_MARKERS = (
    "it equals",  # the update rules and initializers
    "round epoch_num / time_interval down",
    "not shuffled",
    "m mod size",
    "look like 1 - beta",
    "equal stretches",  # a sampler whose values pass every test but their law
    "values that repeat make a grid",  # the samplers' grid of a few values
    "draw r over the whole of",  # exponents short of an end of their interval
    "not uniform in",  # exponents of another law
    "more evenly than random draws",  # a grid such as np.linspace
)


@functools.cache
def reference(name):
    """The reference's answers for assignment ``name``, each value computed once."""
    answer = answers_for(ASSIGNMENTS[name])
    table = {}

    def answers(entry, case):
        k = key(entry, case)
        if k not in table:
            table[k] = answer(entry, case)
        return table[k]

    return answers


def shipped_functions():
    """``{qualified name: function}``: every function and class defined in the modules of the
    learner's copy of ``notebooks`` (every assignment there is released into one folder), and
    in the modules of that folder that they import."""
    names = {
        file.removesuffix(".py")
        for a in ASSIGNMENTS.values()
        if a.path.parent == FOLDER
        for file in a.files
        if file.endswith(".py")
    }
    found, queue = {}, sorted(names)
    while queue:
        name = queue.pop()
        if name in found:
            continue
        path = FOLDER / f"{name}.py"
        found[name] = load_module(path, f"shipped_{name}")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                queue += [a.name for a in node.names if (FOLDER / f"{a.name}.py").exists()]
            elif isinstance(node, ast.ImportFrom) and node.module:
                queue += [node.module] if (FOLDER / f"{node.module}.py").exists() else []
    functions = {}
    for name, module in found.items():
        for attribute, value in vars(module).items():
            if callable(value) and getattr(value, "__module__", None) == module.__name__:
                functions[f"{name}.{attribute}"] = value
    return functions


FUNCTIONS = shipped_functions()

# The arguments each check passes to the learner's function (the number of them) and what the
# function returns: a tuple of that many values, or one value (0).
CALLS = {
    "update_parameters_with_gd": (3, 0),
    "random_mini_batches": (4, 0),
    "initialize_velocity": (1, 0),
    "update_parameters_with_momentum": (5, 2),
    "initialize_rmsprop": (1, 0),
    "update_parameters_with_rmsprop": (6, 2),
    "initialize_adam": (1, 2),
    "update_parameters_with_adam": (9, 5),
    "update_lr": (3, 0),
    "schedule_lr_decay": (4, 0),
    "sample_learning_rate": (2, 0),
    "sample_beta": (2, 0),
}


def adaptations(arity, returns):
    """The ways a cheater would call a shipped function in place of the learner's: with the
    first k arguments, or any one or two of them (in either order, for up to four arguments);
    returning its result or, for a tuple, as many results of the same call."""
    pairs = itertools.permutations if arity <= 4 else itertools.combinations
    selections = {tuple(range(k)) for k in range(arity + 1)}
    selections |= {(i,) for i in range(arity)} | set(pairs(range(arity), 2))
    for selection in sorted(selections):
        yield selection, 0
        if returns:
            yield selection, returns


@functools.cache
def takes(qualified, count):
    """Whether ``FUNCTIONS[qualified]`` can be called with ``count`` positional arguments (a
    call that cannot bind fails before it runs: it need not be tried)."""
    try:
        signature = inspect.signature(FUNCTIONS[qualified])
    except (TypeError, ValueError):
        return True
    try:
        signature.bind(*range(count))
    except TypeError:
        return False
    return True


def cheat(function, selection, repeat, exercise):
    """The learner's function, written as a call of ``function``; its attribute ``echoes``
    says whether its last call returned only its arguments, unchanged."""

    def target(*args):
        chosen = [args[i] for i in selection]
        result = tuple(function(*chosen) for _ in range(repeat)) if repeat else function(*chosen)
        target.echoes = echoes(result, args)
        return result

    target.echoes = False
    return named(target, exercise)


def echoes(result, args):
    """Whether ``result`` (or each item of a tuple) is one of ``args`` or equal to one: it
    computes nothing (where a mistake's result equals an input, such as the gradients for the
    undamped velocity from zero, returning that input is no mistake computed)."""
    items = result if isinstance(result, tuple) else (result,)
    return all(any(same(item, arg) for arg in args) for item in items)


def same(a, b):
    if a is b:
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return a.shape == b.shape and np.array_equal(a, b)
    return False


def verdict(verify, target, cases, answers):
    """None if ``target`` passes, else the failure's message."""
    try:
        # (short array reprs: error messages that print the arguments cost most of the time)
        with contextlib.redirect_stdout(io.StringIO()), np.errstate(all="ignore"):
            with warnings.catch_warnings(), np.printoptions(threshold=4, edgeitems=1):
                warnings.simplefilter("ignore")
                verify(target, cases, answers=answers)
    except Exception as error:
        return f"{type(error).__name__}: {error}"
    return None


@pytest.fixture
def without_tensorflow(monkeypatch):
    """The TensorFlow section's helpers meet an ImportError instead of a 30 s import (they
    compute graphs of the TensorFlow assignment, nothing of these two)."""
    if "tensorflow" not in sys.modules:
        monkeypatch.setitem(sys.modules, "tensorflow", None)


@pytest.mark.parametrize("name, exercise", EXERCISES)
def test_no_shipped_function_passes_a_check_or_computes_a_typical_mistake(
    name, exercise, without_tensorflow
):
    verify = getattr(checks, f"verify_{exercise}")
    cases = hidden_cases(ASSIGNMENTS[name], exercise, random.Random(f"cheat {exercise}"))
    passed, mistakes = [], []
    for qualified, function in FUNCTIONS.items():
        for selection, repeat in adaptations(*CALLS[exercise]):
            if not takes(qualified, len(selection)):
                continue
            target = cheat(function, selection, repeat, exercise)
            failure = verdict(verify, target, cases, reference(name))
            how = f"{qualified} on arguments {selection}" + (f" x{repeat}" if repeat else "")
            if failure is None:
                passed.append(how)
            elif any(m in failure for m in MISTAKE_MARKERS) and not target.echoes:
                mistakes.append(f"{how}: {failure}")
        plt.close("all")
    assert not passed, f"shipped functions pass the check of {exercise}: {passed}"
    assert not mistakes, f"shipped functions compute typical mistakes of {exercise}: {mistakes}"


def decoded(table):
    return {k: checks._decode(v) for k, v in table.items()}


def close(a, b):
    """Equal values: arrays and floats to rtol 1e-12 (other CPUs round the last bits
    differently), everything else exactly, dicts and lists item by item."""
    if isinstance(a, dict) or isinstance(b, dict):
        return (
            isinstance(a, dict)
            and isinstance(b, dict)
            and a.keys() == b.keys()
            and all(close(a[k], b[k]) for k in a)
        )
    if isinstance(a, list) or isinstance(b, list):
        return type(a) is type(b) and len(a) == len(b) and all(map(close, a, b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray) or isinstance(a, float):
        a, b = np.asarray(a), np.asarray(b)
        return (
            a.shape == b.shape
            and a.dtype.kind == b.dtype.kind
            and np.allclose(a, b, rtol=1e-12, atol=0)
        )
    return type(a) is type(b) and a == b


def test_the_stored_expected_values_are_the_references(monkeypatch):
    monkeypatch.setattr(store, "ASSIGNMENTS", {name: ASSIGNMENTS[name] for name in MINE})
    computed = decoded(store.tables([ASSIGNMENTS["optimization"].folder])["notebooks"])
    stored = decoded(json.loads((FOLDER / STORE).read_text(encoding="utf-8")))
    exercises = {exercise for _, exercise in EXERCISES}
    ours = {k for k in stored if k.split(" ")[0].split("/")[0] in exercises}
    assert sorted(ours) == sorted(computed), "run python -m tests.reference store notebooks"
    stale = [k for k in computed if not close(computed[k], stored[k])]
    assert not stale, f"stored values differ from the reference's: {stale}"


@functools.cache
def solution(name):
    return notebook_definitions(ASSIGNMENTS[name].path)


@pytest.mark.parametrize("name, exercise", EXERCISES)
@pytest.mark.parametrize("cases", ["public", "hidden"])
def test_the_reference_agrees_with_the_notebooks_solution(name, exercise, cases):
    verify = getattr(checks, f"verify_{exercise}")
    if cases == "public":
        verify(solution(name)[exercise], answers=reference(name))
    else:
        for run in range(3):
            drawn = hidden_cases(ASSIGNMENTS[name], exercise, random.Random(f"{exercise} {run}"))
            verify(solution(name)[exercise], drawn, answers=reference(name))


def shifted(value):
    """``value`` slightly off: floats by 1e-3 (relative and absolute), integers by one, the
    order of integer arrays reversed."""
    if isinstance(value, dict):
        return {k: shifted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shifted(v) for v in value]
    if isinstance(value, np.ndarray):
        return value[::-1].copy() if value.dtype.kind in "iu" else value * (1 + 1e-3) + 1e-3
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return value + 1 if isinstance(value, int) else value * (1 + 1e-3) + 1e-3


@pytest.mark.parametrize("name, exercise", EXERCISES)
def test_every_check_compares_with_the_answers_it_is_given(name, exercise):
    # The checks compute no expected value themselves: with answers slightly off, the notebook's
    # own solution fails.
    def answers(entry, case):
        return shifted(reference(name)(entry, case))

    with pytest.raises(AssertionError):
        getattr(checks, f"verify_{exercise}")(solution(name)[exercise], answers=answers)
