"""The hidden checks: the notebook's own checks, run by the grader on other cases.

Each runs the same ``verify_*`` function of the part's ``testCases.py`` as the notebook's public
check, with other shapes, seeds and hyperparameters, so that a function that only reproduces the
outputs shown in the notebook does not pass. They run in the grader's own process, on the
instructor's copy of ``testCases.py``: the learner's function is a ``RemoteFunction`` whose every
call is carried out in the submission's kernel (``tests/grading/remote.py``), so that only the
values it returns reach the comparison.
"""

import importlib.util
import sys
import threading
from functools import cache

from tests.grading.remote import CallFailed, Missing

HIDDEN_CASES = {
    # Part 1: layer sizes
    "initialize_parameters_zeros": ([4, 7, 3, 2, 1], [1, 1], [6, 2]),
    "initialize_parameters_random": ([3, 6, 2, 1], [5, 1], [2, 3, 3, 3, 1]),
    "initialize_parameters_he": ([6, 4, 4, 1], [3, 9, 1], [7, 2, 5, 1]),
    # Part 2: (seed, layer sizes, m, lambd or keep_prob)
    "compute_cost_with_regularization": (
        (11, [5, 3, 2, 4, 1], 7, 0.25),
        (12, [2, 6, 1], 3, 2.0),
        (13, [3, 3, 3, 1], 9, 0.05),
    ),
    "backward_propagation_with_regularization": (
        (14, [5, 4, 3, 1], 6, 0.3),
        (15, [2, 7, 2, 1], 11, 1.2),
    ),
    "forward_propagation_with_dropout": (
        (16, [4, 6, 5, 1], 8, 0.65),
        (17, [2, 12, 4, 1], 15, 0.9),
    ),
    "backward_propagation_with_dropout": (
        (18, [3, 5, 4, 1], 7, 0.75),
        (19, [6, 3, 8, 1], 4, 0.55),
    ),
    # Part 3: (x, theta) and (seed, layer sizes, m)
    "forward_propagation": ((1.5, -2.0), (-0.75, 3.0), (6.0, 0.125)),
    "backward_propagation": ((1.5, -2.0), (-0.75, 3.0), (6.0, 0.125)),
    "gradient_check": ((1.5, -2.0), (-4.0, 2.5), (0.6, 9.0)),
    "gradient_check_n": ((21, [5, 3, 4, 1], 4), (22, [2, 6, 2, 1], 6)),
    # Optimization: (seed, layer sizes), (m, mini_batch_size, seed), (lr0, epoch, decay_rate)
    "update_parameters_with_gd": ((31, [3, 4, 1]), (32, [5, 2, 2, 2, 1])),
    "random_mini_batches": ((200, 32, 4), (65, 64, 9), (33, 5, 2), (64, 16, 7)),
    "initialize_velocity": ((33, [6, 1]), (34, [2, 8, 3, 1])),
    "update_parameters_with_momentum": ((35, [4, 3, 1]), (36, [2, 5, 5, 1])),
    "initialize_rmsprop": ((37, [6, 1]), (38, [2, 8, 3, 1])),
    "update_parameters_with_rmsprop": ((39, [4, 3, 1]), (40, [2, 5, 5, 1])),
    "initialize_adam": ((41, [6, 1]), (42, [2, 8, 3, 1])),
    "update_parameters_with_adam": ((43, [4, 3, 1]), (44, [2, 5, 5, 1])),
    "update_lr": ((0.3, 7, 0.5), (0.05, 123, 0.01)),
    "schedule_lr_decay": ((0.3, 2500, 0.5), (0.05, 999, 2.0), (0.07, 12001, 0.1)),
    # Softmax Regression: (seed, number of classes, number of examples)
    "softmax": ((51, 5, 3), (52, 3, 12), (53, 7, 2)),
    "one_hot": ((54, 5, 3), (55, 3, 12), (56, 10, 4)),
    "cross_entropy": ((57, 5, 3), (58, 3, 12), (59, 8, 6)),
    "softmax_backward": ((60, 5, 3), (61, 3, 12), (62, 8, 6)),
    # Hyperparameter Search: (seed, number of samples)
    "sample_learning_rate": ((61, 3), (62, 17), (63, 1)),
    "sample_beta": ((64, 3), (65, 17), (66, 1)),
    # TensorFlow Introduction, under (assignment, exercise) where Part 3 has an exercise of the
    # same name: labels, (seed, number of examples), (seed, m_train, m_test); linear_function and
    # initialize_parameters take no argument, so their checks have no cases.
    "linear_function": None,
    "sigmoid": (-3, 2, 0.25),
    "one_hot_matrix": (1, 4, 2),
    "initialize_parameters": None,
    ("tensorflow", "forward_propagation"): ((91, 7), (92, 2), (93, 40)),
    "compute_total_loss": ((94, 7), (95, 6), (96, 40)),
    "model": ((97, 80, 40),),
    # Batch Normalization: (seed, number of units, number of examples)
    "batchnorm_forward": ((71, 5, 3), (72, 2, 20), (73, 7, 4)),
    "batchnorm_inference": ((74, 5, 3), (75, 2, 20), (76, 7, 1)),
    "batchnorm_backward": ((77, 5, 3), (78, 2, 20), (79, 7, 4)),
    "batchnorm_backward_simple": ((80, 5, 3), (81, 2, 20), (82, 7, 4)),
}


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


def check(assignment, name, target):
    """Run the hidden check of exercise ``name`` on ``target``; return (passed, message)."""
    try:
        cases = HIDDEN_CASES.get((assignment.name, name), HIDDEN_CASES.get(name))
        getattr(checks_of(assignment), f"verify_{name}")(target, cases)
    except Missing as error:
        return False, f"missing: {error}"
    except NotImplementedError:
        return False, "not done: the function still raises NotImplementedError"
    except CallFailed as error:
        return False, str(error)
    except AssertionError as error:
        return False, f"wrong: {error}".strip()
    except Exception as error:  # a value of the wrong kind made the check itself fail
        kind = type(error).__name__
        return False, f"wrong: the check could not use what it returned ({kind}: {error})"
    return True, "correct"
