"""The Softmax Regression checks catch the classic mistakes and name them."""

import numpy as np
import pytest

from tests.helpers import PART_DIRS, load_module, named

checks = load_module(PART_DIRS["nn_utils"] / "testCases.py", "softmax_testCases")


def softmax_rows(Z):
    return np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)


def softmax_unshifted(Z):
    return np.exp(Z) / np.exp(Z).sum(axis=0, keepdims=True)


def softmax_global_max(Z):
    E = np.exp(Z - Z.max())
    return E / E.sum(axis=0, keepdims=True)


def softmax_in_place(Z):
    Z -= Z.max(axis=0, keepdims=True)
    np.exp(Z, out=Z)
    Z /= Z.sum(axis=0, keepdims=True)
    return Z


MISTAKES = [
    ("softmax", softmax_rows, "normalize each column"),
    ("softmax", softmax_unshifted, "subtract each column's maximum"),
    ("softmax", softmax_global_max, "each column's own maximum"),
    ("softmax", softmax_in_place, "changed Z in place"),
    ("one_hot", lambda y, C: np.eye(C)[:, np.ravel(y)].T, "did you transpose"),
    ("one_hot", lambda y, C: np.eye(C)[:, (np.ravel(y) - 1) % C], "one row too high"),
    ("cross_entropy", lambda A, Y: -np.sum(Y * np.log(A)), "divide by m"),
    ("cross_entropy", lambda A, Y: -np.mean(Y * np.log(A)), "sum over the classes"),
    ("cross_entropy", lambda A, Y: np.sum(Y * np.log(A)) / Y.shape[1], "the sign"),
    ("cross_entropy", lambda A, Y: -np.sum(np.log(A)) / Y.shape[1], "multiply by Y"),
    ("softmax_backward", lambda A, Y: A - Y, "divide by m"),
    ("softmax_backward", lambda A, Y: (Y - A) / Y.shape[1], "wrong sign"),
]


@pytest.mark.parametrize("name, function, diagnosis", MISTAKES, ids=[m[2] for m in MISTAKES])
def test_a_classic_mistake_fails_with_a_diagnosis(name, function, diagnosis):
    with np.errstate(all="ignore"), pytest.raises(AssertionError, match=diagnosis):
        getattr(checks, f"verify_{name}")(named(function, name))
