"""A learner copy of Initialization or Gradient Checking holds no answers (issue #25).

For every exercise of the two assignments:

1. no function of the modules a learner copy ships (its ``testCases.py`` and utils module, and
   every function or lambda written in them) passes the exercise's check as the grader runs it,
   with the reference's answers on cases drawn as the hidden cases are, however a cheater calls
   it: with any choice of the arguments the check passes (up to four in any order, more in the
   check's order), and taking any part of what it returns;
2. the expected values stored beside the checks are those the reference computes now;
3. the reference agrees with the notebook's own solution, on the public cases and the hidden
   cases' formats, and an exercise not done yet raises ``NotDoneYet``.
"""

import copy
import functools
import inspect
import itertools
import json
import random
import types
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest

from tests.grading.assignments import ASSIGNMENTS
from tests.grading.hidden import HIDDEN_CASES
from tests.helpers import PART_DIRS, load_module, notebook_definitions
from tests.reference import STORE, answers_for, key
from tests.reference.__main__ import tables

gc_utils = load_module(PART_DIRS["gc_utils"] / "gc_utils.py", "answers_gc_utils")
NAMES = ("initialization", "gradient_checking")
EXERCISES = [(name, exercise) for name in NAMES for exercise in ASSIGNMENTS[name].exercises]


@functools.cache
def checks(name):
    """The instructor's testCases.py of assignment ``name``, as the grader imports it."""
    assignment = ASSIGNMENTS[name]
    return load_module(assignment.path.parent / "testCases.py", f"answers_{name}_testCases")


@functools.cache
def solutions(name):
    return notebook_definitions(ASSIGNMENTS[name].path)


@functools.cache
def reference(name):
    """The reference's answers, each computed once; every caller gets its own copy (a check
    hands some of them, such as the gradients, to the function it checks)."""
    answer = answers_for(ASSIGNMENTS[name])
    computed = {}

    def answers(entry, case):
        if key(entry, case) not in computed:
            computed[key(entry, case)] = answer(entry, case)
        return copy.deepcopy(computed[key(entry, case)])

    return answers


def hidden_cases(exercise, draw):
    """Cases of ``exercise`` as the grader draws them for a run (or lists them)."""
    spec = HIDDEN_CASES[exercise]
    return tuple(spec(random.Random(draw)) if callable(spec) else spec)


def graded(name, exercise, target, cases):
    """Whether ``target`` passes the exercise's check with the reference's answers."""
    verify = getattr(checks(name), f"verify_{exercise}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            verify(target, cases, answers=reference(name))
        except Exception:
            return False
    return True


# --- 1. Nothing shipped passes a check ------------------------------------------------------


def shipped_functions(name, folder=None):
    """``{label: function}``: every callable that the assignment's modules (those in ``folder``,
    by default its own) define or import from their folder, and every function and lambda
    written in their source (made with the module's globals; those that need an enclosing
    function's variables cannot be called on their own)."""
    assignment = ASSIGNMENTS[name]
    folder = folder or assignment.path.parent
    files = [file for file in assignment.files if file.endswith(".py")]
    modules = {file: load_module(folder / file, f"shipped_{name}_{file[:-3]}") for file in files}
    own = {module.__name__ for module in modules.values()} | {file[:-3] for file in files}
    found = {}
    for file, module in modules.items():
        for attribute, value in vars(module).items():
            if callable(value) and getattr(value, "__module__", None) in own:
                found[f"{file}:{attribute}"] = value
        source = (folder / file).read_text(encoding="utf-8")
        for code in _code_objects(compile(source, str(folder / file), "exec")):
            comprehension = code.co_name.startswith("<") and code.co_name != "<lambda>"
            if not code.co_freevars and not comprehension:
                label = f"{file}:{code.co_name} (line {code.co_firstlineno})"
                found[label] = types.FunctionType(code, vars(module), code.co_name)
    return found


def _code_objects(code):
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            yield constant
            yield from _code_objects(constant)


class Recorded(Exception):
    pass


def first_call(name, exercise, cases):
    """The arguments with which the check first calls the learner's function on ``cases``, and
    the globals it sees (the check may replace some, such as ``forward_propagation_n``)."""
    seen = []

    def target(*args, **kwargs):
        seen.append((args, kwargs, globals()))
        raise Recorded

    with pytest.raises(Recorded):
        getattr(checks(name), f"verify_{exercise}")(target, cases, answers=reference(name))
    return seen[0]


def pool(exercise, args, kwargs, given):
    """What a cheater has at hand in the learner's function: the arguments (epsilon as well, when
    it is passed as a keyword), the functions the check gives in place of the notebook's, and
    what the notebook's helpers make of the arguments in a line (the cost as a function of the
    parameters, the gradients and the parameters as vectors)."""
    values = [*args, *(value for k, value in kwargs.items() if k == "epsilon")]
    if exercise == "gradient_check":
        values += [given["forward_propagation"], given["backward_propagation"]]
    if exercise == "gradient_check_n":
        parameters, gradients, X, Y = args
        forward = given["forward_propagation_n"]
        values += [
            lambda p: forward(X, Y, p)[0],
            gc_utils.gradients_to_vector(gradients),
            gc_utils.dictionary_to_vector(parameters)[0],
        ]
    return values


def _arities(function, most):
    """How many positional arguments ``function`` can take, up to ``most``."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return range(most + 1)
    kinds = [p.kind for p in parameters]
    if inspect.Parameter.VAR_POSITIONAL in kinds:
        return range(most + 1)
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = sum(p.default is p.empty for p in positional)
    return range(required, min(len(positional), most) + 1)


def _parts(value, depth=2):
    """Paths to every part of ``value`` down to ``depth`` levels of dicts, lists and tuples."""
    yield ()
    if depth == 0:
        return
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, (list, tuple)):
        items = list(enumerate(value))
    else:
        return
    for index, part in items[:20]:
        for path in _parts(part, depth - 1):
            yield (index, *path)


def _pick(value, path):
    for index in path:
        value = value[index]
    return value


SHUFFLED = 4  # up to this many arguments a stand-in takes them in any order


def cheats(function, exercise, call, entries):
    """Stand-ins for the learner's function made of ``function``, called on what a cheater has
    at hand (``pool``): any choice of up to SHUFFLED of it in any order, or more in the check's
    own order (and the entries of a list of layer sizes),
    or an entry's name of the stored values with the case the arguments make; each stand-in
    returns one part of what ``function`` returns on the check's first ``call``."""
    args, kwargs, given = call
    size = len(pool(exercise, args, kwargs, given))
    choices = []
    for k in _arities(function, size):
        if k <= SHUFFLED:
            orders = itertools.permutations(range(size), k)
        else:  # more arguments: in the order the pool has them, which is the check's
            orders = [range(k)]
        choices += [lambda a, p=p: [a[i] for i in p] for p in orders]
    if isinstance(args[0], list):
        choices.append(lambda a: list(a[0]))
        choices += [lambda a, e=entry: [e, tuple(a[0])] for entry in entries]
    else:
        choices += [lambda a, e=entry: [e, tuple(a[:2])] for entry in entries]
    for choose in choices:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                probe = function(*choose(pool(exercise, *copy.deepcopy((args, kwargs)), given)))
        except Exception:
            probe = None
        for path in _parts(probe):
            yield _cheat(function, exercise, choose, path)


def _cheat(function, exercise, choose, path):
    """A learner's function made of ``function``: ``choose`` picks its arguments from the pool,
    ``path`` the part of its result it returns. What it needs is a closure's, which the check's
    copy of it with other globals keeps; the globals it reads are those the check gives."""

    def cheat(*args, **kwargs):
        given = globals()
        return _pick(function(*choose(pool(exercise, args, kwargs, given))), path)

    return cheat


def answered_by(name, exercise, folder=None):
    """The labels of the shipped functions that some stand-in of which passes the check of
    ``exercise`` on cases drawn as the hidden ones are."""
    cases = hidden_cases(exercise, 1) + hidden_cases(exercise, 2)
    call = first_call(name, exercise, cases)
    with open(ASSIGNMENTS[name].path.parent / STORE, encoding="utf-8") as handle:
        entries = sorted({entry.split(" ")[0] for entry in json.load(handle)})
    passed = []
    for label, function in shipped_functions(name, folder).items():
        for cheat in cheats(function, exercise, call, entries):
            if exercise == "backward_propagation" and _returns_x_unchanged(cheat):
                continue
            if graded(name, exercise, cheat, cases):
                passed.append(label)
                break
    plt.close("all")
    return passed


@pytest.mark.parametrize("name, exercise", EXERCISES)
def test_no_function_of_the_learner_copy_passes_the_hidden_check(name, exercise, capsys):
    cases = hidden_cases(exercise, 1) + hidden_cases(exercise, 2)
    assert graded(name, exercise, solutions(name)[exercise], cases), "the solution must pass"
    passed = answered_by(name, exercise)
    capsys.readouterr()
    assert not passed, f"{exercise} is answered by {passed}"


def _returns_x_unchanged(cheat):
    """Whether ``cheat`` gives back its first argument, x: backward_propagation's answer
    (dJ/dtheta = x) is x itself, so any function that returns its argument (Python's ``float``,
    a ``_plain``) answers it; such a stand-in answers nothing the learner has not written."""
    probes = [(1.25, -3.5), (-0.5, 2.0), (7.0, 0.75)]
    try:
        return all(cheat(x, theta) == x for x, theta in probes)
    except Exception:
        return False


def test_the_shipped_modules_hold_none_of_the_reference_code():
    for name in NAMES:
        folder = ASSIGNMENTS[name].path.parent
        functions = shipped_functions(name)
        for gone in (
            "_reference_difference",
            "_numerical_gradient",
            "_relative",
            "_correct_gradients",
            "_differences",
            "_right_forward",
            "_right_backward",
        ):
            assert not any(label.split(":")[1].startswith(gone + " ") for label in functions), (
                f"{folder.name} still defines {gone}"
            )


# --- 2. The stored values are current ----------------------------------------------------------


def _decode(value):
    return checks("gradient_checking")._decode(value)


# A gradient check's difference comes from (J(theta + eps) - J(theta - eps)) / (2 eps): another
# CPU's last bits in J, divided by the smallest step (1e-7), move it by about 2**-52 / 1e-7
# (the difference itself is a ratio of order one). Everything else agrees to 1e-12.
CENTRED = 64 * 2**-52 / 1e-7
DIFFERENCES = ("gradient_check/planted", "gradient_check/cubic", "gradient_check_n")


def _assert_same(got, want, where, tol=(1e-12, 0)):
    if isinstance(want, dict):
        assert isinstance(got, dict) and got.keys() == want.keys(), where
        for k in want:
            _assert_same(got[k], want[k], f"{where}[{k!r}]", tol)
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want)):
            _assert_same(g, w, f"{where}[{i}]", tol)
    elif isinstance(want, str) or want is None:
        assert got == want, where
    else:
        assert np.shape(got) == np.shape(want), where
        assert np.allclose(got, want, rtol=tol[0], atol=tol[1], equal_nan=True), where


@pytest.mark.parametrize("name", NAMES)
def test_the_stored_expected_values_are_the_references(name, capsys):
    folder = ASSIGNMENTS[name].folder
    computed = tables([folder])[folder]
    capsys.readouterr()
    with open(ASSIGNMENTS[name].path.parent / STORE, encoding="utf-8") as handle:
        stored = json.load(handle)
    assert stored.keys() == computed.keys()
    for entry in stored:
        tol = (CENTRED, CENTRED) if entry.split(" ")[0] in DIFFERENCES else (1e-12, 0)
        _assert_same(_decode(stored[entry]), _decode(computed[entry]), entry, tol)


# --- 3. The reference agrees with the notebook -------------------------------------------------

PUBLIC = {name: checks(name) for name in NAMES}


def _all_cases(exercise, public):
    return tuple(public) + hidden_cases(exercise, 1) + hidden_cases(exercise, 2)


@pytest.mark.parametrize("name, exercise", EXERCISES)
def test_the_notebook_solution_passes_the_hidden_check_of_many_draws(name, exercise):
    cases = tuple(itertools.chain(*(hidden_cases(exercise, draw) for draw in range(10, 40))))
    assert graded(name, exercise, solutions(name)[exercise], cases)


@pytest.mark.parametrize("exercise", ["initialize_parameters_random", "initialize_parameters_he"])
def test_the_reference_weights_are_the_notebook_initializers(exercise):
    public = PUBLIC["initialization"]
    default = public.HE_LAYER_SIZES if exercise.endswith("he") else public.LAYER_SIZES
    for dims in _all_cases(exercise, default):
        expected = reference("initialization")(exercise, tuple(dims))
        parameters = solutions("initialization")[exercise](list(dims))
        assert expected["W"].keys() == {k for k in parameters if k[0] == "W"}
        for k, W in expected["W"].items():
            np.testing.assert_allclose(W, parameters[k], rtol=1e-12, atol=0)
            np.testing.assert_allclose(
                W, expected["draws"][k] * expected["scale"][int(k[1:]) - 1], rtol=1e-12
            )


def test_the_reference_1d_values_are_the_notebook_functions():
    nb, cases = solutions("gradient_checking"), PUBLIC["gradient_checking"]
    answers = reference("gradient_checking")
    for x, theta in _all_cases("gradient_check", cases.CASES_1D):
        assert answers("forward_propagation", (x, theta))["J"] == nb["forward_propagation"](
            x, theta
        )
        dtheta = answers("backward_propagation", (x, theta))["dtheta"]
        assert dtheta == nb["backward_propagation"](x, theta)
        for entry, forward, backward, epsilon, case in (
            ("planted", cases._tripled_forward, cases._wrong_backward, 1e-7, (x, theta)),
            ("cubic", cases._cubic_forward, cases._cubic_backward, 1e-3, (x, theta, "right")),
            (
                "cubic",
                cases._cubic_forward,
                cases._flipped_backward,
                1e-3,
                (x, theta, "sign-flipped"),
            ),
        ):
            check = types.FunctionType(
                nb["gradient_check"].__code__,
                nb | {"forward_propagation": forward, "backward_propagation": backward},
            )
            got = check(x, theta, epsilon=epsilon, print_msg=False)
            want = answers(f"gradient_check/{entry}", case)["difference"]
            assert got == pytest.approx(want, rel=1e-9), (entry, case)


def test_the_reference_n_d_values_are_the_notebook_functions():
    nb, cases = solutions("gradient_checking"), PUBLIC["gradient_checking"]
    answers = reference("gradient_checking")
    check = types.FunctionType(
        nb["gradient_check_n"].__code__,
        nb | {"forward_propagation_n": cases._forward_propagation_n},
        "gradient_check_n",
        nb["gradient_check_n"].__defaults__,
    )
    for case in _all_cases("gradient_check_n", cases.GRADIENT_CHECK_N_CASES):
        X, Y, parameters = cases._case(*case)
        # The notebook's backward pass with both planted bugs fixed gives the correct gradients.
        _, cache = nb["forward_propagation_n"](X, Y, parameters)
        fixed = nb["backward_propagation_n_fixed"](X, Y, cache)
        gradients = answers("gradient_check_n/gradients", case)
        for k, value in gradients.items():
            np.testing.assert_allclose(value, fixed[k], rtol=1e-10, atol=1e-14)
        for planted, epsilon in (
            ("none", 1e-7),
            ("dW1[0, 0] + 1", 1e-7),
            ("dW2 doubled", 1e-7),
            ("none", 1e-3),
        ):
            want = answers("gradient_check_n", (*case, planted, epsilon))["difference"]
            got = check(parameters, cases._planted(gradients, planted), X, Y, epsilon)
            assert got == pytest.approx(want, rel=1e-6, abs=1e-12), (case, planted, epsilon)


@pytest.mark.parametrize("name, exercise", EXERCISES)
def test_an_exercise_not_done_yet_raises_a_one_line_reminder(name, exercise):
    namespace = dict(solutions(name))
    exec(f"def {exercise}(*args, **kwargs):\n    raise NotImplementedError()\n", namespace)
    with pytest.raises(checks(name).NotDoneYet) as raised:
        getattr(checks(name), f"{exercise}_test")(namespace[exercise])
    assert raised.value._render_traceback_() == [
        f"{exercise} is not done yet: write its code where it says YOUR CODE HERE."
    ]
