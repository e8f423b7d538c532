"""The Optimization Methods notebook's solutions: properties of the update rules and batches."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers import NOTEBOOKS, PART_DIRS, load_module, notebook_definitions

nb = notebook_definitions(NOTEBOOKS["optimization"])


# Random parameters and gradients for layer sizes dims, as the notebook's checks draw them.
network = load_module(
    PART_DIRS["opt_utils"] / "testCases.py", "opt_testCases"
)._parameters_and_grads


def copy(d):
    return {k: v.copy() for k, v in d.items()}


architectures = st.lists(st.integers(1, 5), min_size=2, max_size=5)
seeds = st.integers(0, 2**31 - 1)


@given(m=st.integers(1, 300), size=st.integers(1, 100), seed=seeds)
def test_mini_batches_partition_the_shuffled_data_and_the_last_has_m_mod_size(m, size, seed):
    rng = np.random.RandomState(seed)
    X, Y = rng.randn(3, m), rng.randint(0, 2, (1, m))
    batches = nb["random_mini_batches"](X, Y, size, seed)
    sizes = [b[0].shape[1] for b in batches]
    assert sizes[:-1] == [size] * (len(sizes) - 1) and sum(sizes) == m
    assert sizes[-1] == (m % size or size)
    all_X = np.concatenate([b[0] for b in batches], axis=1)
    all_Y = np.concatenate([b[1] for b in batches], axis=1)
    order = np.random.RandomState(seed).permutation(m)
    np.testing.assert_array_equal(all_X, X[:, order])
    np.testing.assert_array_equal(all_Y, Y[:, order])


@given(dims=architectures, seed=seeds, learning_rate=st.floats(1e-4, 1))
def test_momentum_with_beta_0_is_gradient_descent(dims, seed, learning_rate):
    parameters, grads = network(seed, dims)
    v = nb["initialize_velocity"](parameters)
    with_momentum, _ = nb["update_parameters_with_momentum"](
        copy(parameters), copy(grads), v, 0.0, learning_rate
    )
    plain = nb["update_parameters_with_gd"](copy(parameters), copy(grads), learning_rate)
    for key in parameters:
        np.testing.assert_allclose(with_momentum[key], plain[key], rtol=1e-12)


@given(dims=architectures, seed=seeds, learning_rate=st.floats(1e-4, 0.1))
def test_adams_first_corrected_step_moves_each_coordinate_by_about_the_learning_rate(
    dims, seed, learning_rate
):
    parameters, grads = network(seed, dims)
    v, s = nb["initialize_adam"](parameters)
    updated, *_ = nb["update_parameters_with_adam"](
        copy(parameters), copy(grads), v, s, 1, learning_rate
    )
    for key in parameters:
        step = np.abs(updated[key] - parameters[key])
        # At t = 1 the corrected moments are g and g**2: the step is lr * |g| / (|g| + eps).
        expected = learning_rate * np.abs(grads["d" + key]) / (np.abs(grads["d" + key]) + 1e-8)
        np.testing.assert_allclose(step, expected, rtol=1e-6)
        assert np.all(step <= learning_rate)


@given(dims=architectures, seed=seeds, steps=st.integers(1, 5))
def test_rmsprop_and_adam_keep_shapes_and_keys(dims, seed, steps):
    parameters, grads = network(seed, dims)
    rms_p, s = copy(parameters), nb["initialize_rmsprop"](parameters)
    adam_p, (v, s2) = copy(parameters), nb["initialize_adam"](parameters)
    for t in range(1, steps + 1):
        rms_p, s = nb["update_parameters_with_rmsprop"](rms_p, copy(grads), s, 0.999, 0.01)
        adam_p, v, s2, v_c, s_c = nb["update_parameters_with_adam"](adam_p, copy(grads), v, s2, t)
    for result in (rms_p, adam_p):
        assert {k: x.shape for k, x in result.items()} == {
            k: x.shape for k, x in parameters.items()
        }
    for moments in (s, v, s2, v_c, s_c):
        assert {k: x.shape for k, x in moments.items()} == {k: x.shape for k, x in grads.items()}


@given(lr0=st.floats(1e-4, 1), epoch=st.integers(0, 10000), rate=st.floats(0, 5))
def test_the_decay_formulas(lr0, epoch, rate):
    assert nb["update_lr"](lr0, epoch, rate) == pytest.approx(lr0 / (1 + rate * epoch))
    scheduled = nb["schedule_lr_decay"](lr0, epoch, rate, 1000)
    assert scheduled == pytest.approx(lr0 / (1 + rate * (epoch // 1000)))
    assert scheduled >= nb["update_lr"](lr0, epoch, rate) * (1 - 1e-12)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda p, g: nb["random_mini_batches"](np.ones((2, 5)), np.ones((1, 5)), 0),
            ValueError,
            "mini_batch_size must be an integer >= 1, got 0",
        ),
        (
            lambda p, g: nb["update_parameters_with_momentum"](
                p, g, nb["initialize_velocity"](p), 1.0, 0.1
            ),
            ValueError,
            r"beta must be in \[0, 1\), got 1.0",
        ),
        (
            lambda p, g: nb["update_parameters_with_rmsprop"](
                p, g, nb["initialize_rmsprop"](p), -0.5, 0.1
            ),
            ValueError,
            r"beta2 must be in \[0, 1\)",
        ),
        (
            lambda p, g: nb["update_parameters_with_adam"](p, g, *nb["initialize_adam"](p), 0),
            ValueError,
            "t must be an integer >= 1, got 0",
        ),
        (
            lambda p, g: nb["update_parameters_with_adam"](
                p, g, *nb["initialize_adam"](p), 1, beta1=1.2
            ),
            ValueError,
            r"beta1 must be in \[0, 1\)",
        ),
        (
            lambda p, g: nb["model"](np.ones((2, 4)), np.ones((1, 4)), [2, 1], "sgd"),
            ValueError,
            "optimizer must be gd, momentum, rmsprop or adam",
        ),
    ],
)
def test_bad_input_gets_an_error_naming_the_argument(call, error, message):
    parameters, grads = network(0, [3, 2, 1])
    with pytest.raises(error, match=message):
        call(parameters, grads)
