"""Test cases and checks for the exercises of the Regularization notebook.

The ``*_test_case`` builders give the small inputs the notebook prints results for (the course's
names). The ``*_test`` checks take the learner's function, try it on several shapes, seeds and
hyperparameters, and either print ``All tests passed.`` or raise ``AssertionError`` saying what is
off and the most likely mistake. A function that still raises ``NotImplementedError`` gets a
one-line reminder instead of a traceback.

Each ``verify_*`` check gets its expected values, and the results of the typical wrong versions
it names, from ``answers(name, case)``: by default the values stored in ``expected_values.json``
for the public cases. The code that computes them (the L2 cost and gradients, dropout's forward
and backward passes) is the instructor's, in ``tests/reference/regularization.py``; the grader
passes it for cases of its own. What is computed here comes from the learner's outputs only: that
the layers of a dropout pass agree with the masks it returned.
"""

import functools
import json
import pathlib

import numpy as np

from reg_utils import DropoutCache, forward_propagation, relu, sigmoid

__all__ = [
    "verify_compute_cost_with_regularization",
    "verify_backward_propagation_with_regularization",
    "verify_forward_propagation_with_dropout",
    "verify_backward_propagation_with_dropout",
    "compute_cost_with_regularization_test_case",
    "backward_propagation_with_regularization_test_case",
    "forward_propagation_with_dropout_test_case",
    "backward_propagation_with_dropout_test_case",
    "compute_cost_with_regularization_test",
    "backward_propagation_with_regularization_test",
    "forward_propagation_with_dropout_test",
    "backward_propagation_with_dropout_test",
]

GRADIENT_KEYS = ("dW1", "db1", "dW2", "db2", "dW3", "db3")

# (seed, layer sizes, m, lambd or keep_prob) of the public checks; the grader uses others.
L2_COST_CASES = (
    (0, [3, 2, 3, 1], 5, 0.1),
    (3, [3, 4, 4, 3, 1], 6, 0.3),
    (1, [4, 5, 2, 1], 7, 0.0),
    (2, [2, 3, 1], 4, 1.5),
)
L2_BACKWARD_CASES = (
    (0, [3, 2, 3, 1], 5, 0.7),
    (1, [4, 6, 3, 1], 8, 0.1),
    (2, [2, 5, 2, 1], 3, 0.0),
)
DROPOUT_FORWARD_CASES = (
    (0, [3, 4, 3, 1], 6, 0.7),
    (1, [2, 20, 3, 1], 50, 0.86),
    (2, [5, 3, 6, 1], 4, 0.5),
)
# The course's network [3, 2, 3, 1] on five examples, drawn from seed 1 (as _network draws it),
# with the masks of keep_prob 0.8 and seed 1: the notebook's example is this case's cache.
COURSE_DROPOUT_CASE = (1, [3, 2, 3, 1], 5, 0.8)
DROPOUT_BACKWARD_CASES = (
    COURSE_DROPOUT_CASE,
    (0, [3, 2, 3, 1], 5, 0.8),
    (1, [4, 8, 5, 1], 9, 0.6),
    (2, [2, 20, 3, 1], 30, 0.86),
)


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


def _network(rng, dims, m):
    """Inputs, 0/1 labels and non-zero parameters for a network of layer sizes ``dims``."""
    X = rng.randn(dims[0], m)
    parameters = {}
    for l in range(1, len(dims)):
        parameters[f"W{l}"] = rng.randn(dims[l], dims[l - 1])
        parameters[f"b{l}"] = rng.randn(dims[l], 1)
    Y = (rng.rand(1, m) > 0.5).astype(int)
    return X, Y, parameters


def _course_parameters(rng):
    """W1, b1, W2, b2, W3, b3 of the network [3, 2, 3, 1], drawn from ``rng`` in that order."""
    parameters = {}
    for l, (rows, cols) in enumerate(((2, 3), (3, 2), (1, 3)), start=1):
        parameters[f"W{l}"] = rng.randn(rows, cols)
        parameters[f"b{l}"] = rng.randn(rows, 1)
    return parameters


def _course_network():
    """The course's small network: X (3, 5) then the parameters, all drawn with seed 1."""
    rng = np.random.RandomState(1)
    X = rng.randn(3, 5)
    return X, _course_parameters(rng)


def compute_cost_with_regularization_test_case():
    """Return ``(A3, Y, parameters)``: five predictions and the weights of a [3, 2, 3, 1] network.

    As in the course, ``A3`` is the output of the network of
    ``forward_propagation_with_dropout_test_case`` (without dropout), while ``parameters`` are
    drawn from seed 1 directly, W1, b1, W2, ... in turn.
    """
    X, network = _course_network()
    A3, _ = forward_propagation(X, network)
    parameters = _course_parameters(np.random.RandomState(1))
    Y = np.array([[1, 1, 0, 1, 0]])
    return A3, Y, parameters


def backward_propagation_with_regularization_test_case():
    """Return ``(X, Y, cache)``: the cache of a forward pass through the network [3, 2, 3, 1]."""
    X, parameters = _course_network()
    Y = np.array([[1, 1, 0, 1, 0]])
    _, cache = forward_propagation(X, parameters)
    return X, Y, cache


def forward_propagation_with_dropout_test_case():
    """Return ``(X, parameters)`` for the network [3, 2, 3, 1] on five examples."""
    return _course_network()


def backward_propagation_with_dropout_test_case():
    """Return ``(X, Y, cache)``: a dropout cache with fixed masks (keep_prob 0.8, seed 1).

    The cache is stored data (the reference's forward pass on the course's network, which is
    the public case ``COURSE_DROPOUT_CASE``): a learner copy holds no dropout pass.
    """
    X, _ = _course_network()
    Y = np.array([[1, 1, 0, 1, 0]])
    cache = stored_answers("backward_propagation_with_dropout", COURSE_DROPOUT_CASE)["cache"]
    return X, Y, DropoutCache(*cache)


def _show(name, value):
    """Print an array of the notebook's example, rounded so that it reads the same everywhere."""
    print(f"{name} = {np.round(value, 8).tolist()}")


def _compare_gradients(name, grads, expected, hints):
    assert isinstance(grads, dict), f"{name} must return a dict, got {type(grads).__name__}"
    for key in expected:
        assert key in grads, f"{name} returned no {key}; it must return {', '.join(expected)}"
        got, want = np.asarray(grads[key]), expected[key]
        assert got.shape == want.shape, f"{key} has shape {got.shape}, expected {want.shape}"
        if np.allclose(got, want, rtol=1e-7, atol=1e-10):
            continue
        message = f"{key} is off by up to {np.max(np.abs(got - want)):.3g}"
        for mistake, wrong in hints(key).items():
            if np.allclose(got, wrong, rtol=1e-7, atol=1e-10):
                message += f": it equals {mistake}"
                break
        raise AssertionError(message)


def _l2_cost_inputs(case):
    """``(A3, Y, parameters)`` of an L2 cost case: predictions drawn after the network."""
    seed, dims, m, _ = case
    rng = np.random.RandomState(seed)
    _, Y, parameters = _network(rng, dims, m)
    A3 = rng.uniform(0.05, 0.95, size=(1, m))
    return A3, Y, parameters


def _l2_backward_inputs(case):
    """``(X, Y, cache)`` of an L2 gradient case: the cache of a forward pass without dropout."""
    seed, dims, m, _ = case
    X, Y, parameters = _network(np.random.RandomState(seed), dims, m)
    _, cache = forward_propagation(X, parameters)
    return X, Y, cache


def _dropout_inputs(case):
    """``(X, Y, parameters)`` of a dropout case; the masks come from ``RandomState(seed)``."""
    seed, dims, m, _ = case
    return _network(np.random.RandomState(seed), dims, m)


def verify_compute_cost_with_regularization(target, cases=L2_COST_CASES, answers=stored_answers):
    """Check the cost: cross-entropy + lambd / (2m) * the squared weights of every layer."""
    for case in cases:
        _, dims, m, lambd = case
        want = answers("compute_cost_with_regularization", case)
        A3, Y, parameters = _l2_cost_inputs(case)
        got = target(A3, Y, parameters, lambd)
        assert np.ndim(got) == 0, f"the cost must be a number, got shape {np.shape(got)}"
        if np.isclose(got, want["cost"], rtol=1e-10):
            continue
        layers = len(dims) - 1
        hints = {
            "twice the L2 term: the penalty is lambd / (2m), not lambd / m": "twice_the_l2_term",
            "the L2 term without the cross-entropy": "l2_term_alone",
            "the cross-entropy alone: add the L2 term": "cross_entropy_alone",
            "the L2 term of W1, W2, W3 only: sum over every layer of the network": "W1_to_W3_only",
            "an L2 term that includes the biases: only the weights W are penalized": "with_biases",
        }
        hint = next((h for h, k in hints.items() if np.isclose(got, want[k], rtol=1e-10)), "")
        raise AssertionError(
            f"cost for {layers} layers, m = {m}, lambd = {lambd}: got {got:.10g}, expected "
            f"{want['cost']:.10g}" + (f"; you computed {hint}" if hint else "")
        )


@exercise_check
def compute_cost_with_regularization_test(target):
    """Check ``compute_cost_with_regularization`` and print the notebook's example."""
    verify_compute_cost_with_regularization(target)
    A3, Y, parameters = compute_cost_with_regularization_test_case()
    print(f"cost = {target(A3, Y, parameters, lambd=0.1):.8f}")


def verify_backward_propagation_with_regularization(
    target, cases=L2_BACKWARD_CASES, answers=stored_answers
):
    """Check the gradients: backward propagation plus lambd / m * W for each weight."""
    for case in cases:
        lambd = case[3]
        want = answers("backward_propagation_with_regularization", case)
        X, Y, cache = _l2_backward_inputs(case)

        def hints(key, want=want):
            if key[1] != "W":
                return {
                    "the gradient plus lambd / m * b: b is not penalized": want["b_penalized"][key]
                }
            return {
                "the gradient without the L2 term": want["without_l2"][key],
                "the gradient plus lambd * W: divide by m": want["lambd_W"][key],
                "the gradient plus 2 * lambd / m * W: the 2 of the square cancels the 1/2": want[
                    "two_lambd_over_m_W"
                ][key],
            }

        _compare_gradients(
            f"backward_propagation_with_regularization (lambd = {lambd})",
            target(X, Y, cache, lambd),
            want["gradients"],
            hints,
        )


@exercise_check
def backward_propagation_with_regularization_test(target):
    """Check ``backward_propagation_with_regularization`` and print the notebook's example."""
    verify_backward_propagation_with_regularization(target)
    X, Y, cache = backward_propagation_with_regularization_test_case()
    grads = target(X, Y, cache, lambd=0.7)
    for key in ("dW1", "dW2", "dW3"):
        _show(key, grads[key])


def _check_mask(name, D, Z, keep_prob):
    assert isinstance(D, np.ndarray) and D.shape == Z.shape, (
        f"{name} must be an array of the shape of the layer's activations {Z.shape}, "
        f"got {getattr(D, 'shape', type(D).__name__)}"
    )
    values = set(np.unique(D).tolist())
    assert values <= {0, 1}, (
        f"{name} must hold only 0 and 1 (or True and False), got values like "
        f"{sorted(values)[:3]}: compare the uniform draws with keep_prob"
    )


_FLIPPED = (
    "keep a unit when its uniform draw is below keep_prob (rng.random(A1.shape) < keep_prob), "
    "so that a fraction keep_prob of the units stays"
)
_DRAWS = "use rng.random(A1.shape) < keep_prob, drawing D1 before D2 from the rng passed in"


def verify_forward_propagation_with_dropout(
    target, cases=DROPOUT_FORWARD_CASES, answers=stored_answers
):
    """Check inverted dropout on the hidden layers: masks, scaling, fresh draws, keep_prob 1.

    The expected masks are those the reference draws from ``RandomState(seed)``. Where the
    learner's masks differ, the layers are first checked against the learner's own masks (the
    check's copy of the parameters, made before the call), so that a scaling mistake is named
    as such and not as wrong draws.
    """
    keep_all = (*cases[0][:3], 1.0)  # the first case's network, with every unit kept
    want = answers("forward_propagation_with_dropout", keep_all)
    X, _, parameters = _dropout_inputs(keep_all)
    A3, cache = target(X, parameters, keep_prob=1.0, rng=np.random.RandomState(keep_all[0]))
    kept = DropoutCache(*cache).D1 if isinstance(cache, tuple) and len(cache) == 14 else None
    assert kept is None or kept.size == 0 or np.any(kept), (
        f"with keep_prob = 1 the mask D1 keeps no unit: {_FLIPPED}"
    )
    assert np.allclose(A3, want["A3"], rtol=1e-12, atol=0), (
        "with keep_prob = 1 dropout must keep every unit: A3 should equal the forward pass "
        "without dropout"
    )
    for case in cases:
        seed, _, _, keep_prob = case
        want = answers("forward_propagation_with_dropout", case)
        X, _, parameters = _dropout_inputs(case)
        W = {key: np.array(value) for key, value in parameters.items()}  # before the call
        out = target(X, parameters, keep_prob=keep_prob, rng=np.random.RandomState(seed))
        assert isinstance(out, tuple) and len(out) == 2, "return (A3, cache)"
        A3, cache = out
        assert isinstance(cache, tuple) and len(cache) == 14, (
            "cache must be the 14-tuple (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3)"
        )
        Z1, D1, A1, _, _, Z2, D2, A2, _, _, Z3, A3c, _, _ = cache
        _check_mask("D1", D1, Z1, keep_prob)
        _check_mask("D2", D2, Z2, keep_prob)
        assert not np.array_equal(np.asarray(D1, bool), ~want["D1"]), (
            f"D1 is the opposite of the expected mask: {_FLIPPED}"
        )
        np.testing.assert_allclose(
            Z1, want["Z1"], rtol=1e-12, err_msg="Z1 = W1 X + b1: the input layer has no dropout"
        )
        # Named only where the scaling shows: a layer whose every unit is dead or dropped (a
        # small hidden case can draw one) is zero scaled or not.
        scaled = relu(Z1) * D1 / keep_prob
        if not np.allclose(A1, scaled, rtol=1e-12, atol=0) and np.allclose(A1, relu(Z1) * D1):
            raise AssertionError(
                "A1 is masked but not scaled: divide by keep_prob (inverted dropout)"
            )
        np.testing.assert_allclose(
            A1, scaled, rtol=1e-12, err_msg="A1 must be relu(Z1) * D1 / keep_prob"
        )
        np.testing.assert_allclose(
            Z2,
            W["W2"] @ A1 + W["b2"],
            rtol=1e-12,
            err_msg="Z2 = W2 A1 + b2 with the dropped-out A1",
        )
        np.testing.assert_allclose(
            A2,
            relu(Z2) * D2 / keep_prob,
            rtol=1e-12,
            err_msg="A2 must be relu(Z2) * D2 / keep_prob",
        )
        np.testing.assert_allclose(
            A3,
            sigmoid(W["W3"] @ A2 + W["b3"]),
            rtol=1e-12,
            err_msg="A3 = sigmoid(W3 A2 + b3): no dropout on the output layer",
        )
        assert A3 is A3c or np.array_equal(A3, A3c), "the cache must hold the A3 returned"
        assert np.array_equal(D1, want["D1"]), f"D1 is not the expected draws: {_DRAWS}"
        assert np.array_equal(D2, want["D2"]), f"D2 is not the expected draws: {_DRAWS}"
        np.testing.assert_allclose(
            A3, want["A3"], rtol=1e-10, err_msg="A3 is not the expected output"
        )
    rng = np.random.RandomState(3)
    X, _, parameters = _network(np.random.RandomState(3), [3, 10, 10, 1], 20)
    first = DropoutCache(*target(X, parameters, keep_prob=0.5, rng=rng)[1]).D1
    second = DropoutCache(*target(X, parameters, keep_prob=0.5, rng=rng)[1]).D1
    assert not np.array_equal(first, second), (
        "two calls with the same rng gave the same mask D1: draw from rng, and do not re-seed "
        "inside the function (that freezes the mask for the whole training)"
    )


@exercise_check
def forward_propagation_with_dropout_test(target):
    """Check ``forward_propagation_with_dropout`` and print the notebook's example."""
    verify_forward_propagation_with_dropout(target)
    X, parameters = forward_propagation_with_dropout_test_case()
    _show("A3", target(X, parameters, keep_prob=0.7, rng=np.random.RandomState(1))[0])


def verify_backward_propagation_with_dropout(
    target, cases=DROPOUT_BACKWARD_CASES, answers=stored_answers
):
    """Check the gradients through the masks: dA[l] is masked and scaled like A[l].

    The cache handed to ``target`` is the reference's dropout forward pass on the case (its
    masks drawn from ``RandomState(seed)``), given by ``answers`` with the expected gradients.
    """
    for case in cases:
        keep_prob = case[3]
        want = answers("backward_propagation_with_dropout", case)
        X, Y, _ = _dropout_inputs(case)
        cache = DropoutCache(*(np.array(a) for a in want["cache"]))  # the check's copy

        def hints(key, want=want):
            return {
                "the gradient with the masks but without dividing by keep_prob": want["unscaled"][
                    key
                ]
            }

        _compare_gradients(
            f"backward_propagation_with_dropout (keep_prob = {keep_prob})",
            target(X, Y, cache, keep_prob),
            want["gradients"],
            hints,
        )


@exercise_check
def backward_propagation_with_dropout_test(target):
    """Check ``backward_propagation_with_dropout`` and print the notebook's example."""
    verify_backward_propagation_with_dropout(target)
    X, Y, cache = backward_propagation_with_dropout_test_case()
    grads = target(X, Y, cache, keep_prob=0.8)
    for key in ("dA1", "dA2"):
        _show(key, grads[key])
