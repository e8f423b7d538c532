"""Forward and backward propagation for the Optimization Methods companion notebook.

The network is the course's three-layer binary classifier

    LINEAR -> RELU -> LINEAR -> RELU -> LINEAR -> SIGMOID

with examples stored as columns: ``X`` has shape ``(n_x, m)`` and labels ``Y`` shape ``(1, m)``.
Parameters live in a dict with keys ``W1, b1, W2, b2, W3, b3`` and gradients in a dict with keys
``dW1, db1, ...``; ``d`` always means the derivative of the cost, 1/m included.

Every public function checks its input where a mistake would otherwise surface ten lines later as
an obscure broadcasting error, and names the argument at fault. The checks are cheap enough to
leave on inside a training loop (see ``tests/benchmarks/bench_iteration.py``).
"""

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import sklearn.datasets
from matplotlib.patches import Patch
from scipy.special import expit

__all__ = [
    "sigmoid",
    "relu",
    "compute_cost",
    "initialize_parameters",
    "forward_propagation",
    "backward_propagation",
    "update_parameters",
    "predict",
    "predict_dec",
    "load_dataset",
    "plot_decision_boundary",
    "check_layers_dims",
    "check_parameters",
    "check_beta",
    "check_positive_int",
]

PARAMETER_KEYS = ("W1", "b1", "W2", "b2", "W3", "b3")

# The most confident a float64 probability can be short of 0 or 1. Clipping A3 to this range keeps
# the cross-entropy finite (at most 53 ln 2 ~= 36.7 per example) when the sigmoid saturates.
_PROB_EPS = 2.0**-53


def sigmoid(x):
    r"""Compute the logistic sigmoid of ``x`` elementwise.

    Parameters
    ----------
    x : ndarray of any shape

    Returns
    -------
    s : ndarray of the same shape as ``x``, values in [0, 1]

    Notes
    -----
    :math:`\sigma(x) = 1 / (1 + e^{-x})`, evaluated with ``scipy.special.expit`` so that large
    ``|x|`` saturates to exactly 0 or 1 without an overflow warning.
    """
    return expit(x)


def relu(x):
    r"""Compute the rectified linear unit :math:`\max(0, x)` elementwise.

    Parameters
    ----------
    x : ndarray of any shape

    Returns
    -------
    s : ndarray of the same shape as ``x``
    """
    return np.maximum(0, x)


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


def _check_labels(name, Y, m):
    """Check that ``Y`` is a (1, m) array of 0s and 1s."""
    Y = _as_matrix(name, Y)
    if Y.shape != (1, m):
        raise ValueError(
            f"{name} must have shape (1, {m}) to match the predictions, got {Y.shape}"
        )
    # y (y - 1) is zero exactly for 0 and 1; for integers, so is y >> 1 (and it costs less).
    kind = Y.dtype.kind
    wrong = 0 if kind == "b" else Y >> 1 if kind in "iu" else Y * (Y - 1)
    if np.count_nonzero(wrong):
        raise ValueError(f"{name} must contain only 0 and 1 labels")
    return Y


def check_layers_dims(layers_dims):
    """Check a list of layer sizes ``[n_x, n[1], ..., n[L]]`` and return it as a list of ints.

    Parameters
    ----------
    layers_dims : sequence of int, length >= 2

    Returns
    -------
    layers_dims : list of int

    Raises
    ------
    TypeError
        If ``layers_dims`` is not a sequence of integers.
    ValueError
        If it has fewer than two entries or an entry is not positive.
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


def initialize_parameters(layers_dims):
    r"""Return He-initialized parameters: W = N(0, 1) * sqrt(2 / n[l-1]) drawn with seed 3, b = 0.

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


_LAYERS = tuple((l, f"W{l}", f"b{l}") for l in (1, 2, 3))


def check_parameters(X, parameters):
    """Check that ``parameters`` holds W1, b1, W2, b2, W3, b3 with shapes that fit ``X``.

    Parameters
    ----------
    X : ndarray of shape (n_x, m)
    parameters : dict

    Raises
    ------
    KeyError, TypeError, ValueError
        Naming the missing key, or the array whose shape does not fit and what it should be.
    """
    if not isinstance(parameters, Mapping):
        raise TypeError(f"parameters must be a dict, got {type(parameters).__name__}")
    missing = [key for key in PARAMETER_KEYS if key not in parameters]
    if missing:
        raise KeyError(
            f"parameters is missing {', '.join(missing)}; "
            f"expected keys {', '.join(PARAMETER_KEYS)}"
        )
    n_prev = X.shape[0]
    for l, W_key, b_key in _LAYERS:
        W = _as_matrix(W_key, parameters[W_key])
        b = _as_matrix(b_key, parameters[b_key])
        if W.shape[1] != n_prev:
            rows = "X has" if l == 1 else f"W{l - 1} has"
            raise ValueError(
                f"{rows} {n_prev} rows but {W_key} expects {W.shape[1]} inputs "
                f"({W_key} has shape {W.shape})"
            )
        n_prev = W.shape[0]
        if b.shape != (n_prev, 1):
            raise ValueError(
                f"{b_key} must have shape ({n_prev}, 1) to match {W_key}, got {b.shape}"
            )
    if n_prev != 1:
        raise ValueError(f"W3 must have 1 row for a binary output, got {n_prev}")


def _find_non_finite(X, parameters):
    """Name the first input holding NaN or inf (the slow path, taken only on failure)."""
    for name, value in (("X", X), *((key, parameters[key]) for key in PARAMETER_KEYS)):
        if not np.isfinite(value).all():
            return ValueError(f"{name} contains NaN or inf; every entry must be a finite number")
    return ValueError("the forward pass overflowed; the weights are too large to be finite")


def forward_propagation(X, parameters):
    r"""Run the forward pass LINEAR -> RELU -> LINEAR -> RELU -> LINEAR -> SIGMOID.

    Parameters
    ----------
    X : ndarray of shape (n_x, m)
        Input data, one example per column.
    parameters : dict
        ``W1`` of shape (n[1], n_x), ``b1`` of shape (n[1], 1), ``W2`` (n[2], n[1]),
        ``b2`` (n[2], 1), ``W3`` (1, n[2]), ``b3`` (1, 1).

    Returns
    -------
    A3 : ndarray of shape (1, m)
        The predicted probability that each example has label 1.
    cache : tuple
        ``(Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)``, for ``backward_propagation``.

    Raises
    ------
    KeyError, TypeError, ValueError
        If a parameter is missing, a shape does not fit, or an input holds NaN or inf.

    Notes
    -----
    .. math:: Z^{[l]} = W^{[l]} A^{[l-1]} + b^{[l]}, \quad A^{[l]} = g^{[l]}(Z^{[l]})
    """
    X = _as_matrix("X", X)
    check_parameters(X, parameters)
    W1, b1 = parameters["W1"], parameters["b1"]
    W2, b2 = parameters["W2"], parameters["b2"]
    W3, b3 = parameters["W3"], parameters["b3"]

    # LINEAR -> RELU
    Z1 = W1 @ X + b1
    A1 = relu(Z1)
    # LINEAR -> RELU
    Z2 = W2 @ A1 + b2
    A2 = relu(Z2)
    # LINEAR -> SIGMOID
    Z3 = W3 @ A2 + b3
    # NaN in X or in any parameter always reaches Z3, so one check here covers every input.
    if not np.isfinite(Z3).all():
        raise _find_non_finite(X, parameters)
    A3 = sigmoid(Z3)

    cache = (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)
    return A3, cache


def _unpack_cache(cache):
    if not isinstance(cache, tuple) or len(cache) != 12:
        raise ValueError(
            "cache must be the 12-tuple (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3) "
            "returned by forward_propagation"
        )
    return cache


def backward_propagation(X, Y, cache):
    r"""Compute the gradient of the cross-entropy cost with respect to every parameter.

    Parameters
    ----------
    X : ndarray of shape (n_x, m)
        The input given to ``forward_propagation``.
    Y : ndarray of shape (1, m)
        True labels, 0 or 1.
    cache : tuple
        The cache returned by ``forward_propagation(X, parameters)``.

    Returns
    -------
    gradients : dict
        ``dZ3, dW3, db3, dA2, dZ2, dW2, db2, dA1, dZ1, dW1, db1``, each of the shape of the
        quantity it differentiates.

    Notes
    -----
    .. math::
        dZ^{[3]} = \frac{1}{m}(A^{[3]} - Y), \quad dW^{[l]} = dZ^{[l]} A^{[l-1]T}, \quad
        db^{[l]} = \sum_i dZ^{[l](i)}, \quad dZ^{[l]} = W^{[l+1]T} dZ^{[l+1]} \odot 1[Z^{[l]} > 0]
    """
    X = _as_matrix("X", X)
    (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3) = _unpack_cache(cache)
    m = X.shape[1]
    if A3.shape[1] != m:
        raise ValueError(f"X has {m} examples but the cache was computed for {A3.shape[1]}")
    Y = _as_matrix("Y", Y)
    if Y.shape != A3.shape:
        raise ValueError(f"Y must have shape {A3.shape} to match the predictions, got {Y.shape}")

    # LINEAR -> SIGMOID, with the cross-entropy folded in
    dZ3 = (A3 - Y) / m
    dW3 = dZ3 @ A2.T
    db3 = np.sum(dZ3, axis=1, keepdims=True)
    # LINEAR -> RELU
    dA2 = W3.T @ dZ3
    dZ2 = dA2 * (Z2 > 0)
    dW2 = dZ2 @ A1.T
    db2 = np.sum(dZ2, axis=1, keepdims=True)
    # LINEAR -> RELU
    dA1 = W2.T @ dZ2
    dZ1 = dA1 * (Z1 > 0)
    dW1 = dZ1 @ X.T
    db1 = np.sum(dZ1, axis=1, keepdims=True)

    return {
        "dZ3": dZ3, "dW3": dW3, "db3": db3,
        "dA2": dA2, "dZ2": dZ2, "dW2": dW2, "db2": db2,
        "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1,
    }  # fmt: skip


def compute_cost(a3, Y):
    r"""Compute the cross-entropy cost of predictions ``a3`` against labels ``Y``.

    Parameters
    ----------
    a3 : ndarray of shape (1, m)
        Output of ``forward_propagation``, probabilities in [0, 1].
    Y : ndarray of shape (1, m)
        True labels, 0 or 1.

    Returns
    -------
    loss : float

    Notes
    -----
    .. math::
        J = -\frac{1}{m} \sum_{i=1}^m
            \big(y^{(i)} \log a^{(i)} + (1 - y^{(i)}) \log(1 - a^{(i)})\big)

    A saturated sigmoid returns exactly 0 or 1 in float64, where the log is infinite. ``a3`` is
    clipped to :math:`[2^{-53}, 1 - 2^{-53}]` first, so such an example costs
    :math:`53 \ln 2 \approx 36.7` instead of turning the cost into ``inf`` or ``nan``.
    """
    a3 = _as_matrix("a3", a3)
    if a3.shape[0] != 1:
        raise ValueError(f"a3 must have shape (1, m), got {a3.shape}")
    Y = _check_labels("Y", Y, a3.shape[1])
    a3 = np.clip(a3, _PROB_EPS, 1.0 - _PROB_EPS)
    loss = -float(np.where(Y == 1, np.log(a3), np.log1p(-a3)).sum()) / a3.shape[1]
    if loss != loss:  # NaN in a3 is the only way to get here
        raise ValueError("a3 contains NaN; it must hold probabilities in [0, 1]")
    return loss


def update_parameters(parameters, grads, learning_rate):
    r"""Take one gradient-descent step and return the new parameters.

    Parameters
    ----------
    parameters : dict
        ``W1, b1, ..., WL, bL``.
    grads : dict
        Holds ``dW1, db1, ..., dWL, dbL`` of the same shapes (other keys are ignored).
    learning_rate : float
        Step size, positive.

    Returns
    -------
    parameters : dict
        A new dict with :math:`W^{[l]} - \alpha\, dW^{[l]}` and
        :math:`b^{[l]} - \alpha\, db^{[l]}`.
        The dict passed in is left unchanged.
    """
    if not 0 < learning_rate < np.inf:  # also False for NaN
        raise ValueError(f"learning_rate must be a positive number, got {learning_rate}")
    if not isinstance(parameters, Mapping):
        raise TypeError(f"parameters must be a dict, got {type(parameters).__name__}")
    updated = {}
    for key, value in parameters.items():
        grad = grads.get("d" + key)
        if grad is None:
            raise KeyError(f"grads is missing d{key}, the gradient of parameters[{key!r}]")
        step = learning_rate * grad
        if step.shape != np.shape(value):
            raise ValueError(
                f"grads['d{key}'] has shape {np.shape(grad)} but parameters[{key!r}] has shape "
                f"{np.shape(value)}"
            )
        updated[key] = value - step
    return updated


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
    a3, _ = forward_propagation(X, parameters)
    y = _check_labels("y", y, a3.shape[1])
    p = (a3 > 0.5).astype(int)
    print(f"Accuracy: {np.mean(p == y):.4f}")
    return p


def predict_dec(parameters, X):
    """Return the predicted class of each column of ``X`` (for plotting decision boundaries).

    Parameters
    ----------
    parameters : dict
        Trained parameters ``W1, b1, W2, b2, W3, b3``.
    X : ndarray of shape (n_x, m)

    Returns
    -------
    predictions : ndarray of bool of shape (1, m)
        True where the predicted probability is above 0.5.
    """
    a3, _ = forward_propagation(X, parameters)
    return a3 > 0.5


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
