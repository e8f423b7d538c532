"""The hidden checks check the exercise (issue #25), tested with an attacker's submissions.

TensorFlow Introduction's ``linear_function`` and ``initialize_parameters`` take no argument: the
grader runs them with the seeds they set shifted by an offset drawn for each run, as the
learner's kernel does (``harness.reseeded``), so values copied from the shipped expected values
fail. The wire sends as a tensor only an instance of TensorFlow's classes. A sandbox shows no
TensorFlow to the kernels of the assignments written with NumPy, so that Batch Normalization's
backward pass cannot be a gradient tape. (``model``'s comparison with the reference run is tested
in ``test_tensorflow_checks.py``.)
"""

import os
import random
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from tests.grading import harness, sandbox, wire
from tests.grading.assignments import ASSIGNMENTS
from tests.grading.hidden import checks_of, hidden_cases
from tests.helpers import AsGraded, in_a_sandbox, notebook_definitions
from tests.reference import answers_for

TENSORFLOW, BATCHNORM = ASSIGNMENTS["tensorflow"], ASSIGNMENTS["batchnorm"]
checks = checks_of(TENSORFLOW)
answers = answers_for(TENSORFLOW)
nb = notebook_definitions(TENSORFLOW.path)
stored = checks.stored_answers


# The attacker's submission 01: the values the learner copy's expected_values.json stores.
def linear_function():
    return tf.constant(stored("linear_function", ())["Y"])


def initialize_parameters():
    want = stored("initialize_parameters", ())
    return {k: tf.Variable(want[k]) for k in ("W1", "b1", "W2", "b2", "W3", "b3")}


SEEDING = [
    ("linear_function", linear_function, "Y does not follow the draws"),
    ("initialize_parameters", initialize_parameters, "W1 does not come from the initializer"),
]


@pytest.mark.parametrize("name, stored_values, diagnosis", SEEDING, ids=[s[0] for s in SEEDING])
def test_stored_values_pass_the_public_check_but_not_the_hidden_one(
    name, stored_values, diagnosis
):
    verify = getattr(checks, f"verify_{name}")
    verify(AsGraded(stored_values))  # the notebook's check: the attack's 11/11 came from here
    cases = hidden_cases(TENSORFLOW, name, random.Random(7))
    with pytest.raises(AssertionError, match=diagnosis):
        verify(AsGraded(stored_values), cases, answers=answers)
    verify(AsGraded(nb[name]), cases, answers=answers)  # the notebook's solution passes


@pytest.mark.parametrize("name", ["linear_function", "initialize_parameters"])
def test_the_seed_offsets_are_drawn_afresh_for_every_run(name):
    draws = {hidden_cases(TENSORFLOW, name, random.Random(seed)) for seed in range(20)}
    assert len(draws) == 20 and all(len(cases) == 2 for cases in draws)


def test_reseeded_shifts_the_seeds_and_puts_everything_back():
    (base,) = (
        c for c in tf.keras.initializers.GlorotNormal.__mro__ if c.__name__ == "RandomInitializer"
    )
    keras_init = base.__init__
    with harness.reseeded({"numpy": 5, "keras": 7}):
        np.random.seed(1)
        drawn = np.random.rand()
        glorot = tf.keras.initializers.GlorotNormal(seed=1)(shape=(2, 2)).numpy()
    assert drawn == np.random.RandomState(6).rand()
    expected = tf.keras.initializers.GlorotNormal(seed=8)(shape=(2, 2)).numpy()
    np.testing.assert_array_equal(glorot, expected)
    with pytest.raises(ZeroDivisionError), harness.reseeded({"numpy": 5, "keras": 7}):
        raise ZeroDivisionError
    np.random.seed(1)
    assert np.random.rand() == np.random.RandomState(1).rand()
    assert base.__init__ is keras_init


class FakeTensor:
    """The attacker's submission 02: NumPy values in a class that names TensorFlow's module."""

    __module__ = "tensorflow"

    def __init__(self, values):
        self.values = np.asarray(values)

    def numpy(self):
        return self.values


def test_only_tensorflows_own_classes_cross_the_wire_as_tensors():
    sent = wire.loads(wire.dumps([FakeTensor([1.0]), tf.constant([1.0]), tf.Variable([1.0])]))
    assert isinstance(sent[0], wire.Unsupported)
    assert isinstance(sent[1], wire.Tensor) and not sent[1].is_variable
    assert isinstance(sent[2], wire.Tensor) and sent[2].is_variable
    with pytest.raises(AssertionError, match="sigmoid.* is a FakeTensor"):
        checks.verify_sigmoid(lambda z: FakeTensor(np.float32(1 / (1 + np.exp(-z)))))


def test_only_the_tensorflow_assignment_sees_tensorflow_in_the_sandbox(tmp_path):
    """Batch Normalization's kernel cannot import TensorFlow or Keras (the attacker's 03 wrote
    both backward passes as a gradient tape); NumPy and SciPy load (that the reference notebooks
    still score full marks is test_grading's)."""
    hidden = sandbox.hidden_packages(BATCHNORM.autodiff)
    assert {p.rsplit("/", 1)[1] for p in hidden} >= {"tensorflow", "keras"}
    assert sandbox.hidden_packages(TENSORFLOW.autodiff) == []
    assert [a.name for a in ASSIGNMENTS.values() if a.autodiff] == ["tensorflow"]
    argv = in_a_sandbox(tmp_path / "scratch", 30)
    code = (
        "import glob, os, sys, numpy, scipy.special\n"
        "for name in ('tensorflow', 'keras'):\n"
        "    try:\n"
        "        __import__(name)\n"
        "    except ModuleNotFoundError as error:\n"
        "        print(error.name, 'hidden')\n"
        "for root in sorted({'/usr', '/usr/local', sys.base_prefix}):\n"
        "    for folder in glob.glob(root + '/lib/python3*/*-packages'):\n"
        "        if folder not in sys.path:\n"
        "            print(folder, sorted(os.listdir(folder)))\n"
    )
    done = subprocess.run(
        [*argv, sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-500:]
    lines = done.stdout.splitlines()
    assert lines[:2] == ["tensorflow hidden", "keras hidden"]
    # The base interpreter's site-packages (pip at least, and whatever the machine installed:
    # sympy, which an attacker imported by adding it to sys.path) and Debian's dist-packages
    # are empty inside, but for the placeholder mounted over them.
    foreign = sandbox.foreign_packages()
    assert any(os.listdir(folder) != ["__init__.py"] for folder in foreign)  # on the host
    assert sorted(lines[2:]) == sorted(f"{folder} ['__init__.py']" for folder in foreign)


def test_the_reference_and_tensorflow_load_before_the_checks(monkeypatch):
    """The grader calls ``hidden.prepare`` before any check's deadline starts: an honest
    initialize_parameters was once cut off while the reference imported TensorFlow."""
    import tests.reference.tensorflow as reference
    from tests.grading import hidden

    calls = []
    monkeypatch.setattr(reference, "prepare", lambda: calls.append("prepared"))
    hidden.prepare(TENSORFLOW)
    hidden.prepare(BATCHNORM)  # a reference without a prepare: nothing to load
    assert calls == ["prepared"]
