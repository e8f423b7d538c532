"""The Optimization Methods checks pass the notebook's solutions and catch the classic mistakes."""

import numpy as np
import pytest

from tests.helpers import NOTEBOOKS, PART_DIRS, load_module, named, notebook_definitions

checks = load_module(PART_DIRS["opt_utils"] / "testCases.py", "optimization_testCases")
nb = notebook_definitions(NOTEBOOKS["optimization"])


def adam_with_fixed_power(
    parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9, beta2=0.999, epsilon=1e-8
):
    """Bias correction with beta**2 whatever t: right at t = 2, wrong at every other step."""
    v_c, s_c = {}, {}
    for key in grads:
        v[key] = beta1 * v[key] + (1 - beta1) * grads[key]
        s[key] = beta2 * s[key] + (1 - beta2) * grads[key] ** 2
        v_c[key], s_c[key] = v[key] / (1 - beta1**2), s[key] / (1 - beta2**2)
        parameters[key[1:]] -= learning_rate * v_c[key] / (np.sqrt(s_c[key]) + epsilon)
    return parameters, v, s, v_c, s_c


def adam_with(correction=lambda beta, t: 1 - beta**t, square=True, inside=False, step=0):
    """Adam with one classic mistake: a wrong bias correction, dW not squared in s, epsilon
    inside the square root, or t incremented inside the function."""

    def adam(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9, beta2=0.999, epsilon=1e-8):
        t = t + step
        v_c, s_c = {}, {}
        for key in grads:  # (dW not squared can make s negative: its square root is nan)
            v[key] = beta1 * v[key] + (1 - beta1) * grads[key]
            s[key] = beta2 * s[key] + (1 - beta2) * (grads[key] ** 2 if square else grads[key])
            v_c[key], s_c[key] = v[key] / correction(beta1, t), s[key] / correction(beta2, t)
            with np.errstate(invalid="ignore"):
                root = np.sqrt(s_c[key] + epsilon) if inside else np.sqrt(s_c[key]) + epsilon
            parameters[key[1:]] -= learning_rate * v_c[key] / root
        return parameters, v, s, v_c, s_c

    return adam


def rmsprop_epsilon_inside(parameters, grads, s, beta2, learning_rate, epsilon=1e-8):
    for key in grads:
        s[key] = beta2 * s[key] + (1 - beta2) * grads[key] ** 2
        parameters[key[1:]] -= learning_rate * grads[key] / np.sqrt(s[key] + epsilon)
    return parameters, s


def momentum_without_damping(parameters, grads, v, beta, learning_rate):
    for key in grads:
        v[key] = beta * v[key] + grads[key]
        parameters[key[1:]] -= learning_rate * v[key]
    return parameters, v


def rmsprop_without_square_root(parameters, grads, s, beta2, learning_rate, epsilon=1e-8):
    for key in grads:
        s[key] = beta2 * s[key] + (1 - beta2) * grads[key] ** 2
        parameters[key[1:]] -= learning_rate * grads[key] / (s[key] + epsilon)
    return parameters, s


def unshuffled_batches(X, Y, mini_batch_size=64, seed=0):
    size = mini_batch_size
    return [(X[:, k : k + size], Y[:, k : k + size]) for k in range(0, X.shape[1], size)]


def batches_without_remainder(X, Y, mini_batch_size=64, seed=0):
    return nb["random_mini_batches"](X, Y, mini_batch_size, seed)[: X.shape[1] // mini_batch_size]


def gd_uphill(parameters, grads, learning_rate):
    return {k: v + learning_rate * grads["d" + k] for k, v in parameters.items()}


def adam_sharing_arrays(parameters):
    v = nb["initialize_velocity"](parameters)
    return v, v


MISTAKES = [
    ("update_parameters_with_adam", adam_with_fixed_power, "the correction uses the power t"),
    ("update_parameters_with_momentum", momentum_without_damping, r"\(1 - beta\)"),
    ("update_parameters_with_rmsprop", rmsprop_without_square_root, "square root of s"),
    ("update_parameters_with_rmsprop", rmsprop_epsilon_inside, "epsilon goes outside"),
    ("update_parameters_with_adam", adam_with(square=False), "dW1 of s at t = 1 .*square the"),
    ("update_parameters_with_adam", adam_with(inside=True), "epsilon goes outside"),
    ("update_parameters_with_adam", adam_with(step=1), "do not add 1 to t"),
    (
        "update_parameters_with_adam",
        adam_with(correction=lambda beta, t: (1 - beta) ** t),
        "divide by 1 - beta1\\*\\*t, the power of beta1 alone",
    ),
    ("random_mini_batches", unshuffled_batches, "not shuffled"),
    ("random_mini_batches", batches_without_remainder, "m mod size"),
    ("update_parameters_with_gd", gd_uphill, "step against the gradient"),
    ("initialize_adam", adam_sharing_arrays, "separate arrays"),
    ("update_lr", lambda lr0, epoch, rate: lr0 / (1 + rate) ** epoch, "update_lr"),
    (
        "schedule_lr_decay",
        lambda lr0, epoch, rate, interval=1000: lr0 / (1 + rate * epoch / interval),
        "round epoch_num / time_interval down",
    ),
]


@pytest.mark.parametrize("name, function, diagnosis", MISTAKES, ids=[m[2][:30] for m in MISTAKES])
def test_a_classic_mistake_fails_with_a_diagnosis(name, function, diagnosis):
    with pytest.raises(AssertionError, match=diagnosis):
        getattr(checks, f"{name}_test")(named(function, name))


def test_the_courses_adam_check_at_t_2_alone_would_let_the_fixed_power_through():
    # The course tests Adam at t = 2 only, where beta**2 and beta**t agree; ours tests t = 1..5.
    with pytest.raises(AssertionError, match="t = 1"):
        checks.verify_update_parameters_with_adam(adam_with_fixed_power, steps=5)
    parameters, grads = {"W1": np.ones((2, 2))}, {"dW1": np.full((2, 2), 0.5)}
    v, s = {"dW1": np.full((2, 2), 0.1)}, {"dW1": np.full((2, 2), 0.01)}
    right = nb["update_parameters_with_adam"](
        {"W1": np.ones((2, 2)), "b1": np.zeros((2, 1))},
        {**grads, "db1": np.zeros((2, 1))},
        {**v, "db1": np.zeros((2, 1))},
        {**s, "db1": np.zeros((2, 1))},
        2,
    )
    wrong = adam_with_fixed_power(dict(parameters), grads, dict(v), dict(s), 2)
    np.testing.assert_allclose(wrong[0]["W1"], right[0]["W1"])
