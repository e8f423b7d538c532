"""Every result the TensorFlow Introduction notebook states, recomputed."""

import functools

import numpy as np
import tensorflow as tf

import nn_utils
from tests.helpers import NOTEBOOKS, digits_0_to_5, notebook_definitions
from tests.reference.softmax import OUTPUT_LAYER

nb = notebook_definitions(NOTEBOOKS["tensorflow"])
tf.keras.utils.set_random_seed(0)
tf.config.experimental.enable_op_determinism()


@functools.cache
def digits():
    """The notebook's training and test sets: images (m, 64) in [0, 1] and labels."""
    images, labels, sets = digits_0_to_5()
    return [(images[:, sets[name]].T, labels[sets[name]]) for name in ("train", "test")]


def datasets():
    """x_train, y_train, x_test, y_test as the notebook makes them."""
    out = []
    for images, labels in digits():
        out.append(tf.data.Dataset.from_tensor_slices(images.astype(np.float32)))
        out.append(tf.data.Dataset.from_tensor_slices(labels).map(nb["one_hot_matrix"]))
    return out


@functools.cache
def trained():
    """The notebook's model run: (costs, train accuracies, test accuracies)."""
    _, costs, train_acc, test_acc = nb["model"](*datasets(), print_cost=False)
    return costs, train_acc, test_acc


def test_the_training_and_test_sets_are_649_and_217_images_of_64_pixels():
    (train_images, _), (test_images, test_labels) = digits()
    assert train_images.shape == (649, 64) and test_images.shape == (217, 64)
    assert set(test_labels) == set(range(6))


def test_the_tape_gives_the_sigmoids_derivative():
    z = tf.Variable(0.5)
    with tf.GradientTape() as tape:
        a = nb["sigmoid"](z)
    assert np.isclose(tape.gradient(a, z).numpy(), (a * (1 - a)).numpy(), rtol=1e-6)


def test_the_bridge_tensorflow_computes_our_cost_and_our_gradients():
    (images, labels), _ = digits()
    X, Y = images.T, np.eye(6)[:, labels]
    tf_parameters = nb["initialize_parameters"]()
    np_parameters = {key: value.numpy().astype(np.float64) for key, value in tf_parameters.items()}
    AL, caches = nn_utils.forward_propagation(X, np_parameters, output=OUTPUT_LAYER)
    np_cost = nn_utils.compute_cost(AL, Y, OUTPUT_LAYER)
    np_grads = nn_utils.backward_propagation(AL, Y, caches, np_parameters, output=OUTPUT_LAYER)
    with tf.GradientTape() as tape:
        logits = nb["forward_propagation"](tf.constant(X, tf.float32), tf_parameters)
        tf_cost = nb["compute_total_loss"](logits, tf.constant(Y, tf.float32)) / 649
    tf_grads = tape.gradient(tf_cost, tf_parameters)
    assert abs(np_cost - float(tf_cost)) < 1e-6 * np_cost
    for key in tf_parameters:
        ours, theirs = np_grads["d" + key], tf_grads[key].numpy()
        assert np.max(np.abs(ours - theirs)) < 1e-5 * np.max(np.abs(ours)), key
        assert np.max(np.abs(ours - theirs)) > 0  # float32 against float64: not the same numbers


def test_twenty_epochs_fit_the_training_set_and_keep_97_percent_on_the_test_set():
    costs, train_acc, test_acc = trained()
    assert len(costs) == 20 and all(b < a for a, b in zip(costs, costs[1:]))
    assert costs[0] > 1.5 and costs[-1] < 0.1
    assert train_acc[-1] > 0.98 and test_acc[-1] > 0.96


def test_eager_and_tf_function_steps_give_the_same_costs():
    parameters = {"eager": nb["initialize_parameters"](), "graph": nb["initialize_parameters"]()}
    x, y = next(iter(tf.data.Dataset.zip(tuple(datasets()[:2])).batch(32)))
    losses = {}
    for name, wrap in (("eager", lambda f: f), ("graph", tf.function)):
        variables = list(parameters[name].values())
        optimizer = tf.keras.optimizers.Adam(0.001)

        def step(parameters=parameters[name], variables=variables, optimizer=optimizer):
            with tf.GradientTape() as tape:
                logits = nb["forward_propagation"](tf.transpose(x), parameters)
                loss = nb["compute_total_loss"](logits, tf.transpose(y))
            optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
            return loss

        step = wrap(step)
        losses[name] = [float(step()) for _ in range(5)]
    np.testing.assert_allclose(losses["eager"], losses["graph"], rtol=1e-5)
    assert losses["eager"][-1] < losses["eager"][0]
