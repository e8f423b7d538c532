"""The Batch Normalization checks catch the classic mistakes and name them: in the notebook, on
the public cases with the stored expected values, and in the grader, on the hidden cases with
the reference's."""

import random

import numpy as np
import pytest

from tests.grading.hidden import HIDDEN_CASES
from tests.helpers import NOTEBOOKS, PART_DIRS, load_module, named, notebook_definitions
from tests.reference import batchnorm as reference

checks = load_module(PART_DIRS["nn_utils"] / "testCases.py", "batchnorm_testCases")
BatchNormCache = checks.BatchNormCache


def _graders_cases(name, runs=2):
    """Cases as the grader draws them (``HIDDEN_CASES`` holds the cases or how to draw them from
    a ``random.Random``), for a few grading runs."""
    draw = HIDDEN_CASES[name]
    if not callable(draw):
        return tuple(draw)
    return tuple(case for run in range(runs) for case in draw(random.Random(run)))


# How a check runs: (cases, answers) of the notebook's public check, and of the grader's.
RUNS = {
    "public": lambda name: {},
    "hidden": lambda name: {"cases": _graders_cases(name), "answers": reference.answer},
}


def forward(
    axis=1, ddof=0, outside=False, affine=True, swapped=False, in_place=False, no_epsilon=False
):
    """batchnorm_forward with one of the classic mistakes switched on."""

    def batchnorm_forward(Z, gamma, beta, running_mean, running_var, decay=0.9, epsilon=1e-5):
        mu = Z.mean(axis=axis, keepdims=True)
        var = Z.var(axis=axis, ddof=ddof, keepdims=True)
        std = np.sqrt(var) + epsilon if outside else np.sqrt(var + epsilon * (not no_epsilon))
        Z_norm = (Z - mu) / std
        Z_tilde = gamma * Z_norm + beta if affine else Z_norm
        keep, new = (1 - decay, decay) if swapped else (decay, 1 - decay)
        if in_place:
            running_mean *= keep
            running_mean += new * mu
        else:
            running_mean = keep * running_mean + new * mu
        running_var = keep * running_var + new * var
        return (
            Z_tilde,
            BatchNormCache(Z, Z_norm, mu, var, gamma, epsilon),
            running_mean,
            running_var,
        )

    return batchnorm_forward


def inference(batch=False, outside=False, update=False, no_epsilon=False):
    def batchnorm_inference(Z, gamma, beta, running_mean, running_var, epsilon=1e-5):
        mean, var = running_mean, running_var
        if batch or update:
            mean, var = Z.mean(axis=1, keepdims=True), Z.var(axis=1, keepdims=True)
        if update:
            running_mean *= 0.9
            running_mean += 0.1 * mean
            mean, var = running_mean, running_var
        std = np.sqrt(var) + epsilon if outside else np.sqrt(var + epsilon * (not no_epsilon))
        return gamma * (Z - mean) / std + beta

    return batchnorm_inference


def backward(
    through_mu=True,
    through_var=True,
    gamma=True,
    mean_dbeta=False,
    dgamma_of_Z=False,
    no_epsilon=False,
):
    """Equation (5) with one of the classic mistakes switched on."""

    def batchnorm_backward(dZ_tilde, cache):
        m = dZ_tilde.shape[1]
        dZ_norm = dZ_tilde * (cache.gamma if gamma else 1)
        dZ = m * dZ_norm
        if through_mu:
            dZ = dZ - dZ_norm.sum(axis=1, keepdims=True)
        if through_var:
            dZ = dZ - cache.Z_norm * np.sum(dZ_norm * cache.Z_norm, axis=1, keepdims=True)
        dZ = dZ / (m * np.sqrt(cache.var + cache.epsilon * (not no_epsilon)))
        dbeta = (np.mean if mean_dbeta else np.sum)(dZ_tilde, axis=1, keepdims=True)
        dgamma = np.sum(
            dZ_tilde * (cache.Z if dgamma_of_Z else cache.Z_norm), axis=1, keepdims=True
        )
        return dZ, dgamma, dbeta

    return batchnorm_backward


def graph(dZ_tilde, cache):
    """The computation graph of Exercise 3, step by step (the notebook's table)."""
    m = dZ_tilde.shape[1]
    Z_c = cache.Z - cache.mu
    s = np.sqrt(cache.var + cache.epsilon)
    dbeta = np.sum(dZ_tilde, axis=1, keepdims=True)
    dgamma = np.sum(dZ_tilde * cache.Z_norm, axis=1, keepdims=True)
    dZ_norm = cache.gamma * dZ_tilde
    ds = -np.sum(dZ_norm * Z_c, axis=1, keepdims=True) / s**2
    dZ_c = dZ_norm / s + 2 / m * Z_c * ds / (2 * s)
    dZ = dZ_c - np.sum(dZ_c, axis=1, keepdims=True) / m
    return dZ, dgamma, dbeta


def graph_called(dZ_tilde, cache):
    """Exercise 4 answered by calling Exercise 3's function: ``return batchnorm_backward(...)``."""
    return graph(dZ_tilde, cache)


def recomputed_z_norm(dZ_tilde, cache):
    """Equation (5) with Z_norm recomputed from Z and mu rather than read from the cache."""
    Z_norm = (cache.Z - cache.mu) / np.sqrt(cache.var + cache.epsilon)
    return backward()(dZ_tilde, cache._replace(Z_norm=Z_norm))


MISTAKES = [
    ("batchnorm_forward", forward(axis=0), "over the units"),
    ("batchnorm_forward", forward(ddof=1), "ddof=1"),
    ("batchnorm_forward", forward(outside=True), "epsilon goes inside the square root"),
    ("batchnorm_forward", forward(affine=False), "scaled by gamma and shifted by beta"),
    ("batchnorm_forward", forward(no_epsilon=True), r"missing: divide by sqrt\(var \+"),
    ("batchnorm_forward", forward(swapped=True), "two weights of the average are swapped"),
    ("batchnorm_forward", forward(in_place=True), "changed running_mean in place"),
    ("batchnorm_inference", inference(batch=True), "batch's mean and variance"),
    ("batchnorm_inference", inference(outside=True), "epsilon goes inside"),
    ("batchnorm_inference", inference(no_epsilon=True), "epsilon is missing"),
    ("batchnorm_inference", inference(update=True), "running averages are read, never updated"),
    ("batchnorm_backward", backward(through_mu=False, through_var=False), "as constants"),
    ("batchnorm_backward", backward(through_mu=False), "not through mu"),
    ("batchnorm_backward", backward(through_var=False), "not through var"),
    ("batchnorm_backward", backward(gamma=False), "misses the factor gamma"),
    ("batchnorm_backward", backward(mean_dbeta=True), "sum them"),
    ("batchnorm_backward", backward(no_epsilon=True), "epsilon is missing"),
    ("batchnorm_backward_simple", backward(dgamma_of_Z=True), "multiply by Z_norm"),
    ("batchnorm_backward_simple", backward(no_epsilon=True), "epsilon is missing"),
    ("batchnorm_backward_simple", graph_called, "call of batchnorm_backward, do not pass"),
    ("batchnorm_backward_simple", recomputed_z_norm, r"needs only cache.Z_norm, cache.var"),
]


@pytest.mark.parametrize("run", RUNS)
@pytest.mark.parametrize("name, function, diagnosis", MISTAKES, ids=[m[2] for m in MISTAKES])
def test_a_classic_mistake_fails_with_a_diagnosis(name, function, diagnosis, run):
    with pytest.raises(AssertionError, match=diagnosis):
        getattr(checks, f"verify_{name}")(named(function, name), **RUNS[run](name))


@pytest.mark.parametrize(
    "name, function",
    [
        ("batchnorm_forward", forward()),
        ("batchnorm_inference", inference()),
        ("batchnorm_backward", backward()),
        ("batchnorm_backward", graph),
        ("batchnorm_backward_simple", backward()),
    ],
)
@pytest.mark.parametrize("run", RUNS)
def test_the_right_function_passes(name, function, run):
    getattr(checks, f"verify_{name}")(named(function, name), **RUNS[run](name))


def test_exercise_4s_check_rejects_the_notebooks_own_graph_from_exercise_3():
    # The shortcut: batchnorm_backward_simple = lambda dZ_tilde, cache:
    # batchnorm_backward(dZ_tilde, cache) passed the same check as Exercise 3.
    solution = notebook_definitions(NOTEBOOKS["batchnorm"])["batchnorm_backward"]
    checks.verify_batchnorm_backward(solution)
    with pytest.raises(AssertionError, match="dZ for n = 3 units and m = 5 examples is nan"):
        checks.verify_batchnorm_backward_simple(named(solution, "batchnorm_backward_simple"))


@pytest.mark.parametrize(
    "name, function",
    [
        ("batchnorm_forward", forward()),
        ("batchnorm_inference", inference()),
        ("batchnorm_backward", graph),
        ("batchnorm_backward_simple", backward()),
    ],
)
def test_a_passing_check_prints_the_first_cases_values_for_the_expected_output(
    name, function, capsys
):
    getattr(checks, f"{name}_test")(named(function, name))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "On the first case (seed 1, n = 3 units, m = 5 examples):"
    assert lines[-1] == "All tests passed."
    printed = {}
    for line in lines[1:-1]:
        key, values = line.split(" = ")
        printed.setdefault(key.split("[")[0].removesuffix(".T"), []).append(
            [float(x) for x in values.strip("[]").split(", ")]
        )
    extra = (0.9, 1e-5) if name == "batchnorm_forward" else (1e-5,)
    want = reference.answer(name, (*checks.UNITS[0], *extra))
    keys = {
        "batchnorm_forward": {"Z_tilde": "Z_tilde", "running_mean": "running_mean",
                              "running_var": "running_var"},
        "batchnorm_inference": {"Z_tilde": "Z_tilde"},
    }.get(name, {"dZ": "dZ", "dgamma": "dgamma", "dbeta": "dbeta"})  # fmt: skip
    assert set(printed) == set(keys)
    for key, entry in keys.items():
        expected = want[entry] if want[entry].shape[1] > 1 else want[entry].T
        np.testing.assert_allclose(printed[key], expected, atol=5e-7, rtol=0)


def test_a_failing_check_prints_the_learners_values_first_then_says_what_is_off(capsys):
    with pytest.raises(checks.CheckFailed, match="is nan: equation"):
        checks.batchnorm_backward_simple_test(named(graph_called, "batchnorm_backward_simple"))
    lines = capsys.readouterr().out.splitlines()
    assert (
        lines[0].startswith("On the first case")
        and lines[1] == "dZ[0] = [nan, nan, nan, nan, nan]"
    )
    with pytest.raises(checks.CheckFailed, match=r"return \(Z_tilde, cache, running_mean"):
        checks.batchnorm_forward_test(named(lambda *args: None, "batchnorm_forward"))
    assert capsys.readouterr().out.splitlines()[1:] == ["batchnorm_forward(...) = None"]
