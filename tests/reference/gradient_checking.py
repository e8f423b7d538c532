"""The reference answers of the Gradient Checking assignment (``part_3_gradient_checking``).

The 1-D exercises' cases are ``(x, theta)``; the gradient check of Exercise 3 runs with the
checks' own J (3 theta x, then x theta^3), named in the case where it matters. The N-D cases are
``(seed, layer sizes, m)``, extended with the planted change of the gradients and epsilon. The
inputs (the networks, the stand-in functions, the planted gradients) are built by the part's
``testCases.py``, as the check builds them; the answers are computed here: the differences a
gradient check returns, and what each classic mistake returns instead.
"""

import importlib.util

import numpy as np

from tests.grading.assignments import ASSIGNMENTS
from tests.reference import _beside

FOLDER = ASSIGNMENTS["gradient_checking"].path.parent
with _beside(FOLDER):
    from gc_utils import dictionary_to_vector, gradients_to_vector, relu, vector_to_dictionary

_spec = importlib.util.spec_from_file_location(
    "_reference_gradient_checking_cases", FOLDER / "testCases.py"
)
cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cases)

CUBIC_BACKWARD = {"right": cases._cubic_backward, "sign-flipped": cases._flipped_backward}


def answer(name, case):
    """The expected values of entry ``name`` on ``case`` (see the module's docstring)."""
    if name == "forward_propagation":
        x, theta = case
        return {"J": theta * x}
    if name == "backward_propagation":
        x, theta = case
        return {"dtheta": x}
    if name == "gradient_check/planted":
        x, theta = case
        return _gradient_check(cases._tripled_forward, cases._wrong_backward, x, theta, 1e-7)
    if name == "gradient_check/cubic":
        x, theta, what = case
        return _gradient_check(cases._cubic_forward, CUBIC_BACKWARD[what], x, theta, 1e-3)
    if name == "gradient_check_n/gradients":
        return _correct_gradients(*cases._case(*case))
    if name == "gradient_check_n":
        seed, dims, m, planted, epsilon = case
        return _gradient_check_n(seed, dims, m, planted, epsilon)
    raise KeyError(f"the gradient checking reference has no entry {name!r}")


def _gradient_check(forward, backward, x, theta, epsilon):
    """The 1-D gradient check's difference, and what a wrong formula gives instead."""
    x, theta = np.float64(x), np.float64(theta)
    grad = backward(x, theta)
    two_sided = (forward(x, theta + epsilon) - forward(x, theta - epsilon)) / (2 * epsilon)
    one_sided = (forward(x, theta + epsilon) - forward(x, theta)) / epsilon
    with np.errstate(divide="ignore", invalid="ignore"):
        error = abs(grad - two_sided)
        mistakes = {
            "one-sided": abs(grad - one_sided) / (abs(grad) + abs(one_sided)),
            "|grad| alone": error / abs(grad),
            "no denominator": error,
        }
        if np.sign(grad) != np.sign(two_sided):  # else |g + a| = |g| + |a|, the right one
            mistakes["|grad + gradapprox|"] = error / abs(grad + two_sided)
        difference = error / (abs(grad) + abs(two_sided))
    return {"difference": float(difference), "mistakes": _floats(mistakes)}


def _correct_gradients(X, Y, parameters):
    """Gradients of the cross-entropy cost of the three-layer network, without the bugs."""
    W1, b1, W2, b2, W3, b3 = (parameters[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
    m = X.shape[1]
    Z1 = W1 @ X + b1
    A1 = relu(Z1)
    Z2 = W2 @ A1 + b2
    A2 = relu(Z2)
    A3 = 1 / (1 + np.exp(-(W3 @ A2 + b3)))
    dZ3 = (A3 - Y) / m
    dZ2 = (W3.T @ dZ3) * (Z2 > 0)
    dZ1 = (W2.T @ dZ2) * (Z1 > 0)
    return {
        "dW3": dZ3 @ A2.T, "db3": dZ3.sum(axis=1, keepdims=True),
        "dW2": dZ2 @ A1.T, "db2": dZ2.sum(axis=1, keepdims=True),
        "dW1": dZ1 @ X.T, "db1": dZ1.sum(axis=1, keepdims=True),
    }  # fmt: skip


def _numerical_gradient(cost, parameters, epsilon, copies="each"):
    """Two-sided differences of ``cost`` for every entry of theta, as a column.

    ``copies="once"`` reproduces a classic mistake: theta copied once before the loop, so that
    the perturbations of earlier entries stay in theta_plus and theta_minus.
    """
    theta, _ = dictionary_to_vector(parameters)
    shapes = {key: value.shape for key, value in parameters.items()}
    approx = np.zeros_like(theta)
    plus_all, minus_all = theta.copy(), theta.copy()
    for i in range(theta.shape[0]):
        plus, minus = (plus_all, minus_all) if copies == "once" else (theta.copy(), theta.copy())
        plus[i] += epsilon
        minus[i] -= epsilon
        approx[i] = (
            cost(vector_to_dictionary(plus, shapes)) - cost(vector_to_dictionary(minus, shapes))
        ) / (2 * epsilon)
    return approx


def _relative(grad, approx):
    return np.linalg.norm(grad - approx) / (np.linalg.norm(grad) + np.linalg.norm(approx))


def _gradient_check_n(seed, dims, m, planted, epsilon):
    """The N-D gradient check's difference for the case's network and planted gradients, and
    what each classic mistake (the names of ``MISTAKES_N`` in testCases.py) gives instead."""
    X, Y, parameters = cases._case(seed, dims, m)
    grad = gradients_to_vector(cases._planted(_correct_gradients(X, Y, parameters), planted))

    def cost(p):
        return cases._forward_propagation_n(X, Y, p)[0]

    approx = _numerical_gradient(cost, parameters, epsilon)
    mistakes = {
        "half": _relative(grad, approx / 2),
        "twice": _relative(grad, 2 * approx),
        "times epsilon squared": _relative(grad, approx * epsilon**2),
        "copied once": _relative(grad, _numerical_gradient(cost, parameters, epsilon, "once")),
        "flat": _relative(grad, approx.ravel()),
        "no denominator": np.linalg.norm(grad - approx),
    }
    return {"difference": float(_relative(grad, approx)), "mistakes": _floats(mistakes)}


def _floats(values):
    return {name: float(value) for name, value in values.items()}
