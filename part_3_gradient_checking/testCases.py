"""Test cases and checks for the exercises of the Gradient Checking notebook.

A check takes the learner's function and either prints the notebook's example followed by
``All tests passed.`` or raises ``AssertionError`` saying what is off. The gradient-check checks
also run the learner's function against a deliberately wrong gradient, to make sure that it
finds the mistake and does not only pass correct code. A function that still raises
``NotImplementedError`` gets a one-line reminder instead of a traceback. The ``verify_*``
functions compare with expected values: here those of the public cases, stored as data beside
this file; the grader (``tests/grading``) runs them with other cases and the instructor's
reference answers.
"""

import functools
import json
import pathlib
import types

import numpy as np

__all__ = [
    "verify_forward_propagation",
    "verify_backward_propagation",
    "verify_gradient_check",
    "verify_gradient_check_n",
    "gradient_check_n_test_case",
    "forward_propagation_test",
    "backward_propagation_test",
    "gradient_check_test",
    "gradient_check_n_test",
]

# The public checks' cases; the grader (tests/grading) runs the same checks with others.
CASES_1D = ((2.0, 4.0), (-3.0, 0.5), (0.25, -7.0), (10.0, 0.0))
# (seed, layer sizes, m); seed None is the course's test case.
GRADIENT_CHECK_N_CASES = ((None, [4, 5, 3, 1], 3), (7, [3, 4, 2, 1], 5))


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


def _with_globals(function, **replacements):
    """A copy of ``function`` that sees ``replacements`` in place of the notebook's globals.

    The replacements use nothing but ``np``, so that the grader can send them to the kernel that
    runs a submission (its stand-in for the learner's function has a ``with_globals`` method).
    """
    if hasattr(function, "with_globals"):
        return function.with_globals(**replacements)
    return types.FunctionType(
        function.__code__,
        {**function.__globals__, **replacements},
        function.__name__,
        function.__defaults__,
        function.__closure__,
    )


def _network(rng, dims, m):
    """Inputs, 0/1 labels and non-zero parameters for a network of layer sizes ``dims``."""
    X = rng.randn(dims[0], m)
    parameters = {}
    for l in range(1, len(dims)):
        parameters[f"W{l}"] = rng.randn(dims[l], dims[l - 1])
        parameters[f"b{l}"] = rng.randn(dims[l], 1)
    Y = (rng.rand(1, m) > 0.5).astype(int)
    return X, Y, parameters


def gradient_check_n_test_case():
    """Return ``(X, Y, parameters)``: three examples and the course's 4-5-3-1 network, seed 1."""
    rng = np.random.RandomState(1)
    X = rng.randn(4, 3)
    Y = np.array([[1, 1, 0]])
    parameters = {}
    for l, (rows, cols) in enumerate(((5, 4), (3, 5), (1, 3)), start=1):
        parameters[f"W{l}"] = rng.randn(rows, cols)
        parameters[f"b{l}"] = rng.randn(rows, 1)
    return X, Y, parameters


def _case(seed, dims, m):
    """A network for ``verify_gradient_check_n``: the course's test case when ``seed`` is None."""
    if seed is None:
        return gradient_check_n_test_case()
    return _network(np.random.RandomState(seed), dims, m)


def _planted(gradients, planted):
    """``gradients`` with a planted change: "none", "dW2 doubled" or "dW1[0, 0] + 1"."""
    gradients = {key: np.array(value, dtype=np.float64) for key, value in gradients.items()}
    if planted == "dW2 doubled":
        gradients["dW2"] = 2 * gradients["dW2"]
    elif planted == "dW1[0, 0] + 1":  # the first entry of the gradient vector
        gradients["dW1"][0, 0] += 1.0
    elif planted != "none":
        raise ValueError(f"no planted change called {planted!r}")
    return gradients


# The functions that the gradient checks run with, in place of the notebook's. For the 1-D
# check, J = 3 theta x: the learner's forward and backward passes are not used (a mistake in
# Exercises 1 or 2 does not fail Exercise 3), and a cost other than theirs stands in for them.


def _tripled_forward(x, theta):
    return 3 * theta * x


def _tripled_backward(x, theta):
    return 3 * x


def _wrong_backward(x, theta):
    return 3 * x + 1  # a planted mistake: the derivative is 3x


def _cubic_forward(x, theta):
    return x * theta**3


def _cubic_backward(x, theta):
    return 3 * x * theta**2


def _flipped_backward(x, theta):
    return -3 * x * theta**2  # a planted mistake: the sign


def _forward_propagation_n(X, Y, parameters):
    """The notebook's ``forward_propagation_n``: (cost, None), written with NumPy alone.

    The cost is the same cross-entropy, computed from Z3 as log(1 + exp(-Z3)) for label 1 and
    log(1 + exp(Z3)) for label 0. The notebook's ``log1p(-A3)`` loses the digits of 1 - A3 when
    A3 is near 1 (an example confidently wrong), and its numerical gradient then differs from
    the correct gradients by more than 2e-7: in 31 of 300 random networks of the hidden cases'
    sizes, none with this one.
    """
    A = X
    for l in (1, 2):
        A = np.maximum(parameters[f"W{l}"] @ A + parameters[f"b{l}"], 0)
    Z3 = parameters["W3"] @ A + parameters["b3"]
    return np.sum(Y * np.logaddexp(0, -Z3) + (1 - Y) * np.logaddexp(0, Z3)) / X.shape[1], None


# What the classic mistakes of gradient_check_n are called in a hint, by the names the expected
# values give the differences they would return.
MISTAKES_N = {
    "half": "gradapprox is half the gradient: J_minus was taken at theta, not theta - epsilon. "
    "Copy theta with np.copy for theta_plus and again for theta_minus",
    "twice": "gradapprox is twice the gradient: divide J_plus - J_minus by 2 * epsilon",
    "times epsilon squared": "gradapprox is about zero: (J_plus - J_minus) / 2 * epsilon "
    "multiplies by epsilon; write / (2 * epsilon)",
    "copied once": "theta_plus and theta_minus keep the earlier entries' perturbations: copy "
    "theta inside the loop, for each i",
    "flat": "gradapprox has shape (n,) and grad (n, 1), so grad - gradapprox is an n-by-n "
    "matrix: make gradapprox a column like grad",
}


def _denominator_hint(got, expected):
    """What a wrong denominator gave ``got`` instead of |g - a| / (|g| + |a|), or None.

    ``expected["mistakes"]`` holds what each wrong denominator returns; |g + a| is there only
    where it differs from |g| + |a| (g and a of opposite signs).
    """
    mistakes = expected["mistakes"]
    if "|grad + gradapprox|" in mistakes and (
        not np.isfinite(got) or np.isclose(got, mistakes["|grad + gradapprox|"])
    ):
        return "the denominator is |grad| + |gradapprox|, not |grad + gradapprox|"
    if np.isclose(got, mistakes["|grad| alone"]):
        return "divide by |grad| + |gradapprox|, not by |grad| alone"
    if np.isclose(got, mistakes["no denominator"]):
        return "divide by the sum of the two norms"
    return None


def _diagnose_n(got, expected, again=None):
    """Name the classic mistake whose result ``got`` is, from the expected values of each.

    Half and twice the gradient both give 1/3; ``again()`` returns the learner's result and the
    expected values for other gradients, which tell them apart.
    """
    mistakes = expected["mistakes"]
    matches = [name for name in MISTAKES_N if np.isclose(got, mistakes[name])]
    if np.isclose(got, mistakes["no denominator"]) and not matches:
        return "divide by np.linalg.norm(grad) + np.linalg.norm(gradapprox)"
    if len(matches) > 1 and again is not None:
        result, other = again()
        matches = [name for name in matches if np.isclose(result, other["mistakes"][name])]
    if len(matches) == 1:
        return MISTAKES_N[matches[0]]
    return (
        "perturb one entry of theta at a time by +epsilon and -epsilon, and rebuild the "
        "parameters with vector_to_dictionary(theta, shapes)"
    )


def verify_forward_propagation(target, cases=CASES_1D, answers=stored_answers):
    """Check J = theta * x for each (x, theta) of ``cases``."""
    for x, theta in cases:
        expected = answers("forward_propagation", (x, theta))["J"]
        J = target(x, theta)
        assert np.ndim(J) == 0, f"J must be a number, got shape {np.shape(J)}"
        hint = "; did you return x or theta instead of their product?" if J in (x, theta) else ""
        assert np.isclose(J, expected), (
            f"forward_propagation({x}, {theta}) = {J}, expected {expected}{hint}"
        )


def verify_backward_propagation(target, cases=CASES_1D, answers=stored_answers):
    """Check dJ/dtheta = x for each (x, theta) of ``cases``."""
    for x, theta in cases:
        expected = answers("backward_propagation", (x, theta))["dtheta"]
        dtheta = target(x, theta)
        hint = (
            "; the derivative of theta * x with respect to theta is x" if dtheta == theta else ""
        )
        assert np.isclose(dtheta, expected), (
            f"backward_propagation({x}, {theta}) = {dtheta}, expected {expected}{hint}"
        )


def verify_gradient_check(target, cases=CASES_1D, answers=stored_answers):
    """Check the 1-D gradient check: tiny for the right derivative, as expected for wrong ones.

    The learner's ``gradient_check`` runs with its own forward and backward functions replaced:
    J = 3 theta x with the right derivative and with a planted wrong one, then J = x theta^3.
    """
    right = _with_globals(
        target, forward_propagation=_tripled_forward, backward_propagation=_tripled_backward
    )
    for x, theta in cases:
        difference = right(x, theta, epsilon=1e-7, print_msg=False)
        assert np.ndim(difference) == 0, (
            f"return the difference as a number, got shape {np.shape(difference)}"
        )
        assert 0 <= difference < 1e-7, (
            f"gradient_check({x}, {theta}) returned {difference:.3g} with the correct derivative; "
            "expected below 1e-7. Use the two-sided difference (J(theta + eps) - J(theta - eps)) "
            "/ (2 eps)"
        )

    buggy = _with_globals(
        target, forward_propagation=_tripled_forward, backward_propagation=_wrong_backward
    )
    for x, theta in cases:
        expected = answers("gradient_check/planted", (x, theta))
        difference = buggy(x, theta, epsilon=1e-7, print_msg=False)
        assert np.isclose(difference, expected["difference"], rtol=1e-5), (
            f"with J = 3 theta x and a backward_propagation that returns 3x + 1, "
            f"gradient_check({x}, {theta}) should return |grad - gradapprox| / (|grad| + "
            f"|gradapprox|) = {expected['difference']:.6g}, got {difference:.6g}: "
            + (_denominator_hint(difference, expected) or "call backward_propagation for grad")
        )

    # J = x theta^3 is not linear in theta, so the one-sided difference is visibly off at
    # epsilon = 1e-3; and a derivative of the wrong sign tells the denominators apart.
    for backward, what in ((_cubic_backward, "right"), (_flipped_backward, "sign-flipped")):
        checked = _with_globals(
            target, forward_propagation=_cubic_forward, backward_propagation=backward
        )
        for x, theta in cases:
            if x == 0 or theta == 0:
                continue
            expected = answers("gradient_check/cubic", (x, theta, what))
            got = checked(x, theta, epsilon=1e-3, print_msg=False)
            if np.isclose(got, expected["difference"], rtol=1e-4):
                continue
            if np.isclose(got, expected["mistakes"]["one-sided"], rtol=1e-2):
                hint = (
                    "that is the one-sided difference (J(theta + eps) - J(theta)) / eps: use "
                    "(J(theta + eps) - J(theta - eps)) / (2 eps)"
                )
            else:
                hint = _denominator_hint(got, expected) or (
                    "compute (J(theta + eps) - J(theta - eps)) / (2 eps) and compare"
                )
            raise AssertionError(
                f"with J = x theta^3 and the {what} derivative, gradient_check({x}, {theta}, "
                f"epsilon=1e-3) should return {expected['difference']:.6g}, got {got:.6g}: "
                f"{hint}"
            )


def verify_gradient_check_n(target, cases=GRADIENT_CHECK_N_CASES, answers=stored_answers):
    """Check the N-D gradient check on each (seed, layer sizes, m) network of ``cases``.

    The learner's function sees the checks' own ``forward_propagation_n``, so that only
    ``gradient_check_n`` itself is judged. It gets the network's correct gradients, then the
    same with dW2 doubled, and each call gets fresh copies of its arguments.
    """
    target = _with_globals(target, forward_propagation_n=_forward_propagation_n)
    for case in cases:
        seed, dims, m = case
        expected = {
            (planted, epsilon): answers("gradient_check_n", (*case, planted, epsilon))
            for planted, epsilon in (
                ("none", 1e-7),
                ("dW1[0, 0] + 1", 1e-7),
                ("dW2 doubled", 1e-7),
                ("none", 1e-3),
            )
        }

        def call(planted, epsilon, case=case):
            X, Y, parameters = _case(*case)
            gradients = _planted(answers("gradient_check_n/gradients", case), planted)
            return target(parameters, gradients, X, Y, epsilon=epsilon, print_msg=False)

        def again(call=call, expected=expected):
            return call("dW1[0, 0] + 1", 1e-7), expected["dW1[0, 0] + 1", 1e-7]

        difference = call("none", 1e-7)
        assert np.ndim(difference) == 0, (
            f"return the difference as a number, got shape {np.shape(difference)}"
        )
        if not 0 <= difference < 2e-7:
            raise AssertionError(
                f"the correct gradients of a network with W1 of shape {(dims[1], dims[0])} "
                f"gave difference {difference:.3g}; expected below 2e-7: "
                f"{_diagnose_n(difference, expected['none', 1e-7], again)}"
            )
        planted = expected["dW2 doubled", 1e-7]
        got = call("dW2 doubled", 1e-7)
        if not np.isclose(got, planted["difference"], rtol=1e-4):
            raise AssertionError(
                f"with dW2 doubled the difference should be {planted['difference']:.6g}, got "
                f"{got:.6g}: {_diagnose_n(got, planted)}"
            )
        coarse = expected["none", 1e-3]["difference"]
        got = call("none", 1e-3)
        assert np.isclose(got, coarse, rtol=1e-2, atol=1e-12), (
            f"with epsilon = 1e-3 the two-sided difference of the correct gradients is "
            f"{coarse:.3g}, yours is {got:.3g}: use (J_plus - J_minus) / (2 * epsilon), with "
            "J_minus at theta - epsilon (the one-sided difference is much less accurate)"
        )


@exercise_check
def forward_propagation_test(target):
    """Check ``forward_propagation`` and print the notebook's example."""
    verify_forward_propagation(target)
    print(f"J = {target(2, 4)}")


@exercise_check
def backward_propagation_test(target):
    """Check ``backward_propagation`` and print the notebook's example."""
    verify_backward_propagation(target)
    print(f"dtheta = {target(2, 4)}")


@exercise_check
def gradient_check_test(target):
    """Check ``gradient_check`` and print the notebook's example."""
    verify_gradient_check(target)
    try:  # the example runs the learner's own forward and backward functions
        difference = target(2, 4, epsilon=1e-7, print_msg=False)
    except NotImplementedError:  # so it waits for them; gradient_check itself is right
        print(
            "gradient_check(2, 4) runs your forward_propagation and backward_propagation: "
            "write them to see the example's difference"
        )
    else:
        print(f"difference = {difference:.0e}")


@exercise_check
def gradient_check_n_test(target):
    """Check ``gradient_check_n`` and print its verdict on the course's buggy gradients."""
    verify_gradient_check_n(target)
    X, Y, parameters = gradient_check_n_test_case()
    _, cache = target.__globals__["forward_propagation_n"](X, Y, parameters)
    buggy = target.__globals__["backward_propagation_n"](X, Y, cache)
    print(f"difference with the buggy gradients = {target(parameters, buggy, X, Y):.2f}")
