"""Compare a notebook's cited runs with the same runs trained on "another CPU".

A training run that is chaotic turns a difference in the last bit of one matrix product into
another result, and learners' CPUs round differently from ours: OpenBLAS picks its kernels by
processor (Prescott, Haswell, SkylakeX, Zen, ...), and NumPy picks SSE, AVX2 or AVX-512 loops.
So every run whose result a notebook states must be stable: trained on a machine that rounds
differently, it must end at the same parameters to a relative 1e-6 (they typically agree to
1e-10 or better), and then everything printed from them is the same too.

Each lessons test module lists its notebook's runs in ``CITED_RUNS`` (name -> function that
trains and returns the result). ``store`` trains them in a child process in which OpenBLAS uses
another kernel, NumPy only its baseline loops, and BLAS two threads, and keeps the final numbers
in ``tests/baselines/`` (like the notebooks' stored outputs, a baseline made by the code when the
notebooks are re-executed: ``make notebooks``). The lesson tests train the runs again on this
machine's own kernels with one thread and compare:

    python -m tests.cross_cpu store [MODULE ...]   (every lessons module, or the ones named)
    python -m tests.cross_cpu run MODULE OUT.npz     (what the child runs: every run of MODULE)
"""

import functools
import importlib
import os
import platform
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info

ROOT = Path(__file__).resolve().parent.parent
RTOL = 1e-6
BASELINES = ROOT / "tests" / "baselines"
ENVIRONMENT = "(environment)"  # the key under which a baseline says how it was made
THREADS = "OPENBLAS_NUM_THREADS"
STORE = "store the runs again with `python -m tests.cross_cpu store` (make notebooks does)"
# What decides how a process rounds; tests/conftest.py keeps this process's own values here before
# it points the kernels it starts at another CPU.
CPU_VARIABLES = ("OPENBLAS_CORETYPE", "NPY_DISABLE_CPU_FEATURES")
OWN_CPU = {variable: os.environ.get(variable) for variable in CPU_VARIABLES}


def use_own_cpu(monkeypatch):
    """Give the processes a test starts from now on this machine's own CPU settings (the tests
    point them at another CPU), so that a difference between their runs comes from them alone."""
    for variable, value in OWN_CPU.items():
        if value is None:
            monkeypatch.delenv(variable, raising=False)
        else:
            monkeypatch.setenv(variable, value)


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
        self.environment = other_cpu_environment()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.cross_cpu", "run", module_name, str(self.out)],
            cwd=ROOT,
            env=self.environment,
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


def baseline_path(module_name):
    """tests/baselines/<name>.npz for the module tests.test_<name>."""
    return BASELINES / (module_name.rpartition(".")[2].removeprefix("test_") + ".npz")


def stored_runs(module_name):
    """{run name: flattened result} of the module's runs as ``store`` trained them elsewhere."""
    path = baseline_path(module_name)
    assert path.is_file(), f"{path.relative_to(ROOT)} is missing: {STORE}"
    with np.load(path) as data:
        runs = {name: data[name] for name in data.files}
    runs.pop(ENVIRONMENT)
    return runs


def store(module_names, jobs=2):
    """Train every module's runs on another CPU (``jobs`` children at a time) and store them."""
    BASELINES.mkdir(exist_ok=True)

    def one(module_name):
        child = Elsewhere(module_name)
        try:
            results = child.results
        finally:
            child.close()
        where = " ".join(f"{v}={child.environment.get(v, '')}" for v in (*CPU_VARIABLES, THREADS))
        path = baseline_path(module_name)
        if path.is_file() and _same(stored_runs(module_name), results):
            return f"{path.relative_to(ROOT)}: unchanged"  # not rewritten: git sees no change
        np.savez_compressed(path, **results, **{ENVIRONMENT: where})
        return f"{path.relative_to(ROOT)}: {len(results)} runs ({where})"

    with ThreadPoolExecutor(jobs) as pool:
        for line in pool.map(one, module_names):
            print(line, flush=True)


def _same(runs, other):
    return sorted(runs) == sorted(other) and all(
        np.array_equal(runs[name], other[name], equal_nan=True) for name in runs
    )


def lessons_modules():
    """Every test module with a CITED_RUNS list."""
    return [
        f"tests.{path.stem}"
        for path in sorted((ROOT / "tests").glob("test_*_lessons.py"))
        if "\nCITED_RUNS = " in path.read_text()
    ]


def assert_same_on_another_cpu(runs_here, there):
    """Assert that every run in ``runs_here`` (name -> result) ends where its run in ``there``
    (name -> flattened result, trained on another CPU) did."""
    assert sorted(there) == sorted(runs_here), f"other runs than those stored: {STORE}"
    moved = {}
    for name, result in runs_here.items():
        here = flatten(result)
        assert here.shape == there[name].shape, f"{name}: {STORE}"
        scale = np.nanmax(np.abs(here)) if here.size else 0.0
        difference = np.nanmax(np.abs(here - there[name])) if here.size else 0.0
        same_nans = np.array_equal(np.isnan(here), np.isnan(there[name]))
        if not same_nans or difference > RTOL * scale:
            moved[name] = difference / scale if scale else difference
    assert not moved, (
        "these runs end elsewhere on a CPU that rounds differently (relative difference of the "
        "final numbers; they must agree to 1e-6): "
        + ", ".join(f"{name}: {value:.1e}" for name, value in moved.items())
        + ". The run is chaotic: change its learning rate, length or data until it is stable. "
        f"(If you changed the run on purpose: {STORE}.)"
    )


def main(argv=None):
    command, *names = argv if argv is not None else sys.argv[1:]
    if command == "store":
        store(names or lessons_modules())
        return
    module_name, out = names
    importlib.import_module("tests.helpers")  # the part folders on sys.path, as under pytest
    module = importlib.import_module(module_name)
    results = {name: flatten(run()) for name, run in module.CITED_RUNS.items()}
    np.savez(out, **results)


if __name__ == "__main__":
    main()
