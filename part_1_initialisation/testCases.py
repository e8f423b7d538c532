"""Checks for the exercises of the Initialization notebook.

Each check takes the learner's function, calls it on a few layer sizes, and either prints the
notebook's example followed by ``All tests passed.`` or raises ``AssertionError`` saying what is
off: which key, which shape, by how much, and the most likely mistake. A function that still
raises ``NotImplementedError`` (an exercise not done yet) gets a one-line reminder instead of a
traceback. The ``verify_*`` functions hold the checks themselves, for any list of cases: the
grader (``tests/grading``) runs them with other layer sizes than the public ones, and with the
instructor's reference answers in place of the values stored here.
"""

import functools
import json
import pathlib

import numpy as np

__all__ = [
    "verify_initialize_parameters_zeros",
    "verify_initialize_parameters_random",
    "verify_initialize_parameters_he",
    "initialize_parameters_zeros_test",
    "initialize_parameters_random_test",
    "initialize_parameters_he_test",
]

LAYER_SIZES = ([2, 4, 1], [3, 2, 1], [2, 10, 5, 1], [5, 3, 4, 2, 1])
# He's check leads with a network where every likely wrong scale differs: in [2, 4, 1],
# sqrt(2 / n[1]) equals sqrt(1 / n[0]), and a wrong scale there would get two diagnoses.
HE_LAYER_SIZES = ([3, 5, 1], *LAYER_SIZES)


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


def _check_structure(name, parameters, layers_dims):
    """Check the dict returned by an initializer: keys, types and shapes."""
    assert isinstance(parameters, dict), (
        f"{name}({layers_dims}) must return a dict, got {type(parameters).__name__}"
    )
    L = len(layers_dims)
    expected_keys = {f"{p}{l}" for l in range(1, L) for p in "Wb"}
    missing = sorted(expected_keys - parameters.keys())
    extra = sorted(parameters.keys() - expected_keys)
    assert not missing and not extra, (
        f"{name}({layers_dims}) returned keys {sorted(parameters)}; missing {missing}, "
        f"unexpected {extra}. There is one W and one b per layer l = 1 .. {L - 1}."
    )
    for l in range(1, L):
        for key, shape in (
            (f"W{l}", (layers_dims[l], layers_dims[l - 1])),
            (f"b{l}", (layers_dims[l], 1)),
        ):
            value = parameters[key]
            assert isinstance(value, np.ndarray), (
                f"{key} must be a NumPy array, got {type(value).__name__}"
            )
            hint = (
                " (transposed? W[l] has shape (n[l], n[l-1]))"
                if value.shape == shape[::-1]
                else ""
            )
            assert value.shape == shape, (
                f"{name}({layers_dims}): {key} has shape {value.shape}, expected {shape}{hint}"
            )
            assert np.issubdtype(value.dtype, np.floating), (
                f"{key} must hold floats, got dtype {value.dtype}"
            )
        assert not np.any(parameters[f"b{l}"]), (
            f"b{l} must be all zeros; only the weights are drawn"
        )


# What the likely mistakes are called in a hint, by the names the stored values give them.
MISTAKES = {
    "unscaled": "the unscaled draws (multiply by 10)",
    "times 0.01": "scaled by 0.01 instead of 10",
    "n[l]": "sqrt(2 / n[l]): use the previous layer's size n[l-1]",
    "Xavier": "sqrt(1 / n[l-1]), Xavier's scale: He uses 2 in the numerator",
    "no square root": "2 / n[l-1] without the square root",
}


def _check_seeded_draws(name, target, scale_formula, cases, answers):
    """Check that W[l] equals the expected seed-3 draws, scaled as ``scale_formula`` says.

    The draws are taken in the course's order (``W1``, ``W2``, ...) from one stream seeded 3,
    so ``np.random.seed(3)`` + ``np.random.randn`` and ``np.random.RandomState(3).randn`` both
    pass. ``answers(name, layer sizes)`` gives, for each W[l], the expected weights, the draws
    alone and the scale, and the scales the likely mistakes (``MISTAKES``) would give.
    """
    for layers_dims in cases:
        expected = answers(name, tuple(layers_dims))
        parameters = target(list(layers_dims))
        _check_structure(name, parameters, layers_dims)
        again = target(list(layers_dims))
        assert all(np.array_equal(parameters[k], again[k]) for k in parameters), (
            f"{name} gave different weights on two calls: "
            "seed the generator with 3 inside the function"
        )
        for l in range(1, len(layers_dims)):
            W = parameters[f"W{l}"]
            if np.allclose(W, expected["W"][f"W{l}"], rtol=1e-10, atol=1e-12):
                continue
            draws = expected["draws"][f"W{l}"]
            ratio = np.divide(W, draws, out=np.full_like(W, np.nan), where=draws != 0)
            if np.allclose(ratio, ratio.flat[0]):
                diagnosis = f"W{l} is the right draws times {ratio.flat[0]:.6g}"
                for mistake, scales in expected["mistakes"].items():
                    if np.isclose(ratio.flat[0], scales[l - 1]):
                        diagnosis += f", which is {MISTAKES[mistake]}"
                scale = expected["scale"][l - 1]
                diagnosis += f"; expected times {scale:.6g} = {scale_formula}"
            else:
                difference = np.max(np.abs(W - expected["W"][f"W{l}"]))
                diagnosis = (
                    f"W{l} is not the expected draws (max abs difference {difference:.3g}). "
                    "Draw every W with np.random.randn(n[l], n[l-1]) in the order W1, W2, ... "
                    "from one generator seeded 3 once, before the loop, and draw nothing for b"
                )
            raise AssertionError(f"{name}({layers_dims}): {diagnosis}.")


def _show_parameters(target, layers_dims):
    """Print what ``target(layers_dims)`` returns, the example the notebook shows."""
    for key, value in target(list(layers_dims)).items():
        print(f"{key} = {np.round(value, 8).tolist()}")


def verify_initialize_parameters_zeros(target, cases=LAYER_SIZES, answers=stored_answers):
    """Raise AssertionError unless every W and b is all zeros, of the right shape.

    ``answers`` is taken as by every check; all zeros needs no stored value.
    """
    for layers_dims in cases:
        parameters = target(list(layers_dims))
        _check_structure("initialize_parameters_zeros", parameters, layers_dims)
        for key, value in parameters.items():
            assert not np.any(value), (
                f"{key} must be all zeros, found {np.count_nonzero(value)} non-zero"
            )


def verify_initialize_parameters_random(target, cases=LAYER_SIZES, answers=stored_answers):
    """Raise AssertionError unless W[l] = randn(n[l], n[l-1]) * 10 (seed 3) and b = 0."""
    _check_seeded_draws("initialize_parameters_random", target, "10", cases, answers)


def verify_initialize_parameters_he(target, cases=HE_LAYER_SIZES, answers=stored_answers):
    """Raise AssertionError unless W[l] = randn(n[l], n[l-1]) * sqrt(2 / n[l-1]) (seed 3)."""
    _check_seeded_draws("initialize_parameters_he", target, "sqrt(2 / n[l-1])", cases, answers)


@exercise_check
def initialize_parameters_zeros_test(target):
    """Check ``initialize_parameters_zeros`` and print the notebook's example."""
    verify_initialize_parameters_zeros(target)
    _show_parameters(target, [3, 2, 1])


@exercise_check
def initialize_parameters_random_test(target):
    """Check ``initialize_parameters_random`` and print the notebook's example."""
    verify_initialize_parameters_random(target)
    _show_parameters(target, [3, 2, 1])


@exercise_check
def initialize_parameters_he_test(target):
    """Check ``initialize_parameters_he`` and print the notebook's example."""
    verify_initialize_parameters_he(target)
    _show_parameters(target, [2, 4, 1])
