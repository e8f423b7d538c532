"""Forward and backward propagation for the Optimization Methods companion notebook.

The network is the course's three-layer binary classifier

    LINEAR -> RELU -> LINEAR -> RELU -> LINEAR -> SIGMOID

with examples stored as columns: ``X`` has shape ``(n_x, m)`` and labels ``Y`` shape ``(1, m)``.
Parameters live in a dict with keys ``W1, b1, W2, b2, W3, b3`` and gradients in a dict with keys
``dW1, db1, ...``; ``d`` always means the derivative of the cost, 1/m included.

Read it in this order: the network (forward, backward, cost; the notebook writes the update rules)
first, then the data and the plots, then the input checks. Input is checked once, where a call
enters (``check_inputs`` before training, ``predict``, the loaders), not on every iteration of a
training loop.
"""

import functools
from collections.abc import Mapping
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
import sklearn.datasets
from matplotlib.patches import Patch
from scipy.special import expit

__all__ = [
    "Cache",
    "sigmoid",
    "relu",
    "forward_propagation",
    "backward_propagation",
    "compute_cost",
    "initialize_parameters",
    "predict",
    "predict_dec",
    "load_dataset",
    "plot_decision_boundary",
    "check_inputs",
    "check_parameters",
    "check_layers_dims",
    "check_beta",
    "check_positive_int",
]

PARAMETER_KEYS = ("W1", "b1", "W2", "b2", "W3", "b3")

# The most confident a float64 probability can be short of 0 or 1. Clipping A3 to this range keeps
# the cross-entropy finite (at most 53 ln 2 ~= 36.7 per example) when the sigmoid saturates.
_PROB_EPS = 2.0**-53


class Cache(NamedTuple):
    """What the forward pass keeps for the backward pass: the course's 12-tuple, read by name."""

    Z1: np.ndarray
    A1: np.ndarray
    W1: np.ndarray
    b1: np.ndarray
    Z2: np.ndarray
    A2: np.ndarray
    W2: np.ndarray
    b2: np.ndarray
    Z3: np.ndarray
    A3: np.ndarray
    W3: np.ndarray
    b3: np.ndarray


# The network -------------------------------------------------------------------------------------


def sigmoid(x):
    """Return 1 / (1 + exp(-x)) elementwise; large |x| gives exactly 0 or 1, with no warning."""
    return expit(x)


def relu(x):
    """Return max(0, x) elementwise."""
    return np.maximum(x, 0)


def forward_propagation(X, parameters):
    r"""Run the forward pass LINEAR -> RELU -> LINEAR -> RELU -> LINEAR -> SIGMOID.

    .. math:: Z^{[l]} = W^{[l]} A^{[l-1]} + b^{[l]}, \qquad A^{[l]} = g^{[l]}(Z^{[l]}),
              \qquad A^{[0]} = X

    Parameters
    ----------
    X : ndarray of shape (n_x, m)
        Input data, one example per column.
    parameters : dict
        ``W1`` (n[1], n_x), ``b1`` (n[1], 1), ``W2`` (n[2], n[1]), ``b2`` (n[2], 1),
        ``W3`` (1, n[2]), ``b3`` (1, 1).

    Returns
    -------
    A3 : ndarray of shape (1, m)
        The predicted probability that each example has label 1.
    cache : Cache
        ``(Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)``, for ``backward_propagation``.

    Raises
    ------
    KeyError, TypeError, ValueError
        Naming the argument at fault, when a parameter is missing or a shape does not fit. Values
        (NaN, inf) are not checked on every call of a training loop: ``check_inputs`` checks them
        once, before training.
    """
    W1, b1 = parameters["W1"], parameters["b1"]
    W2, b2 = parameters["W2"], parameters["b2"]
    W3, b3 = parameters["W3"], parameters["b3"]

    Z1 = W1 @ X + b1  # LINEAR -> RELU
    A1 = relu(Z1)
    Z2 = W2 @ A1 + b2  # LINEAR -> RELU
    A2 = relu(Z2)
    Z3 = W3 @ A2 + b3  # LINEAR -> SIGMOID
    A3 = sigmoid(Z3)
    return A3, Cache(Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)


def backward_propagation(X, Y, cache):
    r"""Compute the gradient of the cross-entropy cost with respect to every parameter.

    The forward pass read backwards, layer by layer:

    .. math::
        dZ^{[3]} = \tfrac{1}{m}(A^{[3]} - Y), \qquad
        dW^{[l]} = dZ^{[l]} A^{[l-1]T}, \qquad
        db^{[l]} = \textstyle\sum_i dZ^{[l](i)}, \qquad
        dZ^{[l]} = W^{[l+1]T} dZ^{[l+1]} \odot 1[Z^{[l]} > 0]

    Parameters
    ----------
    X : ndarray of shape (n_x, m)
        The input given to ``forward_propagation``.
    Y : ndarray of shape (1, m)
        True labels, 0 or 1.
    cache : Cache
        What ``forward_propagation(X, parameters)`` returned with ``A3``.

    Returns
    -------
    gradients : dict
        ``dZ3, dW3, db3, dA2, dZ2, dW2, db2, dA1, dZ1, dW1, db1``, each of the shape of the
        quantity it differentiates.
    """
    m = X.shape[1]
    Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3 = cache

    dZ3 = (A3 - Y) / m  # SIGMOID with the cross-entropy -> LINEAR
    dW3 = dZ3 @ A2.T
    db3 = np.sum(dZ3, axis=1, keepdims=True)
    dA2 = W3.T @ dZ3
    dZ2 = dA2 * (Z2 > 0)  # RELU -> LINEAR
    dW2 = dZ2 @ A1.T
    db2 = np.sum(dZ2, axis=1, keepdims=True)
    dA1 = W2.T @ dZ2
    dZ1 = dA1 * (Z1 > 0)  # RELU -> LINEAR
    dW1 = dZ1 @ X.T
    db1 = np.sum(dZ1, axis=1, keepdims=True)

    return {
        "dZ3": dZ3, "dW3": dW3, "db3": db3,
        "dA2": dA2, "dZ2": dZ2, "dW2": dW2, "db2": db2,
        "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1,
    }  # fmt: skip


def compute_cost(a3, Y):
    r"""Compute the cross-entropy cost of predictions ``a3`` against labels ``Y``.

    .. math::
        J = -\frac{1}{m} \sum_{i=1}^m
            \big(y^{(i)} \log a^{(i)} + (1 - y^{(i)}) \log(1 - a^{(i)})\big)

    Parameters
    ----------
    a3 : ndarray of shape (1, m)
        Output of ``forward_propagation``, probabilities in [0, 1].
    Y : ndarray of shape (1, m)
        True labels, 0 or 1.

    Returns
    -------
    cost : float

    Notes
    -----
    A saturated sigmoid returns exactly 0 or 1 in float64, where the log is infinite. ``a3`` is
    clipped to :math:`[2^{-53}, 1 - 2^{-53}]` first, so such an example costs
    :math:`53 \ln 2 \approx 36.7` instead of turning the cost into ``inf`` or ``nan``. Only the
    log each example needs is taken: ``log(a)`` where y = 1, ``log1p(-a)`` (exact near a = 0)
    where y = 0.
    """
    a3 = np.clip(a3, _PROB_EPS, 1.0 - _PROB_EPS)
    cost = -float(np.where(Y == 1, np.log(a3), np.log1p(-a3)).sum()) / a3.shape[1]
    if cost != cost:  # only NaN in a3 leads here
        raise ValueError("a3 contains NaN; it must hold probabilities in [0, 1]")
    return cost


def initialize_parameters(layers_dims):
    """Return He-initialized parameters: W = N(0, 1) * sqrt(2 / n[l-1]) drawn with seed 3, b = 0.

    Parameters
    ----------
    layers_dims : list of int
        ``[n_x, n[1], ..., n[L]]``.

    Returns
    -------
    parameters : dict
        ``W{l}`` of shape (n[l], n[l-1]) and ``b{l}`` of shape (n[l], 1) for l = 1 .. L.

    Notes
    -----
    The draws come from ``np.random.RandomState(3)`` in the order W1, W2, ...: the course's
    numbers, without touching NumPy's global random state.
    """
    layers_dims = check_layers_dims(layers_dims)
    rng = np.random.RandomState(3)
    parameters = {}
    for l in range(1, len(layers_dims)):
        scale = np.sqrt(2 / layers_dims[l - 1])
        parameters[f"W{l}"] = rng.randn(layers_dims[l], layers_dims[l - 1]) * scale
        parameters[f"b{l}"] = np.zeros((layers_dims[l], 1))
    return parameters


def predict(X, y, parameters):
    """Predict labels for ``X``, print the accuracy against ``y`` and return the predictions.

    Parameters
    ----------
    X : ndarray of shape (n_x, m)
    y : ndarray of shape (1, m)
        True labels, 0 or 1.
    parameters : dict
        Trained parameters ``W1, b1, W2, b2, W3, b3``.

    Returns
    -------
    p : ndarray of int of shape (1, m)
        1 where the predicted probability is above 0.5, else 0.
    """
    check_parameters(X, parameters)
    y = _check_labels("y", y, np.shape(X)[1])
    a3, _ = forward_propagation(X, parameters)
    p = (a3 > 0.5).astype(int)
    print(f"Accuracy: {np.mean(p == y):.4f}")
    return p


def predict_dec(parameters, X):
    """Return True where the predicted probability is above 0.5, shape (1, m) (for plotting)."""
    check_parameters(X, parameters)
    a3, _ = forward_propagation(X, parameters)
    return a3 > 0.5


# Data and pictures -------------------------------------------------------------------------------


def load_dataset():
    """Return the course's two-moons data: 300 points, all used for training.

    The points come from ``sklearn.datasets.make_moons`` with noise 0.2, drawn from a
    ``RandomState`` seeded 3: the same stream as the course's global seeding, so the same points,
    without touching NumPy's global random state.

    Returns
    -------
    train_X : ndarray of shape (2, 300)
    train_Y : ndarray of int of shape (1, 300)
    """
    train_X, train_Y = sklearn.datasets.make_moons(
        n_samples=300, noise=0.2, random_state=np.random.RandomState(3)
    )
    return train_X.T, train_Y.reshape(1, -1)


def plot_decision_boundary(model, X, y, ax=None):
    """Shade the regions that ``model`` assigns to each class and scatter the data on top.

    Parameters
    ----------
    model : callable
        Maps an array of shape (k, 2) of points (one per row) to k predicted labels.
    X : ndarray of shape (2, m)
    y : ndarray of shape (1, m)
    ax : matplotlib Axes, optional
        Where to draw; the current axes by default.

    Returns
    -------
    ax : matplotlib Axes
    """
    X = _as_matrix("X", X)
    if X.shape[0] != 2:
        raise ValueError(f"X must have 2 rows (two features) to be plotted, got {X.shape[0]}")
    ax = plt.gca() if ax is None else ax
    x_min, x_max = X[0].min() - 1, X[0].max() + 1
    y_min, y_max = X[1].min() - 1, X[1].max() + 1
    xx, yy = np.meshgrid(np.arange(x_min, x_max, 0.01), np.arange(y_min, y_max, 0.01))
    Z = np.asarray(model(np.c_[xx.ravel(), yy.ravel()]), dtype=float).reshape(xx.shape)
    ax.contourf(xx, yy, Z, cmap=plt.cm.Spectral)
    ax.scatter(X[0], X[1], c=np.ravel(y), cmap=plt.cm.Spectral, edgecolors="k", linewidths=0.3)
    ax.set_aspect("equal")  # a circle in the data stays a circle in the picture
    key = [Patch(color=plt.cm.Spectral(float(c)), label=f"y = {c}") for c in (0, 1)]
    ax.legend(handles=key, loc="upper right", fontsize="small", framealpha=0.8)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return ax


# Input checks ------------------------------------------------------------------------------------
# Where a call enters from outside (the notebooks' model before it trains, predict, the loaders),
# its input is checked once, in full, and an error names the argument at fault. The math above
# runs unchecked inside training loops; if NumPy fails in it (a shape that does not fit, a missing
# key), the same checks run then and replace NumPy's error with one that names the argument.


def _as_matrix(name, value):
    """Return ``value`` as a 2-D float array, or raise an error that names it."""
    if not isinstance(value, np.ndarray):
        try:
            value = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be a NumPy array, got {type(value).__name__}") from None
    if value.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array, got shape {value.shape}")
    return value


def _check_finite(name, value):
    if not np.isfinite(value).all():
        raise ValueError(f"{name} contains NaN or inf; every entry must be a finite number")


def _check_labels(name, Y, m):
    """Check that ``Y`` is a (1, m) array of 0s and 1s; return it."""
    Y = _as_matrix(name, Y)
    if Y.shape != (1, m):
        raise ValueError(
            f"{name} must have shape (1, {m}) to match X's {m} examples, got {Y.shape}"
        )
    # y (y - 1) is zero exactly for 0 and 1; for integers, so is y >> 1 (and it costs less).
    kind = Y.dtype.kind
    wrong = 0 if kind == "b" else Y >> 1 if kind in "iu" else Y * (Y - 1)
    if np.count_nonzero(wrong):
        raise ValueError(f"{name} must contain only 0 and 1 labels")
    return Y


def _check_shapes(X, parameters):
    """Check that ``parameters`` holds W1, b1, W2, b2, W3, b3 with shapes that fit ``X``."""
    if not isinstance(parameters, Mapping):
        raise TypeError(f"parameters must be a dict, got {type(parameters).__name__}")
    missing = [key for key in PARAMETER_KEYS if key not in parameters]
    if missing:
        raise KeyError(
            f"parameters is missing {', '.join(missing)}; "
            f"expected keys {', '.join(PARAMETER_KEYS)}"
        )
    n_prev = X.shape[0]
    for l in (1, 2, 3):
        W = _as_matrix(f"W{l}", parameters[f"W{l}"])
        b = _as_matrix(f"b{l}", parameters[f"b{l}"])
        if W.shape[1] != n_prev:
            rows = "X has" if l == 1 else f"W{l - 1} has"
            raise ValueError(
                f"{rows} {n_prev} rows but W{l} expects {W.shape[1]} inputs "
                f"(W{l} has shape {W.shape})"
            )
        n_prev = W.shape[0]
        if n_prev == 0:
            raise ValueError(f"W{l} has shape {W.shape}: layer {l} has no units")
        if b.shape != (n_prev, 1):
            raise ValueError(f"b{l} must have shape ({n_prev}, 1) to match W{l}, got {b.shape}")
    if n_prev != 1:
        raise ValueError(f"W3 must have 1 row for a binary output, got {n_prev}")


def check_parameters(X, parameters):
    """Check ``X`` and ``parameters`` in full: keys, shapes that fit, every entry finite.

    Raises KeyError, TypeError or ValueError naming the missing key, the array whose shape does
    not fit and what it should be, or the array that holds NaN or inf.
    """
    X = _as_matrix("X", X)
    if 0 in X.shape:
        raise ValueError(
            f"X must hold at least one example of at least one feature, got {X.shape}"
        )
    _check_shapes(X, parameters)
    for name, value in (("X", X), *((key, parameters[key]) for key in PARAMETER_KEYS)):
        _check_finite(name, value)


def check_inputs(X, Y, parameters):
    """Check what a training run or a prediction starts from; return ``Y`` as an array.

    ``check_parameters(X, parameters)``, and ``Y`` of shape (1, m) holding only 0 and 1.
    """
    check_parameters(X, parameters)
    return _check_labels("Y", Y, np.shape(X)[1])


def check_layers_dims(layers_dims):
    """Check a list of layer sizes ``[n_x, n[1], ..., n[L]]`` and return it as a list of ints.

    Raises TypeError if it is not a sequence of integers, ValueError if it has fewer than two
    entries or an entry is not positive.
    """
    try:
        dims = list(layers_dims)
    except TypeError:
        raise TypeError(
            f"layers_dims must be a list of layer sizes, got {type(layers_dims).__name__}"
        ) from None
    if len(dims) < 2:
        raise ValueError(f"layers_dims needs an input size and at least one layer, got {dims}")
    for l, n in enumerate(dims):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"layers_dims[{l}] must be an int, got {n!r}")
        if n < 1:
            raise ValueError(f"layers_dims[{l}] must be a positive layer size, got {n}")
    return [int(n) for n in dims]


def check_beta(name, value):
    """Check that an averaging coefficient (beta, beta1, beta2) is in [0, 1); return it."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{name} must be a number in [0, 1), got {value!r}")
    if not 0 <= value < 1:
        raise ValueError(f"{name} must be in [0, 1), got {value}")
    return value


def check_positive_int(name, value):
    """Check that ``value`` (a batch size, an Adam step count t) is an integer >= 1; return it."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer >= 1, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value}")
    return int(value)


def _check_cache(X, Y, cache):
    if not isinstance(cache, tuple) or len(cache) != 12:
        raise ValueError(
            "cache must be the 12-tuple (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3) "
            "returned by forward_propagation"
        )
    X, A3 = _as_matrix("X", X), _as_matrix("A3", cache[9])
    if A3.shape[1] != X.shape[1]:
        raise ValueError(
            f"X has {X.shape[1]} examples but the cache was computed for {A3.shape[1]}"
        )
    _check_labels("Y", Y, A3.shape[1])


def _check_cost(a3, Y):
    a3 = _as_matrix("a3", a3)
    if a3.shape[0] != 1:
        raise ValueError(f"a3 must have shape (1, m), got {a3.shape}")
    _check_labels("Y", Y, a3.shape[1])


def _explained_by(check, math):
    """``math``, whose NumPy errors are replaced by the error ``check`` raises naming the argument.

    A successful call costs nothing extra: ``check`` runs only after ``math`` has failed.
    """

    @functools.wraps(math)
    def public(*args, **kwargs):
        try:
            return math(*args, **kwargs)
        except (AttributeError, IndexError, KeyError, TypeError, ValueError):
            try:
                check(*args, **kwargs)
            except (KeyError, TypeError, ValueError) as named:
                raise named from None
            raise

    return public


forward_propagation = _explained_by(check_parameters, forward_propagation)
backward_propagation = _explained_by(_check_cache, backward_propagation)
compute_cost = _explained_by(_check_cost, compute_cost)
