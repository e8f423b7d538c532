"""The hidden checks: the notebook's own checks, run by the grader on other cases.

Each runs the same ``verify_*`` function of the part's ``testCases.py`` as the notebook's public
check, with other shapes, seeds and hyperparameters, so that a function that only reproduces the
outputs shown in the notebook does not pass. They run in the grader's own process, on the
instructor's copy of ``testCases.py``: the learner's function is a ``RemoteFunction`` whose every
call is carried out in the submission's kernel (``tests/grading/remote.py``), so that only the
values it returns reach the comparison.
"""

import importlib.util
import re
import sys
import threading
from functools import cache

from tests.grading import harness
from tests.grading.remote import CallFailed, Missing
from tests.reference import answers_for


def _seed(r):
    return r.randrange(100, 2**31)


def _dims(r, inputs=(2, 7), hidden=(1, 3), units=(2, 8)):
    """Layer sizes ending in one output unit."""
    layers = [r.randint(*units) for _ in range(r.randint(*hidden))]
    return [r.randint(*inputs), *layers, 1]


def _three_layers(r):  # the networks whose forward pass the notebooks give: 3 layers
    return [r.randint(2, 6), r.randint(2, 7), r.randint(2, 5), 1]


def _number(r, low, high, digits=3):
    return round(r.uniform(low, high), digits) or 0.5


def _n(count, draw):
    return lambda r: tuple(draw(r) for _ in range(count))


def _labels_and_depths(r):
    """(label, depth) of three one-hot vectors whose depths are not 6 (the notebook's)."""
    return tuple((r.randrange(depth), depth) for depth in r.sample([2, 3, 4, 5, 7, 9, 12], 3))


def _offsets(r):
    """(offset,) cases of an exercise that takes no argument and seeds itself: the learner's
    kernel runs it with the seeds it sets shifted by ``offset`` (``harness.reseeded``)."""
    return tuple((r.randrange(1, harness.SEEDS),) for _ in range(2))


# For each exercise, how to draw its hidden cases (in the format of the public cases of its
# ``verify_*``), from a generator seeded afresh for every grading run by the grader alone.
HIDDEN_CASES = {
    # Part 1: layer sizes
    "initialize_parameters_zeros": _n(3, lambda r: _dims(r, hidden=(1, 4))),
    "initialize_parameters_random": _n(3, lambda r: _dims(r, hidden=(1, 4))),
    "initialize_parameters_he": _n(3, lambda r: _dims(r, inputs=(3, 9), hidden=(1, 3))),
    # Part 2: (seed, layer sizes, m, lambd or keep_prob)
    "compute_cost_with_regularization": _n(
        3, lambda r: (_seed(r), _dims(r, hidden=(1, 4)), r.randint(2, 12), _number(r, 0.05, 2))
    ),
    "backward_propagation_with_regularization": _n(
        2, lambda r: (_seed(r), _three_layers(r), r.randint(3, 12), _number(r, 0.1, 1.5))
    ),
    "forward_propagation_with_dropout": _n(
        2, lambda r: (_seed(r), _three_layers(r), r.randint(4, 16), _number(r, 0.55, 0.95, 2))
    ),
    "backward_propagation_with_dropout": _n(
        2, lambda r: (_seed(r), _three_layers(r), r.randint(4, 12), _number(r, 0.55, 0.95, 2))
    ),
    # Part 3: (x, theta) and (seed, layer sizes, m)
    "forward_propagation": _n(3, lambda r: (_number(r, -6, 6), _number(r, -6, 6))),
    "backward_propagation": _n(3, lambda r: (_number(r, -6, 6), _number(r, -6, 6))),
    "gradient_check": _n(3, lambda r: (_number(r, -6, 6), _number(r, -6, 6))),
    "gradient_check_n": _n(2, lambda r: (_seed(r), _three_layers(r), r.randint(3, 7))),
    # Optimization: (seed, layer sizes), (m, mini_batch_size, seed), (lr0, epoch, decay_rate)
    "update_parameters_with_gd": _n(2, lambda r: (_seed(r), _dims(r))),
    "random_mini_batches": lambda r: (
        (r.randint(150, 260), 64, _seed(r)),
        (r.randint(30, 80), 2 ** r.randint(3, 5), _seed(r)),
        (r.randint(5, 40), r.randint(2, 9), _seed(r)),
        (64, 16, _seed(r)),
    ),
    "initialize_velocity": _n(2, lambda r: (_seed(r), _dims(r))),
    "update_parameters_with_momentum": _n(2, lambda r: (_seed(r), _dims(r))),
    "initialize_rmsprop": _n(2, lambda r: (_seed(r), _dims(r))),
    "update_parameters_with_rmsprop": _n(2, lambda r: (_seed(r), _dims(r))),
    "initialize_adam": _n(2, lambda r: (_seed(r), _dims(r))),
    "update_parameters_with_adam": _n(2, lambda r: (_seed(r), _dims(r))),
    "update_lr": _n(3, lambda r: (_number(r, 0.01, 0.5), r.randint(0, 200), _number(r, 0.01, 3))),
    "schedule_lr_decay": _n(
        3, lambda r: (_number(r, 0.01, 0.5), r.randint(0, 15000), _number(r, 0.01, 3))
    ),
    # Softmax Regression: (seed, number of classes, number of examples)
    "softmax": _n(3, lambda r: (_seed(r), r.randint(2, 9), r.randint(1, 14))),
    "one_hot": _n(3, lambda r: (_seed(r), r.randint(2, 11), r.randint(1, 14))),
    "cross_entropy": _n(3, lambda r: (_seed(r), r.randint(2, 9), r.randint(1, 14))),
    "softmax_backward": _n(3, lambda r: (_seed(r), r.randint(2, 9), r.randint(1, 14))),
    # Hyperparameter Search: (seed, number of samples)
    "sample_learning_rate": lambda r: ((_seed(r), r.randint(2, 6)), (_seed(r), r.randint(10, 30))),
    "sample_beta": lambda r: ((_seed(r), r.randint(2, 6)), (_seed(r), r.randint(10, 30))),
    # TensorFlow Introduction, under (assignment, exercise) where Part 3 has an exercise of the
    # same name: (label, depth), (seed, number of examples), (seed, m_train, m_test).
    "linear_function": _offsets,
    "sigmoid": _n(3, lambda r: _number(r, -8, 8)),
    "one_hot_matrix": lambda r: (*_labels_and_depths(r), (r.randrange(6), 6)),
    "initialize_parameters": _offsets,
    ("tensorflow", "forward_propagation"): _n(3, lambda r: (_seed(r), r.randint(1, 40))),
    "compute_total_loss": _n(3, lambda r: (_seed(r), r.randint(1, 40))),
    "model": lambda r: ((_seed(r), 80, 40),),
    # Batch Normalization: (seed, number of units, number of examples)
    "batchnorm_forward": _n(3, lambda r: (_seed(r), r.randint(1, 7), r.randint(2, 20))),
    "batchnorm_inference": _n(3, lambda r: (_seed(r), r.randint(1, 7), r.randint(1, 20))),
    "batchnorm_backward": _n(3, lambda r: (_seed(r), r.randint(1, 7), r.randint(2, 20))),
    "batchnorm_backward_simple": _n(3, lambda r: (_seed(r), r.randint(1, 7), r.randint(2, 20))),
}


def hidden_cases(assignment, name, rng):
    """The hidden cases of exercise ``name`` for this run, drawn from ``rng`` (random.Random)."""
    draw = HIDDEN_CASES.get((assignment.name, name), HIDDEN_CASES.get(name))
    return None if draw is None else draw(rng)


# A number in a message, whatever follows it (a full stop, the j of a complex number): the
# hidden case's inputs and expected values are not reported. The digits of a name (W1) stay.
_NUMBER = re.compile(r"(?<!\w)[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")


def without_numbers(message):
    """``message`` with every number written as '#': it names the mistake, not the case."""
    return _NUMBER.sub("#", message)


_import_lock = threading.Lock()


@cache
def checks_of(assignment):
    """The instructor's ``testCases`` module of ``assignment``, imported under its own name."""
    folder = str(assignment.path.parent)
    with _import_lock:
        sys.path.insert(0, folder)
        try:
            spec = importlib.util.spec_from_file_location(
                f"_checks_{assignment.name}", assignment.path.parent / "testCases.py"
            )
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        finally:
            sys.path.remove(folder)
    return module


def prepare(assignment):
    """Load what the checks of ``assignment`` run on: its ``testCases``, its reference, and what
    the reference imports (TensorFlow, whose import takes seconds): the grader calls this before
    any check's deadline starts, so that no learner's call is cut off while they load."""
    checks_of(assignment)
    reference = sys.modules[answers_for(assignment).__module__]
    getattr(reference, "prepare", lambda: None)()


def check(assignment, name, target, rng):
    """Run the hidden check of exercise ``name`` on ``target``, with cases drawn from ``rng``
    and the reference's answers; return (passed, message), a message without numbers."""
    cases = hidden_cases(assignment, name, rng)
    verify = getattr(checks_of(assignment), f"verify_{name}")
    answers = answers_for(assignment)
    try:
        verify(target, cases, answers=answers)
    except Missing as error:
        message = f"missing: {error}"
    except NotImplementedError:
        message = "not done: the function still raises NotImplementedError"
    except CallFailed as error:
        message = str(error)
    except AssertionError as error:
        message = f"wrong: {error}".strip()
    except Exception as error:  # a value of the wrong kind made the check itself fail
        message = f"wrong: the check could not use what it returned ({type(error).__name__})"
    else:
        return True, "correct"
    # What the kernel sent is text of its choosing: no lone surrogate reaches a report or page.
    message = message.encode("utf-8", "backslashreplace").decode("utf-8")
    return False, without_numbers(message)[:500]
