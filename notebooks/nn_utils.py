"""An L-layer network of any depth, for the companion notebooks.

The assignments' modules hard-code the course's three-layer network. The companion notebooks
need networks of any depth and width, with ReLU or tanh hidden layers, so this module implements
the general case: LINEAR -> g -> ... -> LINEAR -> g -> LINEAR -> SIGMOID (or SOFTMAX), with
examples as columns (``X`` of shape (n_x, m), ``Y`` of shape (1, m), or (C, m) one-hot),
parameters ``W1, b1, ..., WL, bL`` and gradients ``dW1, db1, ...`` (``d`` always includes the 1/m).

The second half is the same network with batch normalization before each hidden activation
(week 3): LINEAR -> BATCHNORM -> g, where the normalization's shift ``beta{l}`` replaces ``b{l}``.
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
    "BatchNormCache",
    "batchnorm_forward",
    "batchnorm_inference",
    "batchnorm_backward",
    "initialize_parameters_bn",
    "forward_propagation_bn",
    "backward_propagation_bn",
    "train_bn",
    "predict_bn",
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
    scale : {"he", "xavier"}, float or sequence of float
        "he": :math:`\sqrt{2 / n^{[l-1]}}`; "xavier": :math:`\sqrt{1 / n^{[l-1]}}`; a number: that
        standard deviation for every layer; a sequence: one standard deviation per layer.
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
    if not isinstance(scale, str) and np.ndim(scale) == 1 and len(scale) != len(dims) - 1:
        raise ValueError(f"scale must give one number per layer ({len(dims) - 1}), got {scale}")
    rng = np.random.RandomState(seed)
    parameters = {}
    for l in range(1, len(dims)):
        if isinstance(scale, str):
            std = np.sqrt((2 if scale == "he" else 1) / dims[l - 1])
        else:
            std = float(scale[l - 1] if np.ndim(scale) == 1 else scale)
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


# Batch normalization -----------------------------------------------------------------------------


class BatchNormCache(NamedTuple):
    """What batch normalization keeps of a layer for the backward pass."""

    Z: np.ndarray  # the layer's linear output W[l] A[l-1], shape (n, m)
    Z_norm: np.ndarray  # (Z - mu) / sqrt(var + epsilon)
    mu: np.ndarray  # the mean of each unit, shape (n, 1): the batch's, or the running average
    var: np.ndarray  # the variance of each unit (ddof=0), shape (n, 1): the same
    gamma: np.ndarray  # the scale, shape (n, 1)
    epsilon: float
    training: bool = True  # mu and var are the batch's (they depend on Z), not constants


def batchnorm_forward(Z, gamma, beta, running_mean, running_var, momentum=0.9, epsilon=1e-5):
    r"""Normalize each unit (row) of ``Z`` over the batch, then scale and shift (training mode).

    :math:`\tilde Z = \gamma \frac{Z - \mu}{\sqrt{\sigma^2 + \varepsilon}} + \beta`, with the
    batch's mean and variance of each row.

    Returns
    -------
    Z_tilde : ndarray of shape (n, m)
    cache : BatchNormCache
    running_mean, running_var : ndarray of shape (n, 1)
        ``momentum * running + (1 - momentum) * batch``: new arrays, the ones passed in unchanged.
    """
    mu = Z.mean(axis=1, keepdims=True)
    var = Z.var(axis=1, keepdims=True)
    Z_norm = (Z - mu) / np.sqrt(var + epsilon)
    running_mean = momentum * running_mean + (1 - momentum) * mu
    running_var = momentum * running_var + (1 - momentum) * var
    cache = BatchNormCache(Z, Z_norm, mu, var, gamma, epsilon)
    return gamma * Z_norm + beta, cache, running_mean, running_var


def batchnorm_inference(Z, gamma, beta, running_mean, running_var, epsilon=1e-5):
    """Normalize with the running averages (test mode): each column's output depends on that
    column alone."""
    return gamma * ((Z - running_mean) / np.sqrt(running_var + epsilon)) + beta


def batchnorm_backward(dZ_tilde, cache):
    r"""Return ``(dZ, dgamma, dbeta)`` from the gradient of the normalized output.

    Training mode, in one expression (the batch's mean and variance depend on every column):
    :math:`dZ = \frac{1}{m \sqrt{\sigma^2 + \varepsilon}} \left(m\, d\hat Z - \sum_i d\hat Z
    - \hat Z \sum_i d\hat Z \odot \hat Z\right)` with :math:`d\hat Z = \gamma\, d\tilde Z`,
    sums over the columns. Test mode (``cache.training`` False): the statistics are constants, so
    :math:`dZ = d\hat Z / \sqrt{\sigma^2 + \varepsilon}`.
    """
    dgamma = np.sum(dZ_tilde * cache.Z_norm, axis=1, keepdims=True)
    dbeta = np.sum(dZ_tilde, axis=1, keepdims=True)
    dZ_norm = dZ_tilde * cache.gamma
    std = np.sqrt(cache.var + cache.epsilon)
    if not cache.training:
        return dZ_norm / std, dgamma, dbeta
    m = dZ_tilde.shape[1]
    dZ = (
        m * dZ_norm
        - dZ_norm.sum(axis=1, keepdims=True)
        - cache.Z_norm * np.sum(dZ_norm * cache.Z_norm, axis=1, keepdims=True)
    ) / (m * std)
    return dZ, dgamma, dbeta


def initialize_parameters_bn(layers_dims, scale="he", seed=0):
    """Return the parameters of ``initialize_parameters_deep`` (the same W's for the same seed),
    with ``gamma{l}`` = 1 and ``beta{l}`` = 0 in place of ``b{l}`` in every hidden layer, and the
    running averages ``{"mean1": 0, "var1": 1, ...}`` of those layers."""
    parameters = initialize_parameters_deep(layers_dims, scale, seed)
    L = len(layers_dims) - 1
    running = {}
    for l in range(1, L):
        n = layers_dims[l]
        del parameters[f"b{l}"]
        parameters[f"gamma{l}"], parameters[f"beta{l}"] = np.ones((n, 1)), np.zeros((n, 1))
        running[f"mean{l}"], running[f"var{l}"] = np.zeros((n, 1)), np.ones((n, 1))
    return parameters, running


def forward_propagation_bn(
    X, parameters, running, mode="train", activation="relu", momentum=0.9, epsilon=1e-5
):
    r"""Run the forward pass of a network with batch norm where a layer has ``gamma{l}``.

    Layers with ``b{l}`` instead run as in ``forward_propagation``, so the same code trains the
    network without batch norm. Returns ``(AL, caches, running)``: ``caches[l - 1]`` is
    ``(LayerCache(A_prev, Z_tilde), BatchNormCache or None)``; in ``mode="train"`` the running
    averages come back updated with the batch's statistics, in ``mode="test"`` they normalize
    and come back unchanged.
    """
    if mode not in ("train", "test"):
        raise ValueError(f"mode must be 'train' or 'test', got {mode!r}")
    _check_activation(activation)
    g = relu if activation == "relu" else np.tanh
    L = sum(key.startswith("W") for key in parameters)
    A, caches, running = np.asarray(X, dtype=np.float64), [], dict(running)
    for l in range(1, L + 1):
        Z = parameters[f"W{l}"] @ A
        bn = None
        if f"gamma{l}" in parameters:
            gamma, beta = parameters[f"gamma{l}"], parameters[f"beta{l}"]
            mean, var = running[f"mean{l}"], running[f"var{l}"]
            if mode == "train":
                Z_out, bn, mean, var = batchnorm_forward(
                    Z, gamma, beta, mean, var, momentum, epsilon
                )
                running[f"mean{l}"], running[f"var{l}"] = mean, var
            else:
                # batchnorm_inference, keeping the normalized Z for the backward pass
                Z_norm = (Z - mean) / np.sqrt(var + epsilon)
                bn = BatchNormCache(Z, Z_norm, mean, var, gamma, epsilon, training=False)
                Z_out = gamma * Z_norm + beta
        else:
            Z_out = Z + parameters[f"b{l}"]
        caches.append((LayerCache(A, Z_out), bn))
        A = g(Z_out) if l < L else sigmoid(Z_out) if Z_out.shape[0] == 1 else softmax(Z_out)
    return A, caches, running


def backward_propagation_bn(AL, Y, caches, parameters, activation="relu"):
    """Return the gradients ``dW{l}`` and ``dgamma{l}, dbeta{l}`` (batch-norm layers) or ``db{l}``
    of the cross-entropy, through the statistics of the mode the forward pass ran in."""
    g_prime = (lambda Z: Z > 0) if activation == "relu" else (lambda Z: 1 - np.tanh(Z) ** 2)
    grads = {}
    dZ = (AL - Y) / AL.shape[1]  # the gradient of the layer's Z_tilde (or Z)
    for l in range(len(caches), 0, -1):
        layer, bn = caches[l - 1]
        if bn is None:
            grads[f"db{l}"] = np.sum(dZ, axis=1, keepdims=True)
        else:
            dZ, grads[f"dgamma{l}"], grads[f"dbeta{l}"] = batchnorm_backward(dZ, bn)
        grads[f"dW{l}"] = dZ @ layer.A_prev.T
        if l > 1:
            dZ = parameters[f"W{l}"].T @ dZ * g_prime(caches[l - 2][0].Z)
    return grads


def train_bn(
    X,
    Y,
    layers_dims,
    batchnorm=True,
    learning_rate=0.1,
    num_epochs=50,
    mini_batch_size=64,
    activation="relu",
    scale="he",
    seed=0,
    momentum=0.9,
):
    """Train by mini-batch gradient descent, with batch norm in every hidden layer or without
    (``batchnorm=False``: the same W's, with biases); return ``(parameters, running, costs)``.

    ``costs`` holds each epoch's mean mini-batch cost. The examples are shuffled every epoch by a
    ``RandomState(seed)``; a last mini-batch smaller than ``mini_batch_size`` is kept.
    """
    X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y)
    if X.ndim != 2 or X.shape[0] != layers_dims[0]:
        raise ValueError(
            f"X must have shape ({layers_dims[0]}, m) to match layers_dims, got {X.shape}"
        )
    if Y.shape != (layers_dims[-1], X.shape[1]):
        raise ValueError(f"Y must have shape ({layers_dims[-1]}, {X.shape[1]}), got {Y.shape}")
    if not isinstance(mini_batch_size, (int, np.integer)) or mini_batch_size < 1:
        raise ValueError(f"mini_batch_size must be a positive integer, got {mini_batch_size!r}")
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum must be in [0, 1), got {momentum}")
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be > 0, got {learning_rate}")
    if batchnorm:
        parameters, running = initialize_parameters_bn(layers_dims, scale, seed)
    else:
        parameters, running = initialize_parameters_deep(layers_dims, scale, seed), {}
    rng, m, costs = np.random.RandomState(seed), X.shape[1], []
    for _ in range(num_epochs):
        order, epoch_cost = rng.permutation(m), 0.0
        for start in range(0, m, mini_batch_size):
            batch = order[start : start + mini_batch_size]
            AL, caches, running = forward_propagation_bn(
                X[:, batch], parameters, running, "train", activation, momentum
            )
            epoch_cost += compute_cost(AL, Y[:, batch]) * len(batch)
            grads = backward_propagation_bn(AL, Y[:, batch], caches, parameters, activation)
            parameters = update_parameters(parameters, grads, learning_rate)
        costs.append(epoch_cost / m)
    return parameters, running, costs


def predict_bn(parameters, running, X, activation="relu"):
    """Return the predicted labels (1, m) in test mode: each column's from that column alone."""
    AL = forward_propagation_bn(X, parameters, running, "test", activation)[0]
    return AL > 0.5 if AL.shape[0] == 1 else np.argmax(AL, axis=0).reshape(1, -1)
