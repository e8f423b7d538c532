"""The TensorFlow Introduction checks catch the classic mistakes and name them."""

import numpy as np
import pytest
import tensorflow as tf

from tests.helpers import NOTEBOOKS, PART_DIRS, load_module, named, notebook_definitions

checks = load_module(PART_DIRS["nn_utils"] / "testCases.py", "tensorflow_testCases")
nb = notebook_definitions(NOTEBOOKS["tensorflow"])
_RUNS = {}


def trained_model(*args, **kwargs):
    """The notebook's model, trained once per data and options (its runs are deterministic):
    the tests below change what it returns, not how it trains."""
    key = (tuple(np.asarray(a).tobytes() for a in args), tuple(sorted(kwargs.items())))
    if key not in _RUNS:
        _RUNS[key] = nb["model"](*args, **kwargs)
    return _RUNS[key]


def linear_function_w_first():
    np.random.seed(1)
    W, X, b = np.random.randn(4, 3), np.random.randn(3, 1), np.random.randn(4, 1)
    return tf.add(tf.matmul(W, X), b)


def sigmoid_uncast(z):
    return tf.keras.activations.sigmoid(tf.constant(z, dtype=tf.float64))


def parameters_with(change):
    def initialize_parameters():
        initializer = tf.keras.initializers.GlorotNormal(seed=1)
        shapes = {"W1": (25, 64), "b1": (25, 1), "W2": (12, 25), "b2": (12, 1), "W3": (6, 12)}
        shapes["b3"] = (6, 1)
        return change(
            {key: tf.Variable(initializer(shape=shape)) for key, shape in shapes.items()}
        )

    return initialize_parameters


def transposed_w1(parameters):
    initializer = tf.keras.initializers.GlorotNormal(seed=1)
    return parameters | {"W1": tf.Variable(initializer(shape=(64, 25)))}


def uniform_w2(parameters):
    initializer = tf.keras.initializers.GlorotUniform(seed=1)
    return parameters | {"W2": tf.Variable(initializer(shape=(12, 25)))}


def constant_b3(parameters):
    return parameters | {"b3": tf.constant(parameters["b3"])}


def forward_with(last):
    def forward_propagation(X, parameters):
        A = X
        for l in (1, 2):
            A = tf.keras.activations.relu(parameters[f"W{l}"] @ A + parameters[f"b{l}"])
        return last(parameters["W3"] @ A + parameters["b3"])

    return forward_propagation


def loss_with(reduce=tf.reduce_sum, transpose=True, softmax=False, from_logits=True):
    def compute_total_loss(logits, labels):
        logits = tf.keras.activations.softmax(logits, axis=0) if softmax else logits
        if transpose:
            logits, labels = tf.transpose(logits), tf.transpose(labels)
        losses = tf.keras.losses.categorical_crossentropy(labels, logits, from_logits=from_logits)
        return reduce(losses)

    return compute_total_loss


MISTAKES = [
    ("linear_function", linear_function_w_first, "draw X, then W, then b"),
    ("sigmoid", sigmoid_uncast, r"cast z with tf.cast\(z, tf.float32\)"),
    # an attacker's: np.allclose of an empty array with anything is True
    ("sigmoid", lambda z: tf.zeros((0,), tf.float32), r"has shape \(0,\)"),
    ("sigmoid", lambda z: tf.fill([2], tf.keras.activations.sigmoid(float(z))), r"shape \(2,\)"),
    ("one_hot_matrix", lambda label, depth=6: tf.one_hot([label], depth), "reshape it to"),
    ("one_hot_matrix", lambda label, depth=6: tf.one_hot(label + 1, depth), "at index"),
    # The course's slips that passed a check of depth 6 and plain integer labels only:
    ("one_hot_matrix", lambda label, depth=6: tf.one_hot(label, 6, axis=0), "not 6"),
    (
        "one_hot_matrix",
        lambda label, depth=6: tf.one_hot(label, depth, axis=0),
        r"tf.constant\(\[2\]\), depth=4\) has shape \(4, 1\).*reshape it to \[depth\]",
    ),
    ("initialize_parameters", parameters_with(transposed_w1), r"one row per unit"),
    ("initialize_parameters", parameters_with(uniform_w2), "GlorotUniform"),
    ("initialize_parameters", parameters_with(constant_b3), "must be a tf.Variable"),
    ("forward_propagation", forward_with(tf.keras.activations.relu), "a ReLU is applied to Z3"),
    ("forward_propagation", forward_with(lambda Z: tf.nn.softmax(Z, axis=0)), "a softmax is"),
    ("compute_total_loss", loss_with(reduce=tf.reduce_mean), "reduce_mean"),
    ("compute_total_loss", loss_with(transpose=False), "not transposed"),
    ("compute_total_loss", loss_with(softmax=True), "softmax is applied before"),
    ("compute_total_loss", loss_with(from_logits=False), "set from_logits=True"),
]


@pytest.mark.parametrize("name, function, diagnosis", MISTAKES, ids=[m[2] for m in MISTAKES])
def test_a_classic_mistake_fails_with_a_diagnosis(name, function, diagnosis):
    with pytest.raises(AssertionError, match=diagnosis):
        getattr(checks, f"verify_{name}")(named(function, name))


def test_a_model_that_forgets_to_divide_by_m_is_told_so():
    def model(*args, **kwargs):
        parameters, costs, train_acc, test_acc = trained_model(*args, **kwargs)
        return parameters, [c * 96 for c in costs], train_acc, test_acc

    with pytest.raises(AssertionError, match="divide the epoch's total loss by the number"):
        checks.verify_model(named(model, "model"))


def test_a_model_that_never_applies_the_gradients_is_told_so():
    def model(X_train, Y_train, X_test, Y_test, **kwargs):
        return nb["model"](X_train, Y_train, X_test, Y_test, **kwargs | {"learning_rate": 1e-9})

    with pytest.raises(AssertionError, match="does not fall|applying the gradients"):
        checks.verify_model(named(model, "model"))


@pytest.mark.parametrize(
    "returned",
    [
        ({}, [1.0, 0.5], [0.95], [0.95]),  # made-up numbers and no network
        (None, [1.0, 0.5], [0.95], [0.95]),
    ],
    ids=["empty parameters", "no parameters"],
)
def test_a_model_that_reports_numbers_it_did_not_train_fails(returned):
    def model(*args, **kwargs):
        return returned

    with pytest.raises(AssertionError, match="trained parameters"):
        checks.verify_model(named(model, "model"))


def test_a_model_that_returns_untrained_parameters_with_its_reports_fails():
    def model(X_train, Y_train, X_test, Y_test, **kwargs):
        _, costs, train_acc, test_acc = trained_model(X_train, Y_train, X_test, Y_test, **kwargs)
        untrained = nb["model"](X_train, Y_train, X_test, Y_test, **kwargs | {"num_epochs": 0})
        return untrained[0], costs, train_acc, test_acc

    with pytest.raises(AssertionError, match="return the parameters that were trained"):
        checks.verify_model(named(model, "model"))


def centroid_model(X_train, Y_train, X_test, Y_test, num_epochs=20, **kwargs):
    """The attacker's submission 01: no training, class centroids written into the network (it
    classifies the separable data well) and costs that fall, made up."""
    X, Y = np.asarray(X_train, float).T, np.asarray(Y_train, float).T
    C = (X @ Y.T) / np.maximum(Y.sum(1), 1)
    W1, b1 = np.zeros((25, 64)), np.zeros((25, 1))
    W1[:6], b1[:6, 0] = C.T, -0.5 * (C**2).sum(0) + 100.0
    W2, W3 = np.eye(12, 25), np.eye(6, 12)
    parameters = {"W1": W1, "b1": b1, "W2": W2, "b2": np.zeros((12, 1)), "W3": W3}
    parameters["b3"] = np.zeros((6, 1))

    def accuracy(X, Y):
        A = np.maximum(W2 @ np.maximum(W1 @ np.asarray(X, float).T + b1, 0), 0)
        return float(np.mean(np.argmax(W3 @ A, 0) == np.argmax(Y, 1)))

    costs = [1.5 * 0.7**i for i in range(num_epochs)]
    return parameters, costs, [accuracy(X_train, Y_train)] * num_epochs, [1.0] * num_epochs


def with_run_of(trained, parts):
    """A model that returns ``parts`` (indices) of the notebook's trained run and the rest of the
    centroid model's."""

    def model(*args, **kwargs):
        runs = trained_model(*args, **kwargs), centroid_model(*args, **kwargs)
        return tuple(runs[0 if i in parts else 1][i] for i in range(4))

    return named(model, "model")


@pytest.mark.parametrize(
    "parts, diagnosis",
    [
        ((), "the costs per epoch are not those of training"),
        ((1,), "the trained W1 is not the reference run's"),
        ((0, 1), "train_acc is not the accuracy of each epoch"),
        ((0, 1, 2), "test_acc is not the accuracy of each epoch"),
    ],
    ids=["made-up costs", "centroid parameters", "made-up train_acc", "made-up test_acc"],
)
def test_a_model_that_did_not_train_as_the_reference_fails(parts, diagnosis):
    """Each of what model returns is compared with a reference run from the same initial
    parameters on the same mini-batches: its costs, parameters and accuracies."""
    checks.verify_model(with_run_of(trained_model, (0, 1, 2, 3)))
    with pytest.raises(AssertionError, match=diagnosis):
        checks.verify_model(with_run_of(trained_model, parts))


def test_the_one_hot_check_gives_the_label_both_ways_and_other_depths():
    calls = []

    def one_hot_matrix(label, depth=6):
        calls.append((type(label).__name__, np.shape(label), depth))
        return tf.reshape(tf.one_hot(label, depth, axis=0), shape=[depth])

    checks.verify_one_hot_matrix(one_hot_matrix)
    assert {depth for _, _, depth in calls} >= {4, 6, 10}
    assert {(kind, shape) for kind, shape, _ in calls} == {("int", ()), ("EagerTensor", (1,))}


def test_without_tensorflow_the_one_element_label_is_its_values():
    """The grader's process has no TensorFlow; its wire sends a tensor as its values anyway."""
    saved = checks.sys.modules.pop("tensorflow")
    try:
        label = checks._one_element(3)
    finally:
        checks.sys.modules["tensorflow"] = saved
    assert type(label) is np.ndarray and label.tolist() == [3]


def test_the_public_checks_print_the_learners_values_first(capsys):
    with pytest.raises(AssertionError, match="has 6 entries"):
        checks.one_hot_matrix_test(named(lambda label, depth=6: tf.one_hot(label, 6), "f"))
    assert capsys.readouterr().out == (
        "one_hot_matrix(1, depth=4) = [0. 1. 0. 0. 0. 0.]\n"
        "one_hot_matrix(tf.constant([2]), depth=5) = [[0. 0. 1. 0. 0. 0.]]\n"
    )
    checks.one_hot_matrix_test(nb["one_hot_matrix"])
    assert capsys.readouterr().out == (
        "one_hot_matrix(1, depth=4) = [0. 1. 0. 0.]\n"
        "one_hot_matrix(tf.constant([2]), depth=5) = [0. 0. 1. 0. 0.]\nAll tests passed.\n"
    )
