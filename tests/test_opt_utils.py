"""opt_utils beyond the shared contract: the course's moons data and He initialization."""

import numpy as np
import pytest
import sklearn.datasets

import opt_utils


def test_load_dataset_is_the_courses_make_moons_data():
    saved = np.random.get_state()
    try:
        np.random.seed(3)
        course_X, course_Y = sklearn.datasets.make_moons(n_samples=300, noise=0.2)
    finally:
        np.random.set_state(saved)
    train_X, train_Y = opt_utils.load_dataset()
    np.testing.assert_array_equal(train_X, course_X.T)
    np.testing.assert_array_equal(train_Y, course_Y.reshape(1, 300))


def test_initialize_parameters_is_he_with_seed_3():
    parameters = opt_utils.initialize_parameters([2, 5, 2, 1])
    rng = np.random.RandomState(3)
    for l, (rows, cols) in enumerate(((5, 2), (2, 5), (1, 2)), start=1):
        np.testing.assert_array_equal(
            parameters[f"W{l}"], rng.randn(rows, cols) * np.sqrt(2 / cols)
        )
        np.testing.assert_array_equal(parameters[f"b{l}"], np.zeros((rows, 1)))


@pytest.mark.parametrize("value", [-0.1, 1, 1.5, np.nan])
def test_check_beta_rejects_values_outside_0_1(value):
    with pytest.raises(ValueError, match=r"beta1 must be in \[0, 1\), got"):
        opt_utils.check_beta("beta1", value)


@pytest.mark.parametrize(
    "value, error", [(0, ValueError), (-3, ValueError), (2.5, TypeError), (True, TypeError)]
)
def test_check_positive_int_names_the_argument(value, error):
    with pytest.raises(error, match="mini_batch_size must be an integer >= 1"):
        opt_utils.check_positive_int("mini_batch_size", value)


def test_checks_accept_valid_values():
    assert opt_utils.check_beta("beta", 0) == 0 and opt_utils.check_beta("beta", 0.999) == 0.999
    assert opt_utils.check_positive_int("t", np.int64(3)) == 3
