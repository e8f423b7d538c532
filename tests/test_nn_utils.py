"""nn_utils: the network of any depth, proven against a numerical gradient."""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy.special import logsumexp

import nn_utils
from tests.helpers import away_from_kinks, cross_entropy_from_logits, gradient_error
from tests.reference import batchnorm as reference
from tests.reference.softmax import OUTPUT_LAYER


@given(
    dims=st.lists(st.integers(1, 5), min_size=3, max_size=7).map(lambda d: d + [1]),
    m=st.integers(1, 6),
    seed=st.integers(0, 2**31 - 1),
    activation=st.sampled_from(["relu", "tanh"]),
    lambd=st.sampled_from([0.0, 0.3]),
)
def test_backward_matches_the_numerical_gradient_at_any_depth(dims, m, seed, activation, lambd):
    rng = np.random.RandomState(seed)
    parameters = nn_utils.initialize_parameters_deep(dims, "xavier", seed)
    parameters = {k: v + 0.1 * rng.randn(*v.shape) for k, v in parameters.items()}  # b != 0
    X, Y = rng.randn(dims[0], m), rng.randint(0, 2, (1, m))
    AL, caches = nn_utils.forward_propagation(X, parameters, activation)
    assume(activation == "tanh" or away_from_kinks(*(c.Z for c in caches[:-1])))
    grads = nn_utils.backward_propagation(AL, Y, caches, parameters, activation, lambd)

    def J():
        _, caches = nn_utils.forward_propagation(X, parameters, activation)
        penalty = sum(np.sum(v**2) for k, v in parameters.items() if k[0] == "W")
        return cross_entropy_from_logits(caches[-1].Z, Y) + lambd / (2 * m) * penalty

    error, per_key = gradient_error(J, parameters, {k: v for k, v in grads.items() if k[1] != "Z"})
    assert error < 1e-7, per_key


@given(
    dims=st.lists(st.integers(1, 5), min_size=2, max_size=5),
    classes=st.integers(2, 5),
    m=st.integers(1, 6),
    seed=st.integers(0, 2**31 - 1),
)
def test_a_softmax_output_backpropagates_its_cross_entropy(dims, classes, m, seed):
    rng = np.random.RandomState(seed)
    dims = dims + [classes]
    parameters = nn_utils.initialize_parameters_deep(dims, "xavier", seed)
    parameters = {k: v + 0.1 * rng.randn(*v.shape) for k, v in parameters.items()}
    X = rng.randn(dims[0], m)
    Y = np.eye(classes)[:, rng.randint(0, classes, m)]  # one-hot columns
    AL, caches = nn_utils.forward_propagation(X, parameters, "tanh", OUTPUT_LAYER)
    np.testing.assert_allclose(AL.sum(axis=0), 1.0, rtol=1e-12)
    grads = nn_utils.backward_propagation(AL, Y, caches, parameters, "tanh", output=OUTPUT_LAYER)

    def J():  # the cross-entropy from the logits: exact where a probability is close to 0
        Z = nn_utils.forward_propagation(X, parameters, "tanh", OUTPUT_LAYER)[1][-1].Z
        return float(np.mean(logsumexp(Z, axis=0) - np.sum(Y * Z, axis=0)))

    assert nn_utils.compute_cost(AL, Y, OUTPUT_LAYER) == pytest.approx(J(), rel=1e-9)
    error, per_key = gradient_error(J, parameters, {k: v for k, v in grads.items() if k[1] != "Z"})
    assert error < 1e-7, per_key


def test_a_network_of_several_output_units_runs_the_output_layer_it_is_given():
    parameters = nn_utils.initialize_parameters_deep([2, 3, 4], seed=1)
    X, Y = np.ones((2, 5)), np.eye(4)[:, [0, 1, 2, 3, 0]]
    calls = []

    def record(name, value):
        return lambda *args: calls.append(name) or value(*args)

    output = nn_utils.OutputLayer(
        record("activation", OUTPUT_LAYER.activation),
        record("cost", OUTPUT_LAYER.cost),
        record("backward", OUTPUT_LAYER.backward),
    )
    nn_utils.train(X, Y, [2, 3, 4], num_iterations=1, record_every=1, output=output)
    assert calls == ["activation", "cost", "backward", "activation", "cost"]
    for call in (
        lambda: nn_utils.forward_propagation(X, parameters),
        lambda: nn_utils.compute_cost(np.full((4, 5), 0.25), Y),
        lambda: nn_utils.train(X, Y, [2, 3, 4], num_iterations=1),
    ):
        with pytest.raises(ValueError, match="the output layer has 4 units: pass output="):
            call()


def test_predictions_of_several_classes_are_the_largest_logit_and_need_no_output_layer():
    parameters = {"W1": np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]]), "b1": np.zeros((3, 1))}
    X = np.array([[1000.0, -1000.0, 0.5], [999.0, 0.0, 2.0]])  # logits far beyond exp's range
    with np.errstate(over="raise", invalid="raise"):
        predicted = nn_utils.predict_dec(parameters, X)
    np.testing.assert_array_equal(predicted, [[0, 2, 1]])
    assert nn_utils.accuracy(parameters, X, np.eye(3)[:, [0, 2, 0]]) == pytest.approx(2 / 3)


def test_the_module_has_no_softmax_output_layer_of_its_own():
    assert not hasattr(nn_utils, "softmax")
    assert all("softmax" not in name.lower() for name in nn_utils.__all__)


def test_initialization_scales():
    dims = [50, 40, 30, 1]
    for scale, expected in (
        ("he", lambda n: np.sqrt(2 / n)),
        ("xavier", lambda n: np.sqrt(1 / n)),
        (0.3, lambda n: 0.3),
    ):
        parameters = nn_utils.initialize_parameters_deep(dims, scale, seed=4)
        rng = np.random.RandomState(4)
        for l in range(1, 4):
            draws = rng.randn(dims[l], dims[l - 1])
            np.testing.assert_allclose(parameters[f"W{l}"], draws * expected(dims[l - 1]))
            assert not parameters[f"b{l}"].any()


def test_the_cost_agrees_with_the_exact_cross_entropy_and_survives_saturation():
    Z = np.array([[-3.0, 0.5, 2.0, 800.0]])
    Y = np.array([[0, 1, 1, 0]])
    away = nn_utils.compute_cost(nn_utils.sigmoid(Z[:, :3]), Y[:, :3])
    assert away == pytest.approx(cross_entropy_from_logits(Z[:, :3], Y[:, :3]), rel=1e-12)
    assert np.isfinite(nn_utils.compute_cost(nn_utils.sigmoid(Z), Y))


def test_training_records_costs_and_copies_for_early_stopping():
    rng = np.random.RandomState(0)
    X = rng.randn(2, 40)
    Y = (X[0:1] > 0).astype(int)
    parameters, history = nn_utils.train(
        X, Y, [2, 4, 1], num_iterations=250, dev=(X, Y), record_every=100
    )
    assert history["iteration"] == [0, 100, 200, 250]
    assert history["train_cost"] == history["dev_cost"]
    assert history["train_cost"][-1] < history["train_cost"][0]
    assert history["parameters"][-1] is parameters or all(
        np.array_equal(history["parameters"][-1][k], parameters[k]) for k in parameters
    )
    assert not np.array_equal(history["parameters"][0]["W1"], parameters["W1"])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: nn_utils.initialize_parameters_deep([2, 0, 1]), "positive layer sizes"),
        (lambda: nn_utils.initialize_parameters_deep([2, 3, 1], "lecun"), "scale must be"),
        (
            lambda: nn_utils.forward_propagation(
                np.ones((3, 4)), nn_utils.initialize_parameters_deep([2, 3, 1])
            ),
            r"X must have shape \(2, m\)",
        ),
        (
            lambda: nn_utils.forward_propagation(
                np.ones((2, 4)), nn_utils.initialize_parameters_deep([2, 3, 1]), "sigmoid"
            ),
            "activation must be 'relu' or 'tanh'",
        ),
        (
            lambda: nn_utils.compute_cost(np.ones((1, 3)) / 2, np.ones((1, 4))),
            "must have the same shape",
        ),
    ],
)
def test_bad_input_gets_an_error_naming_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# Batch normalization: nn_utils's network runs the batch-norm functions it is given; here the
# reference's (tests/reference/batchnorm.py), in the notebook the learner's.
BN = reference.LAYER


def _bn_layer(rng, n, m):
    Z = rng.randn(n, m) * rng.uniform(0.5, 3, (n, 1)) + rng.randn(n, 1)
    return Z, rng.randn(n, 1), rng.randn(n, 1), rng.randn(n, 1), rng.uniform(0.5, 2, (n, 1))


@given(n=st.integers(1, 5), m=st.integers(2, 8), seed=st.integers(0, 2**31 - 1))
def test_batchnorm_backward_is_the_numerical_gradient_in_both_modes(n, m, seed):
    rng = np.random.RandomState(seed)
    Z, gamma, beta, mean, var = _bn_layer(rng, n, m)
    weights = rng.randn(n, m)  # J = sum(weights * Z_tilde): dZ_tilde = weights
    layer = {"Z": Z, "gamma": gamma, "beta": beta}

    for mode in ("train", "test"):
        if mode == "train":
            out, cache, _, _ = BN.forward(Z, gamma, beta, mean, var)
            dZ, dgamma, dbeta = BN.backward(weights, cache)
        else:  # the network's test mode: one layer with the identity as W
            parameters = {"W1": np.eye(n), "gamma1": gamma, "beta1": beta}
            _, caches, _ = nn_utils.forward_propagation_bn(
                Z, parameters, {"mean1": mean, "var1": var}, BN, "test"
            )
            ((linear, cache),) = caches
            out = linear.Z
            np.testing.assert_array_equal(out, BN.inference(Z, gamma, beta, mean, var))
            dZ, dgamma, dbeta = nn_utils._backward_test_mode(weights, cache, BN.inference)

        def J(mode=mode):
            if mode == "train":
                return np.sum(weights * BN.forward(Z, gamma, beta, mean, var)[0])
            return np.sum(weights * BN.inference(Z, gamma, beta, mean, var))

        np.testing.assert_allclose(cache.gamma * cache.Z_norm + beta, out, rtol=1e-12, atol=1e-14)
        error, per_key = gradient_error(J, layer, {"dZ": dZ, "dgamma": dgamma, "dbeta": dbeta})
        assert error < 1e-7, (mode, per_key)


@given(
    dims=st.lists(st.integers(2, 5), min_size=2, max_size=5),
    classes=st.sampled_from([1, 3]),
    m=st.integers(2, 6),
    seed=st.integers(0, 2**31 - 1),
    mode=st.sampled_from(["train", "test"]),
)
def test_a_batchnorm_network_backpropagates_in_both_modes(dims, classes, m, seed, mode):
    rng = np.random.RandomState(seed)
    dims = dims + [classes]
    parameters, running = nn_utils.initialize_parameters_bn(dims, "xavier", seed)
    parameters = {k: v + 0.3 * rng.randn(*v.shape) for k, v in parameters.items()}
    running = {k: v + 0.3 * rng.rand(*v.shape) for k, v in running.items()}
    X = rng.randn(dims[0], m)
    Y = (
        np.eye(classes)[:, rng.randint(0, classes, m)]
        if classes > 1
        else rng.randint(0, 2, (1, m))
    )
    AL, caches, _ = nn_utils.forward_propagation_bn(X, parameters, running, BN, mode, "tanh")
    # A unit whose batch variance is near epsilon (two examples that nearly agree) bends on a
    # scale of sqrt(var + epsilon) ~ 3e-3; the layers below magnify a step h in W1 until a
    # centered difference measures that bend, not the gradient. Such batches are left out.
    norms = [c for layer in caches for c in layer if isinstance(c, nn_utils.BatchNormCache)]
    assume(mode == "test" or min(norm.var.min() for norm in norms) > 1e-3)
    grads = nn_utils.backward_propagation_bn(AL, Y, caches, parameters, BN, "tanh")
    assert sorted(grads) == sorted("d" + k for k in parameters)

    def J():
        Z = nn_utils.forward_propagation_bn(X, parameters, running, BN, mode, "tanh")[1][-1][0].Z
        if classes == 1:
            return cross_entropy_from_logits(Z, Y)
        return float(np.mean(logsumexp(Z, axis=0) - np.sum(Y * Z, axis=0)))

    error, per_key = gradient_error(J, parameters, grads)
    assert error < 1e-7, per_key


def test_the_running_averages_move_in_training_and_stay_in_test_mode():
    rng = np.random.RandomState(0)
    parameters, running = nn_utils.initialize_parameters_bn([3, 4, 1], seed=0)
    X = rng.randn(3, 10) + 5
    _, caches, trained = nn_utils.forward_propagation_bn(X, parameters, running, BN, "train")
    mu = caches[0][1].mu
    np.testing.assert_allclose(trained["mean1"], 0.9 * running["mean1"] + 0.1 * mu)
    _, caches, tested = nn_utils.forward_propagation_bn(X, parameters, trained, BN, "test")
    assert all(np.array_equal(tested[k], trained[k]) for k in trained)
    gamma, beta = parameters["gamma1"], parameters["beta1"]
    statistics = trained["mean1"], trained["var1"]
    test_mode = BN.inference(caches[0][1].Z, gamma, beta, *statistics)
    np.testing.assert_array_equal(caches[0][0].Z, test_mode)  # the network's test mode
    assert not np.array_equal(running["mean1"], trained["mean1"])  # a new dict, old one kept


def test_without_batchnorm_train_bn_trains_the_plain_network_on_the_same_weights():
    with_bn, _ = nn_utils.initialize_parameters_bn([4, 3, 2, 1], seed=7)
    plain = nn_utils.initialize_parameters_deep([4, 3, 2, 1], seed=7)
    assert all(np.array_equal(with_bn[k], plain[k]) for k in plain if k[0] == "W")
    assert set(with_bn) - set(plain) == {"gamma1", "beta1", "gamma2", "beta2"}
    assert set(plain) - set(with_bn) == {"b1", "b2"}
    rng = np.random.RandomState(1)
    X = rng.randn(4, 30)
    Y = (X[:1] > 0).astype(int)
    parameters, running, costs = nn_utils.train_bn(X, Y, [4, 3, 2, 1], None)
    assert running == {} and "b1" in parameters and costs[-1] < costs[0]
    np.testing.assert_array_equal(
        nn_utils.predict_bn(parameters, running, X, None), nn_utils.predict_dec(parameters, X)
    )


@pytest.mark.parametrize(
    "change, message",
    [
        ({"X": np.ones((3, 5))}, r"X must have shape \(2, m\)"),
        ({"Y": np.ones((1, 4))}, r"Y must have shape \(1, 5\)"),
        ({"mini_batch_size": 0}, "mini_batch_size must be a positive integer"),
        ({"decay": 1.0}, r"decay must be in \[0, 1\)"),
        ({"learning_rate": -0.1}, "learning_rate must be > 0"),
        ({"bn": True}, "bn must be BatchNorm"),
        ({"on_epoch": 3}, "on_epoch must be a function"),
    ],
)
def test_train_bn_names_the_bad_argument(change, message):
    arguments = {"X": np.ones((2, 5)), "Y": np.ones((1, 5)), "layers_dims": [2, 3, 1], "bn": BN}
    with pytest.raises((ValueError, TypeError), match=message):
        nn_utils.train_bn(**arguments | change)


def test_a_network_with_batch_norm_layers_asks_for_the_functions_they_run():
    parameters, running = nn_utils.initialize_parameters_bn([3, 4, 2, 1], seed=0)
    with pytest.raises(TypeError, match=r"batch-norm layers \(gamma1, gamma2\): pass bn"):
        nn_utils.forward_propagation_bn(np.ones((3, 5)), parameters, running, None)
    with pytest.raises(TypeError, match="pass bn"):
        nn_utils.predict_bn(parameters, running, np.ones((3, 5)), None)


def test_a_scale_per_layer_draws_each_layer_at_its_own_standard_deviation():
    parameters = nn_utils.initialize_parameters_deep([20, 30, 40, 1], [0.1, 1.0, 0.5], seed=2)
    rng = np.random.RandomState(2)
    for l, std in zip(range(1, 4), (0.1, 1.0, 0.5)):
        np.testing.assert_array_equal(
            parameters[f"W{l}"], rng.randn(*parameters[f"W{l}"].shape) * std
        )
    with pytest.raises(ValueError, match=r"one number per layer \(3\)"):
        nn_utils.initialize_parameters_deep([20, 30, 40, 1], [0.1, 1.0])
