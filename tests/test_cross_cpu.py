"""The cross-CPU check itself: the child rounds differently, and a chaotic run is caught."""

import ast
import re
import subprocess
import sys

import numpy as np
import pytest

from tests.cross_cpu import (
    BASELINES,
    ENVIRONMENT,
    Elsewhere,
    assert_same_on_another_cpu,
    baseline_path,
    flatten,
    lessons_modules,
    numpy_blas,
    other_cpu_environment,
)


def through_blas(rate, steps=400):
    """Iterate x <- rate x (1 - x) on the row means of a matrix product (the BLAS's rounding).

    At rate 3.9 the logistic map is chaotic, so the last-bit differences of the products grow
    until the runs have nothing in common; at 2.5 it settles on its fixed point, 0.6.
    """
    rng = np.random.RandomState(0)
    A = rng.rand(64, 64)
    A /= A.sum(axis=1, keepdims=True)
    x = rng.uniform(0.2, 0.8, size=(64, 1))
    for _ in range(steps):
        y = A @ x
        x = rate * y * (1 - y)
    return x


CITED_RUNS = {"chaotic": lambda: through_blas(3.9), "stable": lambda: through_blas(2.5)}


def test_the_child_process_loads_other_kernels_and_two_threads():
    code = "import numpy, threadpoolctl; print(threadpoolctl.threadpool_info())"
    child = subprocess.run(
        [sys.executable, "-c", code], env=other_cpu_environment(), capture_output=True, text=True
    )
    (there,) = numpy_blas(ast.literal_eval(child.stdout))
    (here,) = numpy_blas()
    assert here["architecture"] != there["architecture"] and there["num_threads"] == 2


def test_a_chaotic_run_is_caught_and_a_stable_one_passes():
    child = Elsewhere(__name__)
    try:
        with pytest.raises(AssertionError, match=r"chaotic: \d"):
            runs = {name: run() for name, run in CITED_RUNS.items()}
            assert_same_on_another_cpu(runs, child.results)
        there = child.results
    finally:
        child.close()
    np.testing.assert_allclose(there["stable"], flatten(CITED_RUNS["stable"]()), rtol=1e-12)
    assert np.abs(there["chaotic"] - flatten(CITED_RUNS["chaotic"]())).max() > 0.01


def test_flatten_keeps_every_number_and_drops_printed_text():
    result = ({"W1": np.ones((2, 2)), "b1": np.zeros((2, 1))}, "Cost after iteration 0: 1", [3])
    np.testing.assert_array_equal(flatten(result), [1, 1, 1, 1, 0, 0, 3])


def test_every_lessons_module_has_runs_stored_on_another_cpu_with_two_threads():
    modules = lessons_modules()
    assert len(modules) >= 10
    assert sorted(BASELINES.glob("*.npz")) == sorted(map(baseline_path, modules))
    for module in modules:
        with np.load(baseline_path(module)) as data:
            where = str(data[ENVIRONMENT])
        assert re.search(r"OPENBLAS_CORETYPE=\w+ NPY_DISABLE_CPU_FEATURES=\w", where), where
        assert where.endswith("OPENBLAS_NUM_THREADS=2"), where
