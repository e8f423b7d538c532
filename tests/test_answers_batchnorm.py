"""The Batch Normalization learner copy holds no answers, and its stored expected values are the
reference's.

A learner copy of ``notebooks/`` holds the notebook without its solutions and the folder's
modules (``testCases.py``, ``nn_utils.py``, ``opt_utils.py``). No function of those modules,
called on an exercise's inputs in any of the ways a learner could try, gives the exercise's
result: plugged in for the learner's function, with the rest of the result made right by the
reference, it fails the grader's check (the same ``verify_*``, the hidden cases' formats, the
reference's answers); and none of its outputs is the result of a typical wrong version either.
"""

import contextlib
import functools
import importlib
import io
import itertools
import random
import sys
import types
import warnings
from pathlib import Path

import numpy as np
import pytest

import tests.reference.__main__ as store
from tests.grading.assignments import ASSIGNMENTS
from tests.grading.hidden import HIDDEN_CASES
from tests.helpers import load_module, notebook_definitions
from tests.reference import answers_for
from tests.reference import batchnorm as reference

ASSIGNMENT = ASSIGNMENTS["batchnorm"]
FOLDER = ASSIGNMENT.path.parent
EXERCISES = list(ASSIGNMENT.exercises)
answer = answers_for(ASSIGNMENT)


def _graders_cases(name, runs=2):
    """Cases as the grader draws them (``HIDDEN_CASES`` holds the cases or how to draw them from
    a ``random.Random``), for a few grading runs."""
    draw = HIDDEN_CASES[name]
    if not callable(draw):
        return tuple(draw)
    return tuple(case for run in range(runs) for case in draw(random.Random(run)))


GRADED_CASES = {name: _graders_cases(name) for name in EXERCISES}

# Every module a learner copy of the folder holds: the modules each assignment there copies.
SHIPPED = sorted(
    {
        name
        for a in ASSIGNMENTS.values()
        if a.folder == ASSIGNMENT.folder
        for name in a.files
        if name.endswith(".py")
    }
)


def _shipped_module(name):
    if name == "testCases.py":  # every part folder has one: under a name of its own
        return load_module(FOLDER / name, "answers_batchnorm_testCases")
    return importlib.import_module(name.removesuffix(".py"))


def shipped_functions(modules):
    """{qualified name: callable} of every function and class defined in ``modules`` and in the
    folder's modules they import, public or private."""
    found, modules = {}, list(modules)
    for module in modules:
        for value in vars(module).values():
            file = getattr(value, "__file__", None)
            imported = isinstance(value, types.ModuleType) and file and Path(file).parent == FOLDER
            if imported and value not in modules:
                modules.append(value)
    for module in modules:
        for name, value in vars(module).items():
            if callable(value) and getattr(value, "__module__", None) == module.__name__:
                found[f"{module.__name__}.{name}"] = value
    return found


MODULES = {name: _shipped_module(name) for name in SHIPPED}
checks, nn_utils = MODULES["testCases.py"], MODULES["nn_utils.py"]
FUNCTIONS = shipped_functions(MODULES.values())


def _stub(*args, **kwargs):
    raise NotImplementedError()  # a learner copy's exercise before the learner writes it


STUBS = reference.LAYER._replace(forward=_stub, inference=_stub, backward=_stub)


def arguments(name, args):
    """The values a learner's function of exercise ``name`` has, to call another function with:
    its arguments, and for the backward passes the fields of the cache."""
    if name.startswith("batchnorm_backward"):
        dZ_tilde, cache = args
        return [dZ_tilde, cache, *cache[:6]]
    return list(args)


def patterns(values):
    """The argument lists a learner could try: up to three of the values in any order, and any
    of them in their own order."""
    indices = range(len(values))
    shuffled = [p for k in range(4) for p in itertools.permutations(indices, k)]
    kept = [p for k in range(4, len(values) + 1) for p in itertools.combinations(indices, k)]
    return shuffled + kept


def network_calls(name, args):
    """Calls of the batch-norm network that stand for the exercise: one layer with the identity
    as W, run on the learner copy's own batch-norm functions (stubs until the learner writes
    them) or on none."""
    if name.startswith("batchnorm_backward"):
        dZ_tilde, cache = args
        n, m = dZ_tilde.shape
        parameters = {"W1": np.eye(n), "gamma1": cache.gamma, "beta1": np.zeros((n, 1))}
        parameters |= {"W2": np.eye(n), "b2": np.zeros((n, 1))}
        for training in (True, False):
            norm = cache._replace(training=training)
            layers = [(nn_utils.LayerCache(np.eye(n), cache.Z), norm)]
            layers.append((nn_utils.LayerCache(cache.Z, cache.Z), None))
            for bn in (STUBS, None):
                yield (
                    "backward_propagation_bn",
                    (m * dZ_tilde, 0 * dZ_tilde, layers, parameters, bn),
                )
        return
    Z, gamma, beta, running_mean, running_var = args[:5]
    n = Z.shape[0]
    parameters = {"W1": np.eye(n), "gamma1": gamma, "beta1": beta}
    running = {"mean1": running_mean, "var1": running_var}
    for bn in (STUBS, None):
        for mode in ("train", "test"):
            yield "forward_propagation_bn", (Z, parameters, running, bn, mode)
        yield "predict_bn", (parameters, running, Z, bn)


@contextlib.contextmanager
def quiet():
    """No output, no warnings, no TensorFlow: the TensorFlow checks of testCases.py fail without
    it as they fail with it on these arguments (they compute nothing of batch norm), and its
    import would take seconds."""
    saved = sys.modules.get("tensorflow", False)
    sys.modules["tensorflow"] = None
    try:
        with (
            contextlib.redirect_stdout(io.StringIO()),
            warnings.catch_warnings(),
            np.errstate(all="ignore"),
        ):
            warnings.simplefilter("ignore")
            yield
    finally:
        if saved is False:
            del sys.modules["tensorflow"]
        else:
            sys.modules["tensorflow"] = saved


def copied(values):
    return [v.copy() if isinstance(v, np.ndarray) else v for v in values]


def call(function, values):
    """``function(*values)`` on copies, or None when it raises."""
    try:
        with quiet():
            return function(*copied(values))
    except Exception:
        return None


def pieces(out, depth=3):
    """``out`` and every value inside it (tuples, lists, dicts, named tuples), ``depth`` deep."""
    yield out
    if depth == 0:
        return
    inner = (
        out.values() if isinstance(out, dict) else out if isinstance(out, (tuple, list)) else ()
    )
    for value in inner:
        yield from pieces(value, depth - 1)


def candidates(out, args):
    """The values inside ``out`` that could stand for a result: arrays, lists, numbers and
    caches, but not the arguments themselves handed back (a constructor's fields)."""
    for value in pieces(out):
        if any(value is arg for arg in args):
            continue
        if isinstance(value, (np.ndarray, list, float, int)) or hasattr(value, "Z_norm"):
            yield value


def check_inputs(name, case):
    """The arguments the check passes to the learner's function on ``case`` (seed, n, m)."""
    seed, n, m = case
    Z, gamma, beta, running_mean, running_var = checks._layer(seed, n, m)
    if name == "batchnorm_forward":
        return [Z, gamma, beta, running_mean, running_var, 0.9, 1e-5]
    if name == "batchnorm_inference":
        return [Z, gamma, beta, running_mean, running_var, 1e-5]
    cache = reference.batchnorm_forward(Z, gamma, beta, running_mean, running_var)[1]
    return [checks._upstream(seed, n, m), cache]


def adaptations(name):
    """(label, adapt) for every way of calling a shipped function that returns something on the
    first hidden case: ``adapt(args)`` is that call on the learner's function's arguments."""
    return _adaptations(name.removesuffix("_simple"))  # the two backward passes: the same calls


@functools.cache
def _adaptations(name):
    args = check_inputs(name, GRADED_CASES[name][0])
    values = arguments(name, args)
    found = []
    for label, function in FUNCTIONS.items():
        for pattern in patterns(values):
            if call(function, [values[i] for i in pattern]) is not None:
                found.append(
                    (
                        f"{label}{pattern}",
                        lambda a, f=function, p=pattern: f(*[arguments(name, a)[i] for i in p]),
                    )
                )
    for function, network_args in network_calls(name, args):
        if call(getattr(nn_utils, function), network_args) is not None:
            raise AssertionError(f"{function} ran without the learner's batch-norm functions")
    return found


SLOTS = {"batchnorm_forward": 4, "batchnorm_inference": 1}  # the backward passes return 3


def targets(name, adapt):
    """The learner's functions a cheater makes of ``adapt``: each value it gives (or any value
    inside it) in each slot of the result, the other slots as right as the reference makes them."""
    right = {
        "batchnorm_forward": reference.batchnorm_forward,
        "batchnorm_inference": reference.batchnorm_inference,
    }.get(name, reference.batchnorm_backward)
    slots = SLOTS.get(name, 3)
    args = check_inputs(name, GRADED_CASES[name][0])
    count = len(list(candidates(call(adapt, [args]), arguments(name, args))))
    for index, slot in itertools.product(range(count), range(slots)):

        def target(*args, index=index, slot=slot):
            value = list(candidates(adapt(args), arguments(name, args)))[index]
            if slots == 1:
                return value
            result = list(right(*args))
            result[slot] = value
            return tuple(result)

        target.__name__ = name
        yield f"piece {index} as output {slot}", target


@functools.cache
def cached_answer(name, case):
    return answer(name, case)  # a function of the case alone


@pytest.mark.parametrize("name", EXERCISES)
def test_no_shipped_function_passes_the_graders_check(name):
    verify = getattr(checks, f"verify_{name}")
    cases, passed = GRADED_CASES[name], []
    for label, adapt in adaptations(name):
        for where, target in targets(name, adapt):
            try:  # the first case, then (for what passes it) all of them
                with quiet():
                    verify(target, cases[:1], answers=cached_answer)
                    verify(target, cases, answers=cached_answer)
            except Exception:
                continue
            passed.append(f"{label}, {where}")
    assert not passed, f"the learner copy computes {name}: {passed[:5]}"


@pytest.mark.parametrize("name", EXERCISES)
def test_no_shipped_function_gives_a_result_or_a_wrong_versions_result(name):
    inputs = {"Z_norm", "mu", "var"} if name.startswith("batchnorm_backward") else set()
    found = []
    for case in GRADED_CASES[name]:
        args = check_inputs(name, case)
        expected = answer(
            name, (*case, 0.9, 1e-5) if name == "batchnorm_forward" else (*case, 1e-5)
        )
        for label, adapt in adaptations(name):
            for value in candidates(call(adapt, [args]), arguments(name, args)):
                if not isinstance(value, np.ndarray) or value.dtype.kind not in "fiub":
                    continue
                for key, want in expected.items():
                    if (
                        key not in inputs
                        and value.shape == want.shape
                        and np.allclose(value, want)
                    ):
                        found.append(f"{label} gives {key!r} on {case}")
    assert not found, found[:5]


def test_the_network_runs_on_the_functions_it_is_given():
    # A learner's own functions reach the network; with the reference's it trains as the notebook.
    calls = []

    def counted(function):
        def run(*args):
            calls.append(function.__name__)
            return function(*args)

        return run

    bn = reference.LAYER._replace(**{k: counted(f) for k, f in reference.LAYER._asdict().items()})
    rng = np.random.RandomState(0)
    X, Y = rng.randn(3, 10), rng.randint(0, 2, (1, 10))
    parameters, running, _ = nn_utils.train_bn(X, Y, [3, 4, 1], bn, num_epochs=2)
    nn_utils.predict_bn(parameters, running, X, bn)
    assert set(calls) == {"batchnorm_forward", "batchnorm_backward", "batchnorm_inference"}


def _decoded(table):
    return {key: checks._decode(value) for key, value in table.items()}


def _assert_close(got, want, where):
    if isinstance(want, dict):
        assert isinstance(got, dict) and set(got) == set(want), where
        for k in want:
            _assert_close(got[k], want[k], f"{where}[{k!r}]")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want)):
            _assert_close(g, w, f"{where}[{i}]")
    else:
        got, want = np.asarray(got), np.asarray(want)
        assert got.shape == want.shape and np.allclose(got, want, rtol=1e-12, atol=0), where


def test_the_stored_expected_values_are_the_references(monkeypatch):
    monkeypatch.setattr(store, "ASSIGNMENTS", {"batchnorm": ASSIGNMENT})
    computed = _decoded(store.tables([ASSIGNMENT.folder])[ASSIGNMENT.folder])
    stored = {
        key: value
        for key, value in _decoded(checks._stored()).items()
        if key.split(" ")[0] in EXERCISES
    }
    assert set(computed) == set(stored), "run python -m tests.reference store notebooks"
    for key in computed:
        _assert_close(stored[key], computed[key], key)


@pytest.mark.parametrize("name", EXERCISES)
def test_the_reference_agrees_with_the_notebooks_solution(name):
    solution = notebook_definitions(ASSIGNMENT.path)[name]
    verify = getattr(checks, f"verify_{name}")
    verify(solution, answers=answer)  # the public cases
    verify(solution, GRADED_CASES[name], answers=answer)
    for case in checks.UNITS:  # and its results are the right entries, not a hint's
        args = check_inputs(name, case)
        got = solution(*copied(args))
        extra = (0.9, 1e-5) if name == "batchnorm_forward" else (1e-5,)
        want = answer(name, (*case, *extra))
        if name == "batchnorm_inference":
            np.testing.assert_allclose(got, want["Z_tilde"], rtol=1e-12)
        elif name == "batchnorm_forward":
            for value, key in zip(
                (got[0], got[2], got[3]), ("Z_tilde", "running_mean", "running_var")
            ):
                np.testing.assert_allclose(value, want[key], rtol=1e-12)
        else:
            for value, key in zip(got, ("dZ", "dgamma", "dbeta")):
                np.testing.assert_allclose(value, want[key], rtol=1e-9, atol=1e-15)
