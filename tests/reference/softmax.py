"""The reference answers of Softmax Regression (``notebooks/Softmax_Regression.ipynb``).

``answer(name, case)`` rebuilds a check's inputs from ``case``, a ``(seed, C, m)``, with the input
builder of ``notebooks/testCases.py`` (it draws logits, probabilities and labels, and computes
nothing the exercises ask for), and returns the expected values of entry ``name`` with the
results of the typical wrong versions that the check names:

- ``softmax``: ``A``, the softmax of each column of the logits, and ``rows``, of each row;
- ``one_hot``: ``Y``, the one-hot columns of the labels, and ``shifted``, with each 1 one row
  too high;
- ``cross_entropy``: the cost ``J`` of the probabilities, and the cost summed over the examples
  (``sum``), averaged over all C m entries (``mean``), of the other sign (``sign``), with the
  log-probability of every class (``all_classes``), and the binary cross-entropy of weeks 1 and
  2 summed over the C rows (``binary``);
- ``softmax_backward``: ``dZ = (A - Y) / m``, and ``A - Y`` (``unscaled``) and ``(Y - A) / m``
  (``sign``).

The three functions of the output layer (``softmax``, ``cross_entropy``, ``softmax_backward``)
are also what the tests pass to ``nn_utils``'s networks of C > 1 output units, as
``OUTPUT_LAYER``: a learner copy has none of them.
"""

import importlib.util

import numpy as np

from nn_utils import OutputLayer
from tests.grading.assignments import ASSIGNMENTS

_FOLDER = ASSIGNMENTS["softmax"].path.parent


def _load_checks():
    # Under a name of its own: every part folder has a module called testCases.
    spec = importlib.util.spec_from_file_location(
        "_reference_softmax_testCases", _FOLDER / "testCases.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_checks = _load_checks()


def softmax(Z):
    """The softmax of each column of Z, (C, m), computed without overflow."""
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)


def one_hot(y, C):
    """The one-hot columns (C, m) of the labels y (1, m)."""
    return np.eye(C)[:, np.ravel(y)]


def cross_entropy(A, Y):
    """Minus the mean over the m examples of the log-probability of the true class."""
    return -float(np.sum(Y * np.log(A))) / Y.shape[1]


def softmax_backward(A, Y):
    """dZ = (A - Y) / m of a softmax output with its cross-entropy."""
    return (A - Y) / Y.shape[1]


OUTPUT_LAYER = OutputLayer(softmax, cross_entropy, softmax_backward)


def _softmax(case):
    Z, _, _, _ = _checks._softmax_inputs(*case)
    E = np.exp(Z)
    return {"A": softmax(Z), "rows": E / E.sum(axis=1, keepdims=True)}


def _one_hot(case):
    _, C, m = case
    _, _, y, _ = _checks._softmax_inputs(*case)
    shifted = np.zeros((C, m))
    shifted[(y.ravel() - 1) % C, np.arange(m)] = 1
    return {"Y": one_hot(y, C), "shifted": shifted}


def _cross_entropy(case):
    _, C, m = case
    _, A, _, Y = _checks._softmax_inputs(*case)
    J = cross_entropy(A, Y)
    return {
        "J": J,
        "sum": J * m,
        "mean": J / C,
        "sign": -J,
        "all_classes": -float(np.sum(np.log(A))) / m,
        "binary": -float(np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))) / m,
    }


def _softmax_backward(case):
    _, _, m = case
    _, A, _, Y = _checks._softmax_inputs(*case)
    return {"dZ": softmax_backward(A, Y), "unscaled": A - Y, "sign": (Y - A) / m}


_ENTRIES = {
    "softmax": _softmax,
    "one_hot": _one_hot,
    "cross_entropy": _cross_entropy,
    "softmax_backward": _softmax_backward,
}


def answer(name, case):
    """The expected values of entry ``name`` on ``case`` (see the module's docstring)."""
    try:
        entry = _ENTRIES[name]
    except KeyError:
        raise LookupError(f"the Softmax Regression reference has no entry {name!r}") from None
    seed, C, m = case
    return entry((int(seed), int(C), int(m)))
