"""Checks for the exercises of the graded companions: Optimization Methods, Hyperparameter
Search, Batch Normalization, Softmax Regression and TensorFlow Introduction (whose checks import
TensorFlow when they run, so that the other notebooks do not wait for it).

Each ``*_test`` check takes the learner's function, runs it on several shapes, seeds and
hyperparameters, and either prints ``All tests passed.`` or raises ``AssertionError`` saying
what is off and the most likely mistake. A function that still raises ``NotImplementedError``
gets a one-line reminder. The ``verify_*`` functions hold the checks for any list of cases; the
grader (``tests/grading``) runs them with other cases than the public ones.
"""

import functools
import json
import os
import pathlib
import sys

import numpy as np

from nn_utils import BatchNormCache

__all__ = [
    "verify_update_parameters_with_gd",
    "verify_random_mini_batches",
    "verify_initialize_velocity",
    "verify_update_parameters_with_momentum",
    "verify_initialize_rmsprop",
    "verify_update_parameters_with_rmsprop",
    "verify_initialize_adam",
    "verify_update_parameters_with_adam",
    "verify_update_lr",
    "verify_schedule_lr_decay",
    "update_parameters_with_gd_test",
    "random_mini_batches_test",
    "initialize_velocity_test",
    "update_parameters_with_momentum_test",
    "initialize_rmsprop_test",
    "update_parameters_with_rmsprop_test",
    "initialize_adam_test",
    "update_parameters_with_adam_test",
    "update_lr_test",
    "schedule_lr_decay_test",
    "verify_softmax",
    "verify_one_hot",
    "verify_cross_entropy",
    "verify_softmax_backward",
    "softmax_test",
    "one_hot_test",
    "cross_entropy_test",
    "softmax_backward_test",
    "verify_sample_learning_rate",
    "verify_sample_beta",
    "sample_learning_rate_test",
    "sample_beta_test",
    "verify_linear_function",
    "verify_sigmoid",
    "verify_one_hot_matrix",
    "verify_initialize_parameters",
    "verify_forward_propagation",
    "verify_compute_total_loss",
    "verify_model",
    "linear_function_test",
    "sigmoid_test",
    "one_hot_matrix_test",
    "initialize_parameters_test",
    "forward_propagation_test",
    "compute_total_loss_test",
    "model_test",
    "verify_batchnorm_forward",
    "verify_batchnorm_inference",
    "verify_batchnorm_backward",
    "verify_batchnorm_backward_simple",
    "batchnorm_inference_test",
    "batchnorm_forward_test",
    "batchnorm_backward_test",
    "batchnorm_backward_simple_test",
]

# Public cases: (seed, layer sizes) for the update rules, (m, mini_batch_size, seed) for the
# mini-batches. The grader uses others.
NETWORKS = ((1, [3, 2, 1]), (2, [4, 5, 2, 1]), (3, [2, 3, 3, 3, 1]))
BATCHES = ((148, 64, 0), (300, 64, 11), (128, 64, 3), (10, 3, 5), (7, 10, 1))
DECAYS = ((0.5, 2, 1.0), (0.01, 10, 0.3), (0.1, 4500, 1.0), (0.2, 0, 2.0))
# Softmax Regression: (seed, number of classes C, number of examples m).
CLASSES = ((1, 3, 5), (2, 4, 1), (3, 6, 9), (4, 2, 7))
# TensorFlow Introduction: (seed, number of examples m), the network's layer sizes, and
# (label, depth) of the one-hot vectors.
EXAMPLES = ((1, 5), (2, 1), (3, 32))
TF_LAYERS = [64, 25, 12, 6]
LABELS = ((2, 4), (7, 10), (0, 6), (3, 6), (5, 6))
# Hyperparameter Search: (seed, number of samples n).
SAMPLES = ((0, 1), (1, 5), (2, 40))
# Batch Normalization: (seed, number of units n, number of examples m).
UNITS = ((1, 3, 5), (2, 4, 2), (3, 1, 9), (4, 6, 16))


class CheckFailed(AssertionError):
    """A check's verdict. IPython shows it as one line, without a traceback through this file."""

    def _render_traceback_(self):
        return [f"CheckFailed: {self}"]


class NotDoneYet(Exception):
    """An exercise still to write. IPython shows it as one line; a grader that scores whether
    the check cell raised (nbgrader's autograde) gives it 0."""

    def _render_traceback_(self):
        return [str(self)]


# The expected values of the public cases, stored as data by the instructor's reference
# (``python -m tests.reference store``): this folder holds no code that computes an answer.
_STORE = pathlib.Path(__file__).with_name("expected_values.json")


@functools.cache
def _stored():
    with open(_STORE, encoding="utf-8") as handle:
        return json.load(handle)


def _decode(value):
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "array" in value:
        return np.array(value["array"], dtype=value["dtype"]).reshape(value["shape"])
    if "float" in value:
        return float(value["float"])
    return {k: _decode(v) for k, v in value["dict"].items()}


def _plain(case):
    if isinstance(case, (list, tuple)):
        return tuple(_plain(x) for x in case)
    return case.item() if isinstance(case, np.generic) else case


def stored_answers(name, case):
    """The expected values of ``name`` on the public ``case``, as the reference stored them."""
    key = f"{name} {_plain(case)!r}"
    try:
        return _decode(_stored()[key])
    except KeyError:
        raise LookupError(
            f"no stored expected value for {key}: this check's cases are the notebook's own"
        ) from None


def exercise_check(check):
    """Turn ``NotImplementedError`` from the learner's function into a one-line ``NotDoneYet``,
    and a failed check into a short ``CheckFailed`` (errors in the learner's own code keep their
    traceback, which shows where they happened)."""

    @functools.wraps(check)
    def run(target):
        try:
            check(target)
        except NotImplementedError:
            raise NotDoneYet(
                f"{target.__name__} is not done yet: write its code where it says YOUR CODE HERE."
            ) from None
        except AssertionError as error:
            raise CheckFailed(str(error).strip()) from None
        print("All tests passed.")

    return run


def _parameters_and_grads(seed, dims):
    rng = np.random.RandomState(seed)
    parameters, grads = {}, {}
    for l in range(1, len(dims)):
        for key, shape in ((f"W{l}", (dims[l], dims[l - 1])), (f"b{l}", (dims[l], 1))):
            parameters[key] = rng.randn(*shape)
            grads["d" + key] = rng.randn(*shape)
    return parameters, grads


def _copy(d, order=None):
    """Float copies of the arrays of ``d``, in the order of the keys of ``order`` if given."""
    return {k: np.array(d[k], dtype=float) for k in (d if order is None else order)}


def _step_grads(seed, parameters, steps):
    """Fresh random gradients for ``steps`` successive steps, shaped like ``parameters``."""
    rng = np.random.RandomState(seed + 1000)
    return [{"d" + k: rng.randn(*v.shape) for k, v in parameters.items()} for _ in range(steps)]


def _layer_order(key):
    """Sort key that lists W1, b1, W2, b2, ... (and dW1, db1, ...) layer by layer."""
    name = key.removeprefix("d")
    return int(name.lstrip("Wb") or 0), name


def _compare(what, got, expected, hints=None):
    """Compare a dict of arrays with ``expected["right"]``; name the first key that differs and
    the likely mistake: the message of the first entry of ``hints`` (``{name: message}``) whose
    result ``expected[name]`` it equals."""
    right = expected["right"]
    assert isinstance(got, dict), f"{what} must be a dict, got {type(got).__name__}"
    missing = sorted(set(right) - set(got))
    assert not missing, f"{what} lacks {', '.join(missing)}; expected keys {sorted(right)}"
    for key in sorted(right, key=_layer_order):
        value, want = np.asarray(got[key]), right[key]
        assert value.shape == want.shape, (
            f"{key} of {what} has shape {value.shape}, expected {want.shape}"
        )
        if np.allclose(value, want, rtol=1e-7, atol=1e-12):
            continue
        message = f"{key} of {what} is off by up to {np.max(np.abs(value - want)):.3g}"
        for mistake, text in (hints or {}).items():
            wrong = expected[mistake]
            if key in wrong and np.allclose(value, wrong[key], rtol=1e-7, atol=1e-12):
                message += f": it equals {text}"
                break
        raise AssertionError(message)


# The expected results come from ``answers`` (stored data in a learner's copy); the checks keep
# only the messages that name each typical mistake, under the name of its stored result.
_GD_HINTS = {"uphill": "W + learning_rate * dW: step against the gradient"}
_MOMENTUM_HINTS = {
    "v": {"undamped": "beta * v + dW: multiply the gradient by (1 - beta)"},
    "parameters": {"along dW": "W - learning_rate * dW: step along the velocity v"},
}
_SQUARE_HINT = {"unsquared": "beta2 * s + (1 - beta2) * dW: square the gradient"}
_RMSPROP_HINTS = {
    "s": _SQUARE_HINT,
    "parameters": {
        "no square root": "W - learning_rate * dW / (s + epsilon): divide by the square root of s",
        "epsilon inside": "W - learning_rate * dW / sqrt(s + epsilon): epsilon goes outside the "
        "square root, sqrt(s) + epsilon",
    },
}


def _adam_hints(t):
    power = f"the correction uses the power t = {t}, the t passed in" + (
        ": not a fixed 2, and do not add 1 to t inside the function" if t == 1 else ""
    )
    return {
        "v": {},
        "s": _SQUARE_HINT,
        "v_corrected": {
            "power t + 1": f"v / (1 - beta1**{t + 1}): {power}",
            "power 2": f"v / (1 - beta1**2) whatever t: {power}",
            "power 1": "v / (1 - beta1): raise beta1 to the power t",
            "power outside": "v / (1 - beta1)**t: divide by 1 - beta1**t, the power of beta1 "
            "alone",
            "uncorrected": "the uncorrected v: divide by (1 - beta1**t)",
        },
        "s_corrected": {
            "power t + 1": f"s / (1 - beta2**{t + 1}): {power}",
            "power 2": f"s / (1 - beta2**2) whatever t: {power}",
            "power outside": "s / (1 - beta2)**t: divide by 1 - beta2**t, the power of beta2 "
            "alone",
            "uncorrected": "the uncorrected s: divide by (1 - beta2**t)",
        },
        "parameters": {
            "epsilon inside": "W - learning_rate * v_corrected / sqrt(s_corrected + epsilon): "
            "epsilon goes outside the square root, sqrt(s_corrected) + epsilon"
        },
    }


def verify_update_parameters_with_gd(
    target, cases=NETWORKS, learning_rate=0.01, answers=stored_answers
):
    """Check W = W - learning_rate * dW and b = b - learning_rate * db for every layer."""
    for case in cases:
        parameters, grads = _parameters_and_grads(*case)
        want = answers("update_parameters_with_gd", (*case, learning_rate))
        got = target(_copy(parameters), _copy(grads), learning_rate)
        _compare("the updated parameters", got, want["parameters"], _GD_HINTS)


def verify_random_mini_batches(target, cases=BATCHES, answers=stored_answers):
    """Check that the mini-batches partition the shuffled data: full batches, then the rest."""
    for case in cases:
        m, size, _ = case
        rng = np.random.RandomState(100 + m)
        X, Y = rng.randn(4, m), (rng.rand(1, m) > 0.5).astype(int)
        want = answers("random_mini_batches", case)
        batches = target(X.copy(), Y.copy(), size, case[2])
        sizes = [b[0].shape[1] for b in batches]
        assert sizes == want["sizes"], (
            f"m = {m}, mini_batch_size = {size}: batch sizes {sizes}, expected {want['sizes']}"
            + (" (the last batch holds the m mod size examples left over)" if m % size else "")
        )
        got_X = np.concatenate([b[0] for b in batches], axis=1)
        got_Y = np.concatenate([b[1] for b in batches], axis=1)
        assert got_X.shape == (4, m) and got_Y.shape == (1, m), (
            "each batch is (X columns, Y columns)"
        )
        if np.array_equal(got_X, X):
            raise AssertionError("the batches are not shuffled: permute the columns first")
        assert np.array_equal(got_X, X[:, want["order"]]), (
            "the columns are not in the expected order: shuffle with "
            "np.random.RandomState(seed).permutation(m) (or np.random.seed(seed) then "
            "np.random.permutation(m)) and apply the same permutation to X and Y"
        )
        assert np.array_equal(got_Y, Y[:, want["order"]]), (
            "Y is not shuffled like X: use the same permutation for both"
        )


def verify_initialize_velocity(target, cases=NETWORKS, answers=stored_answers):
    """Check v = zeros like every parameter, under keys dW1, db1, ..."""
    for case in cases:
        parameters, _ = _parameters_and_grads(*case)
        want = answers("initialize_velocity", case)
        _compare("v", target(_copy(parameters)), {"right": want["v"]})


def verify_initialize_rmsprop(target, cases=NETWORKS, answers=stored_answers):
    """Check s = zeros like every parameter, under keys dW1, db1, ..."""
    for case in cases:
        parameters, _ = _parameters_and_grads(*case)
        want = answers("initialize_rmsprop", case)
        _compare("s", target(_copy(parameters)), {"right": want["s"]})


def verify_initialize_adam(target, cases=NETWORKS, answers=stored_answers):
    """Check (v, s), both zeros like every parameter."""
    for case in cases:
        parameters, _ = _parameters_and_grads(*case)
        want = answers("initialize_adam", case)
        out = target(_copy(parameters))
        assert isinstance(out, tuple) and len(out) == 2, "initialize_adam returns (v, s)"
        _compare("v", out[0], {"right": want["v"]})
        _compare("s", out[1], {"right": want["s"]})
        assert out[0] is not out[1] and all(out[0][k] is not out[1][k] for k in out[0]), (
            "v and s must be separate arrays: updating one must not change the other"
        )


def verify_update_parameters_with_momentum(
    target, cases=NETWORKS, beta=0.9, learning_rate=0.01, answers=stored_answers
):
    """Check v = beta v + (1 - beta) dW, then W = W - learning_rate * v, over several steps."""
    hints = _MOMENTUM_HINTS
    for case in cases:
        parameters, _ = _parameters_and_grads(*case)
        all_grads = _step_grads(case[0], parameters, 4)
        p, v = parameters, {k: np.zeros_like(g) for k, g in all_grads[0].items()}
        for t, grads in enumerate(all_grads, 1):
            want = answers(
                f"update_parameters_with_momentum/step{t}", (*case, beta, learning_rate)
            )
            out = target(_copy(p, parameters), _copy(grads), _copy(v, grads), beta, learning_rate)
            assert isinstance(out, tuple) and len(out) == 2, "return (parameters, v)"
            _compare("v", out[1], want["v"], hints["v"])
            _compare("the updated parameters", out[0], want["parameters"], hints["parameters"])
            p, v = want["parameters"]["right"], want["v"]["right"]
    # With beta = 0 the velocity is the gradient itself: a step of plain gradient descent.
    case = (9, [3, 2, 1])
    parameters, _ = _parameters_and_grads(*case)
    grads = _step_grads(case[0], parameters, 1)[0]
    want = answers("update_parameters_with_momentum/step1", (*case, 0.0, 0.1))
    v = {k: np.zeros_like(g) for k, g in grads.items()}
    out = target(_copy(parameters), _copy(grads), v, 0.0, 0.1)
    _compare(
        "with beta = 0 momentum is gradient descent: the parameters", out[0], want["parameters"]
    )


def verify_update_parameters_with_rmsprop(
    target, cases=NETWORKS, beta2=0.999, learning_rate=0.01, epsilon=1e-8, answers=stored_answers
):
    """Check s = beta2 s + (1 - beta2) dW**2, then W = W - lr * dW / (sqrt(s) + epsilon)."""
    hints = _RMSPROP_HINTS
    for case in cases:
        parameters, _ = _parameters_and_grads(*case)
        all_grads = _step_grads(case[0], parameters, 4)
        p, s = parameters, {k: np.zeros_like(g) for k, g in all_grads[0].items()}
        for t, grads in enumerate(all_grads, 1):
            want = answers(
                f"update_parameters_with_rmsprop/step{t}", (*case, beta2, learning_rate, epsilon)
            )
            out = target(
                _copy(p, parameters), _copy(grads), _copy(s, grads), beta2, learning_rate, epsilon
            )
            assert isinstance(out, tuple) and len(out) == 2, "return (parameters, s)"
            _compare("s", out[1], want["s"], hints["s"])
            _compare("the updated parameters", out[0], want["parameters"], hints["parameters"])
            p, s = want["parameters"]["right"], want["s"]["right"]


def verify_update_parameters_with_adam(
    target,
    cases=NETWORKS,
    learning_rate=0.01,
    beta1=0.9,
    beta2=0.999,
    epsilon=1e-8,
    steps=5,
    answers=stored_answers,
):
    """Check Adam over steps t = 1, 2, ...: moments, bias correction with beta**t, the update."""
    settings = (learning_rate, beta1, beta2, epsilon)
    order = ((1, "v"), (2, "s"), (3, "v_corrected"), (4, "s_corrected"), (0, "parameters"))
    for case in cases:
        parameters, _ = _parameters_and_grads(*case)
        all_grads = _step_grads(case[0], parameters, steps)
        p = parameters
        v = {k: np.zeros_like(g) for k, g in all_grads[0].items()}
        s = {k: np.zeros_like(g) for k, g in all_grads[0].items()}
        for t, grads in enumerate(all_grads, 1):
            want = answers(f"update_parameters_with_adam/step{t}", (*case, *settings))
            out = target(
                _copy(p, parameters), _copy(grads), _copy(v, grads), _copy(s, grads), t, *settings
            )
            assert isinstance(out, tuple) and len(out) == 5, (
                "return (parameters, v, s, v_corrected, s_corrected)"
            )
            hints = _adam_hints(t)
            for index, name in order:
                what = "the updated parameters" if name == "parameters" else name
                _compare(f"{what} at t = {t}", out[index], want[name], hints[name])
            p, v, s = (want[name]["right"] for name in ("parameters", "v", "s"))


def verify_update_lr(target, cases=DECAYS, answers=stored_answers):
    """Check learning_rate0 / (1 + decay_rate * epoch_num)."""
    for case in cases:
        got = target(*case)
        want = answers("update_lr", case)
        assert np.isclose(got, want, rtol=1e-12), (
            f"update_lr({', '.join(map(str, case))}) = {got}, expected {want}"
        )


def verify_schedule_lr_decay(target, cases=DECAYS, time_interval=1000, answers=stored_answers):
    """Check learning_rate0 / (1 + decay_rate * floor(epoch_num / time_interval))."""
    for case in cases:
        for interval in (time_interval, 3):
            got = target(*case, interval)
            want = answers("schedule_lr_decay", (*case, interval))
            hint = ""
            if np.isclose(got, want["unrounded"]):
                hint = ": round epoch_num / time_interval down with np.floor"
            assert np.isclose(got, want["right"], rtol=1e-12), (
                f"schedule_lr_decay({', '.join(map(str, (*case, interval)))}) = {got}, "
                f"expected {want['right']}{hint}"
            )


def _exercise_test(verify):
    @exercise_check
    def check(target):
        verify(target)

    check.__name__ = verify.__name__.removeprefix("verify_") + "_test"
    check.__doc__ = verify.__doc__
    return check


update_parameters_with_gd_test = _exercise_test(verify_update_parameters_with_gd)
random_mini_batches_test = _exercise_test(verify_random_mini_batches)
initialize_velocity_test = _exercise_test(verify_initialize_velocity)
update_parameters_with_momentum_test = _exercise_test(verify_update_parameters_with_momentum)
initialize_rmsprop_test = _exercise_test(verify_initialize_rmsprop)
update_parameters_with_rmsprop_test = _exercise_test(verify_update_parameters_with_rmsprop)
initialize_adam_test = _exercise_test(verify_initialize_adam)
update_parameters_with_adam_test = _exercise_test(verify_update_parameters_with_adam)
update_lr_test = _exercise_test(verify_update_lr)
schedule_lr_decay_test = _exercise_test(verify_schedule_lr_decay)


# Softmax Regression ------------------------------------------------------------------------------


# Two columns 2000 apart: the largest entry of the whole array, 2000, is not the first column's
# own maximum, so subtracting it leaves e**-2000 = 0 in every entry of that column.
COLUMNS_APART = np.array([[0.0, 2000.0], [-1.0, 1999.0]])
# The examples whose results the public checks print before checking (the notebook's "Expected
# output"): logits Z (3, 2), labels y (1, 4) of 3 classes, probabilities A (3, 2), labels Y.
_SHOWN_Z = np.array([[1.0, 0.0], [2.0, 0.0], [3.0, 0.0]])
_SHOWN_Y_LABELS = np.array([[2, 0, 1, 2]])
_SHOWN_A = np.array([[0.7, 0.1], [0.2, 0.6], [0.1, 0.3]])
_SHOWN_Y = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]])


def _show_value(what, value, decimals=6):
    """Print ``what = value`` as an array at ``decimals`` (or as it is, if not numbers)."""
    try:
        values = np.asarray(_values(value))
        numbers = values.dtype.kind in "biuf"
        shown = np.array2string(np.round(values.astype(float), decimals)) if numbers else None
    except (TypeError, ValueError):
        shown = None
    shown = repr(value) if shown is None else shown
    print(f"{what} =\n{shown}" if "\n" in shown else f"{what} = {shown}")


def _shown_first(show, verify):
    """``verify`` that first prints what the learner's function gives on the notebook's example
    (``show(target)``), for the learner to compare with the Expected output block. The public
    checks only: the grader runs ``verify`` itself."""

    @functools.wraps(verify)
    def run(target):
        show(target)
        verify(target)

    return run


def _softmax_inputs(seed, C, m):
    """The inputs of a (seed, C, m) case: logits Z (C, m), probabilities A (C, m) (each column
    drawn from a flat Dirichlet distribution), class labels y (1, m) and their one-hot Y."""
    rng = np.random.RandomState(seed)
    Z = rng.randn(C, m) * 3
    A = rng.dirichlet(np.ones(C), size=m).T
    y = rng.randint(0, C, (1, m))
    Y = (np.arange(C).reshape(-1, 1) == y).astype(float)
    return Z, A, y, Y


def verify_softmax(target, cases=CLASSES, answers=stored_answers):
    """Check softmax on each (seed, C, m) of ``cases``, then on logits of 1000 and on columns
    thousands apart."""
    for case in cases:
        seed, C, m = case
        Z, _, _, _ = _softmax_inputs(seed, C, m)
        want = answers("softmax", case)
        saved = Z.copy()
        got = np.asarray(target(Z), dtype=float)
        assert np.array_equal(Z, saved), "softmax changed Z in place: compute on a copy"
        assert got.shape == (C, m), f"softmax of a ({C}, {m}) array has shape {got.shape}"
        if np.allclose(got, want["A"], rtol=1e-10, atol=1e-15):
            continue
        assert not np.allclose(got, want["rows"]), (
            "each row sums to 1: normalize each column (axis=0), one example's C logits, "
            "with keepdims=True"
        )
        raise AssertionError(
            f"softmax is off by up to {np.max(np.abs(got - want['A'])):.3g} for a ({C}, {m}) "
            "array: exp(Z) divided by the sum of exp over each column"
        )
    huge = np.array([[1000.0], [999.0], [0.0]])
    with np.errstate(over="ignore", invalid="ignore"):
        got = np.asarray(target(huge), dtype=float)
    assert np.all(np.isfinite(got)), (
        "softmax of logits near 1000 gives nan: exp(1000) overflows; subtract each column's "
        "maximum before np.exp (the result is the same)"
    )
    with np.errstate(under="ignore", invalid="ignore", divide="ignore"):
        got = np.asarray(target(COLUMNS_APART.copy()), dtype=float)
    # Both columns are (0, -1) shifted: 1 / (1 + e^-1) and e^-1 / (1 + e^-1) in each.
    expected = np.array([[0.7310585786300049] * 2, [0.2689414213699951] * 2])
    assert np.allclose(got, expected, rtol=1e-12), (
        "softmax of two columns 2000 apart gives nan or 0: subtract each column's own maximum "
        "(Z.max(axis=0, keepdims=True)), not the largest entry of the whole array"
    )


def verify_one_hot(target, cases=CLASSES, answers=stored_answers):
    """Check one_hot(y, C) on each (seed, C, m) of ``cases``."""
    for case in cases:
        seed, C, m = case
        _, _, y, _ = _softmax_inputs(seed, C, m)
        want = answers("one_hot", case)
        got = np.asarray(target(y.copy(), C))
        assert got.shape != (m, C) or C == m, (
            f"one_hot(y, {C}) for {m} examples has shape {got.shape}: one column per example, "
            f"shape ({C}, {m}) (did you transpose?)"
        )
        assert got.shape == (C, m), (
            f"one_hot(y, {C}) for {m} examples: shape ({C}, {m}), got {got.shape}"
        )
        if np.array_equal(got, want["Y"]):
            continue
        assert not np.array_equal(got, want["shifted"]), (
            "the 1s are one row too high: class k is row k, counting from 0"
        )
        raise AssertionError(
            f"one_hot(y, {C}) must have a single 1 in each column j, in row y[0, j], and 0 "
            "elsewhere"
        )


def verify_cross_entropy(target, cases=CLASSES, answers=stored_answers):
    """Check cross_entropy(A, Y) on each (seed, C, m) of ``cases``."""
    hints = {
        "sum": "check the sum over the examples: divide by m, the number of examples",
        "mean": "check np.mean over all C x m entries, which divides by C m: sum over the "
        "classes, then divide by m",
        "sign": "check the sign: the cost is minus the log-probability of the true class",
        "all_classes": "check the log-probability of every class counts: multiply by Y, so that "
        "only the true class's does",
        "binary": "this is the binary cross-entropy of weeks 1 and 2, -(Y log A + (1 - Y) "
        "log(1 - A)) summed over the C rows and divided by m: with C classes drop the (1 - Y) "
        "log(1 - A) terms; -Y log A alone keeps one term per column, the true class's",
    }
    for case in cases:
        seed, C, m = case
        _, A, _, Y = _softmax_inputs(seed, C, m)
        want = answers("cross_entropy", case)
        got = float(target(A.copy(), Y.copy()))
        if np.isclose(got, want["J"], rtol=1e-10):
            continue
        hint = next((h for k, h in hints.items() if np.isclose(got, want[k], rtol=1e-10)), "")
        raise AssertionError(
            f"cross_entropy for C = {C}, m = {m} is {got:.6g}, expected {want['J']:.6g}"
            + (f"; {hint}" if hint else "")
        )


def verify_softmax_backward(target, cases=CLASSES, answers=stored_answers):
    """Check dZ = (A - Y) / m on each (seed, C, m) of ``cases``."""
    for case in cases:
        seed, C, m = case
        _, A, _, Y = _softmax_inputs(seed, C, m)
        want = answers("softmax_backward", case)
        got = np.asarray(target(A.copy(), Y.copy()), dtype=float)
        assert got.shape == (C, m), f"dZ must have the shape of A, ({C}, {m}), got {got.shape}"
        if np.allclose(got, want["dZ"], rtol=1e-10, atol=1e-15):
            continue
        assert m == 1 or not np.allclose(got, want["unscaled"]), (
            "dZ is m times too large: divide by m (in these notebooks d includes the 1/m of the "
            "cost; the lecture writes dz = a - y for one example and puts the 1/m in dW)"
        )
        assert not np.allclose(got, want["sign"]), "dZ has the wrong sign: it is (A - Y) / m"
        raise AssertionError(
            f"dZ is off by up to {np.max(np.abs(got - want['dZ'])):.3g}: (A - Y) / m"
        )


softmax_test = _exercise_test(
    _shown_first(lambda f: _show_value("softmax(Z)", f(_SHOWN_Z.copy())), verify_softmax)
)
one_hot_test = _exercise_test(
    _shown_first(
        lambda f: _show_value("one_hot(y, 3)", f(_SHOWN_Y_LABELS.copy(), 3)), verify_one_hot
    )
)
cross_entropy_test = _exercise_test(
    _shown_first(
        lambda f: _show_value("cross_entropy(A, Y)", f(_SHOWN_A.copy(), _SHOWN_Y.copy())),
        verify_cross_entropy,
    )
)
softmax_backward_test = _exercise_test(
    _shown_first(
        lambda f: _show_value("softmax_backward(A, Y)", f(_SHOWN_A.copy(), _SHOWN_Y.copy())),
        verify_softmax_backward,
    )
)


# Hyperparameter Search ---------------------------------------------------------------------------

# The law of a sampler is checked on this many values drawn from one seed: the exponents of a
# right sampler then come within 1/400 of their interval's length of either end (they miss by
# more with probability 2 e**-50), and a Kolmogorov-Smirnov test sees a law off by a percent.
_SAMPLER_DRAWS = 20000
_KS_LEVEL = 1e-6  # a right sampler fails the test of its law this rarely
# sqrt(n) times the Kolmogorov-Smirnov distance of n uniform draws falls below this less than
# once in 10**12 runs; exponents that close to uniform are a grid (np.linspace), not draws.
_TOO_EVEN = 0.2


def _verify_sampler(target, cases, name, formula, value_of, exponent_of, hints, answers):
    """Check a sampler of ``n`` values from ``rng``: shape, range, its use of ``rng``, and the
    law of its exponents r (``exponent_of`` of the values; the values are ``value_of(r)``, as
    ``formula`` writes it): uniform over the interval ``answers(name, ())["exponents"]``.

    On ``_SAMPLER_DRAWS`` values: nearly all distinct (no grid of a few values), the exponents
    reach both ends of their interval, each of the law's equal stretches holds its share of them
    (the first message for values uniform between the ends of the range), and a
    Kolmogorov-Smirnov test neither rejects the uniform law nor finds them spread more evenly
    than random draws are. ``hints``: how to draw the exponent, and what values drawn uniformly
    between the ends of the range do. Return what a learner can compare (``_print_sampler``)."""
    from scipy.stats import kstest  # here: a check that fails early needs no SciPy

    draw, uniform_hint = hints
    law = answers(name, ())
    low, high = law["range"]
    for seed, n in (*cases, (3, _SAMPLER_DRAWS)):
        draws = [target(n, np.random.RandomState(seed)) for _ in range(2)]
        got = np.asarray(draws[0], dtype=float)
        assert got.shape == (n,), (
            f"{name}({n}, rng) must return {n} values, shape ({n},), got {got.shape}"
        )
        assert np.array_equal(got, np.asarray(draws[1], dtype=float)), (
            f"{name} gave other values for the same seed: draw from rng "
            "(rng.uniform or rng.rand), not from np.random"
        )
        bad = got[~((got >= low) & (got <= high))]
        assert bad.size == 0, f"{name} gave {bad[0]:.6g}, outside [{low:g}, {high:g}]" + (
            "; these look like 1 - beta: return 1 - 10**r"
            if name == "sample_beta" and bad[0] < 0.5
            else ""
        )
    other = np.asarray(target(5, np.random.RandomState(4)), dtype=float)
    assert not np.array_equal(
        other, np.asarray(target(5, np.random.RandomState(5)), dtype=float)
    ), f"{name} gave the same values for two seeds: draw from the rng passed in"
    n = got.size
    distinct = np.unique(got)
    assert distinct.size >= 0.99 * n, (
        f"{name} gave only {distinct.size} distinct values in {n} draws"
        + (f" ({', '.join(f'{v:.6g}' for v in distinct)})" if distinct.size <= 8 else "")
        + ": values that repeat make a grid, what random search avoids; draw the exponent r "
        "from a continuous law (rng.uniform), not rng.randint, and do not round it"
    )
    r_low, r_high = law["exponents"]
    r = exponent_of(got)
    shares = law["shares"]
    edges = np.linspace(r_low, r_high, len(shares) + 1)
    got_shares = np.histogram(r, edges)[0] / n
    if len(set(shares)) == 1:
        expected = f"{shares[0]:.0%} each"
    else:
        expected = ", ".join(f"{share:.0%}" for share in shares)
    spread = np.all(np.abs(got_shares - shares) < 0.03)
    message = (
        f"{name}: the {len(shares)} equal stretches of the log scale between {low:g} and "
        f"{high:g} hold {', '.join(f'{share:.0%}' for share in got_shares)} of the values, not "
        f"{expected}: "
    )
    flat = kstest(got, "uniform", args=(low, high - low)).pvalue >= _KS_LEVEL
    assert spread or not flat, f"{message}{uniform_hint}; sample the exponent {draw}"
    slack = (r_high - r_low) / 400
    for end, nearest, short in ((r_low, r.min(), r.min() > r_low + slack),
                                (r_high, r.max(), r.max() < r_high - slack)):  # fmt: skip
        assert not short, (
            f"{name}: of {n} values the one nearest {value_of(end):g} is "
            f"{value_of(nearest):.6g} = {formula.replace('r', f'{nearest:.3f}')}, although "
            f"{n} draws of r uniform in [{r_low:g}, {r_high:g}] come within {slack:g} of "
            f"r = {end:g}: draw r over the whole of [{r_low:g}, {r_high:g}]"
        )
    assert spread, f"{message}sample the exponent {draw}"
    test = kstest(r, "uniform", args=(r_low, r_high - r_low))
    assert test.pvalue >= _KS_LEVEL, (
        f"{name}: the exponents r of {n} values are not uniform in [{r_low:g}, {r_high:g}]: "
        f"their distribution function is up to {test.statistic:.3f} away from the uniform "
        f"one (Kolmogorov-Smirnov test, p = {test.pvalue:.1g}; {n} uniform draws stray that "
        f"far less than once in a million runs): sample the exponent {draw}, not a function "
        "of it"
    )
    assert np.sqrt(n) * test.statistic >= _TOO_EVEN, (
        f"{name}: the exponents r of {n} values are spread more evenly than random draws ever "
        f"are (Kolmogorov-Smirnov distance {test.statistic:.2g} from the uniform law): that is "
        "a grid such as np.linspace, perhaps shuffled; draw them with rng.uniform"
    )
    return {
        "sample": np.asarray(target(5, np.random.RandomState(1)), dtype=float),
        "draws": n,
        "distinct": distinct.size,
        "smallest": got.min(),
        "largest": got.max(),
        "shares": got_shares,
        "exponents": (r_low, r_high),
        "distance": test.statistic,
        "p": test.pvalue,
    }


def _print_sampler(name, summary, r_is, fmt):
    """Print what a sampler gave the check, for the learner to compare with the notebook."""
    r_low, r_high = summary["exponents"]
    print(f"{name}(5, np.random.RandomState(1)):")
    print("  " + "  ".join(f"{v:{fmt}}" for v in summary["sample"]))
    print(
        f"{summary['draws']} draws: {summary['distinct']} distinct values, from "
        f"{summary['smallest']:{fmt}} to {summary['largest']:{fmt}}"
    )
    print(
        f"  r = {r_is}: share in each quarter of [{r_low:g}, {r_high:g}]: "
        + ", ".join(f"{share:.1%}" for share in summary["shares"])
    )
    print(
        f"  Kolmogorov-Smirnov test of r against U({r_low:g}, {r_high:g}): "
        f"distance {summary['distance']:.4f}, p = {summary['p']:.2f}"
    )


_LEARNING_RATE = ("10**r", lambda r: 10.0**r, np.log10)
_BETA = ("1 - 10**r", lambda r: 1 - 10.0**r, lambda beta: np.log10(1 - beta))


def verify_sample_learning_rate(target, cases=SAMPLES, answers=stored_answers):
    """Check n learning rates 10**r, r uniform in [-4, 0], drawn from rng."""
    return _verify_sampler(
        target, cases, "sample_learning_rate", *_LEARNING_RATE,
        ("r = rng.uniform(-4, 0, n) and return 10**r",
         "these look uniform between 1e-4 and 1, which puts 90% of the rates above 0.1"),
        answers,
    )  # fmt: skip


def verify_sample_beta(target, cases=SAMPLES, answers=stored_answers):
    """Check n values of beta = 1 - 10**r, r uniform in [-3, -1], drawn from rng."""
    return _verify_sampler(
        target, cases, "sample_beta", *_BETA,
        ("of 1 - beta, r = rng.uniform(-3, -1, n), and return 1 - 10**r",
         "these look uniform between 0.9 and 0.999, which puts only 9% of the values above 0.99"),
        answers,
    )  # fmt: skip


def _sampler_test(verify, r_is, fmt):
    """The public check of a sampler: ``verify``, then what the learner's function gave (r is
    ``r_is`` of the values, printed in format ``fmt``)."""
    name = verify.__name__.removeprefix("verify_")

    @exercise_check
    def check(target):
        _print_sampler(name, verify(target), r_is, fmt)

    check.__name__ = name + "_test"
    check.__doc__ = verify.__doc__
    return check


sample_learning_rate_test = _sampler_test(verify_sample_learning_rate, "log10(alpha)", ".4e")
sample_beta_test = _sampler_test(verify_sample_beta, "log10(1 - beta)", ".6f")


# Batch Normalization -----------------------------------------------------------------------------


def _layer(seed, n, m):
    """Z (n, m) with a mean and a spread far from 0 and 1, gamma, beta, running mean and var."""
    rng = np.random.RandomState(seed)
    Z = rng.randn(n, m) * rng.uniform(0.5, 3, (n, 1)) + rng.randn(n, 1) * 2
    gamma, beta = rng.randn(n, 1), rng.randn(n, 1)
    return Z, gamma, beta, rng.randn(n, 1), rng.uniform(0.5, 2, (n, 1))


def _upstream(seed, n, m):
    """The gradient dZ_tilde (n, m) that reaches the layer (it holds the cost's 1/m)."""
    return np.random.RandomState(seed + 100).randn(n, m) / max(m, 2)


def _same(got, expected):
    got = np.asarray(got, dtype=float)
    return got.shape == expected.shape and np.allclose(got, expected, rtol=1e-9, atol=1e-12)


def _diagnose(what, got, expected, hints):
    """Raise with the first hint whose wrong value ``got`` equals, or with the size of the gap."""
    got = np.asarray(got, dtype=float)
    assert got.shape == expected.shape, f"{what} has shape {got.shape}, expected {expected.shape}"
    if _same(got, expected):
        return
    for mistake, wrong in hints.items():
        if _same(got, wrong):
            raise AssertionError(f"{what}: {mistake}")
    raise AssertionError(f"{what} is off by up to {np.max(np.abs(got - expected)):.3g}")


def _show_first_case(values):
    """Print what the learner's function returned on the first public case at six decimals, an
    (n, m) array row by row and an (n, 1) one as its transpose: the expected output's values
    (anything else as it is)."""
    seed, n, m = UNITS[0]
    print(f"On the first case (seed {seed}, n = {n} units, m = {m} examples):")
    for name, given in values:
        try:
            value = None if given is None else np.atleast_2d(np.asarray(given, dtype=float))
        except (TypeError, ValueError):
            value = None
        if value is None or value.ndim != 2:
            print(f"{name} = {given!r}")
            continue
        rows = (
            [(f"{name}.T", value[:, 0])]
            if value.shape[1] == 1
            else ((f"{name}[{i}]", row) for i, row in enumerate(value))
        )
        for label, row in rows:
            print(f"{label} = [{', '.join(f'{round(x, 6) + 0.0:.6f}' for x in row)}]")


_NO_EPSILON = "epsilon is missing: divide by sqrt({} + epsilon), which stays safe where a unit "


def verify_batchnorm_forward(target, cases=UNITS, decay=0.9, epsilon=1e-5, answers=stored_answers):
    """Check the training-mode forward pass: the normalized output, the cache and the running
    averages (weight ``decay`` for the old average), on each (seed, n, m) of ``cases``."""
    for seed, n, m in cases:
        want = answers("batchnorm_forward", (seed, n, m, decay, epsilon))
        Z, gamma, beta, running_mean, running_var = _layer(seed, n, m)
        inputs = [Z, gamma, beta, running_mean, running_var]
        copies = [x.copy() for x in inputs]
        out = target(*copies, decay, epsilon)
        names = ("Z", "gamma", "beta", "running_mean", "running_var")
        for name, before, after in zip(names, inputs, copies):
            assert np.array_equal(before, after), (
                f"batchnorm_forward changed {name} in place: return new arrays"
            )
        assert isinstance(out, tuple) and len(out) == 4, (
            "return (Z_tilde, cache, running_mean, running_var)"
        )
        Z_tilde, cache, new_mean, new_var = out
        where = f"for n = {n} units and m = {m} examples"
        _diagnose(
            f"Z_tilde {where}",
            Z_tilde,
            want["Z_tilde"],
            {
                "the mean and variance are taken over the units; each unit (row) has its own, "
                "over the examples: axis=1, keepdims=True": want["axis=0"],
                "the variance divides by m - 1 (ddof=1); batch norm uses the batch's own "
                "variance, np.var's default ddof=0": want["ddof=1"],
                "epsilon goes inside the square root, sqrt(var + epsilon), not "
                "sqrt(var) + epsilon": want["epsilon outside"],
                _NO_EPSILON.format("var") + "does not vary (var = 0)": want["no epsilon"],
                "it is not scaled by gamma and shifted by beta: Z_tilde = gamma * Z_norm + beta": (
                    want["Z_norm"]
                ),
            },
        )
        fields = (
            ("Z", Z),
            ("Z_norm", want["Z_norm"]),
            ("mu", want["mu"]),
            ("var", want["var"]),
            ("gamma", gamma),
        )
        assert all(hasattr(cache, field) for field, _ in fields), (
            "cache must be BatchNormCache(Z, Z_norm, mu, var, gamma, epsilon), as written"
        )
        for field, expected in fields:
            _diagnose(f"cache.{field} {where}", getattr(cache, field), expected, {})
        _diagnose(
            f"running_mean {where}",
            new_mean,
            want["running_mean"],
            {
                "the two weights of the average are swapped: decay * running_mean + (1 - decay) "
                "* mu, so that the average moves slowly": want["running_mean swapped"],
                "it is the batch's mean: average it into running_mean, decay * running_mean "
                "+ (1 - decay) * mu": want["mu"],
            },
        )
        _diagnose(
            f"running_var {where}",
            new_var,
            want["running_var"],
            {
                "the two weights of the average are swapped: decay * running_var + (1 - decay) "
                "* var": want["running_var swapped"],
                "it averages the variance with ddof=1: use the batch's variance, ddof=0": (
                    want["running_var ddof=1"]
                ),
            },
        )


def verify_batchnorm_inference(target, cases=UNITS, epsilon=1e-5, answers=stored_answers):
    """Check the test-mode forward pass on each (seed, n, m) of ``cases``: the running averages
    normalize, and stay as they are."""
    for seed, n, m in cases:
        want = answers("batchnorm_inference", (seed, n, m, epsilon))
        Z, gamma, beta, running_mean, running_var = _layer(seed, n, m)
        inputs = [Z, gamma, beta, running_mean, running_var]
        copies = [x.copy() for x in inputs]
        got = target(*copies, epsilon)
        for name, before, after in zip(("running_mean", "running_var"), inputs[3:], copies[3:]):
            assert np.array_equal(before, after), (
                f"{name} changed: in test mode the running averages are read, never updated"
            )
        assert np.array_equal(Z, copies[0]), "Z changed in place: compute on a copy"
        _diagnose(
            f"Z_tilde for n = {n} units and m = {m} examples",
            got,
            want["Z_tilde"],
            {
                "it is normalized with the batch's mean and variance: at test time use "
                "running_mean and running_var, so that each example's output depends on it "
                "alone": want["batch statistics"],
                "epsilon goes inside the square root, sqrt(running_var + epsilon)": want[
                    "epsilon outside"
                ],
                _NO_EPSILON.format("running_var") + "never varied in training": (
                    want["no epsilon"]
                ),
                "it is not scaled by gamma and shifted by beta": want["Z_norm"],
            },
        )


# Equation (5) reads only these fields of the cache. Exercise 4's check sets the others, Z and mu,
# to nan: the computation graph of Exercise 3 starts from Z - mu, so it does not pass for (5).
_EQUATION_5_READS = "cache.Z_norm, cache.var, cache.gamma and cache.epsilon"


def _no_nan(what, got, message):
    got = np.asarray(got, dtype=float)
    assert not np.isnan(got).any(), f"{what} is nan: {message}"


def _backward_cache(name, case, want):
    """The cache the backward check hands the learner's function: the training-mode cache of
    ``_layer``'s Z, with Z and mu set to nan for equation (5) (which needs neither)."""
    seed, n, m = case
    Z, gamma, _, _, _ = _layer(seed, n, m)
    mu = want["mu"]
    if name == "batchnorm_backward_simple":
        Z, mu = np.full_like(Z, np.nan), np.full_like(mu, np.nan)
    return BatchNormCache(Z, want["Z_norm"], mu, want["var"], gamma, want["epsilon"])


def _verify_bn_backward(name, target, cases, epsilon, answers):
    for seed, n, m in cases:
        want = answers(name, (seed, n, m, epsilon)) | {"epsilon": epsilon}
        dZ_tilde = _upstream(seed, n, m)
        out = target(dZ_tilde.copy(), _backward_cache(name, (seed, n, m), want))
        assert isinstance(out, tuple) and len(out) == 3, "return (dZ, dgamma, dbeta)"
        dZ, dgamma, dbeta = out
        where = f"for n = {n} units and m = {m} examples"
        if name == "batchnorm_backward_simple":
            reads = (
                f"equation (5) needs only {_EQUATION_5_READS}; this check sets cache.Z and "
                "cache.mu to nan, so that the computation graph's steps (which start from "
                "Z - mu), or a call of batchnorm_backward, do not pass for equation (5)"
            )
            _no_nan(f"dbeta {where}", dbeta, reads)
            _no_nan(
                f"dgamma {where}",
                dgamma,
                "it reads cache.Z or cache.mu; " + reads + ". dgamma sums dZ_tilde * "
                "cache.Z_norm: gamma scales Z_norm, so multiply by Z_norm",
            )
            _no_nan(f"dZ {where}", dZ, reads)
        _diagnose(
            f"dbeta {where}",
            dbeta,
            want["dbeta"],
            {
                "it averages over the examples; sum them (dZ_tilde already holds the 1/m)": (
                    want["dbeta mean"]
                )
            },
        )
        _diagnose(
            f"dgamma {where}",
            dgamma,
            want["dgamma"],
            {
                "it multiplies dZ_tilde by Z; gamma scales Z_norm, so multiply by Z_norm": want[
                    "dgamma of Z"
                ]
            },
        )
        _diagnose(
            f"dZ {where}",
            dZ,
            want["dZ"],
            {
                "it treats the batch's mean and variance as constants (gamma * dZ_tilde / "
                "sqrt(var + epsilon)); they depend on every column of Z, so backpropagate "
                "through mu and var too": want["dZ constants"],
                "it backpropagates through var but not through mu": want["dZ not through mu"],
                "it backpropagates through mu but not through var": want["dZ not through var"],
                "it misses the factor gamma: dZ_norm = gamma * dZ_tilde": want["dZ without gamma"],
                "epsilon is missing: divide by m * sqrt(var + epsilon)": want["dZ no epsilon"],
            },
        )


def verify_batchnorm_backward(target, cases=UNITS, epsilon=1e-5, answers=stored_answers):
    """Check (dZ, dgamma, dbeta) from the training-mode cache on each (seed, n, m) of ``cases``."""
    _verify_bn_backward("batchnorm_backward", target, cases, epsilon, answers)


def verify_batchnorm_backward_simple(target, cases=UNITS, epsilon=1e-5, answers=stored_answers):
    """Check the simplified backward: the same (dZ, dgamma, dbeta) as the computation graph's,
    from a cache whose Z and mu are nan (equation (5) reads neither)."""
    _verify_bn_backward("batchnorm_backward_simple", target, cases, epsilon, answers)


def _forward_example(target):
    out = target(*_layer(*UNITS[0]), 0.9, 1e-5)
    if not (isinstance(out, tuple) and len(out) == 4):
        return (("batchnorm_forward(...)", out),)
    return (("Z_tilde", out[0]), ("running_mean", out[2]), ("running_var", out[3]))


def _inference_example(target):
    return (("Z_tilde", target(*_layer(*UNITS[0]), 1e-5)),)


def _backward_example(name):
    def example(target):
        want = stored_answers(name, (*UNITS[0], 1e-5)) | {"epsilon": 1e-5}
        out = target(_upstream(*UNITS[0]), _backward_cache(name, UNITS[0], want))
        if not (isinstance(out, tuple) and len(out) == 3):
            return ((f"{name}(...)", out),)
        return (("dZ", out[0]), ("dgamma", out[1]), ("dbeta", out[2]))

    return example


def _batchnorm_test(verify, example):
    """The notebook's check: the learner's results on the first public case (what the expected
    output shows, for the learner to compare), then ``verify`` on the public cases. The grader
    runs ``verify`` itself."""

    @exercise_check
    def check(target):
        _show_first_case(example(target))
        verify(target)

    check.__name__ = verify.__name__.removeprefix("verify_") + "_test"
    check.__qualname__ = check.__name__
    check.__doc__ = verify.__doc__
    return check


batchnorm_forward_test = _batchnorm_test(verify_batchnorm_forward, _forward_example)
batchnorm_inference_test = _batchnorm_test(verify_batchnorm_inference, _inference_example)
batchnorm_backward_test = _batchnorm_test(
    verify_batchnorm_backward, _backward_example("batchnorm_backward")
)
batchnorm_backward_simple_test = _batchnorm_test(
    verify_batchnorm_backward_simple, _backward_example("batchnorm_backward_simple")
)


# TensorFlow Introduction -------------------------------------------------------------------------


def _tensorflow():
    """Import TensorFlow as the notebook does: without its start-up messages or oneDNN."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    import tensorflow

    return tensorflow


def _values(x):
    """The values of a tensor, a variable or the grader's copy of one, as a NumPy array."""
    return np.asarray(x.numpy() if callable(getattr(x, "numpy", None)) else x)


def _tensorflow_classes():
    tf = sys.modules.get("tensorflow")
    return () if tf is None else (tf.Tensor, tf.Variable)


def _is_variable(x):
    classes = _tensorflow_classes()
    return getattr(x, "is_variable", False) or bool(classes) and isinstance(x, classes[1])


def _is_tensor(x):
    """A TensorFlow tensor or variable, or the grader's copy of one (which says which it was:
    the type its kernel reported; the grade rests on the values)."""
    return hasattr(x, "is_variable") or isinstance(x, _tensorflow_classes())


def _check_tensor(what, x, how):
    assert _is_tensor(x), (
        f"{what} is a {type(x).__name__}: return the TensorFlow tensor that {how} gives (the "
        "exercise is TensorFlow's, and the tape differentiates only its operations)"
    )


def _tf_network(seed, m):
    """float32 parameters W1..b3 of the [64, 25, 12, 6] network, inputs X (64, m), one-hot Y."""
    rng = np.random.RandomState(seed)
    parameters = {}
    for l in range(1, 4):
        n, n_prev = TF_LAYERS[l], TF_LAYERS[l - 1]
        parameters[f"W{l}"] = (rng.randn(n, n_prev) / np.sqrt(n_prev)).astype(np.float32)
        parameters[f"b{l}"] = (rng.randn(n, 1) * 0.1).astype(np.float32)
    X = rng.rand(64, m).astype(np.float32)
    Y = np.eye(6, dtype=np.float32)[:, rng.randint(0, 6, m)]
    return parameters, X, Y


def _tf_logits_and_labels(seed, m):
    """float32 logits (6, m) drawn from N(0, 9), and one-hot labels Y (6, m)."""
    rng = np.random.RandomState(seed)
    logits = (rng.randn(6, m) * 3).astype(np.float32)
    Y = np.eye(6, dtype=np.float32)[:, rng.randint(0, 6, m)]
    return logits, Y


def _separable_data(seed, m_train, m_test):
    """Random separable data of ``verify_model``: (X_train, Y_train, X_test, Y_test), float32,
    one row per example: 64 features around one of six random centres, one-hot labels."""
    rng = np.random.RandomState(seed)
    centers = rng.rand(64, 6).astype(np.float32)
    labels = rng.randint(0, 6, m_train + m_test)
    X = centers[:, labels].T + 0.05 * rng.randn(m_train + m_test, 64).astype(np.float32)
    Y = np.eye(6, dtype=np.float32)[labels]
    return X[:m_train], Y[:m_train], X[m_train:], Y[m_train:]


def _shifted(target, what, case):
    """``target`` as a check calls it on ``case``: () is the notebook's own call; (offset,), a
    grader's hidden case, has the learner's kernel shift the seeds ``what`` sets by ``offset``
    while it runs (tests/grading/harness.py), the seed 1 of the notebook then being another."""
    return target.with_seeds(**{what: case[0]}) if case else target


def verify_linear_function(target, cases=None, answers=stored_answers):
    """Check Y = WX + b with X (3, 1), W (4, 3) and b (4, 1) drawn in that order after
    np.random.seed(1) (the function takes no argument: no cases of the notebook's; the grader
    gives (offset,) cases, with which the seed the function sets is shifted)."""
    for case in ((),) if cases is None else cases:
        want = answers("linear_function", case)
        result = _shifted(target, "numpy", case)()
        _check_tensor("Y", result, "tf.add(tf.matmul(W, X), b)")
        got = _values(result)
        assert got.shape == (4, 1), f"Y must have shape (4, 1), got {got.shape}"
        if np.allclose(got, want["Y"], rtol=1e-6):
            continue
        assert not np.allclose(got, want["order"], rtol=1e-6), (
            "the draws are in another order: after np.random.seed(1), draw X, then W, then b"
        )
        assert not (case and np.allclose(got, answers("linear_function", ())["Y"], rtol=1e-6)), (
            "Y does not follow the draws: with another seed in place of np.random.seed(1) it "
            "stays the same; compute it from X, W and b drawn with np.random.randn"
        )
        raise AssertionError("Y is not W X + b: tf.add(tf.matmul(W, X), b)")


def verify_sigmoid(target, cases=(-1, 0, 0.5, 12), answers=stored_answers):
    """Check sigmoid(z) = 1 / (1 + e**-z) as a float32 tensor, for ints and floats."""
    for z in cases:
        want = answers("sigmoid", (z,))
        result = target(z)
        _check_tensor(f"sigmoid({z!r})", result, "tf.keras.activations.sigmoid")
        values = _values(result)
        assert values.dtype == np.float32, (
            f"sigmoid({z!r}) has dtype {values.dtype}: cast z with tf.cast(z, tf.float32) first"
        )
        assert values.shape == (), (
            f"sigmoid({z!r}) has shape {values.shape}: the sigmoid of a number is a number"
        )
        assert np.allclose(values, want["a"], rtol=1e-6), (
            f"sigmoid({z!r}) = {values}, expected {want['a']:.6f}"
        )


def _one_element(label):
    """``label`` as a one-element tensor, as a data set of labels of shape (1,) hands them out.

    In the grader's process, which has no TensorFlow, the same values as a NumPy array: a tensor
    reaches the learner's kernel as its values anyway (tests/grading/wire.py)."""
    values = np.array([label], dtype=np.int32)
    tf = sys.modules.get("tensorflow")
    return values if tf is None else tf.constant(values)


def verify_one_hot_matrix(target, cases=LABELS, answers=stored_answers):
    """Check the one-hot vector of shape (depth,) of each (label, depth) of ``cases``, with the
    label given as a number and as a one-element tensor."""
    for case in cases:
        label, depth = case
        want = answers("one_hot_matrix", case)
        for given, how in ((label, f"{label}"), (_one_element(label), f"tf.constant([{label}])")):
            call = f"one_hot_matrix({how}, depth={depth})"
            result = target(given, depth)
            _check_tensor(call, result, "tf.one_hot")
            got = _values(result)
            assert not (got.size == 6 != depth), (
                f"{call} has 6 entries: use the depth argument, not 6"
            )
            assert got.shape == (depth,), f"{call} has shape {got.shape}: " + (
                f"tf.one_hot of a one-element label has shape {got.shape}; reshape it to [depth]"
                if got.size == depth
                else f"it must be a vector of {depth}, shape ({depth},)"
            )
            assert np.array_equal(got, want["vector"]), (
                f"{call} = {got}: a single 1, at index {label}"
            )


def verify_initialize_parameters(target, cases=None, answers=stored_answers):
    """Check W1..b3 of the [64, 25, 12, 6] network: tf.Variables drawn by GlorotNormal(seed=1)
    (the function takes no argument: no cases of the notebook's; the grader gives (offset,)
    cases, with which the seed of the Keras initializer is shifted)."""
    for case in ((),) if cases is None else cases:
        want = answers("initialize_parameters", case)
        parameters = _shifted(target, "keras", case)()
        names = [f"{k}{l}" for l in range(1, 4) for k in "Wb"]
        assert isinstance(parameters, dict) and set(parameters) >= set(names), (
            f"return a dict with keys {names}"
        )
        for l in range(1, 4):
            for key, shape in (
                (f"W{l}", (TF_LAYERS[l], TF_LAYERS[l - 1])),
                (f"b{l}", (TF_LAYERS[l], 1)),
            ):
                _check_glorot(parameters[key], key, shape, want, case, answers)


def _check_glorot(value, key, shape, want, case, answers):
    got = _values(value)
    assert got.shape == shape, f"{key} has shape {got.shape}, expected {shape}" + (
        ": W[l] is (n[l], n[l-1]), one row per unit" if got.shape == shape[::-1] else ""
    )
    assert _is_variable(value), (
        f"{key} must be a tf.Variable, so that the tape and the optimizer can change it"
    )
    # float32 draws, stored: another processor may round the last bit differently
    close = functools.partial(np.allclose, rtol=1e-6, atol=1e-7)
    if close(got, want[key]):
        return
    assert not close(got, want["uniform"][key]), (
        f"{key} is drawn by GlorotUniform: use tf.keras.initializers.GlorotNormal(seed=1)"
    )
    assert not (case and close(got, answers("initialize_parameters", ())[key])), (
        f"{key} does not come from the initializer: with another seed in place of seed=1 it "
        "stays the same; draw it with initializer(shape=...)"
    )
    raise AssertionError(
        f"{key} is not what tf.keras.initializers.GlorotNormal(seed=1) draws for shape "
        f"{shape}: call initializer(shape={shape})"
    )


def verify_forward_propagation(target, cases=EXAMPLES, answers=stored_answers):
    """Check the logits Z3 of LINEAR -> RELU -> LINEAR -> RELU -> LINEAR on each (seed, m)."""
    hints = {
        "relu": "a ReLU is applied to Z3: return the logits, with no activation",
        "softmax": "a softmax is applied to Z3: return the logits; the loss applies the softmax "
        "(from_logits=True)",
    }
    for case in cases:
        seed, m = case
        parameters, X, _ = _tf_network(seed, m)
        want = answers("forward_propagation", case)
        result = target(X, dict(parameters))
        _check_tensor("Z3", result, "tf.math.add(tf.linalg.matmul(W3, A2), b3)")
        got = _values(result)
        assert got.shape == (6, m), (
            f"the logits of {m} examples have shape (6, {m}), got {got.shape}"
        )
        if np.allclose(got, want["Z3"], rtol=1e-4, atol=1e-5):
            continue
        hint = next(
            (h for k, h in hints.items() if np.allclose(got, want[k], rtol=1e-4, atol=1e-5)), ""
        )
        raise AssertionError(
            f"the logits are off by up to {np.max(np.abs(got - want['Z3'])):.3g}"
            + (f": {hint}" if hint else "")
        )


def verify_compute_total_loss(target, cases=EXAMPLES, answers=stored_answers):
    """Check the sum over the examples of the softmax cross-entropy of logits (6, m)."""
    hints = {
        "mean": "it is the mean over the examples (reduce_mean): the total loss is their sum, "
        "tf.reduce_sum",
        "untransposed": "labels and logits are not transposed: Keras's losses want one row per "
        "example, so pass tf.transpose(labels) and tf.transpose(logits)",
        "softmaxed": "a softmax is applied before a loss with from_logits=True: pass the logits "
        "themselves",
        "probabilities": "the logits are read as probabilities: set from_logits=True",
    }
    for case in cases:
        seed, m = case
        logits, Y = _tf_logits_and_labels(seed, m)
        want = answers("compute_total_loss", case)
        result = target(logits, Y)
        _check_tensor("the total loss", result, "tf.reduce_sum")
        got = float(_values(result))
        # float32: each example's loss is rounded to about 1e-7 of its logits (up to 10 or so)
        close = functools.partial(np.isclose, rtol=1e-5, atol=1e-6 * m)
        if close(got, want["total"]):
            continue
        hint = next((h for k, h in hints.items() if close(got, want[k])), "")
        raise AssertionError(
            f"the total loss of {m} examples is {got:.6g}, expected {want['total']:.6g}"
            + (f": {hint}" if hint else "")
        )


# How far an honest model may be from the reference run, which trains the same network from the
# same initial values with the same mini-batches: measured, the notebook's model matches it to the
# last bit on every CPU setting tried and any number of threads, and a model written otherwise
# (rows per example, tf.nn.softmax_cross_entropy_with_logits, eager) within 1e-6; 100 times that.
_MODEL_RTOL, _MODEL_ATOL = 1e-4, 1e-4


def verify_model(target, cases=((5, 96, 48),), answers=stored_answers):
    """Train ``model`` briefly on each (seed, m_train, m_test) of random separable data, given as
    arrays of one row per example, and check what it returns against a reference run's, which
    starts from the same parameters (GlorotNormal(seed=1)) and trains on the same mini-batches:
    the cost per example each epoch, the accuracies, and the trained parameters."""
    for case in cases:
        data = _separable_data(*case)
        out = target(*data, learning_rate=0.01, num_epochs=10, minibatch_size=16, print_cost=False)
        reference = answers("model", case)  # after the call: a model not written yet costs none
        assert isinstance(out, tuple) and len(out) == 4, (
            "model returns (parameters, costs, train_acc, test_acc)"
        )
        _, costs, train_acc, test_acc = out
        costs = [float(_values(c)) for c in costs]
        assert len(costs) >= 1 and all(np.isfinite(costs)), (
            f"costs must be finite numbers, got {costs}"
        )
        assert costs[0] < 2 * np.log(6), (
            f"the first cost is {costs[0]:.4g}, more than the {np.log(6):.3f} of a guess per "
            "example: divide the epoch's total loss by the number of examples m"
        )
        assert costs[-1] < costs[0], f"the cost does not fall: {costs}"
        accuracies = [float(_values(a)) for a in list(train_acc) + list(test_acc)]
        assert accuracies and all(0 <= a <= 1 for a in accuracies), (
            "train_acc and test_acc hold accuracies between 0 and 1"
        )
        final, reached = float(_values(train_acc[-1])), reference["train_acc"][-1]
        assert final > min(0.9, reached - 0.05), (
            f"after 10 epochs on well-separated data the training accuracy is {final:.2f} "
            f"(the reference model's {reached:.2f}): is the optimizer applying the gradients?"
        )
        # What was trained, not what was reported: the returned parameters' own accuracy.
        parameters, names = out[0], ("W1", "b1", "W2", "b2", "W3", "b3")
        assert isinstance(parameters, dict) and all(k in parameters for k in names), (
            "model returns the trained parameters: a dict with W1, b1, W2, b2, W3 and b3"
        )
        W1, b1, W2, b2, W3, b3 = (np.asarray(_values(parameters[k]), float) for k in names)
        X, labels = data[0].T, np.argmax(data[1], axis=1)
        hidden = np.maximum(W2 @ np.maximum(W1 @ X + b1, 0) + b2, 0)
        trained = float(np.mean(np.argmax(W3 @ hidden + b3, axis=0) == labels))
        assert trained > min(0.9, reached - 0.05), (
            f"the parameters model returns classify {trained:.0%} of the training set, the "
            f"reference model's {reached:.0%}: return the parameters that were trained"
        )
        # The run itself: the reference trains the same network on the same mini-batches.
        want = np.asarray(reference["costs"], dtype=float)
        assert len(costs) == len(want), (
            f"{len(costs)} costs for {len(want)} epochs: append one cost per epoch"
        )
        close = functools.partial(np.allclose, rtol=_MODEL_RTOL, atol=_MODEL_ATOL)
        assert close(costs, want), (
            "the costs per epoch are not those of training the network with Adam on the "
            f"mini-batches: up to {np.max(np.abs(np.subtract(costs, want))):.3g} off the "
            "reference run's, from the same initial parameters: take one Adam step on each "
            "mini-batch's total loss (tape.gradient, optimizer.apply_gradients)"
        )
        for k in names:
            got, expected = np.asarray(_values(parameters[k]), float), reference["parameters"][k]
            assert got.shape == np.shape(expected) and close(got, expected), (
                f"the trained {k} is not the reference run's (it trains the same network from "
                "the same initial parameters on the same mini-batches): return the parameters "
                "that the optimizer changed"
            )
        per_epoch = [float(_values(a)) for a in train_acc], [float(_values(a)) for a in test_acc]
        for got, name in zip(per_epoch, ("train_acc", "test_acc"), strict=True):
            assert len(got) == len(reference[name]) and np.allclose(
                got, reference[name], atol=1.5 / case[1 if name == "train_acc" else 2]
            ), f"{name} is not the accuracy of each epoch of the reference run"


# What the public checks print before checking: the learner's results on the notebook's
# examples (the first case of each check), to compare with the Expected output blocks.
def _show_sigmoid(target):
    for z in (-1, 0, 12):
        _show_value(f"sigmoid({z})", target(z))


def _show_one_hot_matrix(target):
    _show_value("one_hot_matrix(1, depth=4)", target(1, 4), 0)
    _show_value("one_hot_matrix(tf.constant([2]), depth=5)", target(_one_element(2), 5), 0)


def _show_tf_parameters(target):
    parameters = target()
    if not isinstance(parameters, dict):
        return _show_value("initialize_parameters()", parameters)
    for key, value in parameters.items():
        try:
            values = np.asarray(_values(value), dtype=float)
        except (TypeError, ValueError):
            print(f"{key} = {value!r}")
            continue
        print(f"{key}: shape {values.shape}, standard deviation {values.std():.4f}")


def _show_logits(target):
    parameters, X, _ = _tf_network(*EXAMPLES[0])
    _show_value("Z3 of the check's first network (seed 1, 5 examples)", target(X, parameters), 4)


def _show_total_loss(target):
    logits, Y = _tf_logits_and_labels(*EXAMPLES[0])
    what = "the total loss of the check's first logits (seed 1, 5 examples)"
    _show_value(what, target(logits, Y), 4)


def _model_shown_after(verify):
    """``verify`` of ``model`` that then prints the costs and accuracies of the run it checked
    (training once: the run is recorded as the check makes it)."""

    @functools.wraps(verify)
    def run(target):
        runs = []

        def recorded(*args, **kwargs):
            runs.append(target(*args, **kwargs))
            return runs[-1]

        recorded.__name__ = target.__name__
        verify(recorded)
        _, costs, train_acc, test_acc = runs[0]
        print("model on the check's data (96 training and 48 test examples, 10 epochs):")
        print("cost per epoch:", " ".join(f"{float(_values(c)):.4f}" for c in costs))
        print(
            f"accuracy after the last epoch: train {float(_values(train_acc[-1])):.3f}, "
            f"test {float(_values(test_acc[-1])):.3f}"
        )

    return run


linear_function_test = _exercise_test(
    _shown_first(lambda f: _show_value("linear_function()", f(), 8), verify_linear_function)
)
sigmoid_test = _exercise_test(_shown_first(_show_sigmoid, verify_sigmoid))
one_hot_matrix_test = _exercise_test(_shown_first(_show_one_hot_matrix, verify_one_hot_matrix))
initialize_parameters_test = _exercise_test(
    _shown_first(_show_tf_parameters, verify_initialize_parameters)
)
forward_propagation_test = _exercise_test(_shown_first(_show_logits, verify_forward_propagation))
compute_total_loss_test = _exercise_test(_shown_first(_show_total_loss, verify_compute_total_loss))
model_test = _exercise_test(_model_shown_after(verify_model))
