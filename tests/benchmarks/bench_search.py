"""Pandas or caviar on this machine: one trial of the Hyperparameter Search notebook, and its
coarse search of 25 trials on one worker and on every core.

    python -m tests.benchmarks.bench_search

The caviar search's time includes starting joblib's worker processes (once; they are reused
afterwards). A benchmark, not a test: nothing here asserts.
"""

import io
import os
import time
from contextlib import redirect_stdout

import numpy as np

from tests.helpers import NOTEBOOKS, notebook_definitions


def main(repeat=3):
    nb = notebook_definitions(NOTEBOOKS["hyperparameter_search"])
    data = nb["load_data"]()
    trials = nb["random_trials_in"]([(1e-4, 1.0), (1e-3, 10.0)], 25, np.random.RandomState(4))
    one = []
    for _ in range(repeat):
        start = time.perf_counter()
        nb["run_trial"](trials[0], data)
        one.append(time.perf_counter() - start)
    print(f"one trial: {min(one) * 1e3:.0f} ms")
    for n_jobs, name in ((1, "one worker (pandas's compute)"), (-1, f"{os.cpu_count()} workers")):
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            with redirect_stdout(io.StringIO()):
                nb["search"](trials, data, n_jobs=n_jobs)
            times.append(time.perf_counter() - start)
        print(f"25 trials, {name}: best {min(times):.2f} s, first {times[0]:.2f} s")


if __name__ == "__main__":
    main()
