"""An L-layer network of any depth, for the companion notebooks.

The assignments' modules hard-code the course's three-layer network. The companion notebooks
need networks of any depth and width, with ReLU or tanh hidden layers, so this module implements
the general case: LINEAR -> g -> ... -> LINEAR -> g -> LINEAR -> output, with examples as columns
(``X`` of shape (n_x, m), ``Y`` of shape (1, m), or (C, m) one-hot), parameters
``W1, b1, ..., WL, bL`` and gradients ``dW1, db1, ...`` (``d`` always includes the 1/m).

The output layer of one unit is a sigmoid with the binary cross-entropy. An output layer of
C > 1 units is whatever ``OutputLayer`` the caller passes as ``output``: its activation, its cost
and the gradient of that cost with respect to its Z. The softmax, its cross-entropy and their
gradient are the exercises of Softmax Regression, whose notebook passes the learner's own three
functions (so that the learner's work trains its networks); the other companions pass
SciPy's ``softmax`` or functions of their own. This module holds none of the three: the
batch-norm network below ends in SciPy's softmax, and its training loop records the
cross-entropy inline.

The second half is the same network with batch normalization before each hidden activation
(week 3): LINEAR -> BATCHNORM -> g, where the normalization's shift ``beta{l}`` replaces ``b{l}``.
The batch-norm layer runs the functions it is given (``BatchNorm``): the Batch Normalization
notebook's exercises, the learner's own code.
"""

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import scipy.special
from scipy.special import expit

__all__ = [
    "LayerCache",
    "OutputLayer",
    "sigmoid",
    "relu",
    "initialize_parameters_deep",
    "forward_propagation",
    "backward_propagation",
    "compute_cost",
    "train",
    "predict_dec",
    "accuracy",
    "BatchNormCache",
    "BatchNorm",
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


class OutputLayer(NamedTuple):
    """The output layer of C > 1 units: three functions of the caller's, each of (C, m) arrays.

    Softmax Regression's are ``OutputLayer(softmax, cross_entropy, softmax_backward)``.
    """

    activation: Callable  # Z (C, m) -> AL (C, m), the probabilities of the C classes
    cost: Callable  # (AL, Y) -> float, the cost of the m examples
    backward: Callable  # (AL, Y) -> dZ (C, m), the gradient of the cost with respect to Z


def _output_layer(units, output):
    """The caller's ``OutputLayer`` of an output of ``units`` > 1 units."""
    if output is None:
        raise ValueError(
            f"the output layer has {units} units: pass output=OutputLayer(activation, cost, "
            "backward), such as Softmax Regression's OutputLayer(softmax, cross_entropy, "
            "softmax_backward)"
        )
    return OutputLayer(*output)


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
        "he": :math:`\sqrt{2 / n^{[l-1]}}`; "xavier": :math:`\sqrt{1 / n^{[l-1]}}`, what the
        course calls Xavier initialization (Glorot and Bengio's own, TensorFlow's ``GlorotNormal``,
        has the variance :math:`2 / (n^{[l-1]} + n^{[l]})`, which is the same only where
        :math:`n^{[l]} = n^{[l-1]}`); a number: that standard deviation for every layer; a
        sequence: one standard deviation per layer.
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


def forward_propagation(X, parameters, activation="relu", output=None):
    r"""Run the forward pass; return ``(AL, caches)``.

    Parameters
    ----------
    X : ndarray of shape (n_x, m)
    parameters : dict
        ``W1, b1, ..., WL, bL``.
    activation : {"relu", "tanh"}
        The activation of the hidden layers.
    output : OutputLayer, optional
        The output layer when it has C > 1 units (C classes), required then; with one unit
        (two classes) the output is a sigmoid.

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
    units = parameters[f"W{L}"].shape[0]
    last = sigmoid if units == 1 else _output_layer(units, output).activation
    for l in range(1, L + 1):
        Z = parameters[f"W{l}"] @ A + parameters[f"b{l}"]
        caches.append(LayerCache(A, Z))
        A = g(Z) if l < L else last(Z)
    return A, caches


def compute_cost(AL, Y, output=None):
    r"""Return the cost of the output ``AL`` against the labels ``Y``.

    ``AL`` and ``Y`` of shape (1, m), 0/1 labels: the binary cross-entropy
    :math:`-\frac{1}{m} \sum_i y^{(i)} \log a^{(i)} + (1 - y^{(i)}) \log(1 - a^{(i)})`, with
    ``AL`` clipped to :math:`[2^{-53}, 1 - 2^{-53}]`. Of shape (C, m), C > 1: ``output.cost``.
    """
    AL, Y = np.asarray(AL), np.asarray(Y)
    if AL.shape != Y.shape or AL.ndim != 2:
        raise ValueError(f"AL and Y must have the same shape (C, m), got {AL.shape} and {Y.shape}")
    if AL.shape[0] > 1:
        return float(_output_layer(AL.shape[0], output).cost(AL, Y))
    AL = np.clip(AL, _PROB_EPS, 1 - _PROB_EPS)
    return -float(np.where(Y == 1, np.log(AL), np.log1p(-AL)).sum()) / AL.shape[1]


def backward_propagation(AL, Y, caches, parameters, activation="relu", lambd=0.0, output=None):
    r"""Return the gradients ``dZ{l}, dW{l}, db{l}`` of the cost (plus L2 when lambd > 0).

    Parameters
    ----------
    AL : ndarray of shape (1, m), or (C, m)
        Output of ``forward_propagation``.
    Y : ndarray of the shape of AL
    caches : list
        From ``forward_propagation``.
    parameters : dict
        The weights the forward pass used.
    activation : {"relu", "tanh"}
    lambd : float
        L2 strength: adds :math:`\frac{\lambda}{m} W^{[l]}` to each :math:`dW^{[l]}`.
    output : OutputLayer, optional
        The output layer of C > 1 units, as in ``forward_propagation``: its ``backward`` gives
        :math:`dZ^{[L]}`; a sigmoid output's is :math:`\frac{1}{m}(A^{[L]} - Y)`.
    """
    _check_activation(activation)
    if lambd < 0:
        raise ValueError(f"lambd must be >= 0, got {lambd}")
    m = AL.shape[1]
    grads = {}
    if AL.shape[0] > 1:
        dZ = _output_layer(AL.shape[0], output).backward(AL, Y)
    else:
        dZ = (AL - Y) / m  # a sigmoid output with its cross-entropy
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
    output=None,
):
    """Train by batch gradient descent; return ``(parameters, history)``.

    ``history`` has lists ``iteration``, ``train_cost`` and, when ``dev=(X_dev, Y_dev)`` is
    given, ``dev_cost`` and ``parameters`` (a copy at each record, for early stopping), recorded
    every ``record_every`` iterations and after the last one. ``output``: the output layer when
    it has C > 1 units (see ``forward_propagation``).
    """
    parameters = initialize_parameters_deep(layers_dims, scale, seed)
    history = {"iteration": [], "train_cost": [], "dev_cost": [], "parameters": []}
    for i in range(num_iterations + 1):
        AL, caches = forward_propagation(X, parameters, activation, output)
        if i % record_every == 0 or i == num_iterations:
            history["iteration"].append(i)
            history["train_cost"].append(compute_cost(AL, Y, output))
            if dev is not None:
                dev_AL, _ = forward_propagation(dev[0], parameters, activation, output)
                history["dev_cost"].append(compute_cost(dev_AL, dev[1], output))
                history["parameters"].append(parameters)
        if i == num_iterations:
            break
        grads = backward_propagation(AL, Y, caches, parameters, activation, lambd, output)
        # A gradient-descent step, written here: Optimization Methods' first exercise is it.
        parameters = {k: v - learning_rate * grads["d" + k] for k, v in parameters.items()}
    return parameters, history


def predict_dec(parameters, X, activation="relu"):
    """Return the predicted labels (1, m): True where the probability is above 0.5 for a sigmoid
    output; for C > 1 output units, the class (0 .. C-1) of the largest logit, which is the most
    probable class of a softmax output (it needs no output layer)."""
    L = _depth(parameters)
    if parameters[f"W{L}"].shape[0] == 1:
        return forward_propagation(X, parameters, activation)[0] > 0.5
    identity = OutputLayer(lambda Z: Z, None, None)  # AL is then the logits Z[L]
    Z = forward_propagation(X, parameters, activation, identity)[0]
    return np.argmax(Z, axis=0).reshape(1, -1)


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


class BatchNorm(NamedTuple):
    """The three functions of a batch-norm layer that the network calls: the Batch
    Normalization notebook's exercises, so that the network runs on the learner's own code.

    This module has no batch-norm arithmetic of its own; a network with batch-norm layers
    needs a ``BatchNorm``, one without takes ``None``.
    """

    # (Z, gamma, beta, running_mean, running_var, decay, epsilon)
    #   -> (Z_tilde, BatchNormCache, running_mean, running_var), training mode
    forward: Callable
    # (Z, gamma, beta, running_mean, running_var, epsilon) -> Z_tilde, test mode
    inference: Callable
    # (dZ_tilde, BatchNormCache) -> (dZ, dgamma, dbeta), training mode
    backward: Callable


def _check_bn(bn, parameters):
    if bn is not None and not isinstance(bn, BatchNorm):
        raise TypeError(
            "bn must be BatchNorm(batchnorm_forward, batchnorm_inference, batchnorm_backward), "
            f"or None for a network without batch norm, got {bn!r}"
        )
    layers = sorted(key for key in parameters if key.startswith("gamma"))
    if bn is None and layers:
        raise TypeError(
            f"parameters has batch-norm layers ({', '.join(layers)}): pass bn = BatchNorm("
            "batchnorm_forward, batchnorm_inference, batchnorm_backward), the functions they run"
        )


def _backward_test_mode(dZ_tilde, cache, inference):
    r"""Return ``(dZ, dgamma, dbeta)`` of a layer that ran in test mode.

    With the running averages as constants the layer is affine in Z: :math:`\tilde Z = s Z + c`
    row by row, with :math:`s = \gamma / \sqrt{\sigma^2 + \varepsilon}`, so :math:`dZ = s\,
    d\tilde Z`. The slope comes from ``inference`` (the learner's): its output at Z = 1 with
    mean 0 and beta 0.
    """
    ones, zeros = np.ones_like(cache.gamma), np.zeros_like(cache.gamma)
    slope = inference(ones, cache.gamma, zeros, zeros, cache.var, cache.epsilon)
    dgamma = np.sum(dZ_tilde * cache.Z_norm, axis=1, keepdims=True)
    return slope * dZ_tilde, dgamma, np.sum(dZ_tilde, axis=1, keepdims=True)


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
    X, parameters, running, bn, mode="train", activation="relu", decay=0.9, epsilon=1e-5
):
    r"""Run the forward pass of a network with batch norm where a layer has ``gamma{l}``.

    Layers with ``b{l}`` instead run as in ``forward_propagation``, so the same code trains the
    network without batch norm (``bn=None``). Returns ``(AL, caches, running)``:
    ``caches[l - 1]`` is ``(LayerCache(A_prev, Z_tilde), BatchNormCache or None)``. In
    ``mode="train"`` a layer runs ``bn.forward`` and the running averages come back updated with
    the batch's statistics (``decay``: the weight of the old average, which Keras calls
    ``momentum``; it has nothing to do with gradient descent with momentum); in
    ``mode="test"`` it runs ``bn.inference`` (twice: the second time with gamma 1 and beta 0,
    for the cache's Z_norm) and they come back unchanged.
    """
    if mode not in ("train", "test"):
        raise ValueError(f"mode must be 'train' or 'test', got {mode!r}")
    _check_activation(activation)
    _check_bn(bn, parameters)
    g = relu if activation == "relu" else np.tanh
    L = sum(key.startswith("W") for key in parameters)
    A, caches, running = np.asarray(X, dtype=np.float64), [], dict(running)
    for l in range(1, L + 1):
        Z = parameters[f"W{l}"] @ A
        norm = None
        if f"gamma{l}" in parameters:
            gamma, beta = parameters[f"gamma{l}"], parameters[f"beta{l}"]
            mean, var = running[f"mean{l}"], running[f"var{l}"]
            if mode == "train":
                Z_out, norm, mean, var = bn.forward(Z, gamma, beta, mean, var, decay, epsilon)
                running[f"mean{l}"], running[f"var{l}"] = mean, var
            else:
                Z_out = bn.inference(Z, gamma, beta, mean, var, epsilon)
                ones, zeros = np.ones_like(gamma), np.zeros_like(beta)
                Z_norm = bn.inference(Z, ones, zeros, mean, var, epsilon)
                norm = BatchNormCache(Z, Z_norm, mean, var, gamma, epsilon, training=False)
        else:
            Z_out = Z + parameters[f"b{l}"]
        caches.append((LayerCache(A, Z_out), norm))
        if l < L:
            A = g(Z_out)
        else:  # a softmax output from SciPy: this module holds no softmax (Softmax Regression's)
            A = sigmoid(Z_out) if Z_out.shape[0] == 1 else scipy.special.softmax(Z_out, axis=0)
    return A, caches, running


def backward_propagation_bn(AL, Y, caches, parameters, bn, activation="relu"):
    """Return the gradients ``dW{l}`` and ``dgamma{l}, dbeta{l}`` (batch-norm layers) or ``db{l}``
    of the cross-entropy, through the statistics of the mode the forward pass ran in: a training
    layer by ``bn.backward``, a test-mode one as an affine map whose slope ``bn.inference``
    gives."""
    _check_bn(bn, parameters)
    g_prime = (lambda Z: Z > 0) if activation == "relu" else (lambda Z: 1 - np.tanh(Z) ** 2)
    grads = {}
    dZ = (AL - Y) / AL.shape[1]  # the gradient of the layer's Z_tilde (or Z)
    for l in range(len(caches), 0, -1):
        layer, norm = caches[l - 1]
        if norm is None:
            grads[f"db{l}"] = np.sum(dZ, axis=1, keepdims=True)
        elif norm.training:
            dZ, grads[f"dgamma{l}"], grads[f"dbeta{l}"] = bn.backward(dZ, norm)
        else:
            dZ, grads[f"dgamma{l}"], grads[f"dbeta{l}"] = _backward_test_mode(
                dZ, norm, bn.inference
            )
        grads[f"dW{l}"] = dZ @ layer.A_prev.T
        if l > 1:
            dZ = parameters[f"W{l}"].T @ dZ * g_prime(caches[l - 2][0].Z)
    return grads


def train_bn(
    X,
    Y,
    layers_dims,
    bn,
    learning_rate=0.1,
    num_epochs=50,
    mini_batch_size=64,
    activation="relu",
    scale="he",
    seed=0,
    decay=0.9,
    on_epoch=None,
):
    """Train by mini-batch gradient descent, with batch norm in every hidden layer (``bn``, a
    ``BatchNorm`` of the batch-norm functions) or without (``bn=None``: the same W's, with
    biases); return ``(parameters, running, costs)``.

    ``costs`` holds each epoch's mean mini-batch cost. The examples are shuffled every epoch by a
    ``RandomState(seed)``; a last mini-batch smaller than ``mini_batch_size`` is kept. ``decay``
    weighs the old running averages (as in ``forward_propagation_bn``); ``on_epoch``, if given,
    is called after every epoch as ``on_epoch(epoch, parameters, running)``, epoch 1 first.
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
    if not 0 <= decay < 1:
        raise ValueError(f"decay must be in [0, 1), got {decay}")
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be > 0, got {learning_rate}")
    if on_epoch is not None and not callable(on_epoch):
        raise TypeError(
            f"on_epoch must be a function of (epoch, parameters, running), got {on_epoch!r}"
        )
    _check_bn(bn, {})
    if bn is not None:
        parameters, running = initialize_parameters_bn(layers_dims, scale, seed)
    else:
        parameters, running = initialize_parameters_deep(layers_dims, scale, seed), {}
    rng, m, costs = np.random.RandomState(seed), X.shape[1], []
    for epoch in range(1, num_epochs + 1):
        order, epoch_cost = rng.permutation(m), 0.0
        for start in range(0, m, mini_batch_size):
            batch = order[start : start + mini_batch_size]
            AL, caches, running = forward_propagation_bn(
                X[:, batch], parameters, running, bn, "train", activation, decay
            )
            if AL.shape[0] == 1:
                cost = compute_cost(AL, Y[:, batch])
            else:  # the softmax's cross-entropy (compute_cost needs an output layer for C > 1)
                clipped = np.clip(AL, _PROB_EPS, 1 - _PROB_EPS)
                cost = -float(np.sum(Y[:, batch] * np.log(clipped))) / len(batch)
            epoch_cost += cost * len(batch)
            grads = backward_propagation_bn(AL, Y[:, batch], caches, parameters, bn, activation)
            parameters = {k: v - learning_rate * grads["d" + k] for k, v in parameters.items()}
        costs.append(epoch_cost / m)
        if on_epoch is not None:
            on_epoch(epoch, parameters, running)
    return parameters, running, costs


def predict_bn(parameters, running, X, bn, activation="relu"):
    """Return the predicted labels (1, m) in test mode (``bn.inference``): each column's from
    that column alone."""
    AL = forward_propagation_bn(X, parameters, running, bn, "test", activation)[0]
    return AL > 0.5 if AL.shape[0] == 1 else np.argmax(AL, axis=0).reshape(1, -1)
