"""The Gradient Checking checks pass the notebook's solutions and catch the classic mistakes."""

import types

import numpy as np
import pytest

from tests.helpers import NOTEBOOKS, PART_DIRS, load_module, notebook_definitions

checks = load_module(PART_DIRS["gc_utils"] / "testCases.py", "part3_testCases")
nb = notebook_definitions(NOTEBOOKS["gradient_checking"])
nb["THRESHOLD"] = 2e-7


def in_notebook(source, name):
    """Define a function from ``source`` in the notebook's namespace, as a learner's cell would."""
    namespace = dict(nb)
    exec(source, namespace)
    function = namespace[name]
    return types.FunctionType(
        function.__code__, nb | {name: function}, name, function.__defaults__
    )


GRADIENT_CHECK_N = """
def gradient_check_n(parameters, gradients, X, Y, epsilon=1e-7, print_msg=False):
    parameters_values, _ = dictionary_to_vector(parameters)
    grad = gradients_to_vector(gradients)
    shapes = {key: value.shape for key, value in parameters.items()}
    gradapprox = INIT
    BEFORE
    for i in range(parameters_values.shape[0]):
        theta_plus = PLUS
        theta_plus[i] += epsilon
        J_plus, _ = forward_propagation_n(X, Y, vector_to_dictionary(theta_plus, shapes))
        theta_minus = MINUS
        theta_minus[i] -= epsilon
        J_minus, _ = forward_propagation_n(X, Y, vector_to_dictionary(theta_minus, shapes))
        gradapprox[i] = APPROX
    return np.linalg.norm(grad - gradapprox) / DENOMINATOR
"""
RIGHT = {
    "INIT": "np.zeros_like(parameters_values)",
    "BEFORE": "pass",
    "PLUS": "np.copy(parameters_values)",
    "MINUS": "np.copy(parameters_values)",
    "APPROX": "(J_plus - J_minus) / (2 * epsilon)",
    "DENOMINATOR": "(np.linalg.norm(grad) + np.linalg.norm(gradapprox))",
}


def gradient_check_n_with(**changes):
    source = GRADIENT_CHECK_N
    for placeholder, code in (RIGHT | changes).items():
        source = source.replace(placeholder, code)
    return in_notebook(source, "gradient_check_n")


def gradient_check_returning(expression):
    """A 1-D gradient_check with the right two-sided difference that returns ``expression``."""
    return (
        "def gradient_check(x, theta, epsilon=1e-7, print_msg=False):\n"
        "    grad = backward_propagation(x, theta)\n"
        "    J_plus = forward_propagation(x, theta + epsilon)\n"
        "    J_minus = forward_propagation(x, theta - epsilon)\n"
        "    gradapprox = (J_plus - J_minus) / (2 * epsilon)\n"
        f"    return {expression}\n"
    )


MISTAKES = [
    (
        "forward_propagation",
        "def forward_propagation(x, theta):\n    return x\n",
        "did you return x or theta",
    ),
    (
        "backward_propagation",
        "def backward_propagation(x, theta):\n    return theta\n",
        "derivative of theta \\* x with respect to theta is x",
    ),
    (
        "gradient_check",
        "def gradient_check(x, theta, epsilon=1e-7, print_msg=False):\n    return 0.0\n",
        "should return",
    ),
    (
        "gradient_check",
        "def gradient_check(x, theta, epsilon=1e-7, print_msg=False):\n"
        "    J_plus = forward_propagation(x, theta + epsilon)\n"
        "    J_minus = forward_propagation(x, theta - epsilon)\n"
        "    return abs(backward_propagation(x, theta) - (J_plus - J_minus) / (2 * epsilon))\n",
        "divide by the sum of the two norms",
    ),
    (
        "gradient_check",
        "def gradient_check(x, theta, epsilon=1e-7, print_msg=False):\n"
        "    grad = backward_propagation(x, theta)\n"
        "    J_plus, J = forward_propagation(x, theta + epsilon), forward_propagation(x, theta)\n"
        "    gradapprox = (J_plus - J) / epsilon\n"
        "    return abs(grad - gradapprox) / (abs(grad) + abs(gradapprox))\n",
        "that is the one-sided difference",
    ),
    (
        "gradient_check",
        gradient_check_returning(
            "np.linalg.norm(grad - gradapprox) / np.linalg.norm(grad + gradapprox)"
        ),
        "not \\|grad \\+ gradapprox\\|",
    ),
    (
        "gradient_check",
        gradient_check_returning("abs(grad - gradapprox) / abs(grad)"),
        "not by \\|grad\\| alone",
    ),
]


@pytest.mark.parametrize("name, source, diagnosis", MISTAKES, ids=[m[2][:30] for m in MISTAKES])
def test_a_classic_1d_mistake_fails_with_a_diagnosis(name, source, diagnosis):
    with pytest.raises(AssertionError, match=diagnosis):
        getattr(checks, f"{name}_test")(in_notebook(source, name))


def test_a_right_gradient_check_passes_before_forward_and_backward_are_written(capsys):
    """Its check brings its own functions; only the printed example needs the learner's (and
    nbgrader, which scores the whole check cell, gives gradient_check its points)."""
    undone = "def FUNCTION(x, theta):\n    raise NotImplementedError()"
    namespace = dict(nb)
    for name in ("forward_propagation", "backward_propagation"):
        exec(undone.replace("FUNCTION", name), namespace)
    function = nb["gradient_check"]
    target = types.FunctionType(
        function.__code__, namespace, "gradient_check", function.__defaults__
    )
    checks.gradient_check_test(target)
    assert capsys.readouterr().out == (
        "gradient_check(2, 4) runs your forward_propagation and backward_propagation: "
        "write them to see the example's difference\nAll tests passed.\n"
    )
    checks.gradient_check_test(nb["gradient_check"])
    assert capsys.readouterr().out == "difference = 3e-10\nAll tests passed.\n"


@pytest.mark.parametrize(
    "changes, diagnosis",
    [
        ({}, None),
        ({"PLUS": "parameters_values"}, "half the gradient"),
        ({"PLUS": "parameters_values", "MINUS": "parameters_values"}, "half the gradient"),
        (
            {"APPROX": "(J_plus - forward_propagation_n(X, Y, parameters)[0]) / epsilon"},
            "one-sided difference is much less accurate",
        ),
        ({"DENOMINATOR": "1"}, "divide by np.linalg.norm\\(grad\\) \\+"),
        ({"APPROX": "(J_plus - J_minus) / epsilon"}, "twice the gradient"),
        ({"APPROX": "(J_plus - J_minus) / 2 * epsilon"}, "write / \\(2 \\* epsilon\\)"),
        (
            {
                "BEFORE": "plus, minus = np.copy(parameters_values), np.copy(parameters_values)",
                "PLUS": "plus",
                "MINUS": "minus",
            },
            "copy theta inside the loop",
        ),
        ({"INIT": "np.zeros(parameters_values.shape[0])"}, "n-by-n matrix"),
    ],
    ids=[
        "right",
        "no copy",
        "no copies",
        "one-sided",
        "no denominator",
        "missing 2",
        "2 times epsilon",
        "copied once",
        "flat",
    ],
)
def test_gradient_check_n_mistakes_fail_and_the_right_code_passes(changes, diagnosis, capsys):
    target = gradient_check_n_with(**changes)
    if diagnosis is None:
        checks.gradient_check_n_test(target)
        assert capsys.readouterr().out.endswith("All tests passed.\n")
    else:
        with pytest.raises(AssertionError, match=diagnosis):
            checks.gradient_check_n_test(target)


def test_the_test_case_is_the_courses_network():
    X, Y, parameters = checks.gradient_check_n_test_case()
    assert X.shape == (4, 3) and Y.tolist() == [[1, 1, 0]]
    assert {k: v.shape for k, v in parameters.items()} == {
        "W1": (5, 4), "b1": (5, 1), "W2": (3, 5), "b2": (3, 1), "W3": (1, 3), "b3": (1, 1)
    }  # fmt: skip
    rng = np.random.RandomState(1)
    np.testing.assert_array_equal(X, rng.randn(4, 3))
    np.testing.assert_array_equal(parameters["W1"], rng.randn(5, 4))
