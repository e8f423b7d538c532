"""The Regularization notebook's solutions: gradients proven numerically, dropout's properties."""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import reg_utils
from tests.helpers import (
    NOTEBOOKS,
    away_from_kinks,
    cross_entropy_from_logits,
    gradient_error,
    notebook_definitions,
    random_network,
)

nb = notebook_definitions(NOTEBOOKS["regularization"])
PARAMETER_KEYS = ("W1", "b1", "W2", "b2", "W3", "b3")


shapes = {
    "seed": st.integers(0, 2**31 - 1),
    "n_x": st.integers(1, 4),
    "n1": st.integers(1, 6),
    "n2": st.integers(1, 5),
    "m": st.integers(1, 8),
}


@given(lambd=st.floats(0, 5), **shapes)
def test_l2_backward_matches_the_numerical_gradient_of_the_l2_cost(lambd, seed, n_x, n1, n2, m):
    X, Y, parameters = random_network(seed, n_x, n1, n2, m)
    _, cache = reg_utils.forward_propagation(X, parameters)
    assume(away_from_kinks(cache.Z1, cache.Z2))
    grads = nb["backward_propagation_with_regularization"](X, Y, cache, lambd)

    def penalty():
        return lambd / (2 * m) * sum(np.sum(parameters[f"W{l}"] ** 2) for l in (1, 2, 3))

    A3, cache = reg_utils.forward_propagation(X, parameters)
    if np.all(np.abs(cache.Z3) < 20):  # away from saturation the notebook's cost is exact
        exact = cross_entropy_from_logits(cache.Z3, Y) + penalty()
        assert nb["compute_cost_with_regularization"](A3, Y, parameters, lambd) == pytest.approx(
            exact, rel=1e-9
        )

    def J():
        # The cost from Z3: where A3 is close to 0 or 1, one computed from A3 is mostly round-off.
        _, cache = reg_utils.forward_propagation(X, parameters)
        return cross_entropy_from_logits(cache.Z3, Y) + penalty()

    error, per_key = gradient_error(J, parameters, grads)
    assert error < 1e-7, per_key


@given(keep_prob=st.floats(0.2, 1.0), **shapes)
def test_dropout_backward_matches_the_numerical_gradient_with_fixed_masks(
    keep_prob, seed, n_x, n1, n2, m
):
    X, Y, parameters = random_network(seed, n_x, n1, n2, m)
    forward = nb["forward_propagation_with_dropout"]
    # The masks depend only on the generator and the shapes, so a generator seeded alike draws
    # the same masks at every evaluation of the cost: the cost is a fixed function of the weights.
    _, cache = forward(X, parameters, keep_prob, rng=np.random.RandomState(seed))
    assume(away_from_kinks(cache.Z1, cache.Z2))
    grads = nb["backward_propagation_with_dropout"](X, Y, cache, keep_prob)

    def J():
        # Dividing by a small keep_prob can push the sigmoid close to 0 or 1, where a cost computed
        # from A3 is mostly round-off (or clipped); the cost from Z3 is exact there.
        _, cache = forward(X, parameters, keep_prob, rng=np.random.RandomState(seed))
        return cross_entropy_from_logits(cache.Z3, Y)

    error, per_key = gradient_error(J, parameters, grads)
    assert error < 1e-7, per_key


def test_l2_cost_is_cross_entropy_plus_lambd_over_2m_times_every_squared_weight():
    rng = np.random.RandomState(0)
    parameters = {f"W{l}": rng.randn(3, 3) for l in range(1, 5)}
    parameters.update({f"b{l}": rng.randn(3, 1) for l in range(1, 5)})
    A3, Y = rng.uniform(0.1, 0.9, (1, 6)), np.array([[1, 0, 1, 1, 0, 0]])
    expected = reg_utils.compute_cost(A3, Y) + 0.3 / (2 * 6) * sum(
        np.sum(parameters[f"W{l}"] ** 2) for l in range(1, 5)
    )
    got = nb["compute_cost_with_regularization"](A3, Y, parameters, 0.3)
    assert got == pytest.approx(expected, rel=1e-12)


def test_dropout_with_keep_prob_1_is_the_plain_forward_pass():
    X, _, parameters = random_network(0, 3, 5, 4, 10)
    A3, cache = nb["forward_propagation_with_dropout"](
        X, parameters, 1.0, rng=np.random.RandomState(0)
    )
    np.testing.assert_array_equal(A3, reg_utils.forward_propagation(X, parameters)[0])
    assert cache.D1.all() and cache.D2.all()


@given(keep_prob=st.floats(0.05, 0.95), seed=st.integers(0, 2**31 - 1))
def test_mask_density_is_keep_prob_and_inverted_scaling_keeps_the_expected_activation(
    keep_prob, seed
):
    X, _, parameters = random_network(seed, 4, 300, 200, 100)
    _, cache = nb["forward_propagation_with_dropout"](
        X, parameters, keep_prob, rng=np.random.RandomState(seed)
    )
    Z1, D1, A1 = cache.Z1, cache.D1, cache.A1
    n = D1.size
    assert abs(D1.mean() - keep_prob) < 5 * np.sqrt(keep_prob * (1 - keep_prob) / n)
    # E[A1] = relu(Z1): the dropped-out sum stays within a few standard errors of the full sum.
    full = np.maximum(0, Z1)
    spread = np.sqrt((1 - keep_prob) / keep_prob * np.sum(full**2))
    assert abs(A1.sum() - full.sum()) < 5 * spread


def test_masks_are_fresh_on_every_call_and_reproducible_from_a_seed():
    X, _, parameters = random_network(1, 3, 8, 6, 20)
    forward = nb["forward_propagation_with_dropout"]
    rng = np.random.RandomState(7)
    first, second = (
        forward(X, parameters, 0.5, rng=rng)[1],
        forward(X, parameters, 0.5, rng=rng)[1],
    )
    assert not np.array_equal(first.D1, second.D1) and not np.array_equal(first.D2, second.D2)
    again = forward(X, parameters, 0.5, rng=np.random.RandomState(7))[1]
    np.testing.assert_array_equal(again.D1, first.D1)


def test_dropout_accepts_a_generator_and_the_global_random_state():
    X, _, parameters = random_network(2, 3, 8, 6, 20)
    forward = nb["forward_propagation_with_dropout"]
    A3, cache = forward(X, parameters, 0.7, rng=np.random.default_rng(0))
    assert A3.shape == (1, 20) and cache.D1.shape == (8, 20)
    state = np.random.get_state()
    try:
        np.random.seed(3)
        from_global = forward(X, parameters, 0.7)[1].D1
    finally:
        np.random.set_state(state)
    np.testing.assert_array_equal(
        from_global, forward(X, parameters, 0.7, np.random.RandomState(3))[1].D1
    )


def test_dropout_on_the_courses_test_case_gives_the_courses_numbers():
    from tests.helpers import PART_DIRS, load_module

    cases = load_module(PART_DIRS["reg_utils"] / "testCases.py", "part2_testCases_numbers")
    X, parameters = cases.forward_propagation_with_dropout_test_case()
    A3, _ = nb["forward_propagation_with_dropout"](
        X, parameters, 0.7, rng=np.random.RandomState(1)
    )
    np.testing.assert_allclose(
        A3, [[0.36974721, 0.00305176, 0.04565099, 0.49683389, 0.36974721]], atol=5e-9
    )
    A3, Y, parameters = cases.compute_cost_with_regularization_test_case()
    cost = nb["compute_cost_with_regularization"](A3, Y, parameters, 0.1)
    assert cost == pytest.approx(1.78648594516, abs=1e-7)  # the course rounds A3 to 8 digits


BAD_INPUTS = [
    ({"keep_prob": 0}, ValueError, r"keep_prob must be in \(0, 1\], got 0"),
    ({"keep_prob": 1.2}, ValueError, r"keep_prob must be in \(0, 1\], got 1.2"),
    ({"keep_prob": "0.5"}, TypeError, "keep_prob must be a number"),
    ({"lambd": -1}, ValueError, "lambd must be a finite number >= 0, got -1"),
    ({"lambd": np.inf}, ValueError, "lambd must be a finite number >= 0"),
    ({"lambd": 0.7, "keep_prob": 0.8}, ValueError, "use lambd or keep_prob, not both"),
    ({"Y": np.full((1, 5), 3)}, ValueError, "Y must contain only 0 and 1 labels"),
    ({"Y": np.ones((1, 4))}, ValueError, r"Y must have shape \(1, 5\)"),
    ({"X": np.full((3, 5), np.nan)}, ValueError, "X contains NaN or inf"),
]


@pytest.mark.parametrize("arguments, error, message", BAD_INPUTS, ids=[b[2] for b in BAD_INPUTS])
def test_model_names_a_bad_input_before_it_trains(arguments, error, message):
    X, Y, _ = random_network(3, 3, 4, 3, 5)
    arguments = {"X": X, "Y": Y, **arguments}
    with pytest.raises(error, match=message):
        nb["model"](**arguments, num_iterations=10**9, print_cost=False)  # fails at once
