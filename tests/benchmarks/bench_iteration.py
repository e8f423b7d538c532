"""Time one training iteration with the utils modules against a plain NumPy loop of the same math.

    python tests/benchmarks/bench_iteration.py

The utils functions check their input on every call. This measures what the checks cost inside a
training loop: the target is at most about 1.25x the plain loop. A benchmark, not a test: timings
depend on the machine, so nothing here asserts.
"""

import sys
import timeit
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "part_1_initialisation"))
sys.path.insert(0, str(ROOT / "part_2_regularization"))

import init_utils  # noqa: E402
import reg_utils  # noqa: E402


def plain_iteration(X, Y, p, learning_rate=0.01):
    """Forward, cost, backward and update for [n_x, 10, 5, 1], with no checks at all."""
    m = X.shape[1]
    Z1 = p["W1"] @ X + p["b1"]
    A1 = np.maximum(0, Z1)
    Z2 = p["W2"] @ A1 + p["b2"]
    A2 = np.maximum(0, Z2)
    Z3 = p["W3"] @ A2 + p["b3"]
    A3 = 1 / (1 + np.exp(-Z3))
    a3 = np.clip(A3, 2.0**-53, 1 - 2.0**-53)
    cost = -np.mean(Y * np.log(a3) + (1 - Y) * np.log1p(-a3))
    dZ3 = (A3 - Y) / m
    dW3, db3 = dZ3 @ A2.T, dZ3.sum(axis=1, keepdims=True)
    dZ2 = (p["W3"].T @ dZ3) * (Z2 > 0)
    dW2, db2 = dZ2 @ A1.T, dZ2.sum(axis=1, keepdims=True)
    dZ1 = (p["W2"].T @ dZ2) * (Z1 > 0)
    dW1, db1 = dZ1 @ X.T, dZ1.sum(axis=1, keepdims=True)
    grads = {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2, "dW3": dW3, "db3": db3}
    return {k: v - learning_rate * grads["d" + k] for k, v in p.items()}, cost


def utils_iteration(utils, cost_function, X, Y, p, learning_rate=0.01):
    a3, cache = utils.forward_propagation(X, p)
    cost = cost_function(a3, Y)
    grads = utils.backward_propagation(X, Y, cache)
    return utils.update_parameters(p, grads, learning_rate), cost


def he_parameters(dims, seed=3):
    rng = np.random.RandomState(seed)
    p = {}
    for l in range(1, len(dims)):
        p[f"W{l}"] = rng.randn(dims[l], dims[l - 1]) * np.sqrt(2 / dims[l - 1])
        p[f"b{l}"] = np.zeros((dims[l], 1))
    return p


def measure(name, X, Y, dims, run_utils, number=2000, repeat=7):
    p = he_parameters(dims)
    plain = min(timeit.repeat(lambda: plain_iteration(X, Y, p), number=number, repeat=repeat))
    ours = min(timeit.repeat(lambda: run_utils(X, Y, p), number=number, repeat=repeat))
    per_plain, per_ours = plain / number * 1e6, ours / number * 1e6
    print(
        f"{name:<12} plain {per_plain:7.1f} us   utils {per_ours:7.1f} us   "
        f"ratio {per_ours / per_plain:.2f}"
    )


def main():
    loaders = {
        "init_utils": (
            init_utils,
            init_utils.compute_loss,
            init_utils.load_dataset,
            [2, 10, 5, 1],
        ),
        "reg_utils": (reg_utils, reg_utils.compute_cost, reg_utils.load_2D_dataset, [2, 20, 3, 1]),
    }
    for name, (utils, cost, loader, dims) in loaders.items():
        train_X, train_Y, _, _ = loader()
        measure(
            name,
            train_X,
            train_Y,
            dims,
            lambda X, Y, p, utils=utils, cost=cost: utils_iteration(utils, cost, X, Y, p),
        )


if __name__ == "__main__":
    main()
