"""Helpers shared by the tests: a numerical gradient, and access to the notebooks' code."""

import ast
import contextlib
import importlib.util
import io
import re
import sys
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import numpy as np

from tests.grading import sandbox
from tests.grading.assignments import ASSIGNMENTS, ROOT

# Which parts exist comes from one list, the grader's (tests/grading/assignments.py): each part's
# folder, keyed by its utils module, and its notebook, keyed by its name; the companion notebooks
# are the numbered ones.
PART_DIRS = {Path(a.files[0]).stem: ROOT / a.folder for a in ASSIGNMENTS.values()}
NOTEBOOKS = {a.name: a.path for a in ASSIGNMENTS.values()} | {
    path.stem[3:].lower(): path for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
}
# Every part's modules import as in its notebook's kernel (``import reg_utils``), here and in the
# child processes of tests/cross_cpu.py.
for _part_dir in PART_DIRS.values():
    if str(_part_dir) not in sys.path:
        sys.path.insert(0, str(_part_dir))


def numerical_gradient(f, x, h=1e-6):
    """Return the centered-difference gradient of the scalar ``f()`` with respect to ``x``.

    ``x`` is a float64 array that ``f`` reads; it is perturbed in place one entry at a time and
    restored, so ``f`` takes no argument: ``numerical_gradient(lambda: cost(parameters), W1)``.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + h
        plus = f()
        x[index] = saved - h
        minus = f()
        x[index] = saved
        grad[index] = (plus - minus) / (2 * h)
    return grad


def digits_0_to_5():
    """scikit-learn's digits 0 to 5 as the week-3 notebooks load and split them: images as
    columns (64, 1083) scaled to [0, 1], labels (1083,), and the column indices of the train
    (649), dev (217) and test (217) sets, shuffled by RandomState(0)."""
    import sklearn.datasets  # here, not at the top: every test process imports this module

    digits = sklearn.datasets.load_digits(n_class=6)
    order = np.random.RandomState(0).permutation(len(digits.target))
    sets = dict(zip(("train", "dev", "test"), np.split(order, [649, 866])))
    return digits.data.T / 16.0, digits.target, sets


def random_parameters(dims, rng, scale=1.0, bias_scale=1.0):
    """Parameters W{l} ~ N(0, scale**2) and b{l} ~ N(0, bias_scale**2) for layer sizes ``dims``,
    drawn W1, b1, W2, ... from ``rng`` (a seed or a RandomState). Non-zero biases: zeros would
    hide bugs."""
    rng = np.random.RandomState(rng) if isinstance(rng, int) else rng
    parameters = {}
    for l in range(1, len(dims)):
        parameters[f"W{l}"] = rng.randn(dims[l], dims[l - 1]) * scale
        parameters[f"b{l}"] = rng.randn(dims[l], 1) * bias_scale
    return parameters


def random_network(seed, n_x=3, n1=4, n2=3, m=7):
    """The course's three-layer network with random weights and biases, inputs X of shape
    (n_x, m) and 0/1 labels; returns (X, Y, parameters)."""
    rng = np.random.RandomState(seed)
    parameters = random_parameters([n_x, n1, n2, 1], rng, scale=0.7, bias_scale=0.3)
    X = rng.randn(n_x, m)
    Y = (rng.rand(1, m) > 0.5).astype(int)
    return X, Y, parameters


def away_from_kinks(*Zs, margin=1e-4):
    """Whether every ReLU input in ``Zs`` lies farther than ``margin`` from 0.

    A finite-difference step of 1e-6 moves a pre-activation by up to about 1e-5; one that starts
    closer to 0 can cross the kink, and then the numerical gradient is wrong, not the code (a
    hypothesis run found Z2 = 1.2e-6 in a network of the assignments' size). Gradient tests
    ``assume`` this of the hidden layers.
    """
    return all(np.abs(Z).min() > margin for Z in Zs)


def named(function, name):
    """Give a stand-in for a learner's function the exercise's name (the checks print it)."""
    function.__name__ = name
    return function


class AsGraded:
    """A function of this process as the grader calls a learner's (``remote.RemoteFunction``):
    ``with_seeds`` runs it with the seeds it sets shifted (``harness.reseeded``), as the
    learner's kernel does for the hidden checks of the exercises that take no argument."""

    def __init__(self, function, seeds=None):
        self.function, self.seeds = function, seeds or {}
        self.__name__ = function.__name__

    def with_seeds(self, **offsets):
        return AsGraded(self.function, {**self.seeds, **offsets})

    def __call__(self, *args, **kwargs):
        from tests.grading.harness import reseeded

        with reseeded(self.seeds):
            return self.function(*args, **kwargs)


def cross_entropy_from_logits(Z, Y):
    """The mean cross-entropy of sigmoid(Z) against labels Y, computed without forming sigmoid(Z).

    Mathematically the same as the modules' cost, but exact where the sigmoid is close to 0 or 1,
    where 1 - a loses digits and a numerical gradient of the cost would be mostly round-off.
    """
    return float(np.mean(np.where(Y == 1, np.logaddexp(0, -Z), np.logaddexp(0, Z))))


def relative_error(a, b):
    """||a - b|| / (||a|| + ||b||), 0 when both are zero."""
    denominator = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denominator == 0 else float(np.linalg.norm(a - b) / denominator)


def gradient_error(J, parameters, grads):
    """Compare ``grads`` with the numerical gradient of ``J()`` for every entry of ``parameters``.

    Returns the relative error over all parameters stacked into one vector, and the relative error
    of each parameter (to say where a failure is).

    A centered difference carries round-off of about eps * |J| / h ~ 1e-10 whatever the gradient,
    so the relative error is measured against a gradient norm of at least 1e-2: below that (a
    tiny network with most units dropped, say) it would measure the round-off, not the code. A
    wrong gradient is off by about its own size, far above 1e-7 of 1e-2.
    """
    keys = list(parameters)
    numeric = {key: numerical_gradient(J, parameters[key]) for key in keys}
    analytic = np.concatenate([grads["d" + key].ravel() for key in keys])
    numerical = np.concatenate([numeric[key].ravel() for key in keys])
    size = max(np.linalg.norm(analytic) + np.linalg.norm(numerical), 1e-2)
    error = float(np.linalg.norm(analytic - numerical) / size)
    per_key = {key: f"{relative_error(grads['d' + key], numeric[key]):.1e}" for key in keys}
    return error, per_key


def last_bit_growth(step, parameters, checkpoints):
    """How far a training run carries a change in the last bit of its starting weights.

    Runs ``step`` (one iteration: parameters -> parameters) from ``parameters`` and from a copy
    with every number scaled by 1 + 2**-52, and returns the relative difference between the two
    runs' parameters after each number of iterations in ``checkpoints``. A stable run keeps it
    near 1e-16; a chaotic one grows it until the two runs have little in common.
    """
    runs = [parameters, {key: value * (1 + 2.0**-52) for key, value in parameters.items()}]
    growth = []
    for iteration in range(1, max(checkpoints) + 1):
        runs = [step(p) for p in runs]
        if iteration in checkpoints:
            a, b = (np.concatenate([p[key].ravel() for key in sorted(p)]) for p in runs)
            growth.append(float(np.abs(a - b).max() / np.abs(a).max()))
    return growth


def run_quietly(function, *args, **kwargs):
    """Call a notebook function that prints and plots; return (its result, what it printed)."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # plt.show() on a non-interactive backend
        result = function(*args, **kwargs)
    plt.close("all")
    return result, printed.getvalue()


def printed_costs(text):
    """The costs in the "Cost after iteration N: c" lines that a notebook's model prints."""
    return [float(c) for c in re.findall(r"Cost after iteration \d+: (\S+)", text)]


def load_module(path, name):
    """Import the file at ``path`` as module ``name`` (every part has its own testCases.py)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def notebook_definitions(path):
    """Return the namespace made by the imports and function definitions of a notebook.

    Only top-level ``import`` and ``def`` statements of the code cells run (IPython magics are
    dropped), so the tests call the notebook's own solutions and ``model`` without training
    anything or drawing a plot. The imports resolve as in the notebook's kernel: the notebook's
    folder comes first on ``sys.path``, so ``testCases`` is that part's own.
    """
    notebook = nbformat.read(path, as_version=4)
    namespace = {"__name__": f"notebook_{Path(path).stem}"}
    folder = str(Path(path).parent)
    saved = sys.modules.pop("testCases", None)
    sys.path.insert(0, folder)
    try:
        for cell in notebook.cells:
            if cell.cell_type != "code":
                continue
            source = "\n".join(
                line
                for line in cell.source.splitlines()
                if not line.lstrip().startswith(("%", "!"))
            )
            kept = [
                node
                for node in ast.parse(source).body
                if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef))
            ]
            exec(compile(ast.Module(body=kept, type_ignores=[]), str(path), "exec"), namespace)
    finally:
        sys.path.remove(folder)
        sys.modules.pop("testCases", None)
        if saved is not None:
            sys.modules["testCases"] = saved
    return namespace


def in_a_sandbox(scratch, cpu_seconds):
    """The command that runs a program (to be appended) in a sandbox of its own on ``scratch``,
    made here: read-only inside but for its ``work`` folder, the current one, and with a user id
    of its own, as the grader starts each kernel."""
    (scratch / "work").mkdir(parents=True)
    user = sandbox.sandbox_user()
    sandbox.prepare_scratch(scratch, user)
    bwrap = sandbox.find_isolation().bwrap
    return sandbox.sandbox_argv(bwrap, scratch, scratch / "work", cpu_seconds, user)
