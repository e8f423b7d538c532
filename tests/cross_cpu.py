"""Train a notebook's cited runs again on "another CPU" and compare the final parameters.

A training run that is chaotic turns a difference in the last bit of one matrix product into
another result, and learners' CPUs round differently from ours: OpenBLAS picks its kernels by
processor (Prescott, Haswell, SkylakeX, Zen, ...), and NumPy picks SSE, AVX2 or AVX-512 loops.
So every run whose result a notebook states must be stable: trained on a machine that rounds
differently, it must end at the same parameters to a relative 1e-6 (they typically agree to
1e-10 or better), and then everything printed from them is the same too.

Each lessons test module lists its notebook's runs in ``CITED_RUNS`` (name -> function that
trains and returns the result) and compares them with a child process started here, in which
OpenBLAS uses another kernel, NumPy only its baseline loops, and BLAS two threads:

    python -m tests.cross_cpu MODULE OUT.npz    (what the child runs: every run of MODULE)
"""

import functools
import importlib
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info

ROOT = Path(__file__).resolve().parent.parent
RTOL = 1e-6
# What decides how a process rounds; tests/conftest.py keeps this process's own values here before
# it points the kernels it starts at another CPU.
CPU_VARIABLES = ("OPENBLAS_CORETYPE", "NPY_DISABLE_CPU_FEATURES")
OWN_CPU = {variable: os.environ.get(variable) for variable in CPU_VARIABLES}


def numpy_blas(info=None):
    """The threadpoolctl entries of the BLAS that NumPy's matrix products use.

    SciPy ships its own OpenBLAS, which may be loaded later, after the tests have pointed the
    processes they start at another CPU: only NumPy's says how this process multiplies.
    """
    info = threadpool_info() if info is None else info
    return [
        i for i in info if i["user_api"] == "blas" and "numpy" in Path(i["filepath"]).parent.name
    ]


def other_cpu_environment():
    """Return environment variables under which a new process rounds differently from this one.

    OpenBLAS's generic kernel (Prescott on x86-64; Haswell where this process already runs
    Prescott), NumPy without any of its optional SIMD loops (only the baseline it was built for),
    and two BLAS threads.
    """
    env = dict(os.environ)
    cores = {info.get("architecture", "").lower() for info in numpy_blas()}
    if platform.machine().lower() in ("x86_64", "amd64"):
        # The kernels this process loaded (OpenBLAS calls its Prescott kernels "Katmai").
        generic = cores & {"prescott", "katmai"}
        env["OPENBLAS_CORETYPE"] = "Haswell" if generic else "Prescott"
    elif platform.machine().lower() in ("aarch64", "arm64"):
        env["OPENBLAS_CORETYPE"] = "NEOVERSEN1" if "armv8" in cores else "ARMV8"
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    optional = [f for f in __cpu_dispatch__ if __cpu_features__.get(f)]
    env["NPY_DISABLE_CPU_FEATURES"] = " ".join(optional)
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[variable] = "2"
    # The tests keep both cores busy. OpenBLAS's threads spin for 2**16 cycles (some 20 us) after
    # a product before they sleep: at 2**4 every product waited for a sleeping thread to be woken
    # on a busy core (the Softmax Regression runs took 59 s here instead of 5 s); at the default,
    # 2**28, the spinning threads took the cores from the tests. The thread count, and with it
    # every number computed, is the same either way.
    env["OPENBLAS_THREAD_TIMEOUT"] = "16"
    return env


def flatten(result):
    """All the numbers in a run's result (arrays, dicts of arrays, tuples...) as one 1-D array.

    Text (what a run printed) is left out: it is made from the numbers.
    """
    if isinstance(result, str):
        return np.empty(0)
    if isinstance(result, dict):
        parts = [flatten(result[key]) for key in sorted(result, key=str)]
    elif isinstance(result, (list, tuple)):
        parts = [flatten(item) for item in result]
    else:
        return np.ravel(np.asarray(result, dtype=np.float64))
    return np.concatenate(parts) if parts else np.empty(0)


class Elsewhere:
    """The runs of a lessons module, trained in a child process on another CPU."""

    def __init__(self, module_name):
        self.folder = tempfile.TemporaryDirectory()
        self.out = Path(self.folder.name) / "runs.npz"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.cross_cpu", module_name, str(self.out)],
            cwd=ROOT,
            env=other_cpu_environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    @functools.cached_property
    def results(self):
        """{run name: flattened result}, once the child is done."""
        output, _ = self.process.communicate()
        assert self.process.returncode == 0, f"the runs failed on another CPU:\n{output}"
        with np.load(self.out) as data:
            return {name: data[name] for name in data.files}

    def close(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.folder.cleanup()


def assert_same_on_another_cpu(runs_here, elsewhere):
    """Assert that every run in ``runs_here`` (name -> result) ends where the child's run did."""
    there = elsewhere.results
    assert sorted(there) == sorted(runs_here)
    moved = {}
    for name, result in runs_here.items():
        here = flatten(result)
        assert here.shape == there[name].shape, name
        scale = np.nanmax(np.abs(here)) if here.size else 0.0
        difference = np.nanmax(np.abs(here - there[name])) if here.size else 0.0
        same_nans = np.array_equal(np.isnan(here), np.isnan(there[name]))
        if not same_nans or difference > RTOL * scale:
            moved[name] = difference / scale if scale else difference
    assert not moved, (
        "these runs end elsewhere on a CPU that rounds differently (relative difference of the "
        "final numbers; they must agree to 1e-6): "
        + ", ".join(f"{name}: {value:.1e}" for name, value in moved.items())
        + ". The run is chaotic: change its learning rate, length or data until it is stable."
    )


def main(argv=None):
    module_name, out = (argv or sys.argv[1:])[:2]
    importlib.import_module("tests.helpers")  # the part folders on sys.path, as under pytest
    module = importlib.import_module(module_name)
    results = {name: flatten(run()) for name, run in module.CITED_RUNS.items()}
    np.savez(out, **results)


if __name__ == "__main__":
    main()
