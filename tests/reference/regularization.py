"""The reference answers of the Regularization assignment (``part_2_regularization``).

``answer(name, case)`` rebuilds a check's inputs from ``case`` with the input builders of the
part's ``testCases.py`` (they draw the inputs and compute nothing the exercises ask for) and
returns the expected values of entry ``name``, with the results of the typical wrong versions
that the check names:

- ``compute_cost_with_regularization`` on ``(seed, layer sizes, m, lambd)``: the cost, and the
  cost with twice the L2 term, the L2 term alone, the cross-entropy alone, the L2 term of W1 to
  W3 only and the L2 term that includes the biases;
- ``backward_propagation_with_regularization`` on ``(seed, layer sizes, m, lambd)``: the
  gradients, and those without the L2 term, with lambd W, with 2 lambd / m W and (the biases)
  with lambd / m b;
- ``forward_propagation_with_dropout`` on ``(seed, layer sizes, m, keep_prob)``: ``Z1``, the
  masks ``D1`` and ``D2`` drawn from ``RandomState(seed)``, and the output ``A3`` (the check
  examines the layers between against the learner's own masks);
- ``backward_propagation_with_dropout`` on ``(seed, layer sizes, m, keep_prob)``: the cache of
  that forward pass (the check's input), the gradients through it, and the gradients with the
  masks but without dividing by keep_prob.
"""

import importlib.util

import numpy as np

from reg_utils import DropoutCache, backward_propagation, compute_cost, relu, sigmoid
from tests.grading.assignments import ASSIGNMENTS

_FOLDER = ASSIGNMENTS["regularization"].path.parent


def _load_checks():
    # Under a name of its own: every part folder has a module called testCases.
    spec = importlib.util.spec_from_file_location(
        "_reference_regularization_testCases", _FOLDER / "testCases.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_checks = _load_checks()

WEIGHTS = ("dW1", "dW2", "dW3")
BIASES = ("db1", "db2", "db3")


def _l2_penalty(parameters, lambd, m, keys):
    """lambd / (2m) times the sum of squares of the arrays named by ``keys``."""
    return lambd / (2 * m) * sum(np.sum(parameters[key] ** 2) for key in keys)


def _l2_cost(case):
    A3, Y, parameters = _checks._l2_cost_inputs(case)
    _, dims, m, lambd = case
    weights = [key for key in parameters if key.startswith("W")]
    cross_entropy = compute_cost(A3, Y)
    return {
        name: float(value)
        for name, value in {
            "cost": cross_entropy + _l2_penalty(parameters, lambd, m, weights),
            "twice_the_l2_term": cross_entropy + 2 * _l2_penalty(parameters, lambd, m, weights),
            "l2_term_alone": _l2_penalty(parameters, lambd, m, weights),
            "cross_entropy_alone": cross_entropy,
            "W1_to_W3_only": cross_entropy
            + _l2_penalty(parameters, lambd, m, ["W1", "W2", "W3"][: len(dims) - 1]),
            "with_biases": cross_entropy + _l2_penalty(parameters, lambd, m, list(parameters)),
        }.items()
    }


def _l2_backward(case):
    X, Y, cache = _checks._l2_backward_inputs(case)
    lambd, m = case[3], case[2]
    plain = backward_propagation(X, Y, cache)
    W = {"dW1": cache.W1, "dW2": cache.W2, "dW3": cache.W3}
    b = {"db1": cache.b1, "db2": cache.b2, "db3": cache.b3}
    return {
        "gradients": {
            **{key: plain[key] + lambd / m * W[key] for key in WEIGHTS},
            **{key: plain[key] for key in BIASES},
        },
        "without_l2": {key: plain[key] for key in WEIGHTS},
        "lambd_W": {key: plain[key] + lambd * W[key] for key in WEIGHTS},
        "two_lambd_over_m_W": {key: plain[key] + 2 * lambd / m * W[key] for key in WEIGHTS},
        "b_penalized": {key: plain[key] + lambd / m * b[key] for key in BIASES},
    }


def _dropout_forward(case):
    """Inverted dropout on the two hidden layers; the masks come from ``RandomState(seed)``."""
    X, _, parameters = _checks._dropout_inputs(case)
    seed, _, _, keep_prob = case
    rng = np.random.RandomState(seed)
    W1, b1, W2, b2, W3, b3 = (parameters[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
    Z1 = W1 @ X + b1
    D1 = rng.random_sample(Z1.shape) < keep_prob
    A1 = relu(Z1) * D1 / keep_prob
    Z2 = W2 @ A1 + b2
    D2 = rng.random_sample(Z2.shape) < keep_prob
    A2 = relu(Z2) * D2 / keep_prob
    Z3 = W3 @ A2 + b3
    A3 = sigmoid(Z3)
    return DropoutCache(Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3)


def _dropout_gradients(X, Y, cache, keep_prob):
    """The gradients through the masks of ``cache``, each dA[l] masked and divided like A[l]."""
    (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3) = cache
    m = X.shape[1]
    dZ3 = (A3 - Y) / m
    dA2 = (W3.T @ dZ3) * D2 / keep_prob
    dZ2 = dA2 * (Z2 > 0)
    dA1 = (W2.T @ dZ2) * D1 / keep_prob
    dZ1 = dA1 * (Z1 > 0)
    return {
        "dW3": dZ3 @ A2.T, "db3": dZ3.sum(axis=1, keepdims=True), "dA2": dA2,
        "dW2": dZ2 @ A1.T, "db2": dZ2.sum(axis=1, keepdims=True), "dA1": dA1,
        "dW1": dZ1 @ X.T, "db1": dZ1.sum(axis=1, keepdims=True),
    }  # fmt: skip


def _dropout_backward(case):
    X, Y, _ = _checks._dropout_inputs(case)
    cache = _dropout_forward(case)
    return {
        "cache": cache,
        "gradients": _dropout_gradients(X, Y, cache, case[3]),
        "unscaled": _dropout_gradients(X, Y, cache, 1.0),  # the masks, 1 / keep_prob forgotten
    }


def _dropout_forward_values(case):
    cache = _dropout_forward(case)
    return {key: getattr(cache, key) for key in ("Z1", "D1", "D2", "A3")}


ENTRIES = {
    "compute_cost_with_regularization": _l2_cost,
    "backward_propagation_with_regularization": _l2_backward,
    "forward_propagation_with_dropout": _dropout_forward_values,
    "backward_propagation_with_dropout": _dropout_backward,
}


def answer(name, case):
    """The expected values of entry ``name`` on ``case`` (see the module's docstring)."""
    try:
        entry = ENTRIES[name]
    except KeyError:
        raise LookupError(f"the Regularization reference has no entry {name!r}") from None
    return entry(tuple(case))
