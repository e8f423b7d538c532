"""Time one training iteration with the utils modules against a plain NumPy loop of the same math.

    python tests/benchmarks/bench_iteration.py

One iteration is what the notebooks' ``model`` does each time round its loop: forward pass, cost,
backward pass, update. The plain loop does the same NumPy operations inline, with no function
calls, caches, gradient dicts or input checks, so the ratio is what the modules' structure and
checks cost (the target is at most 1.10). A benchmark, not a test: timings depend on the machine,
so nothing here asserts. (opt_utils runs the same forward and backward code as these two, which
the contract test keeps identical; its notebook writes its own update rules.)
"""

import sys
import timeit
from pathlib import Path

import numpy as np
from scipy.special import expit

ROOT = Path(__file__).resolve().parents[2]
for folder in ("part_1_initialisation", "part_2_regularization"):
    sys.path.insert(0, str(ROOT / folder))

import init_utils  # noqa: E402
import reg_utils  # noqa: E402


def plain_iteration(X, Y, p, learning_rate=0.01):
    """Forward, cost, backward and update of the three-layer network, inline and unchecked."""
    m = X.shape[1]
    Z1 = p["W1"] @ X + p["b1"]
    A1 = np.maximum(Z1, 0)
    Z2 = p["W2"] @ A1 + p["b2"]
    A2 = np.maximum(Z2, 0)
    Z3 = p["W3"] @ A2 + p["b3"]
    A3 = expit(Z3)
    a3 = np.clip(A3, 2.0**-53, 1 - 2.0**-53)
    cost = -float(np.where(Y == 1, np.log(a3), np.log1p(-a3)).sum()) / m
    dZ3 = (A3 - Y) / m
    dW3, db3 = dZ3 @ A2.T, np.sum(dZ3, axis=1, keepdims=True)
    dZ2 = (p["W3"].T @ dZ3) * (Z2 > 0)
    dW2, db2 = dZ2 @ A1.T, np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = (p["W2"].T @ dZ2) * (Z1 > 0)
    dW1, db1 = dZ1 @ X.T, np.sum(dZ1, axis=1, keepdims=True)
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


def measure(name, X, Y, dims, utils, cost, number=2000, repeat=15):
    """Time both loops interleaved, so that the machine's load affects them alike."""
    p = he_parameters(dims)
    plain, ours = [], []
    for _ in range(repeat):
        plain.append(timeit.timeit(lambda: plain_iteration(X, Y, p), number=number))
        ours.append(timeit.timeit(lambda: utils_iteration(utils, cost, X, Y, p), number=number))
    per_plain, per_ours = min(plain) / number * 1e6, min(ours) / number * 1e6
    print(
        f"{name:<10} {str(dims):<14} plain {per_plain:6.1f} us   utils {per_ours:6.1f} us   "
        f"ratio {per_ours / per_plain:.2f}"
    )


def main():
    runs = {
        "init_utils": (
            init_utils,
            init_utils.compute_loss,
            init_utils.load_dataset,
            [2, 10, 5, 1],
        ),
        "reg_utils": (reg_utils, reg_utils.compute_cost, reg_utils.load_2D_dataset, [2, 20, 3, 1]),
    }
    for name, (utils, cost, loader, dims) in runs.items():
        X, Y = loader()[:2]
        measure(name, X, Y, dims, utils, cost)


if __name__ == "__main__":
    main()
