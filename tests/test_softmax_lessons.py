"""Every result the Softmax Regression notebook states, recomputed."""

import functools

import nbformat
import numpy as np
import pytest
import sklearn.datasets
from hypothesis import given
from hypothesis import strategies as st

import nn_utils
from tests.cross_cpu import assert_same_on_another_cpu
from tests.helpers import (
    NOTEBOOKS,
    PART_DIRS,
    digits_0_to_5,
    load_module,
    notebook_definitions,
    numerical_gradient,
)

nb = notebook_definitions(NOTEBOOKS["softmax"])  # the graded companion that imports nn_utils
checks = load_module(PART_DIRS["nn_utils"] / "testCases.py", "softmax_lessons_testCases")
# The notebook trains its networks on its own output layer: the solution's three exercises.
OUTPUT = nn_utils.OutputLayer(nb["softmax"], nb["cross_entropy"], nb["softmax_backward"])


def spiral_run(layers=(2, 32, 3)):
    """One of the notebook's three-class runs: (parameters, costs, [train, dev accuracy])."""
    X, y = nb["spiral"](150, seed=0)
    dev_X, dev_y = nb["spiral"](100, seed=1)
    Y, dev_Y = nb["one_hot"](y, 3), nb["one_hot"](dev_y, 3)
    parameters, history = nn_utils.train(
        X, Y, list(layers), learning_rate=1.0, num_iterations=3000, seed=0, output=OUTPUT
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


CITED_RUNS = {
    "softmax regression": functools.partial(spiral_run, (2, 3)),
    "spiral": spiral_run,
    "digits": digits_run,
}


@functools.cache
def cited(name):
    return CITED_RUNS[name]()


def test_the_naive_softmax_overflows_and_the_stable_one_does_not():
    Z = np.array([[1000.0, 2.0], [999.0, 1.0], [990.0, 0.1]])
    with np.errstate(over="ignore", invalid="ignore"):
        assert np.all(np.isnan(np.exp(Z[:, :1]) / np.exp(Z[:, :1]).sum()))
    A = nb["softmax"](Z)
    assert np.all(np.isfinite(A)) and np.allclose(A.sum(axis=0), 1, rtol=1e-15)


def markdown():
    cells = nbformat.read(NOTEBOOKS["softmax"], as_version=4).cells
    return "\n".join(c.source for c in cells if c.cell_type == "markdown")


def test_the_whole_arrays_maximum_turns_the_first_of_the_checks_columns_into_nan():
    apart = checks.COLUMNS_APART
    with np.errstate(under="ignore", invalid="ignore"):
        E = np.exp(apart - apart.max())
        A = E / E.sum(axis=0, keepdims=True)
    assert apart.max() == apart[:, 1].max() == 2000  # the second column's maximum
    assert np.all(E[:, 0] == 0) and np.all(np.isnan(A[:, 0])) and np.all(np.isfinite(A[:, 1]))
    assert "every entry of the first column, which becomes $0/0$" in markdown()
    np.testing.assert_allclose(nb["softmax"](apart), [[0.731059] * 2, [0.268941] * 2], atol=1e-6)


def test_the_shown_cross_entropy_is_minus_the_mean_log_of_the_true_classes():
    """The Expected output's J = -(log 0.7 + log 0.3) / 2, as the text under it says."""
    J = nb["cross_entropy"](checks._SHOWN_A, checks._SHOWN_Y)
    assert J == pytest.approx(-(np.log(0.7) + np.log(0.3)) / 2, rel=1e-12)
    assert f"{J:.6f}" == "0.780324"
    binary = -np.sum(
        checks._SHOWN_Y * np.log(checks._SHOWN_A)
        + (1 - checks._SHOWN_Y) * np.log(1 - checks._SHOWN_A)
    )
    assert binary / 2 > J + 0.1  # the binary formula adds a log(1 - a) per wrong class


def test_the_lectures_dz_is_the_gradient_of_each_examples_loss_and_gives_the_same_dW():
    """In these notebooks dZ = (A - Y) / m, the gradient of the cost J; the lecture's
    dz = a - y is the gradient of one example's loss, with the 1/m moved into dW."""
    rng = np.random.RandomState(3)
    C, m = 4, 6
    A_prev, W = rng.randn(5, m), rng.randn(C, 5)
    Y = nb["one_hot"](rng.randint(0, C, (1, m)), C)
    Z = W @ A_prev
    A = nb["softmax"](Z)
    for i in range(m):  # example i's loss depends on its own column only
        z = Z[:, i : i + 1].copy()
        loss = numerical_gradient(
            lambda z=z, i=i: nb["cross_entropy"](nb["softmax"](z), Y[:, [i]]), z
        )
        np.testing.assert_allclose(loss[:, 0], A[:, i] - Y[:, i], atol=1e-8)
    dW = numerical_gradient(lambda: nb["cross_entropy"](nb["softmax"](W @ A_prev), Y), W)
    ours = nb["softmax_backward"](A, Y) @ A_prev.T
    lectures = (A - Y) @ A_prev.T / m
    np.testing.assert_allclose(ours, lectures, rtol=1e-12)
    np.testing.assert_allclose(ours, dW, atol=1e-8)


def test_the_numerical_check_of_the_backward_step_reads_as_printed():
    """Round-off (~1e-9) for equation (3) and for the lecture's dz against m dJ/dZ, and 0.67
    for A - Y against dJ/dZ: (m - 1) / (m + 1) with m = 5."""
    rng = np.random.RandomState(0)
    Z, y = rng.randn(4, 5) * 2, rng.randint(0, 4, (1, 5))
    Y = nb["one_hot"](y, 4)
    numerical = numerical_gradient(lambda: nb["cross_entropy"](nb["softmax"](Z), Y), Z)
    A = nb["softmax"](Z)
    equation_3 = nb["relative_difference"](numerical, nb["softmax_backward"](A, Y))
    assert nb["magnitude"](equation_3) == "~1e-9"
    assert nb["magnitude"](nb["relative_difference"](5 * numerical, A - Y)) == "~1e-9"
    assert nb["magnitude"](nb["relative_difference"](numerical, A - Y)) == "0.67" == f"{4 / 6:.2g}"


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
    # Round-off: near a confident right answer the cost is -log(a) with a about 1, known to
    # within a few ulps of 1, so each difference quotient (step 1e-6) is off by up to a few
    # eps / 1e-6, however small the gradient (1.4e-4, off by 1.1e-10: seed 887040, C=2, m=1).
    round_off = 4 * np.finfo(np.float64).eps / 1e-6 * np.sqrt(Z.size)
    scale = np.linalg.norm(numerical) + np.linalg.norm(analytic)
    assert difference < 1e-7 * scale + round_off, (difference, scale)


def test_softmax_regression_draws_straight_borders_and_guesses_on_the_spiral():
    parameters, costs, (train, dev) = cited("softmax regression")
    assert abs(train - 1 / 3) < 0.05 and abs(dev - 1 / 3) < 0.06, (train, dev)
    assert costs[-1] > 1.0  # about log 3 = 1.10: hardly better than equal probabilities
    # Its regions are convex (bounded by straight lines): between two points of one class,
    # every point of the segment is of that class too.
    rng = np.random.RandomState(0)
    ends = rng.uniform(-1.3, 1.3, (2, 2, 4000))
    classes = [nn_utils.predict_dec(parameters, end).ravel() for end in ends]
    same = classes[0] == classes[1]
    for t in np.linspace(0, 1, 11):
        between = nn_utils.predict_dec(parameters, (1 - t) * ends[0] + t * ends[1]).ravel()
        assert np.all(between[same] == classes[0][same])
    assert len(set(classes[0])) == 3 and same.sum() > 1000
    # The hidden layer's regions are not convex: the same test fails for some segment.
    hidden = cited("spiral")[0]
    classes = [nn_utils.predict_dec(hidden, end).ravel() for end in ends]
    same = classes[0] == classes[1]
    middle = nn_utils.predict_dec(hidden, (ends[0] + ends[1]) / 2).ravel()
    assert np.any(middle[same] != classes[0][same])


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
