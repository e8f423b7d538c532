"""init_utils beyond the shared contract: the course's data, a loss that survives saturation."""

import warnings

import numpy as np
import pytest
import sklearn.datasets

import init_utils
from tests.helpers import random_parameters


def test_load_dataset_is_the_courses_make_circles_data():
    # The course seeds NumPy's global generator and lets make_circles draw from it.
    saved = np.random.get_state()
    try:
        np.random.seed(1)
        course_train_X, course_train_Y = sklearn.datasets.make_circles(n_samples=300, noise=0.05)
        np.random.seed(2)
        course_test_X, course_test_Y = sklearn.datasets.make_circles(n_samples=100, noise=0.05)
    finally:
        np.random.set_state(saved)
    train_X, train_Y, test_X, test_Y = init_utils.load_dataset()
    assert train_X.shape == (2, 300) and test_X.shape == (2, 100)
    np.testing.assert_array_equal(train_X, course_train_X.T)
    np.testing.assert_array_equal(train_Y, course_train_Y.reshape(1, 300))
    np.testing.assert_array_equal(test_X, course_test_X.T)
    np.testing.assert_array_equal(test_Y, course_test_Y.reshape(1, 100))


def test_saturated_predictions_cost_53_ln_2_each_not_inf():
    a3 = np.array([[0.0, 1.0, 1.0, 0.0]])
    Y = np.array([[1, 0, 1, 0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = init_utils.compute_loss(a3, Y)
    assert loss == pytest.approx(2 * 53 * np.log(2) / 4, rel=1e-12)


def test_huge_weights_give_a_finite_cost_and_no_warning():
    X, Y = init_utils.load_dataset()[:2]
    parameters = random_parameters([2, 10, 5, 1], 0, scale=1000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        A3, cache = init_utils.forward_propagation(X, parameters)
        loss = init_utils.compute_loss(A3, Y)
        init_utils.backward_propagation(X, Y, cache)
    assert np.isfinite(loss) and np.mean((A3 == 0) | (A3 == 1)) > 0.5


def test_compute_loss_is_the_cross_entropy_away_from_saturation():
    a3 = np.array([[0.9, 0.2, 0.6]])
    Y = np.array([[1, 0, 0]])
    expected = -(np.log(0.9) + np.log(0.8) + np.log(0.4)) / 3
    assert init_utils.compute_loss(a3, Y) == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize(
    "layers_dims, error, message",
    [
        ([2, 0, 1], ValueError, r"layers_dims\[1\] must be a positive layer size, got 0"),
        ([2, -3, 1], ValueError, r"layers_dims\[1\] must be a positive layer size, got -3"),
        ([2], ValueError, "layers_dims needs an input size and at least one layer"),
        ([2, 4.5, 1], TypeError, r"layers_dims\[1\] must be an int"),
        (7, TypeError, "layers_dims must be a list of layer sizes"),
    ],
)
def test_check_layers_dims_names_the_bad_entry(layers_dims, error, message):
    with pytest.raises(error, match=message):
        init_utils.check_layers_dims(layers_dims)


def test_check_layers_dims_accepts_numpy_integers():
    assert init_utils.check_layers_dims(np.array([2, 10, 5, 1])) == [2, 10, 5, 1]
