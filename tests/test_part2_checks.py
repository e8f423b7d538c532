"""The Regularization checks pass the notebook's solutions and explain the classic mistakes."""

import numpy as np
import pytest

import reg_utils
from tests.grading.assignments import ASSIGNMENTS
from tests.helpers import NOTEBOOKS, PART_DIRS, load_module, named, notebook_definitions
from tests.reference import answers_for

checks = load_module(PART_DIRS["reg_utils"] / "testCases.py", "part2_testCases")
nb = notebook_definitions(NOTEBOOKS["regularization"])


def l2_cost(weights_only=True, factor=2, keys=None):
    def cost(A3, Y, parameters, lambd):
        chosen = keys or [k for k in parameters if k[0] == "W" or not weights_only]
        squares = sum(np.sum(parameters[k] ** 2) for k in chosen)
        return reg_utils.compute_cost(A3, Y) + lambd / (factor * Y.shape[1]) * squares

    return named(cost, "compute_cost_with_regularization")


def l2_backward(scale):
    def backward(X, Y, cache, lambd):
        grads = reg_utils.backward_propagation(X, Y, cache)
        for l, W in ((1, cache.W1), (2, cache.W2), (3, cache.W3)):
            grads[f"dW{l}"] = grads[f"dW{l}"] + scale(lambd, X.shape[1]) * W
        return grads

    return named(backward, "backward_propagation_with_regularization")


def dropout_forward(scale=True, reseed=False, mask_output=False):
    def forward(X, parameters, keep_prob=0.5, rng=None):
        rng = np.random.RandomState(1) if reseed else rng
        A3, cache = nb["forward_propagation_with_dropout"](X, parameters, keep_prob, rng)
        Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3 = cache
        if not scale:
            A1 = A1 * keep_prob
            Z2 = W2 @ A1 + b2
            A2 = reg_utils.relu(Z2) * D2
            Z3 = W3 @ A2 + b3
            A3 = reg_utils.sigmoid(Z3)
        if mask_output:
            A3 = A3 * (rng.random(A3.shape) < keep_prob)
        return A3, (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3)

    return named(forward, "forward_propagation_with_dropout")


def dropout_forward_flipped(X, parameters, keep_prob=0.5, rng=None):
    """Keeps a unit when its draw is above keep_prob: the mask of the complement."""
    W1, b1, W2, b2, W3, b3 = (parameters[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
    Z1 = W1 @ X + b1
    D1 = rng.random(Z1.shape) > keep_prob
    A1 = reg_utils.relu(Z1) * D1 / keep_prob
    Z2 = W2 @ A1 + b2
    D2 = rng.random(Z2.shape) > keep_prob
    A2 = reg_utils.relu(Z2) * D2 / keep_prob
    Z3 = W3 @ A2 + b3
    A3 = reg_utils.sigmoid(Z3)
    return A3, (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3)


def dropout_backward_unscaled(X, Y, cache, keep_prob):
    return nb["backward_propagation_with_dropout"](X, Y, cache, 1.0)


MISTAKES = [
    ("compute_cost_with_regularization", l2_cost(factor=1), "twice the L2 term"),
    ("compute_cost_with_regularization", l2_cost(keys=["W1", "W2", "W3"]), "sum over every layer"),
    ("compute_cost_with_regularization", l2_cost(weights_only=False), "includes the biases"),
    ("compute_cost_with_regularization", l2_cost(keys=["W1"]), "got .* expected"),
    (
        "backward_propagation_with_regularization",
        l2_backward(lambda lambd, m: 0),
        "without the L2",
    ),
    (
        "backward_propagation_with_regularization",
        l2_backward(lambda lambd, m: lambd),
        "divide by m",
    ),
    (
        "backward_propagation_with_regularization",
        l2_backward(lambda lambd, m: 2 * lambd / m),
        "cancels the 1/2",
    ),
    ("forward_propagation_with_dropout", dropout_forward(scale=False), "not scaled"),
    (
        "forward_propagation_with_dropout",
        named(dropout_forward_flipped, "forward_propagation_with_dropout"),
        "keeps no unit: keep a unit when its uniform draw is below keep_prob",
    ),
    ("forward_propagation_with_dropout", dropout_forward(reseed=True), "re-seed|expected draws"),
    (
        "forward_propagation_with_dropout",
        dropout_forward(mask_output=True),
        "no dropout on the output",
    ),
    (
        "backward_propagation_with_dropout",
        named(dropout_backward_unscaled, "backward_propagation_with_dropout"),
        "without dividing by keep_prob",
    ),
]


@pytest.mark.parametrize("name, function, diagnosis", MISTAKES, ids=[m[2] for m in MISTAKES])
def test_a_classic_mistake_fails_with_a_diagnosis(name, function, diagnosis):
    with pytest.raises(AssertionError, match=diagnosis):
        getattr(checks, f"{name}_test")(function)


# Cases in the format of the grader's hidden ones (seed, layer sizes, m, lambd or keep_prob),
# with values of their own: the hints work from the reference's answers on any case.
OTHER_CASES = {
    "compute_cost_with_regularization": (
        (11, [5, 3, 2, 4, 1], 7, 0.25),
        (12, [2, 6, 1], 3, 2.0),
        (13, [3, 3, 3, 1], 9, 0.05),
    ),
    "backward_propagation_with_regularization": (
        (14, [5, 4, 3, 1], 6, 0.3),
        (15, [2, 7, 2, 1], 11, 1.2),
    ),
    "forward_propagation_with_dropout": (
        (16, [4, 6, 5, 1], 8, 0.65),
        (17, [2, 12, 4, 1], 15, 0.9),
    ),
    "backward_propagation_with_dropout": (
        (18, [3, 5, 4, 1], 7, 0.75),
        (19, [6, 3, 8, 1], 4, 0.55),
    ),
}


@pytest.mark.parametrize("name, function, diagnosis", MISTAKES, ids=[m[2] for m in MISTAKES])
def test_a_classic_mistake_gets_its_diagnosis_on_other_cases_too(name, function, diagnosis):
    answers = answers_for(ASSIGNMENTS["regularization"])
    with pytest.raises(AssertionError, match=diagnosis):
        getattr(checks, f"verify_{name}")(function, OTHER_CASES[name], answers=answers)


def test_the_test_cases_are_built_by_code_and_give_the_courses_numbers():
    X, Y, cache = checks.backward_propagation_with_regularization_test_case()
    grads = nb["backward_propagation_with_regularization"](X, Y, cache, 0.7)
    np.testing.assert_allclose(
        grads["dW1"],
        [[-0.25604646, 0.12298827, -0.28297129], [-0.17706303, 0.34536094, -0.4410571]],
        atol=5e-9,
    )
    np.testing.assert_allclose(grads["dW3"], [[-1.77691347, -0.11832879, -0.09397446]], atol=5e-9)


# A case the grader once drew (hidden cases are drawn afresh per run): both units of its first
# hidden layer are dead or dropped, so A1 is zero whether scaled by 1 / keep_prob or not.
ALL_DROPPED = (1373158706, [2, 2, 4, 1], 7, 0.64)


def test_a_hidden_layer_with_every_unit_dropped_does_not_fail_the_solution():
    answers = answers_for(ASSIGNMENTS["regularization"])
    X, _, parameters = checks._dropout_inputs(ALL_DROPPED)
    rng = np.random.RandomState(ALL_DROPPED[0])
    cache = nb["forward_propagation_with_dropout"](X, parameters, ALL_DROPPED[3], rng)[1]
    assert not np.any(cache[2]), "the premise: A1 is zero"
    verify = checks.verify_forward_propagation_with_dropout
    verify(nb["forward_propagation_with_dropout"], (ALL_DROPPED,), answers=answers)
    # The scaling is still checked: on this case, A2 shows it; beside another, A1 does.
    cases = (ALL_DROPPED, OTHER_CASES["forward_propagation_with_dropout"][0])
    with pytest.raises(AssertionError, match="not scaled|A2 must be"):
        verify(dropout_forward(scale=False), cases, answers=answers)
