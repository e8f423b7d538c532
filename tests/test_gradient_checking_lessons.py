"""Every result the Gradient Checking notebook states, recomputed from the notebook's own code."""

import numpy as np
import pytest

from tests.helpers import NOTEBOOKS, notebook_definitions, numerical_gradient, run_quietly

nb = notebook_definitions(NOTEBOOKS["gradient_checking"])
nb["THRESHOLD"] = 2e-7  # the notebook's constant, set in its setup cell
THRESHOLD = nb["THRESHOLD"]


@pytest.fixture(scope="module")
def case():
    X, Y, parameters = nb["gradient_check_n_test_case"]()
    _, cache = nb["forward_propagation_n"](X, Y, parameters)
    return {
        "X": X,
        "Y": Y,
        "parameters": parameters,
        "cache": cache,
        "buggy": nb["backward_propagation_n"](X, Y, cache),
        "fixed": nb["backward_propagation_n_fixed"](X, Y, cache),
    }


def check(case, gradients, epsilon=1e-7):
    return nb["gradient_check_n"](case["parameters"], gradients, case["X"], case["Y"], epsilon)


def report_of(case, gradients, epsilon=1e-5):
    args = (case["parameters"], gradients, case["X"], case["Y"], epsilon)
    return run_quietly(nb["gradient_check_report"], *args)[0]


def numerical(case, epsilon):
    """The two-sided numerical gradient of the notebook's cost, {name: array}, computed here: the
    notebook gives no function that computes it (that is Exercise 4's job)."""
    parameters = {key: value.copy() for key, value in case["parameters"].items()}

    def J():
        return nb["forward_propagation_n"](case["X"], case["Y"], parameters)[0]

    return {key: numerical_gradient(J, parameters[key], h=epsilon) for key in parameters}


def relative_difference(a, b):
    return np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b))


@pytest.fixture(scope="module")
def v_curve(case):
    """The errors of the one- and two-sided differences of dJ/db3, as in section 1."""
    X, Y, parameters = case["X"], case["Y"], case["parameters"]

    def J(b):
        return nb["forward_propagation_n"](X, Y, {**parameters, "b3": np.array([[b]])})[0]

    b3 = parameters["b3"].item()
    exact = float(np.mean(case["cache"][9] - Y))
    epsilons = np.logspace(-13, -1, 49)
    one = np.array([abs((J(b3 + e) - J(b3)) / e - exact) for e in epsilons])
    two = np.array([abs((J(b3 + e) - J(b3 - e)) / (2 * e) - exact) for e in epsilons])
    return epsilons, one, two


def slope(x, y):
    return np.polyfit(np.log10(x), np.log10(y), 1)[0]


def test_truncation_error_falls_with_slope_1_one_sided_and_2_two_sided(v_curve):
    epsilons, one, two = v_curve
    side = epsilons >= 1e-3
    assert slope(epsilons[side], one[side]) == pytest.approx(1.0, abs=0.1)
    assert slope(epsilons[side], two[side]) == pytest.approx(2.0, abs=0.1)


def test_round_off_rises_with_slope_about_minus_1(v_curve):
    epsilons, one, two = v_curve
    side = (epsilons <= 1e-9) & (one > 0) & (two > 0)
    assert -1.5 < slope(epsilons[side], one[side]) < -0.5
    assert -1.5 < slope(epsilons[side], two[side]) < -0.5


def test_two_sided_is_best_near_1e_minus_4_and_beats_one_sided(v_curve):
    epsilons, one, two = v_curve
    best = np.argmin(two)
    assert 1e-5 <= epsilons[best] <= 1e-3 and two[best] < 1e-9
    assert one.min() / two.min() > 10, "more than ten times smaller"
    truncation = epsilons >= 1e-5
    assert np.all(two[truncation] < one[truncation] / 10), "far smaller at any one epsilon"


def test_the_default_epsilon_leaves_about_1e_minus_7_a_thousand_times_the_best(v_curve):
    epsilons, _, two = v_curve
    at_default = two[np.argmin(np.abs(np.log10(epsilons) + 7))]
    assert 1e-8 < at_default < 1e-6
    assert 100 < at_default / two.min() < 10000


def test_the_1d_check_gives_the_courses_difference():
    assert nb["gradient_check"](2, 4) == pytest.approx(2.919335883291695e-10, rel=1e-6)


def test_the_check_flags_the_planted_bugs_with_the_courses_0_29(case):
    difference = check(case, case["buggy"])
    assert difference == pytest.approx(0.2850931567, rel=1e-6)
    assert difference / THRESHOLD > 1e6, "six orders of magnitude above the threshold"


def test_the_fixed_backward_pass_passes_at_about_1e_minus_7(case):
    difference = check(case, case["fixed"])
    assert 5e-8 < difference < THRESHOLD


def test_a_better_epsilon_lowers_correct_code_100_fold_and_leaves_the_bug(case):
    at_default, at_best = check(case, case["fixed"], 1e-7), check(case, case["fixed"], 1e-5)
    assert 3e-10 < at_best < 3e-9 and at_default / at_best > 30
    assert check(case, case["buggy"], 1e-5) == pytest.approx(0.285, abs=0.005)


def test_the_report_names_exactly_dw2_and_db1_with_k_minus_1_over_k_plus_1(case):
    args = (case["parameters"], case["buggy"], case["X"], case["Y"])
    report, _ = run_quietly(nb["gradient_check_report"], *args)
    flagged = {name for name, value in report.items() if value > THRESHOLD}
    assert flagged == {"W2", "b1"}
    assert report["W2"] == pytest.approx(1 / 3, rel=1e-6)  # twice too large
    assert report["b1"] == pytest.approx(3 / 5, rel=1e-6)  # four times too large
    assert all(value < 1e-8 for name, value in report.items() if name not in flagged)


def test_the_report_is_the_relative_difference_of_each_parameter_alone(case):
    """Built on gradient_check_n one parameter at a time: the numbers of a numerical gradient
    of the whole network, split by parameter."""
    for gradients in (case["buggy"], case["fixed"]):
        for epsilon in (1e-7, 1e-5):
            approx = numerical(case, epsilon)
            report = report_of(case, gradients, epsilon)
            assert list(report) == ["W1", "b1", "W2", "b2", "W3", "b3"]
            for name, value in report.items():
                expected = relative_difference(gradients["d" + name], approx[name])
                assert value == pytest.approx(expected, rel=1e-9), name


def test_at_the_courses_epsilon_the_report_flags_two_small_correct_bias_gradients(case):
    """The table after the fix: db1 and db3 flagged at 1e-7, of norms 0.64 and 0.21; db2, as
    small, passes, since round-off moves its derivatives less; at 1e-5 all pass at 1e-8 or less."""
    fixed = case["fixed"]
    at_default, at_best = report_of(case, fixed, 1e-7), report_of(case, fixed, 1e-5)
    assert {name for name, value in at_default.items() if value > THRESHOLD} == {"b1", "b3"}
    norms = {name: np.linalg.norm(fixed["d" + name]) for name in at_default}
    assert norms["b1"] == pytest.approx(0.64, abs=0.005)
    assert norms["b3"] == pytest.approx(0.21, abs=0.005)
    assert norms["b2"] <= norms["b3"] and at_default["b2"] < THRESHOLD, "db2 is as small"
    approx = numerical(case, 1e-7)
    round_off = {name: np.abs(approx[name] - fixed["d" + name]).max() for name in approx}
    assert round_off["b2"] < min(round_off["b1"], round_off["b3"]) / 5
    whole = np.linalg.norm(nb["gradients_to_vector"](fixed))
    assert whole == pytest.approx(3.4, abs=0.05) and max(norms.values()) < whole
    assert all(value <= 1e-8 for value in at_best.values()), "every parameter at 1e-8 or less"


def test_correct_code_lands_on_either_side_of_1e_minus_7(case):
    """The whole gradient at 1.2e-7, dW3 alone (printed in the table as ~1e-8) below."""
    assert 1e-7 < check(case, case["fixed"]) < THRESHOLD
    dW3 = report_of(case, case["fixed"], 1e-7)["W3"]
    assert dW3 < 1e-7 and nb["magnitude"](dW3) == "~1e-8"


def test_the_report_passes_every_parameter_of_the_fixed_backward_pass(case):
    args = (case["parameters"], case["fixed"], case["X"], case["Y"])
    report, _ = run_quietly(nb["gradient_check_report"], *args)
    assert all(value < 1e-8 for value in report.values())


def test_round_off_at_1e_minus_7_comes_from_an_ill_conditioned_example(case):
    A3, Y = case["cache"][9], case["Y"]
    assert A3[0, 2] == pytest.approx(0.9989, abs=5e-5) and Y[0, 2] == 0
    grad = nb["gradients_to_vector"](case["fixed"])
    assert np.linalg.norm(grad) == pytest.approx(3.4, abs=0.05)
    approx = nb["gradients_to_vector"]({"d" + k: v for k, v in numerical(case, 1e-7).items()})
    assert 1e-7 < np.max(np.abs(grad - approx)) < 1e-6, "off by up to a few times 1e-7"


def test_one_random_direction_catches_the_bugs_and_rarely_false_alarms(case):
    def flagged(gradients):
        rng = np.random.RandomState(0)
        args = (case["parameters"], gradients, case["X"], case["Y"], rng)
        return sum(nb["directional_check"](*args) > THRESHOLD for _ in range(200))

    assert flagged(case["buggy"]) == 200
    assert 1 <= flagged(case["fixed"]) <= 5, "a few directions in two hundred"


def test_the_directional_check_is_the_relative_difference_along_u(case):
    """gradient_check_n of t -> J(theta + t u): |grad . u - numerical| / (|grad . u| + |...|)."""
    theta, _ = nb["dictionary_to_vector"](case["parameters"])
    shapes = {key: value.shape for key, value in case["parameters"].items()}
    rng, draws = np.random.RandomState(0), np.random.RandomState(0)
    for gradients in (case["buggy"], case["fixed"]) * 3:
        got = nb["directional_check"](case["parameters"], gradients, case["X"], case["Y"], rng)
        u = draws.randn(*theta.shape)
        u /= np.linalg.norm(u)
        J_plus, J_minus = (
            nb["forward_propagation_n"](
                case["X"], case["Y"], nb["vector_to_dictionary"](theta + e * u, shapes)
            )[0]
            for e in (1e-5, -1e-5)
        )
        approx = (J_plus - J_minus) / 2e-5
        analytic = (nb["gradients_to_vector"](gradients).T @ u).item()
        assert got == pytest.approx(abs(analytic - approx) / (abs(analytic) + abs(approx)))


@pytest.mark.parametrize("name", ["gradient_check_report", "directional_check"])
def test_the_given_checks_run_on_your_gradient_check_n_and_put_the_cost_back(
    case, monkeypatch, name
):
    """No numerical gradient in the given code (issue #25): without Exercise 4 they raise, and
    forward_propagation_n is the network's cost again afterwards."""

    def not_done(*args, **kwargs):
        raise NotImplementedError

    network_cost = nb["forward_propagation_n"]
    monkeypatch.setitem(nb, "gradient_check_n", not_done)
    args = (case["parameters"], case["fixed"], case["X"], case["Y"])
    if name == "directional_check":
        args += (np.random.RandomState(0),)
    with pytest.raises(NotImplementedError):
        run_quietly(nb[name], *args)
    assert nb["forward_propagation_n"] is network_cost


def test_with_fresh_dropout_masks_the_numerical_gradient_is_noise(case):
    theta, _ = nb["dictionary_to_vector"](case["parameters"])
    shapes = {key: value.shape for key, value in case["parameters"].items()}
    step = np.zeros_like(theta)
    step[0] = 1e-7
    plus = nb["vector_to_dictionary"](theta + step, shapes)
    minus = nb["vector_to_dictionary"](theta - step, shapes)
    rng = np.random.RandomState(0)
    cost = nb["cost_with_fresh_dropout"]
    estimates = np.array(
        [
            (cost(case["X"], case["Y"], plus, rng) - cost(case["X"], case["Y"], minus, rng)) / 2e-7
            for _ in range(5)
        ]
    )
    true = case["fixed"]["dW1"][0, 0]
    assert np.all(np.abs(estimates - true) > 100 * abs(true)), "none is near the true value"
    assert np.abs(estimates).max() / np.abs(estimates).min() > 10, "they disagree by orders"


@pytest.mark.parametrize("name", ["gradient_check", "gradient_check_n"])
def test_a_non_positive_epsilon_is_rejected(case, name):
    args = (
        (2, 4)
        if name == "gradient_check"
        else (case["parameters"], case["fixed"], case["X"], case["Y"])
    )
    with pytest.raises(ValueError, match="epsilon must be a positive number, got 0"):
        nb[name](*args, epsilon=0)


def test_magnitude_prints_mistakes_with_digits_and_round_off_as_a_power_of_ten():
    assert nb["magnitude"](0.2850931567) == "0.29"
    assert nb["magnitude"](1.19e-7) == "~1e-7"
    assert nb["magnitude"](2.9e-10) == "~1e-10" and nb["magnitude"](0.0) == "0"
