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


def cross_entropy_binary(A, Y):
    """The cost of weeks 1 and 2, carried over to C rows."""
    return -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / Y.shape[1]


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
    ("cross_entropy", cross_entropy_binary, "binary cross-entropy of weeks 1 and 2"),
    ("softmax_backward", lambda A, Y: A - Y, r"divide by m \(in these notebooks d includes"),
    ("softmax_backward", lambda A, Y: (Y - A) / Y.shape[1], "wrong sign"),
]


@pytest.mark.parametrize("name, function, diagnosis", MISTAKES, ids=[m[2] for m in MISTAKES])
def test_a_classic_mistake_fails_with_a_diagnosis(name, function, diagnosis):
    with np.errstate(all="ignore"), pytest.raises(AssertionError, match=diagnosis):
        getattr(checks, f"verify_{name}")(named(function, name))


def test_the_binary_cost_is_told_apart_from_the_right_one_on_every_public_case():
    """The hint is not luck on one case: on each, the binary formula gives another number."""
    for case in checks.CLASSES:
        _, A, _, Y = checks._softmax_inputs(*case)
        right = -np.sum(Y * np.log(A)) / Y.shape[1]
        assert not np.isclose(cross_entropy_binary(A, Y), right, rtol=1e-3), case


def test_the_public_checks_print_the_learners_values_first(capsys):
    def wrong_softmax(Z):
        return np.exp(Z) / np.exp(Z).sum()  # over the whole array

    with pytest.raises(AssertionError, match="softmax is off by up to"):
        checks.softmax_test(named(wrong_softmax, "softmax"))
    shown = capsys.readouterr().out
    assert (
        shown.startswith("softmax(Z) =\n[[0.081894 0.030127]") and "All tests passed." not in shown
    )
    checks.cross_entropy_test(named(lambda A, Y: -np.sum(Y * np.log(A)) / Y.shape[1], "x"))
    assert capsys.readouterr().out == "cross_entropy(A, Y) = 0.780324\nAll tests passed.\n"


@pytest.mark.parametrize("name", ["softmax", "one_hot", "cross_entropy", "softmax_backward"])
def test_an_exercise_not_done_yet_prints_nothing_and_says_so(name, capsys):
    def not_done(*args):
        raise NotImplementedError

    with pytest.raises(checks.NotDoneYet, match=f"{name} is not done yet"):
        getattr(checks, f"{name}_test")(named(not_done, name))
    assert capsys.readouterr().out == ""


def test_a_result_that_is_no_array_is_shown_as_it_is(capsys):
    with pytest.raises(AssertionError):
        checks.one_hot_test(named(lambda y, C: None, "one_hot"))
    assert capsys.readouterr().out == "one_hot(y, 3) = None\n"
