"""The reference answers of the Batch Normalization assignment (``notebooks``).

The reference's three batch-norm functions live here, with the instructor: ``batchnorm_forward``
(training mode), ``batchnorm_inference`` (test mode) and ``batchnorm_backward`` (the closed form,
training mode). The tests hand them to the batch-norm network of ``nn_utils`` as
``LAYER``; a learner's notebook hands it the learner's own.

``answer(name, case)`` rebuilds a check's inputs from ``case`` with the input builders of
``notebooks/testCases.py`` (``_layer`` and ``_upstream`` draw the inputs and compute nothing the
exercises ask for) and returns the expected values of entry ``name``, with the results of the
typical wrong versions that the check names:

- ``batchnorm_forward`` on ``(seed, n, m, decay, epsilon)``: ``Z_tilde``; the cache's
  ``Z_norm``, ``mu`` and ``var``; the running averages; and ``Z_tilde`` with the statistics over
  the units (axis 0), with the variance's ddof=1, with epsilon outside the square root, without
  epsilon, the running averages with the two weights swapped, and the running variance with
  ddof=1
  (``Z_norm`` is also the output without gamma and beta, ``mu`` the running mean replaced by the
  batch's);
- ``batchnorm_inference`` on ``(seed, n, m, epsilon)``: ``Z_tilde`` from the running averages,
  and from the batch's statistics, with epsilon outside the square root, without epsilon, and
  without gamma and beta (``Z_norm``);
- ``batchnorm_backward`` and ``batchnorm_backward_simple`` on ``(seed, n, m, epsilon)``: the
  training-mode cache's ``Z_norm``, ``mu`` and ``var`` (the check's input), ``dZ``, ``dgamma``
  and ``dbeta``, and dbeta as a mean, dgamma from Z instead of Z_norm, and dZ with the
  statistics as constants, not through mu, not through var, without the factor gamma, and
  without epsilon.
"""

import importlib.util

import numpy as np

import nn_utils
from tests.grading.assignments import ASSIGNMENTS

_FOLDER = ASSIGNMENTS["batchnorm"].path.parent


def _load_checks():
    # Under a name of its own: every part folder has a module called testCases.
    spec = importlib.util.spec_from_file_location(
        "_reference_batchnorm_testCases", _FOLDER / "testCases.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_checks = _load_checks()


def batchnorm_forward(Z, gamma, beta, running_mean, running_var, decay=0.9, epsilon=1e-5):
    r"""Normalize each unit (row) of ``Z`` over the batch, then scale and shift (training mode).

    :math:`\tilde Z = \gamma \frac{Z - \mu}{\sqrt{\sigma^2 + \varepsilon}} + \beta`, with the
    batch's mean and variance of each row.

    Returns
    -------
    Z_tilde : ndarray of shape (n, m)
    cache : BatchNormCache
    running_mean, running_var : ndarray of shape (n, 1)
        ``decay * running + (1 - decay) * batch``: new arrays, the ones passed in unchanged.
    """
    mu = Z.mean(axis=1, keepdims=True)
    var = Z.var(axis=1, keepdims=True)
    Z_norm = (Z - mu) / np.sqrt(var + epsilon)
    running_mean = decay * running_mean + (1 - decay) * mu
    running_var = decay * running_var + (1 - decay) * var
    cache = nn_utils.BatchNormCache(Z, Z_norm, mu, var, gamma, epsilon)
    return gamma * Z_norm + beta, cache, running_mean, running_var


def batchnorm_inference(Z, gamma, beta, running_mean, running_var, epsilon=1e-5):
    """Normalize with the running averages (test mode): each column's output depends on that
    column alone."""
    return gamma * ((Z - running_mean) / np.sqrt(running_var + epsilon)) + beta


def batchnorm_backward(dZ_tilde, cache):
    r"""Return ``(dZ, dgamma, dbeta)`` from the gradient of the normalized output (training mode).

    In one expression (the batch's mean and variance depend on every column):
    :math:`dZ = \frac{1}{m \sqrt{\sigma^2 + \varepsilon}} \left(m\, d\hat Z - \sum_i d\hat Z
    - \hat Z \sum_i d\hat Z \odot \hat Z\right)` with :math:`d\hat Z = \gamma\, d\tilde Z`,
    sums over the columns.
    """
    dgamma = np.sum(dZ_tilde * cache.Z_norm, axis=1, keepdims=True)
    dbeta = np.sum(dZ_tilde, axis=1, keepdims=True)
    dZ_norm = dZ_tilde * cache.gamma
    std = np.sqrt(cache.var + cache.epsilon)
    m = dZ_tilde.shape[1]
    dZ = (
        m * dZ_norm
        - dZ_norm.sum(axis=1, keepdims=True)
        - cache.Z_norm * np.sum(dZ_norm * cache.Z_norm, axis=1, keepdims=True)
    ) / (m * std)
    return dZ, dgamma, dbeta


LAYER = nn_utils.BatchNorm(batchnorm_forward, batchnorm_inference, batchnorm_backward)


def _normalized(Z, mu, var, epsilon):
    return (Z - mu) / np.sqrt(var + epsilon)


def _forward(case):
    seed, n, m, decay, epsilon = case
    Z, gamma, beta, running_mean, running_var = _checks._layer(seed, n, m)
    Z_tilde, cache, new_mean, new_var = batchnorm_forward(
        Z, gamma, beta, running_mean, running_var, decay, epsilon
    )
    mu, var = cache.mu, cache.var
    unbiased = Z.var(axis=1, ddof=1, keepdims=True) if m > 1 else var
    return {
        "Z_tilde": Z_tilde,
        "Z_norm": cache.Z_norm,
        "mu": mu,
        "var": var,
        "running_mean": new_mean,
        "running_var": new_var,
        "axis=0": gamma * _normalized(Z, Z.mean(axis=0), Z.var(axis=0), epsilon) + beta,
        "ddof=1": gamma * _normalized(Z, mu, unbiased, epsilon) + beta,
        "epsilon outside": gamma * (Z - mu) / (np.sqrt(var) + epsilon) + beta,
        "no epsilon": gamma * (Z - mu) / np.sqrt(var) + beta,
        "running_mean swapped": decay * mu + (1 - decay) * running_mean,
        "running_var swapped": decay * var + (1 - decay) * running_var,
        "running_var ddof=1": decay * running_var + (1 - decay) * unbiased,
    }


def _inference(case):
    seed, n, m, epsilon = case
    Z, gamma, beta, running_mean, running_var = _checks._layer(seed, n, m)
    mu, var = Z.mean(axis=1, keepdims=True), Z.var(axis=1, keepdims=True)
    return {
        "Z_tilde": batchnorm_inference(Z, gamma, beta, running_mean, running_var, epsilon),
        "batch statistics": gamma * _normalized(Z, mu, var, epsilon) + beta,
        "epsilon outside": gamma * (Z - running_mean) / (np.sqrt(running_var) + epsilon) + beta,
        "no epsilon": gamma * (Z - running_mean) / np.sqrt(running_var) + beta,
        "Z_norm": _normalized(Z, running_mean, running_var, epsilon),
    }


def _backward(case):
    seed, n, m, epsilon = case
    Z, gamma, beta, running_mean, running_var = _checks._layer(seed, n, m)
    dZ_tilde = _checks._upstream(seed, n, m)
    cache = batchnorm_forward(Z, gamma, beta, running_mean, running_var, epsilon=epsilon)[1]
    dZ, dgamma, dbeta = batchnorm_backward(dZ_tilde, cache)
    Z_norm, std = cache.Z_norm, np.sqrt(cache.var + epsilon)
    dZ_norm = dZ_tilde * gamma
    return {
        "Z_norm": Z_norm,
        "mu": cache.mu,
        "var": cache.var,
        "dZ": dZ,
        "dgamma": dgamma,
        "dbeta": dbeta,
        "dbeta mean": dZ_tilde.mean(axis=1, keepdims=True),
        "dgamma of Z": np.sum(dZ_tilde * Z, axis=1, keepdims=True),
        "dZ constants": dZ_norm / std,
        "dZ not through mu": (
            m * dZ_norm - Z_norm * np.sum(dZ_norm * Z_norm, axis=1, keepdims=True)
        )
        / (m * std),
        "dZ not through var": (m * dZ_norm - dZ_norm.sum(axis=1, keepdims=True)) / (m * std),
        "dZ without gamma": dZ / gamma,
        "dZ no epsilon": dZ * std / np.sqrt(cache.var),
    }


_ENTRIES = {
    "batchnorm_forward": _forward,
    "batchnorm_inference": _inference,
    "batchnorm_backward": _backward,
    "batchnorm_backward_simple": _backward,
}


def answer(name, case):
    """The expected values of entry ``name`` (an exercise's name) on ``case``."""
    return _ENTRIES[name](tuple(case))
