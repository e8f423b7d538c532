"""Shared test setup: one BLAS thread, the part folders on sys.path, and hypothesis profiles."""

import os
import sys

from hypothesis import HealthCheck, settings
from threadpoolctl import threadpool_limits

from tests.helpers import PART_DIRS

# Tests run in parallel, one process per core, and nbval starts a kernel per notebook. A
# multithreaded BLAS in each of them oversubscribes the cores, and OpenBLAS's spinning threads then
# slow matrix products down a hundredfold. Results do not depend on it: every stored output was
# checked with one thread and with the default. The variables reach the kernels that nbval and the
# grader start from here; threadpool_limits reaches this process, where NumPy is already loaded.
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"
threadpool_limits(1)

for part_dir in PART_DIRS.values():
    if str(part_dir) not in sys.path:
        sys.path.insert(0, str(part_dir))

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
