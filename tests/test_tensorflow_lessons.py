"""Every result the TensorFlow Introduction notebook states, recomputed."""

import functools
import textwrap
import time

import nbformat
import numpy as np
import pytest
import tensorflow as tf

import nn_utils
from tests.helpers import (
    NOTEBOOKS,
    PART_DIRS,
    digits_0_to_5,
    load_module,
    named,
    notebook_definitions,
)
from tests.reference.softmax import OUTPUT_LAYER

nb = notebook_definitions(NOTEBOOKS["tensorflow"])
checks = load_module(PART_DIRS["nn_utils"] / "testCases.py", "tensorflow_lessons_testCases")
tf.keras.utils.set_random_seed(0)
tf.config.experimental.enable_op_determinism()


def markdown():
    cells = nbformat.read(NOTEBOOKS["tensorflow"], as_version=4).cells
    return "\n".join(c.source for c in cells if c.cell_type == "markdown")


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
    """The notebook's model run: (parameters, costs, train accuracies, test accuracies)."""
    return nb["model"](*datasets(), print_cost=False)


@functools.cache
def accuracies():
    """The notebook's second run: the accuracies counted during and after each epoch."""
    return nb["accuracies_per_epoch"](*datasets(), num_epochs=12)


def test_the_training_and_test_sets_are_649_and_217_images_of_64_pixels():
    (train_images, _), (test_images, test_labels) = digits()
    assert train_images.shape == (649, 64) and test_images.shape == (217, 64)
    assert set(test_labels) == set(range(6))


def test_the_tape_gives_the_sigmoids_derivative():
    z = tf.Variable(0.5)
    with tf.GradientTape() as tape:
        a = nb["sigmoid"](z)
    assert np.isclose(tape.gradient(a, z).numpy(), (a * (1 - a)).numpy(), rtol=1e-6)


def test_adam_takes_the_lectures_quadratic_to_its_minimum_at_5():
    path = nb["minimize"](lambda w: w**2 - 10 * w + 25, steps=300)
    assert path[0] == pytest.approx(0.1, abs=1e-5)  # the first step: about the learning rate
    assert f"{path[1]:.4f} {path[9]:.4f} {path[99]:.4f}" == "0.1999 0.9924 5.0390"
    assert max(path) > 5.03 and f"{path[99]:.2f}" == "5.04"  # it overshoots, then settles
    assert abs(path[-1] - 5) < 5e-5 and f"{path[-1]:.4f}" == "5.0000"


def test_glorot_is_the_harmonic_mean_of_the_forward_and_backward_variances():
    """Glorot's 2 / (n[l-1] + n[l]) against the course's Xavier, 1 / n[l-1]: the numbers of the
    exercise's text, and what the initializers draw."""
    n_prev, n = 64, 25
    glorot = 2 / (n_prev + n)
    assert glorot == pytest.approx(2 / (1 / (1 / n_prev) + 1 / (1 / n)))
    assert f"{np.sqrt(glorot):.3f} {np.sqrt(1 / n_prev):.3f}" == "0.150 0.125"
    assert "$\\sqrt{2/89} = 0.150$" in markdown() and "$\\sqrt{1/64} = 0.125$" in markdown()
    drawn = nb["initialize_parameters"]()["W1"].numpy()
    assert drawn.std() == pytest.approx(np.sqrt(glorot), rel=0.03)  # 1600 draws
    xavier = nn_utils.initialize_parameters_deep([n_prev, n], "xavier", seed=0)["W1"]
    assert xavier.std() == pytest.approx(np.sqrt(1 / n_prev), rel=0.03)
    assert abs(drawn.std() - xavier.std()) > 0.015
    for width in (8, 100):  # as many units as inputs: the two are the same
        assert 2 / (width + width) == 1 / width


def test_the_bridge_tensorflow_computes_our_cost_and_our_gradients_to_below_1e_6():
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
    assert "below $10^{-6}$ of the numbers' size" in markdown()
    for key in tf_parameters:
        ours, theirs = np_grads["d" + key], tf_grads[key].numpy()
        assert np.max(np.abs(ours - theirs)) < 1e-6 * np.max(np.abs(ours)), key
        assert np.max(np.abs(ours - theirs)) > 0  # float32 against float64: not the same numbers


def test_twenty_epochs_fit_the_training_set_and_keep_97_percent_on_the_test_set():
    _, costs, train_acc, test_acc = trained()
    assert len(costs) == 20 and all(b < a for a, b in zip(costs, costs[1:]))
    assert costs[0] > 1.5 and costs[-1] < 0.1
    assert train_acc[-1] > 0.98 and test_acc[-1] > 0.96


def test_model_returns_the_weights_of_its_last_epoch_not_the_best_ones():
    parameters, _, _, test_acc = trained()
    (images, labels) = digits()[1]
    logits = nb["forward_propagation"](tf.constant(images.T, tf.float32), parameters)
    right = int(np.sum(np.argmax(logits, axis=0) == labels))
    assert right == round(test_acc[-1] * 217)  # the metric counts in float32


def test_the_second_run_is_models_run_to_the_last_bit():
    _, _, train_acc, test_acc = trained()
    np.testing.assert_array_equal(accuracies()["running"], train_acc[:12])
    np.testing.assert_array_equal(accuracies()["test"], test_acc[:12])


def test_the_running_training_accuracy_trails_and_explains_the_test_accuracys_lead():
    """The first ten epochs: the test accuracy is as high as the running training accuracy or
    higher (by 14.5 points in epoch 4); the running count trails the accuracy after the epoch by
    0.5 to 12.2 points (12.2 of the 14.5 in epoch 4); the rest, at most 2.4 points (about 5 test
    images), is less than one standard error. In epochs 10 and 11 the training accuracy after the
    epoch leads."""
    running, after, test = (accuracies()[k] for k in ("running", "after the epoch", "test"))
    first_ten = slice(0, 10)
    gap = (test - running)[first_ten]
    assert np.all(gap > -0.001) and np.argmax(gap) == 4 and round(100 * gap.max(), 1) == 14.5
    lag = (after - running)[first_ten]
    assert np.all(lag > 0) and f"{lag.min():.1%} {lag.max():.1%}" == "0.5% 12.2%"
    assert np.argmax(lag) == 4 and lag[4] > 0.8 * gap[4]  # 12.2 of the 14.5 points
    lead = (test - after)[first_ten]
    assert np.argmax(lead) == 4 and f"{lead.max():.1%}" == "2.4%" and 4.5 < lead.max() * 217 < 5.5
    p = (after[4] + test[4]) / 2
    standard_error = np.sqrt(p * (1 - p) * (1 / 649 + 1 / 217))
    assert round(p, 2) == 0.78
    assert f"{np.sqrt(0.78 * 0.22 * (1 / 649 + 1 / 217)):.1%}" == "3.2%"
    assert lead.max() < standard_error
    assert len(after) == 12 and np.all(after[10:] > test[10:])
    text = markdown()
    assert "by 0.5 to 12.2 points: in epoch 4, 12.2 of the gap's 14.5 points" in text
    assert "up to 2.4 points" in text and "by 14.5 points in epoch 4" in text
    assert "In epochs 10 and 11 the training accuracy after the epoch is ahead" in text


def test_eager_and_tf_function_give_the_same_losses_and_the_graph_runs_faster():
    """One epoch both ways from the same weights: the same 21 losses to the last bit (the
    notebook), and the graph's epochs, once traced, take a fraction of the eager one's time
    (a measured speed is stated in the text, not printed)."""
    x_train, y_train = datasets()[:2]
    batches = list(tf.data.Dataset.zip((x_train, y_train)).batch(32))
    losses, seconds = {}, {}
    for name, wrap in (("eager", lambda f: f), ("graph", tf.function)):
        parameters = nb["initialize_parameters"]()
        variables = list(parameters.values())
        optimizer = tf.keras.optimizers.Adam(0.001)

        def step(x, y, parameters=parameters, variables=variables, optimizer=optimizer):
            with tf.GradientTape() as tape:
                logits = nb["forward_propagation"](tf.transpose(x), parameters)
                loss = nb["compute_total_loss"](logits, tf.transpose(y))
            optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
            return loss

        step = wrap(step)
        epochs = []
        for _ in range(1 if name == "eager" else 4):  # the graph's first epoch traces it
            start = time.perf_counter()
            epochs.append([float(step(x, y)) for x, y in batches])
            seconds.setdefault(name, []).append(time.perf_counter() - start)
        losses[name] = epochs[0]
        seconds[name] = min(seconds[name][1:] if name == "graph" else seconds[name])
    assert len(losses["eager"]) == 21 and losses["eager"] == losses["graph"]
    assert seconds["graph"] < seconds["eager"] / 3, seconds


COURSE_LOOP_BODY = """
with tf.GradientTape() as tape:
    Z3 = forward_propagation(tf.transpose(minibatch_X), parameters)
    minibatch_total_loss = compute_total_loss(Z3, tf.transpose(minibatch_Y))
train_accuracy.update_state(minibatch_Y, tf.transpose(Z3))
trainable_variables = [W1, b1, W2, b2, W3, b3]
grads = tape.gradient(minibatch_total_loss, trainable_variables)
optimizer.apply_gradients(zip(grads, trainable_variables))
epoch_total_loss += minibatch_total_loss
"""


def model_with_body(body):
    """The notebook's model with ``body`` as train_step's solution (the course's loop body, in
    its names, is what a learner pastes)."""
    cells = nbformat.read(NOTEBOOKS["tensorflow"], as_version=4).cells
    source = next(c.source for c in cells if "def model(" in c.source)
    start = source.index("### BEGIN SOLUTION")
    end = source.index("### END SOLUTION") + len("### END SOLUTION")
    pasted = textwrap.indent(body.strip(), " " * 8).lstrip()
    namespace = dict(nb)
    exec(source[:start] + pasted + source[end:], namespace)
    return named(namespace["model"], "model")


def test_the_course_loop_body_fails_in_train_step_on_its_last_line_only():
    data = checks._separable_data(5, 32, 16)
    with pytest.raises(UnboundLocalError, match="epoch_total_loss"):
        model_with_body(COURSE_LOOP_BODY)(*data, num_epochs=1, print_cost=False)
    assert "Delete its last line, `epoch_total_loss += minibatch_total_loss`" in markdown()


def test_the_course_loop_body_without_its_last_line_passes_and_counts_the_same_accuracy():
    """Its accuracy update counts each mini-batch a second time: the same accuracies as the
    reference run's, which are those of the notebook's model."""
    body = COURSE_LOOP_BODY.replace("epoch_total_loss += minibatch_total_loss", "")
    runs = []

    def model(*args, **kwargs):
        runs.append(model_with_body(body)(*args, **kwargs))
        return runs[-1]

    checks.verify_model(named(model, "model"))
    reference = checks.stored_answers("model", (5, 96, 48))
    np.testing.assert_allclose(runs[0][2], reference["train_acc"], atol=1e-12)
    np.testing.assert_allclose(runs[0][1], reference["costs"], rtol=1e-4)
