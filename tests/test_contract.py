"""The contract every utils module keeps: same names, shapes, keys, errors and correct gradients.

Each part folder is self-contained, so a few helpers exist in more than one module; this suite,
run against every module in ``MODULES``, keeps the copies from drifting apart.
"""

import ast
import importlib
import inspect
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from nbclient import NotebookClient

from tests.helpers import (
    PART_DIRS,
    ROOT,
    away_from_kinks,
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
UPDATE_MODULES = ["init_utils", "reg_utils"]  # opt_utils' notebook writes its own update rules
PARAMETER_KEYS = ("W1", "b1", "W2", "b2", "W3", "b3")
CACHE_FIELDS = ("Z1", "A1", "W1", "b1", "Z2", "A2", "W2", "b2", "Z3", "A3", "W3", "b3")


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


def test_forward_returns_probabilities_and_the_course_cache_read_by_name(network):
    utils, _ = network
    X, _, parameters = random_network(0)
    A3, cache = utils.forward_propagation(X, parameters)
    assert A3.shape == (1, X.shape[1]) and np.all((A3 > 0) & (A3 < 1))
    assert isinstance(cache, tuple) and cache._fields == CACHE_FIELDS  # unpacks as the course's
    Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3_cached, W3, b3 = cache
    assert (Z1, A1, W2, Z3) == (cache.Z1, cache.A1, cache.W2, cache.Z3)
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
        assume(away_from_kinks(cache.Z1, cache.Z2))
        grads = utils.backward_propagation(X, Y, cache)
        if np.all(np.abs(cache.Z3) < 20):  # away from saturation the module's cost is exact
            assert cost(A3, Y) == pytest.approx(cross_entropy_from_logits(cache.Z3, Y), rel=1e-9)

        def J(utils=utils, X=X, Y=Y, parameters=parameters):
            return cross_entropy_from_logits(utils.forward_propagation(X, parameters)[1].Z3, Y)

        error, per_key = gradient_error(J, parameters, grads)
        assert error < 1e-7, f"{name}: relative error {error:.2e}; per parameter {per_key}"


def test_backward_returns_every_gradient_with_its_shape(network):
    utils, _ = network
    X, Y, parameters = random_network(1)
    A3, cache = utils.forward_propagation(X, parameters)
    grads = utils.backward_propagation(X, Y, cache)
    for key in PARAMETER_KEYS:
        assert grads["d" + key].shape == parameters[key].shape
    for l, Z in ((1, cache.Z1), (2, cache.Z2), (3, cache.Z3)):
        assert grads[f"dZ{l}"].shape == Z.shape
    for l, A in ((1, cache.A1), (2, cache.A2)):
        assert grads[f"dA{l}"].shape == A.shape
    np.testing.assert_allclose(grads["dZ3"], (A3 - Y) / X.shape[1])


@pytest.mark.parametrize("name", UPDATE_MODULES)
def test_update_parameters_steps_against_the_gradient_without_mutating(name):
    utils = importlib.import_module(name)
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


def _replace(key, value):
    return lambda X, Y, p: (X, Y, {**p, key: value(p[key])})


# Every bad input a training run or a prediction can start from, and the error that names it.
BAD_INPUTS = [
    ("X has 3 rows but W1 expects 2", lambda X, Y, p: (np.vstack([X, X[:1]]), Y, p), ValueError),
    ("X must be a 2-D array", lambda X, Y, p: (X[0], Y, p), ValueError),
    (
        "parameters is missing W2",
        lambda X, Y, p: (X, Y, {k: v for k, v in p.items() if k != "W2"}),
        KeyError,
    ),
    ("parameters must be a dict", lambda X, Y, p: (X, Y, list(p.values())), TypeError),
    ("b2 must have shape", _replace("b2", np.transpose), ValueError),
    ("b1 must have shape", _replace("b1", lambda b: np.tile(b, 10)), ValueError),  # broadcasts
    (
        "W3 must have 1 row",
        lambda X, Y, p: (X, Y, {**p, "W3": np.vstack([p["W3"]] * 2), "b3": np.zeros((2, 1))}),
        ValueError,
    ),
    ("W2 has shape \\(0, 4\\): layer 2 has no units", _replace("W2", lambda W: W[:0]), ValueError),
    ("X contains NaN or inf", lambda X, Y, p: (np.where(X > 1, np.nan, X), Y, p), ValueError),
    ("X contains NaN or inf", lambda X, Y, p: (np.where(X > 1, np.inf, X), Y, p), ValueError),
    ("W2 contains NaN or inf", _replace("W2", lambda W: W * np.nan), ValueError),
    ("b2 contains NaN or inf", _replace("b2", lambda b: b - np.inf), ValueError),  # ReLU hides it
    ("W1 contains NaN or inf", _replace("W1", lambda W: W * np.inf), ValueError),
    ("Y must have shape \\(1, 10\\)", lambda X, Y, p: (X, Y[:, :5], p), ValueError),
    ("Y must contain only 0 and 1", lambda X, Y, p: (X, Y * 2, p), ValueError),
    ("Y must contain only 0 and 1", lambda X, Y, p: (X, Y - 0.5, p), ValueError),
    ("Y must contain only 0 and 1", lambda X, Y, p: (X, np.where(Y, np.nan, 0), p), ValueError),
]
BAD_IDS = [f"{message.split(' ')[0]} {i}" for i, (message, _, _) in enumerate(BAD_INPUTS)]


def _bad(case):
    message, corrupt, error = case
    X, Y, parameters = random_network(5, n_x=2, m=10)
    X[0, 0] = 2.0  # so that the NaN cases have an entry above 1
    return corrupt(X, Y, parameters), error, message


@pytest.mark.parametrize("case", BAD_INPUTS, ids=BAD_IDS)
def test_check_inputs_and_predict_name_every_bad_input(network, case):
    utils, _ = network
    (X, Y, parameters), error, message = _bad(case)
    with pytest.raises(error, match=message):
        utils.check_inputs(X, Y, parameters)
    with pytest.raises(error, match=message.replace("Y must", "y must")):
        utils.predict(X, Y, parameters)  # its argument is called y


# What makes NumPy fail inside the training loop's functions: each is explained by name.
NUMPY_FAILS = [
    "X has 3 rows",
    "X must be a 2-D",
    "parameters is missing",
    "b2 must",
    "Y must have",
]


@pytest.mark.parametrize("message", NUMPY_FAILS)
def test_the_loop_functions_name_the_argument_when_numpy_fails(network, message):
    """Inside a training loop nothing is checked; an error NumPy raises is explained by name."""
    utils, cost = network
    (case,) = [case for case in BAD_INPUTS if case[0].startswith(message)]
    (X, Y, parameters), error, message = _bad(case)
    with pytest.raises(error, match=message) as raised:
        A3, cache = utils.forward_propagation(X, parameters)
        cost(A3, Y)
        utils.backward_propagation(X, Y, cache)
    assert raised.value.__suppress_context__, "NumPy's error is replaced, not shown above ours"


def test_the_loop_functions_are_not_checked_on_success(network):
    """What a training iteration runs is the math itself: no check before it (the benchmark)."""
    utils, _ = network
    for name in ("forward_propagation", "backward_propagation", "update_parameters"):
        function = getattr(utils, name, None)
        if function is not None:
            source = inspect.getsource(inspect.unwrap(function))
            assert "check" not in source.split('"""')[-1], f"{name} checks its input"


@pytest.mark.parametrize("name", UPDATE_MODULES)
def test_update_parameters_rejects_a_bad_step_or_missing_gradient(name):
    utils = importlib.import_module(name)
    X, Y, parameters = random_network(6)
    grads = utils.backward_propagation(X, Y, utils.forward_propagation(X, parameters)[1])
    with pytest.raises(ValueError, match="learning_rate must be a positive number"):
        utils.update_parameters(parameters, grads, -0.1)
    with pytest.raises(KeyError, match="grads is missing dW3"):
        utils.update_parameters(parameters, {k: v for k, v in grads.items() if k != "dW3"}, 0.1)
    with pytest.raises(ValueError, match=r"grads\['db1'\] has shape"):
        utils.update_parameters(parameters, {**grads, "db1": grads["db1"][:-1]}, 0.1)


def test_backward_explains_a_cache_that_is_not_the_forward_cache(network):
    utils, _ = network
    with pytest.raises(ValueError, match="cache must be the 12-tuple"):
        utils.backward_propagation(np.ones((2, 3)), np.ones((1, 3)), (1, 2, 3))


def test_the_cost_names_nan_in_a3_and_accepts_labels_of_any_numeric_dtype(network):
    _, cost = network
    with pytest.raises(ValueError, match="a3 contains NaN"):
        cost(np.array([[0.5, np.nan]]), np.array([[1, 0]]))
    expected = -(np.log(0.2) + np.log(0.7) + np.log(0.6)) / 3
    for dtype in (np.uint8, np.int64, bool, np.float64):
        Y = np.array([[0, 1, 1]], dtype=dtype)
        assert cost(np.array([[0.8, 0.7, 0.6]]), Y) == pytest.approx(expected, rel=1e-12)


# Each part folder is self-contained, so some code exists in more than one module on purpose.
# Within a group, every name defined in several modules must be the same code in each, except
# the course's names that mean different things in different modules. Per group: its modules,
# names that must be among those compared (so that the test cannot pass by comparing nothing),
# and the names that differ on purpose.
COPIED = {
    "three-layer utils": (
        ["init_utils", "reg_utils", "opt_utils"],
        {"Cache", "forward_propagation", "backward_propagation", "update_parameters", "predict"},
        {
            "__all__",
            "load_dataset",  # two circles (Initialization), two moons (Optimization)
            "initialize_parameters",  # 1/sqrt(n) (Regularization), He (Optimization)
        },
    ),
    "every utils": (
        ["init_utils", "reg_utils", "opt_utils", "gc_utils", "nn_utils"],
        {"Cache", "sigmoid", "relu"},
        {
            "__all__",
            "load_dataset",
            "initialize_parameters",
            # nn_utils: a network of any depth, under the course's names
            "forward_propagation",
            "backward_propagation",
            "compute_cost",
            "update_parameters",
            "predict_dec",
        },
    ),
    "testCases": (
        [f"{folder.name}/testCases" for folder in sorted(set(PART_DIRS.values()))],
        {"CheckFailed", "exercise_check", "_network"},
        {
            "__all__",
            "NETWORKS",  # each part's own exercises and test cases
            # Part 3's forward pass of J = theta x, and TensorFlow Introduction's network: the
            # course uses the name for both
            "verify_forward_propagation",
            "forward_propagation_test",
        },
    ),
}


def _definitions(path):
    """Every top-level def, class and assignment of a module: {name: [source, ...]}."""
    source = path.read_text()
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names = [node.name]
        elif isinstance(node, ast.Assign):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        else:
            continue
        for name in names:
            found.setdefault(name, []).append(ast.get_source_segment(source, node))
    return found


def _module_path(module):
    if "/" in module:
        return ROOT / f"{module}.py"
    return Path(importlib.import_module(module).__file__)


@pytest.mark.parametrize("group", COPIED)
def test_code_in_more_than_one_module_is_the_same_everywhere(group):
    modules, expected, different = COPIED[group]
    definitions = {module: _definitions(_module_path(module)) for module in modules}
    names = {name for found in definitions.values() for name in found} - different
    drifted, shared = [], set()
    for name in sorted(names):
        copies = {module: found[name] for module, found in definitions.items() if name in found}
        if len(copies) > 1:
            shared.add(name)
            if len({str(c) for c in copies.values()}) > 1:
                drifted.append(f"{name} ({', '.join(copies)})")
    assert expected <= shared, f"not compared: {expected - shared}"
    assert not drifted, f"copies that differ: {'; '.join(drifted)}"


def test_the_cost_functions_are_the_same_code_under_their_course_names():
    def body(module):
        function = inspect.unwrap(
            getattr(importlib.import_module(module), MODULES[module]["cost"])
        )
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
    assert capsys.readouterr().out == "All tests passed.\n"
    with pytest.raises(checks.NotDoneYet) as not_done:
        run(named(lambda: (_ for _ in ()).throw(NotImplementedError), "g"))
    assert not_done.value._render_traceback_() == [
        "g is not done yet: write its code where it says YOUR CODE HERE."
    ]
    with pytest.raises(checks.CheckFailed) as failed:
        run(named(lambda: 2, "h"))
    assert failed.value._render_traceback_() == ["CheckFailed: expected 1"]
    with pytest.raises(ZeroDivisionError):  # the learner's own error keeps its traceback
        run(named(lambda: 1 / 0, "k"))


def test_a_failed_or_unfinished_check_shows_as_one_line_in_the_kernel():
    """What a learner sees: the message, not 50 lines of traceback through testCases.py; and an
    exercise not done yet fails its cell too (nbgrader's autograde scores whether a check cell
    raised)."""
    check = (
        "from testCases import forward_propagation_test\n{}\n"
        "forward_propagation_test(forward_propagation)"
    )
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(check.format(f"def forward_propagation(x, theta):\n    {body}"))
        for body in ("return x", "raise NotImplementedError()")
    ]
    NotebookClient(
        notebook,
        allow_errors=True,
        resources={"metadata": {"path": str(PART_DIRS["gc_utils"])}},
    ).execute()
    (wrong,), (not_done,) = (cell.outputs for cell in notebook.cells)
    assert wrong.ename == "CheckFailed"
    assert wrong.traceback == [
        "CheckFailed: forward_propagation(2.0, 4.0) = 2.0, expected 8.0; did you return x or "
        "theta instead of their product?"
    ]
    assert not_done.output_type == "error" and not_done.ename == "NotDoneYet"
    assert not_done.traceback == [
        "forward_propagation is not done yet: write its code where it says YOUR CODE HERE."
    ]


def test_every_folder_reads_its_stored_answers_with_the_same_code():
    """The four testCases.py each carry the reader of expected_values.json (every folder runs on
    its own); this keeps the copies from drifting apart."""
    folders = sorted({str(p) for p in PART_DIRS.values()})
    modules = [load_module(Path(f) / "testCases.py", f"same_{Path(f).name}") for f in folders]
    for name in ("_stored", "_decode", "_plain", "stored_answers", "exercise_check"):
        sources = {inspect.getsource(getattr(module, name)) for module in modules}
        assert len(sources) == 1, f"{name} differs between the folders' testCases.py"
    renders = {inspect.getsource(m.NotDoneYet._render_traceback_) for m in modules}
    assert len(renders) == 1
