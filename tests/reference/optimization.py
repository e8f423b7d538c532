"""The reference answers of the Optimization Methods assignment (``notebooks``).

The update rules are applied here, with the instructor: gradient descent, momentum, RMSprop and
Adam, step after step, and the two learning-rate decays. A learner's copy keeps only the input
builders of ``notebooks/testCases.py`` (``_parameters_and_grads`` and ``_step_grads`` draw the
parameters and the gradients and compute nothing the exercises ask for) and the stored results.

``answer(name, case)`` rebuilds a check's inputs from ``case`` with those builders and returns
the expected values of entry ``name``. An output that the check compares as a dict of arrays is
given as ``{"right": ..., <mistake>: ...}``: the right result and the results of the typical
wrong versions whose messages the check holds under the same names.

- ``update_parameters_with_gd`` on ``(seed, layer sizes, learning_rate)``: the parameters after
  one step, and after a step up the gradient (``uphill``);
- ``random_mini_batches`` on ``(m, mini_batch_size, seed)``: the batch ``sizes`` and the
  ``order`` of the columns, the permutation of ``RandomState(seed)``;
- ``initialize_velocity``, ``initialize_rmsprop`` and ``initialize_adam`` on
  ``(seed, layer sizes)``: ``v``, ``s`` or both, zeros under the gradients' keys;
- ``update_parameters_with_momentum/step{t}`` on ``(seed, layer sizes, beta, learning_rate)``:
  ``v`` and ``parameters`` after t steps from zero velocity, each step from the right state of
  the one before, and at step t ``v`` without the factor (1 - beta) (``undamped``) and the
  parameters moved along the gradient instead of v (``along dW``);
- ``update_parameters_with_rmsprop/step{t}`` on ``(seed, layer sizes, beta2, learning_rate,
  epsilon)``: ``s`` and ``parameters``, and s from dW not squared (``unsquared``), the step
  divided by s instead of its square root (``no square root``) and by sqrt(s + epsilon)
  (``epsilon inside``);
- ``update_parameters_with_adam/step{t}`` on ``(seed, layer sizes, learning_rate, beta1, beta2,
  epsilon)``: ``v``, ``s``, ``v_corrected``, ``s_corrected`` and ``parameters``, and s
  ``unsquared``; the corrections with the power t + 1, 2, 1 (v only) or outside the
  parentheses, (1 - beta)**t, and none at all (``uncorrected``); the parameters with epsilon
  inside the square root;
- ``update_lr`` on ``(learning_rate0, epoch_num, decay_rate)``: the decayed learning rate;
- ``schedule_lr_decay`` on ``(learning_rate0, epoch_num, decay_rate, time_interval)``: the
  ``right`` rate, and the rate with epoch_num / time_interval not rounded down (``unrounded``).
"""

import importlib.util
import sys

import numpy as np

from tests.grading.assignments import ASSIGNMENTS

_FOLDER = ASSIGNMENTS["optimization"].path.parent


def _load_checks():
    # Under a name of its own: every part folder has a module called testCases. It imports
    # nn_utils from its folder, as in the notebook's kernel.
    spec = importlib.util.spec_from_file_location(
        "_reference_optimization_testCases", _FOLDER / "testCases.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(_FOLDER))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(_FOLDER))
    return module


_checks = _load_checks()


def _each(function, *dicts):
    """``{key: function(*values)}`` over the keys of the first dict."""
    return {k: function(*(d[k] for d in dicts)) for k in dicts[0]}


def _gradient_descent(case):
    seed, dims, learning_rate = case
    parameters, grads = _checks._parameters_and_grads(seed, dims)
    dP = {k: grads["d" + k] for k in parameters}
    return {
        "parameters": {
            "right": _each(lambda p, g: p - learning_rate * g, parameters, dP),
            "uphill": _each(lambda p, g: p + learning_rate * g, parameters, dP),
        }
    }


def _mini_batches(case):
    m, size, seed = case
    return {
        "sizes": [size] * (m // size) + ([m % size] if m % size else []),
        "order": np.random.RandomState(seed).permutation(m),
    }


def _zeros(case):
    parameters, grads = _checks._parameters_and_grads(*case)
    return {k: np.zeros_like(grads[k]) for k in grads}


def _steps(seed, dims, steps):
    """The parameters, zero moments and each step's gradients, as the checks draw them (the
    parameters' gradients ``dW1, db1, ...`` also name the entries of the moments)."""
    parameters, _ = _checks._parameters_and_grads(seed, dims)
    all_grads = _checks._step_grads(seed, parameters, steps)
    zeros = {k: np.zeros_like(g) for k, g in all_grads[0].items()}
    return parameters, zeros, all_grads


def _by_gradient(parameters):
    """A dict of parameters keyed as its gradients are (W1 -> dW1)."""
    return {"d" + k: p for k, p in parameters.items()}


def _by_parameter(gradients):
    return {k.removeprefix("d"): g for k, g in gradients.items()}


def _momentum(case, t):
    seed, dims, beta, learning_rate = case
    parameters, v, all_grads = _steps(seed, dims, t)
    for grads in all_grads:
        P = _by_gradient(parameters)
        new_v = _each(lambda v, g: beta * v + (1 - beta) * g, v, grads)
        result = {
            "v": {
                "right": new_v,
                "undamped": _each(lambda v, g: beta * v + g, v, grads),
            },
            "parameters": {
                "right": _by_parameter(_each(lambda p, v: p - learning_rate * v, P, new_v)),
                "along dW": _by_parameter(_each(lambda p, g: p - learning_rate * g, P, grads)),
            },
        }
        parameters, v = result["parameters"]["right"], new_v
    return result


def _step(P, direction, divisor, learning_rate):
    """The parameters ``P`` (keyed as their gradients) moved by ``-learning_rate * direction /
    divisor``, key by key."""
    return _by_parameter({k: P[k] - learning_rate * direction[k] / divisor[k] for k in P})


def _rmsprop(case, t):
    seed, dims, beta2, learning_rate, epsilon = case
    parameters, s, all_grads = _steps(seed, dims, t)
    for grads in all_grads:
        P = _by_gradient(parameters)
        new_s = _each(lambda s, g: beta2 * s + (1 - beta2) * g**2, s, grads)
        result = {
            "s": {
                "right": new_s,
                "unsquared": _each(lambda s, g: beta2 * s + (1 - beta2) * g, s, grads),
            },
            "parameters": {
                "right": _step(
                    P, grads, _each(lambda s: np.sqrt(s) + epsilon, new_s), learning_rate
                ),
                "no square root": _step(
                    P, grads, _each(lambda s: s + epsilon, new_s), learning_rate
                ),
                "epsilon inside": _step(
                    P, grads, _each(lambda s: np.sqrt(s + epsilon), new_s), learning_rate
                ),
            },
        }
        parameters, s = result["parameters"]["right"], new_s
    return result


def _corrected(moment, divisor):
    return {k: x / divisor for k, x in moment.items()}


def _adam(case, t):
    seed, dims, learning_rate, beta1, beta2, epsilon = case
    parameters, v, all_grads = _steps(seed, dims, t)
    s = v
    for step, grads in enumerate(all_grads, 1):
        P = _by_gradient(parameters)
        new_v = _each(lambda v, g: beta1 * v + (1 - beta1) * g, v, grads)
        new_s = _each(lambda s, g: beta2 * s + (1 - beta2) * g**2, s, grads)
        v_corr = _corrected(new_v, 1 - beta1**step)
        s_corr = _corrected(new_s, 1 - beta2**step)
        result = {
            "v": {"right": new_v},
            "s": {
                "right": new_s,
                "unsquared": _each(lambda s, g: beta2 * s + (1 - beta2) * g, s, grads),
            },
            "v_corrected": {
                "right": v_corr,
                "power t + 1": _corrected(new_v, 1 - beta1 ** (step + 1)),
                "power 2": _corrected(new_v, 1 - beta1**2),
                "power 1": _corrected(new_v, 1 - beta1),
                "power outside": _corrected(new_v, (1 - beta1) ** step),
                "uncorrected": new_v,
            },
            "s_corrected": {
                "right": s_corr,
                "power t + 1": _corrected(new_s, 1 - beta2 ** (step + 1)),
                "power 2": _corrected(new_s, 1 - beta2**2),
                "power outside": _corrected(new_s, (1 - beta2) ** step),
                "uncorrected": new_s,
            },
            "parameters": {
                "right": _step(
                    P, v_corr, _each(lambda s: np.sqrt(s) + epsilon, s_corr), learning_rate
                ),
                "epsilon inside": _step(
                    P, v_corr, _each(lambda s: np.sqrt(s + epsilon), s_corr), learning_rate
                ),
            },
        }
        parameters, v, s = result["parameters"]["right"], new_v, new_s
    return result


def _update_lr(case):
    learning_rate0, epoch_num, decay_rate = case
    return learning_rate0 / (1 + decay_rate * epoch_num)


def _schedule_lr_decay(case):
    learning_rate0, epoch_num, decay_rate, time_interval = case
    return {
        "right": learning_rate0 / (1 + decay_rate * np.floor(epoch_num / time_interval)),
        "unrounded": learning_rate0 / (1 + decay_rate * epoch_num / time_interval),
    }


_ANSWERS = {
    "update_parameters_with_gd": _gradient_descent,
    "random_mini_batches": _mini_batches,
    "initialize_velocity": lambda case: {"v": _zeros(case)},
    "initialize_rmsprop": lambda case: {"s": _zeros(case)},
    "initialize_adam": lambda case: {"v": _zeros(case), "s": _zeros(case)},
    "update_lr": _update_lr,
    "schedule_lr_decay": _schedule_lr_decay,
}
_STEPS = {
    "update_parameters_with_momentum": _momentum,
    "update_parameters_with_rmsprop": _rmsprop,
    "update_parameters_with_adam": _adam,
}


def answer(name, case):
    """The expected values of entry ``name`` on ``case`` (see the module's docstring)."""
    exercise, _, step = name.partition("/step")
    if exercise in _STEPS and step.isdigit() and int(step) >= 1:
        return _STEPS[exercise](tuple(case), int(step))
    if step or exercise not in _ANSWERS:
        raise KeyError(f"no reference answer called {name!r}")
    return _ANSWERS[exercise](tuple(case))
