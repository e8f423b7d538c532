"""Shared test setup: BLAS threads, another CPU for the kernels, and hypothesis profiles."""

import os

import numpy  # noqa: F401  (loaded first: this process keeps the CPU's own BLAS and SIMD loops)
import pytest
from hypothesis import HealthCheck, settings
from threadpoolctl import threadpool_limits

import tests.helpers  # noqa: F401  (puts the part folders on sys.path)
from tests.cross_cpu import CPU_VARIABLES, other_cpu_environment, stored_runs

# Tests run in parallel, one process per core, and nbval starts a kernel per notebook. A
# multithreaded BLAS in each of them oversubscribes the cores, and OpenBLAS's spinning threads then
# slow matrix products down a hundredfold. So one thread here and in the kernels; the runs that
# the notebooks cite were also trained with two threads when they were stored (tests/cross_cpu.py).
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"
threadpool_limits(1)
# For the same reason a sweep that asks joblib for every core (n_jobs=-1) runs its trainings one
# after another in its own process here and in the kernels, instead of starting a worker process
# per core. The stored outputs were made with a worker per core, so nbval also checks that one
# worker prints what several did; the lesson tests run sweeps with 1 and 2 workers and on Dask.
os.environ["LOKY_MAX_CPU_COUNT"] = "1"


def pytest_configure(config):
    """Run the kernels that nbval and the grader start as if on another CPU.

    The stored outputs were made on the maintainer's machine and the lesson tests run on this
    one; the kernels round like a third (OpenBLAS's generic kernel, NumPy's baseline loops), so
    every run of ``make test`` checks that the notebooks print the same on other processors. An
    xdist controller runs no test and must not pass the variables on to its workers.
    """
    if hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None):
        elsewhere = other_cpu_environment()
        for variable in CPU_VARIABLES:
            os.environ[variable] = elsewhere[variable]


@pytest.fixture(scope="module")
def elsewhere(request):
    """The test module's CITED_RUNS as trained on another CPU (tests/baselines/, made by
    ``python -m tests.cross_cpu store``): {run name: its final numbers}."""
    return stored_runs(request.module.__name__)


# Property tests train nothing, but shapes vary; timing on a shared 2-core machine is noise.
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
# CI explores the same examples on every run, so a red run can be reproduced.
settings.register_profile("ci", parent=settings.get_profile("dev"), derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


_NOTEBOOK_CELLS = {}


def pytest_runtest_logreport(report):
    """Count the nbval cell results of each notebook (also when tests run in worker processes)."""
    path, _, cell = report.nodeid.partition(".ipynb::")
    if cell and report.when == "call":
        counts = _NOTEBOOK_CELLS.setdefault(path + ".ipynb", {"passed": 0, "failed": 0})
        counts["passed" if report.passed else "failed"] += 1


def pytest_terminal_summary(terminalreporter):
    """Name every notebook nbval re-executed, with its cells' results."""
    if not _NOTEBOOK_CELLS:
        return
    terminalreporter.section("notebooks re-executed by nbval")
    for path, counts in sorted(_NOTEBOOK_CELLS.items()):
        failed = f", {counts['failed']} failed" if counts["failed"] else ""
        terminalreporter.write_line(f"{path}: {counts['passed']} cells matched{failed}")
