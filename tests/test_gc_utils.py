"""gc_utils: flattening parameters and gradients into vectors and back, for any architecture."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gc_utils
from tests.helpers import random_parameters

architectures = st.lists(st.integers(1, 6), min_size=2, max_size=13)


@given(dims=architectures, seed=st.integers(0, 2**31 - 1))
def test_vector_round_trip_restores_every_parameter(dims, seed):
    parameters = random_parameters(dims, seed)
    theta, keys = gc_utils.dictionary_to_vector(parameters)
    n = sum(v.size for v in parameters.values())
    assert theta.shape == (n, 1) and len(keys) == n
    shapes = {key: value.shape for key, value in parameters.items()}
    rebuilt = gc_utils.vector_to_dictionary(theta, shapes)
    assert rebuilt.keys() == parameters.keys()
    for key in parameters:
        np.testing.assert_array_equal(rebuilt[key], parameters[key])


@given(dims=architectures)
def test_theta_is_in_layer_order_and_keys_name_each_entry(dims):
    parameters = random_parameters(dims, 0)
    shuffled = dict(reversed(list(parameters.items())))  # dict order must not matter
    theta, keys = gc_utils.dictionary_to_vector(shuffled)
    expected_order = [f"{p}{l}" for l in range(1, len(dims)) for p in "Wb"]
    assert list(dict.fromkeys(keys)) == expected_order
    start = 0
    for name in expected_order:
        size = parameters[name].size
        np.testing.assert_array_equal(theta[start : start + size, 0], parameters[name].ravel())
        assert keys[start : start + size] == [name] * size
        start += size


@given(dims=architectures)
def test_gradients_vector_lines_up_with_theta(dims):
    parameters = random_parameters(dims, 0)
    gradients = {"d" + key: value * 2 for key, value in parameters.items()}
    gradients.update({"dZ1": np.ones(3), "dA1": np.ones(2)})  # intermediates are ignored
    theta, _ = gc_utils.dictionary_to_vector(parameters)
    np.testing.assert_array_equal(gc_utils.gradients_to_vector(gradients), 2 * theta)


def test_default_shapes_are_the_courses_4_5_3_1_network():
    parameters = gc_utils.vector_to_dictionary(np.arange(47.0).reshape(-1, 1))
    assert {k: v.shape for k, v in parameters.items()} == gc_utils.COURSE_SHAPES
    np.testing.assert_array_equal(parameters["b3"], [[46.0]])
    np.testing.assert_array_equal(parameters["W1"][0], [0, 1, 2, 3])


def test_rebuilt_parameters_do_not_share_memory_with_theta():
    theta = np.zeros((47, 1))
    parameters = gc_utils.vector_to_dictionary(theta)
    theta[0] = 5
    assert parameters["W1"][0, 0] == 0


def test_a_theta_of_the_wrong_length_says_both_lengths():
    with pytest.raises(ValueError, match=r"theta has 46 entries but the shapes need 47"):
        gc_utils.vector_to_dictionary(np.zeros((46, 1)))
    with pytest.raises(
        ValueError, match=r"theta has 5 entries but the shapes need 6 \(W1 \(2, 2\)"
    ):
        gc_utils.vector_to_dictionary(np.zeros(5), {"W1": (2, 2), "b1": (2, 1)})
    with pytest.raises(ValueError, match=r"column vector of shape \(n, 1\)"):
        gc_utils.vector_to_dictionary(np.zeros((47, 2)))


def test_bad_names_and_empty_dicts_are_rejected():
    with pytest.raises(KeyError, match="parameters has the key 'w1'"):
        gc_utils.dictionary_to_vector({"w1": np.zeros((2, 2))})
    with pytest.raises(ValueError, match="parameters is empty"):
        gc_utils.dictionary_to_vector({})
    with pytest.raises(KeyError, match="gradients has no dW1"):
        gc_utils.gradients_to_vector({"dZ1": np.zeros(2)})


@pytest.mark.parametrize(
    "epsilon, error",
    [(0, ValueError), (-1e-7, ValueError), (np.inf, ValueError), ("1e-7", TypeError)],
)
def test_check_epsilon_rejects_non_positive_steps(epsilon, error):
    with pytest.raises(error, match="epsilon must be a positive number"):
        gc_utils.check_epsilon(epsilon)
