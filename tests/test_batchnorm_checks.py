"""The Batch Normalization checks catch the classic mistakes and name them: in the notebook, on
the public cases with the stored expected values, and in the grader, on the hidden cases with
the reference's."""

import random

import numpy as np
import pytest

from tests.grading.hidden import HIDDEN_CASES
from tests.helpers import PART_DIRS, load_module, named
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


def forward(axis=1, ddof=0, outside=False, affine=True, swapped=False, in_place=False):
    """batchnorm_forward with one of the classic mistakes switched on."""

    def batchnorm_forward(Z, gamma, beta, running_mean, running_var, momentum=0.9, epsilon=1e-5):
        mu = Z.mean(axis=axis, keepdims=True)
        var = Z.var(axis=axis, ddof=ddof, keepdims=True)
        std = np.sqrt(var) + epsilon if outside else np.sqrt(var + epsilon)
        Z_norm = (Z - mu) / std
        Z_tilde = gamma * Z_norm + beta if affine else Z_norm
        keep, new = (1 - momentum, momentum) if swapped else (momentum, 1 - momentum)
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


def inference(batch=False, outside=False, update=False):
    def batchnorm_inference(Z, gamma, beta, running_mean, running_var, epsilon=1e-5):
        mean, var = running_mean, running_var
        if batch or update:
            mean, var = Z.mean(axis=1, keepdims=True), Z.var(axis=1, keepdims=True)
        if update:
            running_mean *= 0.9
            running_mean += 0.1 * mean
            mean, var = running_mean, running_var
        std = np.sqrt(var) + epsilon if outside else np.sqrt(var + epsilon)
        return gamma * (Z - mean) / std + beta

    return batchnorm_inference


def backward(through_mu=True, through_var=True, gamma=True, mean_dbeta=False, dgamma_of_Z=False):
    def batchnorm_backward(dZ_tilde, cache):
        m = dZ_tilde.shape[1]
        dZ_norm = dZ_tilde * (cache.gamma if gamma else 1)
        dZ = m * dZ_norm
        if through_mu:
            dZ = dZ - dZ_norm.sum(axis=1, keepdims=True)
        if through_var:
            dZ = dZ - cache.Z_norm * np.sum(dZ_norm * cache.Z_norm, axis=1, keepdims=True)
        dZ = dZ / (m * np.sqrt(cache.var + cache.epsilon))
        dbeta = (np.mean if mean_dbeta else np.sum)(dZ_tilde, axis=1, keepdims=True)
        dgamma = np.sum(
            dZ_tilde * (cache.Z if dgamma_of_Z else cache.Z_norm), axis=1, keepdims=True
        )
        return dZ, dgamma, dbeta

    return batchnorm_backward


MISTAKES = [
    ("batchnorm_forward", forward(axis=0), "over the units"),
    ("batchnorm_forward", forward(ddof=1), "ddof=1"),
    ("batchnorm_forward", forward(outside=True), "epsilon goes inside the square root"),
    ("batchnorm_forward", forward(affine=False), "scaled by gamma and shifted by beta"),
    ("batchnorm_forward", forward(swapped=True), "momentum weights are swapped"),
    ("batchnorm_forward", forward(in_place=True), "changed running_mean in place"),
    ("batchnorm_inference", inference(batch=True), "batch's mean and variance"),
    ("batchnorm_inference", inference(outside=True), "epsilon goes inside"),
    ("batchnorm_inference", inference(update=True), "running averages are read, never updated"),
    ("batchnorm_backward", backward(through_mu=False, through_var=False), "as constants"),
    ("batchnorm_backward", backward(through_mu=False), "not through mu"),
    ("batchnorm_backward", backward(through_var=False), "not through var"),
    ("batchnorm_backward", backward(gamma=False), "misses the factor gamma"),
    ("batchnorm_backward", backward(mean_dbeta=True), "sum them"),
    ("batchnorm_backward_simple", backward(dgamma_of_Z=True), "multiply by Z_norm"),
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
        ("batchnorm_backward_simple", backward()),
    ],
)
@pytest.mark.parametrize("run", RUNS)
def test_the_right_function_passes(name, function, run):
    getattr(checks, f"verify_{name}")(named(function, name), **RUNS[run](name))
