"""Every result the Softmax Regression notebook states, recomputed."""

import functools

import numpy as np
import pytest
import sklearn.datasets
from hypothesis import given
from hypothesis import strategies as st

import nn_utils
from tests.cross_cpu import assert_same_on_another_cpu
from tests.helpers import NOTEBOOKS, digits_0_to_5, notebook_definitions, numerical_gradient

nb = notebook_definitions(NOTEBOOKS["softmax"])  # the graded companion that imports nn_utils
# The notebook trains its networks on its own output layer: the solution's three exercises.
OUTPUT = nn_utils.OutputLayer(nb["softmax"], nb["cross_entropy"], nb["softmax_backward"])


def spiral_run():
    """The notebook's three-class run: (parameters, costs, train accuracy, dev accuracy)."""
    X, y = nb["spiral"](150, seed=0)
    dev_X, dev_y = nb["spiral"](100, seed=1)
    Y, dev_Y = nb["one_hot"](y, 3), nb["one_hot"](dev_y, 3)
    parameters, history = nn_utils.train(
        X, Y, [2, 32, 3], learning_rate=1.0, num_iterations=3000, seed=0, output=OUTPUT
    )
    accuracies = [nn_utils.accuracy(parameters, *data) for data in ((X, Y), (dev_X, dev_Y))]
    return parameters, history["train_cost"], accuracies


def digits_run():
    """The notebook's digits run: (parameters, costs, [train, dev, test accuracy], confusion)."""
    images, labels, split = digits_0_to_5()
    labels, sets = labels.reshape(1, -1), list(split.values())
    X = [images[:, index] for index in sets]
    Y = [nb["one_hot"](labels[:, index], 6) for index in sets]
    parameters, history = nn_utils.train(
        X[0], Y[0], [64, 25, 12, 6], learning_rate=0.5, num_iterations=1000, seed=0, output=OUTPUT
    )
    accuracies = [nn_utils.accuracy(parameters, x, y) for x, y in zip(X, Y)]
    confusion = np.zeros((6, 6), dtype=int)
    predicted = nn_utils.predict_dec(parameters, X[2]).ravel()
    np.add.at(confusion, (labels[0, sets[2]], predicted), 1)
    return parameters, history["train_cost"], accuracies, confusion


CITED_RUNS = {"spiral": spiral_run, "digits": digits_run}


@functools.cache
def cited(name):
    return CITED_RUNS[name]()


def test_the_naive_softmax_overflows_and_the_stable_one_does_not():
    Z = np.array([[1000.0, 2.0], [999.0, 1.0], [990.0, 0.1]])
    with np.errstate(over="ignore", invalid="ignore"):
        assert np.all(np.isnan(np.exp(Z[:, :1]) / np.exp(Z[:, :1]).sum()))
    A = nb["softmax"](Z)
    assert np.all(np.isfinite(A)) and np.allclose(A.sum(axis=0), 1, rtol=1e-15)


def test_with_two_classes_softmax_is_the_sigmoid_and_the_cost_the_binary_one():
    rng = np.random.RandomState(0)
    Z, y = rng.randn(2, 9), rng.randint(0, 2, (1, 9))
    A = nb["softmax"](Z)
    np.testing.assert_allclose(A[0], nn_utils.sigmoid(Z[0] - Z[1]), rtol=1e-12)
    binary = nn_utils.compute_cost(A[1:], y)  # the probability of class 1, labels 0/1
    assert nb["cross_entropy"](A, nb["one_hot"](y, 2)) == pytest.approx(binary, rel=1e-12)


@given(seed=st.integers(0, 2**31 - 1), C=st.integers(2, 6), m=st.integers(1, 7))
def test_the_backward_step_is_the_numerical_gradient_of_the_cost(seed, C, m):
    rng = np.random.RandomState(seed)
    Z, Y = rng.randn(C, m) * 2, nb["one_hot"](rng.randint(0, C, (1, m)), C)

    numerical = numerical_gradient(lambda: nb["cross_entropy"](nb["softmax"](Z), Y), Z)
    analytic = nb["softmax_backward"](nb["softmax"](Z), Y)
    difference = np.linalg.norm(numerical - analytic)
    assert difference / (np.linalg.norm(numerical) + np.linalg.norm(analytic)) < 1e-7


def test_the_spiral_network_fits_its_arms_and_holds_on_the_dev_set():
    _, costs, (train, dev) = cited("spiral")
    assert train == 1.0 and dev >= 0.95, (train, dev)
    assert costs[-1] < 0.05


def test_the_digits_network_fits_every_training_image_and_keeps_almost_all_of_it():
    _, costs, (train, dev, test), confusion = cited("digits")
    assert train == 1.0 and dev >= 0.97 and test >= 0.97, (train, dev, test)
    assert confusion.sum() == 217 and np.trace(confusion) / confusion.sum() == test


def test_the_digits_0_to_5_are_1083_images_of_64_pixels_split_649_217_217():
    digits = sklearn.datasets.load_digits(n_class=6)
    assert digits.data.shape == (1083, 64) and set(digits.target) == set(range(6))
    assert [len(s) for s in np.split(np.arange(1083), [649, 866])] == [649, 217, 217]
    assert [int(0.6 * 1083), int(0.8 * 1083)] == [649, 866]


def test_the_conclusions_name_the_most_frequent_confusion():
    confusion = cited("digits")[3]
    off = confusion - np.diag(np.diag(confusion))
    assert off.max() >= 1 and np.unravel_index(np.argmax(off), off.shape) == (2, 1)


def test_every_cited_run_ends_the_same_on_another_cpu(elsewhere):
    assert_same_on_another_cpu({name: cited(name) for name in CITED_RUNS}, elsewhere)
