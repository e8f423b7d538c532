"""Helpers for the Gradient Checking assignment: activations and parameter <-> vector conversion.

Gradient checking perturbs one parameter at a time, which is easiest on a single column vector
``theta`` holding every parameter. ``dictionary_to_vector`` flattens a parameters dict into such
a vector (in layer order ``W1, b1, W2, b2, ...``), ``vector_to_dictionary`` rebuilds the dict,
and ``gradients_to_vector`` flattens the matching gradients ``dW1, db1, ...`` in the same order,
so that entry ``i`` of the gradient vector is the derivative with respect to entry ``i`` of
``theta``. Any depth works.
"""

import re
from typing import NamedTuple

import numpy as np
from scipy.special import expit

__all__ = [
    "Cache",
    "sigmoid",
    "relu",
    "dictionary_to_vector",
    "vector_to_dictionary",
    "gradients_to_vector",
    "check_epsilon",
    "COURSE_SHAPES",
]

# The course's network: 4 inputs, layers of 5, 3 and 1 units; 47 parameters in all.
COURSE_SHAPES = {
    "W1": (5, 4),
    "b1": (5, 1),
    "W2": (3, 5),
    "b2": (3, 1),
    "W3": (1, 3),
    "b3": (1, 1),
}

_PARAMETER_NAME = re.compile(r"^(W|b)([1-9][0-9]*)$")


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


def sigmoid(x):
    """Return 1 / (1 + exp(-x)) elementwise; large |x| gives exactly 0 or 1, with no warning."""
    return expit(x)


def relu(x):
    """Return max(0, x) elementwise."""
    return np.maximum(x, 0)


def _layer_order(names, argument):
    """Sort parameter names as W1, b1, W2, b2, ..., W10, b10; reject names of another form."""

    def position(name):
        match = _PARAMETER_NAME.match(name) if isinstance(name, str) else None
        if match is None:
            raise KeyError(
                f"{argument} has the key {name!r}; expected parameter names W1, b1, W2, b2, ..."
            )
        return int(match.group(2)), match.group(1) == "b"

    ordered = sorted(names, key=position)
    if not ordered:
        raise ValueError(f"{argument} is empty; expected parameters W1, b1, ...")
    return ordered


def dictionary_to_vector(parameters):
    """Flatten a parameters dict into one column vector, in layer order W1, b1, W2, b2, ...

    Parameters
    ----------
    parameters : dict
        ``W1, b1, ..., WL, bL`` (any depth, any shapes).

    Returns
    -------
    theta : ndarray of shape (n, 1)
        Every parameter, each array flattened row by row, in layer order.
    keys : list of str, length n
        ``keys[i]`` names the parameter that ``theta[i]`` comes from.
    """
    names = _layer_order(parameters, "parameters")
    pieces = [np.asarray(parameters[name], dtype=np.float64).reshape(-1, 1) for name in names]
    keys = [name for name, piece in zip(names, pieces) for _ in range(piece.shape[0])]
    return np.concatenate(pieces), keys


def vector_to_dictionary(theta, shapes=None):
    """Rebuild a parameters dict from the vector made by ``dictionary_to_vector``.

    Parameters
    ----------
    theta : ndarray of shape (n, 1) or (n,)
    shapes : dict, optional
        Maps each parameter name to its shape, e.g. ``{k: v.shape for k, v in
        parameters.items()}``; the vector is read in layer order whatever the order of the dict.
        None means the course's 4-5-3-1 network (``COURSE_SHAPES``).

    Returns
    -------
    parameters : dict
        The arrays, copied out of ``theta``.

    Raises
    ------
    ValueError
        If ``theta`` does not hold exactly as many numbers as the shapes need.
    """
    shapes = COURSE_SHAPES if shapes is None else shapes
    names = _layer_order(shapes, "shapes")
    theta = np.asarray(theta, dtype=np.float64)
    if theta.ndim not in (1, 2) or (theta.ndim == 2 and theta.shape[1] != 1):
        raise ValueError(f"theta must be a column vector of shape (n, 1), got shape {theta.shape}")
    sizes = [int(np.prod(shapes[name])) for name in names]
    if theta.shape[0] != sum(sizes):
        layout = ", ".join(f"{name} {tuple(shapes[name])}" for name in names)
        raise ValueError(
            f"theta has {theta.shape[0]} entries but the shapes need {sum(sizes)} ({layout})"
        )
    ends = np.cumsum(sizes)
    return {
        name: theta[end - size : end].reshape(shapes[name]).copy()
        for name, size, end in zip(names, sizes, ends)
    }


def gradients_to_vector(gradients):
    """Flatten the gradients ``dW1, db1, ...`` into one column vector, in the order of ``theta``.

    Parameters
    ----------
    gradients : dict
        Holds ``dW1, db1, ..., dWL, dbL``; other entries (``dZ1``, ``dA1``, ...) are ignored.

    Returns
    -------
    grad : ndarray of shape (n, 1)
    """
    names = [key for key in gradients if key.startswith(("dW", "db"))]
    if not names:
        raise KeyError("gradients has no dW1, db1, ... entries")
    ordered = _layer_order([name[1:] for name in names], "gradients (without the d)")
    return dictionary_to_vector({name: gradients["d" + name] for name in ordered})[0]


def check_epsilon(epsilon):
    """Check that the finite-difference step ``epsilon`` is a positive number; return it."""
    if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float, np.number)):
        raise TypeError(f"epsilon must be a positive number, got {epsilon!r}")
    if not 0 < epsilon < np.inf:
        raise ValueError(f"epsilon must be a positive number, got {epsilon}")
    return epsilon
