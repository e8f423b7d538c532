"""init_utils beyond the shared contract: the course's data, a loss that survives saturation."""

import warnings

import numpy as np
import pytest
import sklearn.datasets

import init_utils


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
    rng = np.random.RandomState(0)
    dims = [2, 10, 5, 1]
    parameters = {}
    for l in (1, 2, 3):
        parameters[f"W{l}"] = rng.randn(dims[l], dims[l - 1]) * 1000
        parameters[f"b{l}"] = np.zeros((dims[l], 1))
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


def test_compute_loss_rejects_nan_and_mismatched_labels():
    with pytest.raises(ValueError, match="a3 contains NaN"):
        init_utils.compute_loss(np.array([[0.5, np.nan]]), np.array([[1, 0]]))
    with pytest.raises(ValueError, match=r"Y must have shape \(1, 2\)"):
        init_utils.compute_loss(np.array([[0.5, 0.5]]), np.array([[1, 0, 1]]))
    with pytest.raises(ValueError, match=r"a3 must have shape \(1, m\)"):
        init_utils.compute_loss(np.full((2, 2), 0.5), np.array([[1, 0]]))


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


def test_forward_rejects_a_network_with_more_than_one_output():
    X = np.ones((2, 3))
    parameters = {
        "W1": np.ones((4, 2)),
        "b1": np.zeros((4, 1)),
        "W2": np.ones((3, 4)),
        "b2": np.zeros((3, 1)),
        "W3": np.ones((2, 3)),
        "b3": np.zeros((2, 1)),
    }
    with pytest.raises(ValueError, match="W3 must have 1 row"):
        init_utils.forward_propagation(X, parameters)


def test_backward_rejects_a_cache_that_is_not_the_forward_cache():
    with pytest.raises(ValueError, match="cache must be the 12-tuple"):
        init_utils.backward_propagation(np.ones((2, 3)), np.ones((1, 3)), (1, 2, 3))


@pytest.mark.parametrize("dtype", [np.uint8, np.int64, bool, np.float64])
def test_labels_of_any_numeric_dtype_are_accepted_when_0_or_1(dtype):
    Y = np.array([[0, 1, 1]], dtype=dtype)
    expected = -(np.log(0.2) + np.log(0.7) + np.log(0.6)) / 3
    assert init_utils.compute_loss(np.array([[0.8, 0.7, 0.6]]), Y) == pytest.approx(expected)


@pytest.mark.parametrize(
    "Y", [[[0, 2, 1]], [[0, -1, 1]], [[0.5, 1.0, 0.0]], [[np.nan, 1.0, 0.0]]], ids=str
)
def test_labels_other_than_0_or_1_are_rejected(Y):
    Y = np.array(Y, dtype=np.uint8 if Y == [[0, 2, 1]] else None)
    with pytest.raises(ValueError, match="Y must contain only 0 and 1 labels"):
        init_utils.compute_loss(np.array([[0.8, 0.7, 0.6]]), Y)
