"""The contract every utils module keeps: same names, shapes, keys, errors and correct gradients.

Each part folder is self-contained, so a few helpers exist in more than one module; this suite,
run against every module in ``MODULES``, keeps the copies from drifting apart.
"""

import importlib
import inspect
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from nbclient import NotebookClient

from tests.helpers import (
    PART_DIRS,
    cross_entropy_from_logits,
    gradient_error,
    load_module,
    named,
    random_network,
)

# Per module: its cost function and its data loader (the course named them differently per part).
MODULES = {
    "init_utils": {"cost": "compute_loss", "loader": "load_dataset"},
    "reg_utils": {"cost": "compute_cost", "loader": "load_2D_dataset"},
    "gc_utils": {},  # activations and vector conversions only (tests/test_gc_utils.py)
    "opt_utils": {"cost": "compute_cost", "loader": "load_dataset"},
    "nn_utils": {},  # a network of any depth: its own property tests in tests/test_nn_utils.py
}
THREE_LAYER_MODULES = [name for name, spec in MODULES.items() if "cost" in spec]
DATA_MODULES = [name for name, spec in MODULES.items() if "loader" in spec]
PARAMETER_KEYS = ("W1", "b1", "W2", "b2", "W3", "b3")


@pytest.fixture(params=list(MODULES))
def utils(request):
    return importlib.import_module(request.param)


@pytest.fixture(params=THREE_LAYER_MODULES)
def network(request):
    module = importlib.import_module(request.param)
    return module, getattr(module, MODULES[request.param]["cost"])


def test_every_module_exposes_the_same_activations(utils):
    z = np.linspace(-800, 800, 401).reshape(1, -1)
    with np.errstate(all="raise"):
        s = utils.sigmoid(z)
    assert s.shape == z.shape and np.all((s >= 0) & (s <= 1))
    np.testing.assert_allclose(utils.sigmoid(np.array([0.0, 2.0])), [0.5, 1 / (1 + np.exp(-2))])
    np.testing.assert_array_equal(utils.relu(np.array([-2.0, 0.0, 3.0])), [0.0, 0.0, 3.0])


def test_forward_returns_probabilities_and_the_course_cache(network):
    utils, _ = network
    X, _, parameters = random_network(0)
    A3, cache = utils.forward_propagation(X, parameters)
    assert A3.shape == (1, X.shape[1]) and np.all((A3 > 0) & (A3 < 1))
    assert isinstance(cache, tuple) and len(cache) == 12
    Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3_cached, W3, b3 = cache
    np.testing.assert_allclose(Z1, parameters["W1"] @ X + parameters["b1"])
    np.testing.assert_allclose(A1, np.maximum(0, Z1))
    np.testing.assert_allclose(Z2, W2 @ A1 + b2)
    np.testing.assert_allclose(Z3, W3 @ A2 + b3)
    assert A3_cached is A3 and W1 is parameters["W1"] and b3 is parameters["b3"]


@given(
    seed=st.integers(0, 2**31 - 1),
    n_x=st.integers(1, 5),
    n1=st.integers(1, 6),
    n2=st.integers(1, 5),
    m=st.integers(1, 8),
)
def test_backward_matches_the_numerical_gradient(seed, n_x, n1, n2, m):
    for name in THREE_LAYER_MODULES:
        utils = importlib.import_module(name)
        cost = getattr(utils, MODULES[name]["cost"])
        X, Y, parameters = random_network(seed, n_x, n1, n2, m)
        A3, cache = utils.forward_propagation(X, parameters)
        grads = utils.backward_propagation(X, Y, cache)
        if np.all(np.abs(cache[8]) < 20):  # away from saturation the module's cost is exact
            assert cost(A3, Y) == pytest.approx(cross_entropy_from_logits(cache[8], Y), rel=1e-9)

        def J(utils=utils, X=X, Y=Y, parameters=parameters):
            return cross_entropy_from_logits(utils.forward_propagation(X, parameters)[1][8], Y)

        error, per_key = gradient_error(J, parameters, grads)
        assert error < 1e-7, f"{name}: relative error {error:.2e}; per parameter {per_key}"


def test_backward_returns_every_gradient_with_its_shape(network):
    utils, _ = network
    X, Y, parameters = random_network(1)
    A3, cache = utils.forward_propagation(X, parameters)
    grads = utils.backward_propagation(X, Y, cache)
    for key in PARAMETER_KEYS:
        assert grads["d" + key].shape == parameters[key].shape
    for l, Z in ((1, cache[0]), (2, cache[4]), (3, cache[8])):
        assert grads[f"dZ{l}"].shape == Z.shape
    for l, A in ((1, cache[1]), (2, cache[5])):
        assert grads[f"dA{l}"].shape == A.shape
    np.testing.assert_allclose(grads["dZ3"], (A3 - Y) / X.shape[1])


def test_update_parameters_steps_against_the_gradient_without_mutating(network):
    utils, _ = network
    X, Y, parameters = random_network(2)
    before = {key: value.copy() for key, value in parameters.items()}
    grads = utils.backward_propagation(X, Y, utils.forward_propagation(X, parameters)[1])
    updated = utils.update_parameters(parameters, grads, 0.1)
    assert set(updated) == set(PARAMETER_KEYS)
    for key in PARAMETER_KEYS:
        np.testing.assert_allclose(updated[key], before[key] - 0.1 * grads["d" + key])
        np.testing.assert_array_equal(parameters[key], before[key])


def test_predict_returns_integer_labels_and_prints_the_accuracy(network, capsys):
    utils, _ = network
    X, Y, parameters = random_network(3, m=20)
    p = utils.predict(X, Y, parameters)
    A3, _ = utils.forward_propagation(X, parameters)
    assert p.shape == (1, 20) and np.issubdtype(p.dtype, np.integer)
    np.testing.assert_array_equal(p, (A3 > 0.5).astype(int))
    assert capsys.readouterr().out == f"Accuracy: {np.mean(p == Y):.4f}\n"
    np.testing.assert_array_equal(utils.predict_dec(parameters, X), A3 > 0.5)


@pytest.mark.parametrize("name", DATA_MODULES)
def test_loader_returns_column_examples_without_side_effects(name):
    utils = importlib.import_module(name)
    loader = getattr(utils, MODULES[utils.__name__]["loader"])
    state = np.random.get_state()[1].copy()
    plt.close("all")
    arrays = loader()  # X, Y for training, then X, Y for testing where there is a test set
    assert plt.get_fignums() == [], "a loader must not plot"
    np.testing.assert_array_equal(np.random.get_state()[1], state)
    assert len(arrays) in (2, 4)
    for X, Y in zip(arrays[0::2], arrays[1::2]):
        assert X.ndim == 2 and Y.shape == (1, X.shape[1])
        assert set(np.unique(Y)) <= {0, 1}
    for first, second in zip(arrays, loader()):
        np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("name", DATA_MODULES)
def test_plot_decision_boundary_draws_on_the_given_axes(name):
    utils = importlib.import_module(name)
    X, Y, parameters = random_network(4, n_x=2, m=30)
    fig, ax = plt.subplots()
    try:
        returned = utils.plot_decision_boundary(
            lambda x: utils.predict_dec(parameters, x.T), X, Y, ax=ax
        )
        assert returned is ax and ax.collections
        assert ax.get_aspect() == 1.0, "equal aspect: circles stay circles"
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["y = 0", "y = 1"]
    finally:
        plt.close(fig)


BAD_INPUTS = [
    ("X has 3 rows but W1 expects 2", lambda X, Y, p: (np.vstack([X, X[:1]]), Y, p), ValueError),
    ("X must be a 2-D array", lambda X, Y, p: (X[0], Y, p), ValueError),
    (
        "parameters is missing W2",
        lambda X, Y, p: (X, Y, {k: v for k, v in p.items() if k != "W2"}),
        KeyError,
    ),
    ("b2 must have shape", lambda X, Y, p: (X, Y, {**p, "b2": p["b2"].T}), ValueError),
    ("X contains NaN", lambda X, Y, p: (np.where(X > 1, np.nan, X), Y, p), ValueError),
    ("W2 contains NaN", lambda X, Y, p: (X, Y, {**p, "W2": p["W2"] * np.nan}), ValueError),
    ("Y must have shape (1, 10)", lambda X, Y, p: (X, Y[:, :5], p), ValueError),
    ("Y must contain only 0 and 1", lambda X, Y, p: (X, Y * 2, p), ValueError),
]


@pytest.mark.parametrize("message, corrupt, error", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_gets_an_error_that_names_the_argument(network, message, corrupt, error):
    utils, cost = network
    X, Y, parameters = random_network(5, n_x=2, m=10)
    X[0, 0] = 2.0  # so that the NaN case has an entry above 1
    X, Y, parameters = corrupt(X, Y, parameters)
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        A3, cache = utils.forward_propagation(X, parameters)
        cost(A3, Y)
        utils.backward_propagation(X, Y, cache)


def test_update_parameters_rejects_a_bad_step_or_missing_gradient(network):
    utils, _ = network
    X, Y, parameters = random_network(6)
    grads = utils.backward_propagation(X, Y, utils.forward_propagation(X, parameters)[1])
    with pytest.raises(ValueError, match="learning_rate must be a positive number"):
        utils.update_parameters(parameters, grads, -0.1)
    with pytest.raises(KeyError, match="grads is missing dW3"):
        utils.update_parameters(parameters, {k: v for k, v in grads.items() if k != "dW3"}, 0.1)
    with pytest.raises(ValueError, match=r"grads\['db1'\] has shape"):
        utils.update_parameters(parameters, {**grads, "db1": grads["db1"].T}, 0.1)


SHARED = [
    "sigmoid",
    "relu",
    "_as_matrix",
    "_check_labels",
    "check_layers_dims",
    "check_parameters",
    "_find_non_finite",
    "forward_propagation",
    "_unpack_cache",
    "backward_propagation",
    "update_parameters",
    "predict",
    "predict_dec",
    "plot_decision_boundary",
]


@pytest.mark.parametrize("name", SHARED)
def test_the_copies_of_a_shared_function_are_the_same_code(name):
    """Each part folder is self-contained, so these exist once per module: they must not drift."""
    sources = {
        module: inspect.getsource(getattr(importlib.import_module(module), name))
        for module in THREE_LAYER_MODULES + (["gc_utils"] if name in ("sigmoid", "relu") else [])
    }
    first = next(iter(sources.values()))
    drifted = [module for module, source in sources.items() if source != first]
    assert not drifted, f"{name} differs in {drifted} from {next(iter(sources))}"


def test_the_cost_functions_are_the_same_code_under_their_course_names():
    def body(module):
        function = getattr(importlib.import_module(module), MODULES[module]["cost"])
        return inspect.getsource(function).split("\n", 1)[1]  # without the def line

    assert len({body(module) for module in THREE_LAYER_MODULES}) == 1


@pytest.mark.parametrize("folder", sorted({str(p) for p in PART_DIRS.values()}))
def test_every_exercise_check_reports_done_not_done_and_a_short_failure(folder, capsys):
    checks = load_module(Path(folder) / "testCases.py", f"contract_{Path(folder).name}")

    def verify(target):
        if target() != 1:
            raise AssertionError("expected 1")

    run = checks.exercise_check(verify)
    run(named(lambda: 1, "f"))
    run(named(lambda: (_ for _ in ()).throw(NotImplementedError), "g"))
    assert capsys.readouterr().out == (
        "All tests passed.\ng is not done yet: write its code where it says YOUR CODE HERE.\n"
    )
    with pytest.raises(checks.CheckFailed) as failed:
        run(named(lambda: 2, "h"))
    assert failed.value._render_traceback_() == ["CheckFailed: expected 1"]
    with pytest.raises(ZeroDivisionError):  # the learner's own error keeps its traceback
        run(named(lambda: 1 / 0, "k"))


def test_a_failed_check_shows_as_one_line_in_the_kernel(tmp_path):
    """What a learner sees: the message, not 50 lines of traceback through testCases.py."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(
            "from testCases import forward_propagation_test\n"
            "def forward_propagation(x, theta):\n    return x\n"
            "forward_propagation_test(forward_propagation)"
        )
    ]
    NotebookClient(
        notebook,
        allow_errors=True,
        resources={"metadata": {"path": str(PART_DIRS["gc_utils"])}},
    ).execute()
    (error,) = notebook.cells[0].outputs
    assert error.ename == "CheckFailed"
    assert error.traceback == [
        "CheckFailed: forward_propagation(2.0, 4.0) = 2.0, expected 8.0; did you return x or "
        "theta instead of their product?"
    ]
