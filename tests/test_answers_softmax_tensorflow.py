"""Softmax Regression and TensorFlow Introduction: a learner copy holds no answers.

What a learner gets of each assignment is its folder's support files (``nn_utils.py``,
``testCases.py``, ``expected_values.json``). No function of those modules, plugged in place of
an exercise's function with the signature adaptations a learner would try, passes that
exercise's check on the grader's hidden cases, with the reference's answers. The stored expected
values are what the reference computes now, and the reference agrees with the notebooks' own
solutions.
"""

import functools
import importlib
import importlib.util
import random
import sys

import numpy as np
import pytest
import tensorflow as tf

from tests.grading.assignments import ASSIGNMENTS
from tests.grading.hidden import HIDDEN_CASES, checks_of
from tests.helpers import AsGraded, named, notebook_definitions
from tests.reference import answers_for, key, recording

SOFTMAX, TENSORFLOW = ASSIGNMENTS["softmax"], ASSIGNMENTS["tensorflow"]
# What passes, and why it stays. nn_utils.sigmoid is SciPy's expit under the course's name (the
# week-1 companions import it, and every utils module has it): the TensorFlow exercise asks for
# TensorFlow's sigmoid as a float32 tensor, a float32 cast of the NumPy one fails the check, and
# only wrapping it into a tensor, as any library's logistic function could be, gets through.
# nn_utils.forward_propagation is the NumPy network that TensorFlow's section 5 compares with:
# given an output layer that returns its Z, wrapped into a tensor, it gives the logits. Such a
# forward pass has no gradient, so the model built on it does not train (the model's check).
KNOWN = {
    ("sigmoid", "nn_utils.sigmoid", "as a float32 tensor"),
    ("forward_propagation", "nn_utils.forward_propagation", "as a float32 tensor"),
}
IDENTITY = (lambda Z: Z, None, None)  # an output layer that returns the logits


@functools.cache
def shipped_functions(tmp_root):
    """Every callable defined in the modules of the learner copy (the same files for both
    assignments), by qualified name: public and private functions, and classes."""
    SOFTMAX.copy_support_files(tmp_root)
    found = {}
    for stem in ("nn_utils", "testCases"):  # testCases imports only nn_utils from the folder
        spec = importlib.util.spec_from_file_location(f"_copy_{stem}", tmp_root / f"{stem}.py")
        module = importlib.util.module_from_spec(spec)
        sys.path.insert(0, str(tmp_root))
        try:
            spec.loader.exec_module(module)
        finally:
            sys.path.remove(str(tmp_root))
        for name, value in vars(module).items():
            if callable(value) and getattr(value, "__module__", None) == module.__name__:
                found[f"{stem}.{name}"] = value
    return found


@pytest.fixture(scope="module")
def functions(tmp_path_factory):
    functions = shipped_functions(tmp_path_factory.mktemp("learner_copy"))
    assert {"nn_utils.forward_propagation", "testCases._softmax_inputs"} <= set(functions)
    return functions


def hidden(assignment, name):
    """Cases in the hidden checks' formats: two of the grader's draws (one of the model's, which
    trains), or its fixed cases."""
    draw = HIDDEN_CASES.get((assignment.name, name), HIDDEN_CASES.get(name))
    if not callable(draw):
        return draw
    return draw(random.Random(1)) + (() if name == "model" else draw(random.Random(2)))


def cached(answers):
    """``answers`` computed once per entry: the model's reference run trains for seconds."""
    table = {}

    def cached_answers(name, case):
        if key(name, case) not in table:
            table[key(name, case)] = answers(name, case)
        return table[key(name, case)]

    return cached_answers


def trained_once(model):
    """``model`` that trains once per data and options and then returns that run (its runs are
    deterministic: the same call gives the same numbers to the last bit)."""
    runs = {}

    def model_once(*args, **kwargs):
        run = (tuple(np.asarray(a).tobytes() for a in args), tuple(sorted(kwargs.items())))
        if run not in runs:
            runs[run] = model(*args, **kwargs)
        return runs[run]

    return named(model_once, "model")


@functools.cache
def solutions(assignment):
    """The notebook's solutions; its model trains once per call the tests make of it."""
    found = notebook_definitions(assignment.path)
    if "model" in found:
        found["model"] = trained_once(found["model"])
    return found


@functools.cache
def reference_answers(assignment):
    """The reference's answers, computed once per entry for all the tests of this file (the
    model's entries train a reference run)."""
    return cached(answers_for(assignment))


def _outputs(value):
    """What a cheat could return from a function's result: the result, or one of its parts."""
    yield value
    if isinstance(value, tuple):
        yield from value
    if isinstance(value, dict):
        yield from value.values()


def _transposed(x):
    return x.T if isinstance(x, np.ndarray) else x


# How a learner adapts a function of the shipped modules to an exercise's signature: its
# arguments in either order or transposed (each list below), and its result (or a part of a
# tuple or dict result) as it is, transposed, cast or as a float32 tensor.
ARGUMENTS = {
    "softmax": lambda Z: [(Z,), (Z.T,), (Z, 0)],
    "one_hot": lambda y, C: [(y, C), (C, y), (y,), (np.ravel(y), C)],
    "cross_entropy": lambda A, Y: [(A, Y), (Y, A), (A.T, Y.T)],
    "softmax_backward": lambda A, Y: [(A, Y), (Y, A), (A.T, Y.T)],
    "linear_function": lambda: [()],
    "sigmoid": lambda z: [(z,), (np.float32(z),), (np.array([[z]], dtype=float),)],
    "one_hot_matrix": lambda label, depth=6: [
        (label, depth),
        (np.reshape(label, (1, -1)), depth),
        (np.ravel(label)[0], depth),
    ],
    "initialize_parameters": lambda: [(), ([64, 25, 12, 6],)],
    "forward_propagation": lambda X, parameters: [
        (X, parameters),
        (parameters, X),
        (X, parameters, "relu", IDENTITY),
    ],
    "compute_total_loss": lambda logits, labels: [(logits, labels), (labels, logits)],
    "model": lambda *data: [data, data[:2], (data[0].T, data[1].T)],
}
RESULTS = {
    "as it is": lambda x: x,
    "transposed": _transposed,
    "as a float": lambda x: np.asarray(x, dtype=float),
    "as a float32 tensor": lambda x: tf.constant(np.asarray(x, dtype=np.float32)),
}


def _arguments(name, args, kwargs):
    """The argument lists a cheat tries for a call ``name(*args, **kwargs)`` of the check."""
    return ([(args, kwargs)] if kwargs else []) + [(a, {}) for a in ARGUMENTS[name](*args)]


def cheats(function, name):
    """Every adaptation of ``function`` to exercise ``name``: (description, function).

    A check makes the same first call of every cheat (it is deterministic up to there), and the
    shipped function gives it the same answer: an argument list whose first call raised, raises
    for every result and part, and the function is not called with it again.
    """
    first_call_raised = set()

    def adaptation(result, index, part):
        first = True

        def cheat(*args, **kwargs):
            nonlocal first
            first_call, first = first, False
            if first_call and index in first_call_raised:
                raise TypeError("this argument list raised for another adaptation")
            tries = _arguments(name, args, kwargs)
            if index >= len(tries):
                raise TypeError("no such argument list")
            arguments, options = tries[index]
            try:
                with np.errstate(all="ignore"):
                    parts = list(_outputs(function(*arguments, **options)))
            except Exception:
                if first_call:
                    first_call_raised.add(index)
                raise
            if part >= len(parts):
                raise TypeError("no such part of the result")
            return result(parts[part])

        return named(cheat, name)

    for how, result in RESULTS.items():
        for index in range(4):
            for part in range(4):
                yield f"{how}, arguments {index}, part {part}", adaptation(result, index, part)


EXERCISES = [(SOFTMAX, name) for name in SOFTMAX.exercises] + [
    (TENSORFLOW, name) for name in TENSORFLOW.exercises
]


@pytest.mark.parametrize(
    "assignment, exercise", EXERCISES, ids=[f"{a.name}-{e}" for a, e in EXERCISES]
)
def test_no_shipped_function_passes_an_exercise_on_the_hidden_cases(
    assignment, exercise, functions
):
    verify = getattr(checks_of(assignment), f"verify_{exercise}")
    answers = reference_answers(assignment)
    cases = hidden(assignment, exercise)
    passed = []
    for qualified, function in functions.items():
        for how, cheat in cheats(function, exercise):
            try:
                with np.errstate(all="ignore"):
                    verify(AsGraded(cheat), cases, answers=answers)
            except Exception:
                continue
            if (exercise, qualified, how.split(",")[0]) not in KNOWN:
                passed.append(f"{qualified} ({how})")
    assert not passed, f"shipped functions pass {exercise}: {passed}"


def test_the_notebooks_solutions_pass_their_hidden_checks_with_the_reference():
    """The other side of the test above: the checks are not failing everything."""
    for assignment, exercise in EXERCISES:
        solution = AsGraded(solutions(assignment)[exercise])
        verify = getattr(checks_of(assignment), f"verify_{exercise}")
        verify(solution, hidden(assignment, exercise), answers=reference_answers(assignment))


def _same(stored, computed, rtol, atol, where):
    if isinstance(computed, dict):
        assert set(stored) == set(computed), where
        for k in computed:
            _same(stored[k], computed[k], rtol, atol, f"{where}[{k!r}]")
    elif isinstance(computed, (list, tuple)):
        assert len(stored) == len(computed), where
        for i, (s, c) in enumerate(zip(stored, computed)):
            _same(s, c, rtol, atol, f"{where}[{i}]")
    else:
        assert np.shape(stored) == np.shape(computed), where
        assert np.allclose(stored, computed, rtol=rtol, atol=atol), where


# float64 entries agree to 1e-12 on any CPU; TensorFlow's float32 ones to float32's precision,
# and the model's reference run, ten epochs of float32 Adam, to 1e-3.
TOLERANCES = {"softmax": (1e-12, 0), "tensorflow": (1e-5, 1e-6)}
MODEL_TOLERANCE = (1e-3, 1e-3)


@pytest.mark.parametrize("assignment", [SOFTMAX, TENSORFLOW], ids=lambda a: a.name)
def test_the_stored_expected_values_are_the_references(assignment):
    """What ``python -m tests.reference store`` would write for these two assignments (the
    public checks run with the notebook's solutions and the reference) is what is stored."""
    checks, computed = checks_of(assignment), {}
    answers = recording(reference_answers(assignment), computed)
    for exercise in assignment.exercises:
        getattr(checks, f"verify_{exercise}")(solutions(assignment)[exercise], answers=answers)
    stored = checks._stored()
    assert computed and set(computed) <= set(stored)
    for entry, value in computed.items():
        rtol, atol = MODEL_TOLERANCE if entry.startswith("model ") else TOLERANCES[assignment.name]
        _same(checks._decode(stored[entry]), checks._decode(value), rtol, atol, entry)


def test_the_references_output_layer_is_the_notebooks_solution():
    reference = importlib.import_module("tests.reference.softmax")
    nb, answer = solutions(SOFTMAX), reference_answers(SOFTMAX)
    checks = checks_of(SOFTMAX)
    for case in checks.CLASSES:
        Z, A, y, Y = checks._softmax_inputs(*case)
        np.testing.assert_allclose(nb["softmax"](Z), answer("softmax", case)["A"], rtol=1e-12)
        np.testing.assert_array_equal(nb["one_hot"](y, case[1]), answer("one_hot", case)["Y"])
        assert nb["cross_entropy"](A, Y) == pytest.approx(
            answer("cross_entropy", case)["J"], rel=1e-12
        )
        np.testing.assert_allclose(
            nb["softmax_backward"](A, Y), answer("softmax_backward", case)["dZ"], rtol=1e-12
        )
        layer = reference.OUTPUT_LAYER  # what the tests train nn_utils's networks with
        np.testing.assert_allclose(layer.activation(Z), nb["softmax"](Z), rtol=1e-12)


def test_the_tensorflow_reference_is_the_notebooks_solution():
    nb, answer = solutions(TENSORFLOW), reference_answers(TENSORFLOW)
    checks = checks_of(TENSORFLOW)
    np.testing.assert_allclose(
        nb["linear_function"]().numpy(), answer("linear_function", ())["Y"], rtol=1e-6
    )
    for z in (-1, 0, 0.5, 12):
        assert float(nb["sigmoid"](z)) == pytest.approx(answer("sigmoid", (z,))["a"], rel=1e-6)
    for label, depth in checks.LABELS:
        vector = answer("one_hot_matrix", (label, depth))["vector"]
        for given in (label, tf.constant([label])):
            np.testing.assert_array_equal(nb["one_hot_matrix"](given, depth).numpy(), vector)
    drawn, want = nb["initialize_parameters"](), answer("initialize_parameters", ())
    for k, value in drawn.items():
        np.testing.assert_array_equal(value.numpy(), want[k])
    for case in checks.EXAMPLES:
        parameters, X, _ = checks._tf_network(*case)
        got = nb["forward_propagation"](X, parameters).numpy()
        np.testing.assert_allclose(got, answer("forward_propagation", case)["Z3"], rtol=1e-4)
        logits, Y = checks._tf_logits_and_labels(*case)
        total = float(nb["compute_total_loss"](logits, Y))
        want = answer("compute_total_loss", case)["total"]
        assert total == pytest.approx(want, rel=1e-5, abs=1e-6 * case[1])  # the check's
    case = (5, 96, 48)
    options = dict(learning_rate=0.01, num_epochs=10, minibatch_size=16, print_cost=False)
    parameters, costs, train_acc, test_acc = nb["model"](*checks._separable_data(*case), **options)
    reference = answer("model", case)
    np.testing.assert_allclose(costs, reference["costs"], rtol=1e-4)
    for k, value in parameters.items():
        np.testing.assert_allclose(value.numpy(), reference["parameters"][k], atol=1e-6)
    np.testing.assert_allclose(train_acc, reference["train_acc"], atol=1e-12)
    np.testing.assert_allclose(test_acc, reference["test_acc"], atol=1e-12)
