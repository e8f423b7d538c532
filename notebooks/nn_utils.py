"""An L-layer network of any depth, for the companion notebooks of week 1.

The assignments' modules hard-code the course's three-layer network. The companion notebooks
need networks of any depth and width, with ReLU or tanh hidden layers, so this module implements
the general case: LINEAR -> g -> ... -> LINEAR -> g -> LINEAR -> SIGMOID, with examples as
columns (``X`` of shape (n_x, m), ``Y`` of shape (1, m)), parameters ``W1, b1, ..., WL, bL`` and
gradients ``dW1, db1, ...`` (``d`` always includes the 1/m).
"""

from typing import NamedTuple

import numpy as np
from scipy.special import expit

__all__ = [
    "LayerCache",
    "sigmoid",
    "relu",
    "softmax",
    "initialize_parameters_deep",
    "forward_propagation",
    "backward_propagation",
    "compute_cost",
    "update_parameters",
    "train",
    "predict_dec",
    "accuracy",
]

ACTIVATIONS = ("relu", "tanh")
_PROB_EPS = 2.0**-53


class LayerCache(NamedTuple):
    """What the forward pass keeps of layer l for the backward pass."""

    A_prev: np.ndarray  # the layer's input A[l-1] (X for the first layer)
    Z: np.ndarray  # its linear output Z[l] = W[l] A[l-1] + b[l]


def sigmoid(x):
    """Return 1 / (1 + exp(-x)) elementwise; large |x| gives exactly 0 or 1, with no warning."""
    return expit(x)


def relu(x):
    """Return max(0, x) elementwise."""
    return np.maximum(x, 0)


def softmax(Z):
    """Return the softmax of each column of Z: exp(Z) / sum(exp(Z)), after subtracting the column's
    largest entry (the same result, and exp never overflows)."""
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)


def _check_activation(activation):
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be 'relu' or 'tanh', got {activation!r}")


def initialize_parameters_deep(layers_dims, scale="he", seed=0):
    r"""Return ``W{l}`` = N(0, 1) * scale and ``b{l}`` = 0 for every layer.

    Parameters
    ----------
    layers_dims : list of int
        ``[n_x, n[1], ..., n[L]]``, every size >= 1.
    scale : {"he", "xavier"} or float
        "he": :math:`\sqrt{2 / n^{[l-1]}}`; "xavier": :math:`\sqrt{1 / n^{[l-1]}}`; a number: that
        standard deviation for every layer.
    seed : int
        Seed of the ``RandomState`` that draws W1, W2, ... in turn.

    Returns
    -------
    parameters : dict
    """
    dims = list(layers_dims)
    if len(dims) < 2 or any(not isinstance(n, (int, np.integer)) or n < 1 for n in dims):
        raise ValueError(f"layers_dims must be at least two positive layer sizes, got {dims}")
    if isinstance(scale, str) and scale not in ("he", "xavier"):
        raise ValueError(f"scale must be 'he', 'xavier' or a number, got {scale!r}")
    rng = np.random.RandomState(seed)
    parameters = {}
    for l in range(1, len(dims)):
        if scale == "he":
            std = np.sqrt(2 / dims[l - 1])
        elif scale == "xavier":
            std = np.sqrt(1 / dims[l - 1])
        else:
            std = float(scale)
        parameters[f"W{l}"] = rng.randn(dims[l], dims[l - 1]) * std
        parameters[f"b{l}"] = np.zeros((dims[l], 1))
    return parameters


def _depth(parameters):
    L = len(parameters) // 2
    missing = [k for l in range(1, L + 1) for k in (f"W{l}", f"b{l}") if k not in parameters]
    if missing or L == 0:
        raise KeyError(f"parameters is missing {', '.join(missing) or 'W1, b1'}")
    return L


def forward_propagation(X, parameters, activation="relu"):
    r"""Run the forward pass; return ``(AL, caches)``.

    Parameters
    ----------
    X : ndarray of shape (n_x, m)
    parameters : dict
        ``W1, b1, ..., WL, bL``.
    activation : {"relu", "tanh"}
        The activation of the hidden layers. The output layer is a sigmoid when it has one unit
        (two classes), a softmax when it has C > 1 units (C classes).

    Returns
    -------
    AL : ndarray of shape (1, m), or (C, m): each column the probabilities of the C classes
    caches : list of LayerCache
        ``(A_prev, Z)`` of each layer, for ``backward_propagation``.
    """
    _check_activation(activation)
    L = _depth(parameters)
    g = relu if activation == "relu" else np.tanh
    A, caches = np.asarray(X, dtype=np.float64), []
    if A.ndim != 2 or A.shape[0] != parameters["W1"].shape[1]:
        raise ValueError(
            f"X must have shape ({parameters['W1'].shape[1]}, m) to match W1, got {A.shape}"
        )
    for l in range(1, L + 1):
        Z = parameters[f"W{l}"] @ A + parameters[f"b{l}"]
        caches.append(LayerCache(A, Z))
        A = g(Z) if l < L else sigmoid(Z) if Z.shape[0] == 1 else softmax(Z)
    return A, caches


def compute_cost(AL, Y):
    r"""Return the cross-entropy cost, with ``AL`` clipped to :math:`[2^{-53}, 1 - 2^{-53}]`.

    ``AL`` and ``Y`` of shape (1, m) with 0/1 labels (a sigmoid output), or (C, m) with one-hot
    columns (a softmax output): :math:`-\frac{1}{m} \sum_i \sum_k y_k^{(i)} \log a_k^{(i)}`.
    """
    AL, Y = np.asarray(AL), np.asarray(Y)
    if AL.shape != Y.shape or AL.ndim != 2:
        raise ValueError(f"AL and Y must have the same shape (C, m), got {AL.shape} and {Y.shape}")
    AL = np.clip(AL, _PROB_EPS, 1 - _PROB_EPS)
    if AL.shape[0] > 1:
        return -float(np.sum(Y * np.log(AL))) / AL.shape[1]
    return -float(np.where(Y == 1, np.log(AL), np.log1p(-AL)).sum()) / AL.shape[1]


def backward_propagation(AL, Y, caches, parameters, activation="relu", lambd=0.0):
    r"""Return the gradients ``dZ{l}, dW{l}, db{l}`` of the cost (plus L2 when lambd > 0).

    Parameters
    ----------
    AL : ndarray of shape (1, m)
        Output of ``forward_propagation``.
    Y : ndarray of shape (1, m)
    caches : list
        From ``forward_propagation``.
    parameters : dict
        The weights the forward pass used.
    activation : {"relu", "tanh"}
    lambd : float
        L2 strength: adds :math:`\frac{\lambda}{m} W^{[l]}` to each :math:`dW^{[l]}`.
    """
    _check_activation(activation)
    if lambd < 0:
        raise ValueError(f"lambd must be >= 0, got {lambd}")
    m = AL.shape[1]
    grads = {}
    dZ = (AL - Y) / m  # a sigmoid or softmax output with its cross-entropy
    for l in range(len(caches), 0, -1):
        A_prev = caches[l - 1].A_prev
        W = parameters[f"W{l}"]
        grads[f"dZ{l}"] = dZ
        grads[f"dW{l}"] = dZ @ A_prev.T + lambd / m * W
        grads[f"db{l}"] = np.sum(dZ, axis=1, keepdims=True)
        if l > 1:
            dA_prev = W.T @ dZ
            Z_prev = caches[l - 2].Z
            if activation == "relu":
                dZ = dA_prev * (Z_prev > 0)
            else:
                dZ = dA_prev * (1 - np.tanh(Z_prev) ** 2)
    return grads


def update_parameters(parameters, grads, learning_rate):
    """Return new parameters after one gradient-descent step; the dict passed in is unchanged."""
    return {key: value - learning_rate * grads["d" + key] for key, value in parameters.items()}


def train(
    X,
    Y,
    layers_dims,
    learning_rate=0.1,
    num_iterations=3000,
    activation="relu",
    lambd=0.0,
    scale="he",
    seed=0,
    dev=None,
    record_every=100,
):
    """Train by batch gradient descent; return ``(parameters, history)``.

    ``history`` has lists ``iteration``, ``train_cost`` and, when ``dev=(X_dev, Y_dev)`` is
    given, ``dev_cost`` and ``parameters`` (a copy at each record, for early stopping), recorded
    every ``record_every`` iterations and after the last one.
    """
    parameters = initialize_parameters_deep(layers_dims, scale, seed)
    history = {"iteration": [], "train_cost": [], "dev_cost": [], "parameters": []}
    for i in range(num_iterations + 1):
        AL, caches = forward_propagation(X, parameters, activation)
        if i % record_every == 0 or i == num_iterations:
            history["iteration"].append(i)
            history["train_cost"].append(compute_cost(AL, Y))
            if dev is not None:
                dev_AL, _ = forward_propagation(dev[0], parameters, activation)
                history["dev_cost"].append(compute_cost(dev_AL, dev[1]))
                history["parameters"].append(parameters)
        if i == num_iterations:
            break
        grads = backward_propagation(AL, Y, caches, parameters, activation, lambd)
        parameters = update_parameters(parameters, grads, learning_rate)
    return parameters, history


def predict_dec(parameters, X, activation="relu"):
    """Return the predicted labels (1, m): True where the probability is above 0.5 for a sigmoid
    output, the most probable class (0 .. C-1) for a softmax output."""
    AL = forward_propagation(X, parameters, activation)[0]
    return AL > 0.5 if AL.shape[0] == 1 else np.argmax(AL, axis=0).reshape(1, -1)


def accuracy(parameters, X, Y, activation="relu"):
    """Share of the columns of X whose predicted label is right; Y as labels (1, m), or one-hot
    (C, m) for a softmax output."""
    labels = np.argmax(Y, axis=0).reshape(1, -1) if Y.shape[0] > 1 else Y
    return float(np.mean(predict_dec(parameters, X, activation) == labels))
