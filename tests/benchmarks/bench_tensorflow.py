"""Eager against tf.function: one epoch of the TensorFlow Introduction notebook's training step.

    python -m tests.benchmarks.bench_tensorflow

The same step (the forward pass, the total loss under a GradientTape, Adam's update) on the
notebook's 649 training images in mini-batches of 32, run eagerly and as a traced graph; the
graph's first epoch, which traces it, is reported apart. A benchmark, not a test: nothing here
asserts.
"""

import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from tests.helpers import NOTEBOOKS, digits_0_to_5, notebook_definitions  # noqa: E402


def main(epochs=3):
    nb = notebook_definitions(NOTEBOOKS["tensorflow"])
    images, labels, sets = digits_0_to_5()
    images = images[:, sets["train"]].T.astype(np.float32)
    labels = np.eye(6, dtype=np.float32)[labels[sets["train"]]]
    batches = tf.data.Dataset.from_tensor_slices((images, labels)).batch(32)
    for name, wrap in (("eager", lambda f: f), ("tf.function", tf.function)):
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
        seconds = []
        for _ in range(epochs + 1):
            start = time.perf_counter()
            for x, y in batches:
                step(x, y)
            seconds.append(time.perf_counter() - start)
        print(
            f"{name:<12} first epoch {seconds[0]:.2f} s, then {min(seconds[1:]):.2f} s per epoch"
        )


if __name__ == "__main__":
    main()
