"""Every result the Batch Normalization notebook states, recomputed."""

import functools

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import nn_utils
from tests.cross_cpu import assert_same_on_another_cpu
from tests.helpers import NOTEBOOKS, digits_0_to_5, gradient_error, notebook_definitions
from tests.reference import batchnorm as reference

nb = notebook_definitions(NOTEBOOKS["batchnorm"])
# The networks run the reference's batch-norm functions; the notebook's run the learner's, which
# train bit for bit the same (test_the_notebooks_functions_are_the_references).
BN = reference.LAYER
LAYERS = [64] + [32] * 8 + [6]
SCALES = np.round(np.logspace(np.log10(0.07), np.log10(3), 9), 3)
BATCH_SIZES = [2, 4, 8, 16, 32, 64, 217]


@functools.cache
def digits():
    """The notebook's split of the digits 0-5: {set: X}, {set: one-hot Y}."""
    images, labels, sets = digits_0_to_5()
    X = {name: images[:, index] for name, index in sets.items()}
    Y = {name: np.eye(6)[:, labels[index]] for name, index in sets.items()}
    return X, Y


def dev_accuracy(parameters, running):
    X, Y = digits()
    predicted = nn_utils.predict_bn(parameters, running, X["dev"], BN)
    return float(np.mean(predicted == Y["dev"].argmax(0)))


def scale_run():
    """Section 6.1: (last epoch's training cost, dev accuracy) without and with batch norm."""
    X, Y = digits()
    result = np.zeros((2, len(SCALES), 2))
    for i, scale in enumerate(SCALES):
        for batchnorm in (False, True):
            with np.errstate(all="ignore"):
                parameters, running, costs = nn_utils.train_bn(
                    X["train"], Y["train"], LAYERS, BN if batchnorm else None,
                    learning_rate=0.05, num_epochs=30, mini_batch_size=64,
                    scale=[scale] * 8 + [np.sqrt(2 / 32)], seed=0,
                )  # fmt: skip
                result[int(batchnorm), i] = costs[-1], dev_accuracy(parameters, running)
    return result


def reference_run():
    """Section 6.2: the network trained with batches of 64, and its dev accuracy when each layer
    uses the statistics of consecutive dev batches of m, for each m of BATCH_SIZES."""
    X, Y = digits()
    parameters, running, _ = nn_utils.train_bn(
        X["train"], Y["train"], LAYERS, BN, learning_rate=0.05, num_epochs=30, mini_batch_size=64
    )
    batch_dev = []
    for size in BATCH_SIZES:
        right = 0
        for start in range(0, 217, size):
            columns = slice(start, start + size)
            AL = nn_utils.forward_propagation_bn(X["dev"][:, columns], parameters, running, BN)[0]
            right += np.sum(AL.argmax(0) == Y["dev"][:, columns].argmax(0))
        batch_dev.append(right / 217)
    return parameters, running, dev_accuracy(parameters, running), np.array(batch_dev)


def regularization_run():
    """Section 6.3: (training cost, dev accuracy) per seed, without and with batch norm."""
    X, Y = digits()
    result = np.zeros((2, 3, 2))
    for seed in range(3):
        for batchnorm in (False, True):
            parameters, running, costs = nn_utils.train_bn(
                X["train"][:, :150], Y["train"][:, :150], LAYERS, BN if batchnorm else None,
                learning_rate=0.05, num_epochs=80, mini_batch_size=30, seed=seed,
            )  # fmt: skip
            result[int(batchnorm), seed] = costs[-1], dev_accuracy(parameters, running)
    return result


CITED_RUNS = {
    "scales": scale_run,
    "reference": reference_run,
    "regularization": regularization_run,
}


@functools.cache
def cited(name):
    return CITED_RUNS[name]()


def _layer(seed, n, m):
    rng = np.random.RandomState(seed)
    Z = rng.randn(n, m) * rng.uniform(0.5, 3, (n, 1)) + rng.randn(n, 1) * 3
    return Z, rng.randn(n, 1), rng.randn(n, 1), rng.randn(n, m)


@given(n=st.integers(1, 5), m=st.integers(2, 9), seed=st.integers(0, 2**31 - 1))
def test_both_backward_passes_are_the_numerical_gradient(n, m, seed):
    Z, gamma, beta, weights = _layer(seed, n, m)
    stats = (np.zeros((n, 1)), np.ones((n, 1)))

    def J():  # d J / d Z_tilde = weights
        return np.sum(weights * nb["batchnorm_forward"](Z, gamma, beta, *stats)[0])

    cache = nb["batchnorm_forward"](Z, gamma, beta, *stats)[1]
    for backward in ("batchnorm_backward", "batchnorm_backward_simple"):
        dZ, dgamma, dbeta = nb[backward](weights, cache)
        grads = {"dZ": dZ, "dgamma": dgamma, "dbeta": dbeta}
        error, per_key = gradient_error(J, {"Z": Z, "gamma": gamma, "beta": beta}, grads)
        assert error < 1e-7, (backward, per_key)


@given(n=st.integers(1, 5), m=st.integers(1, 9), seed=st.integers(0, 2**31 - 1))
def test_the_graph_and_equation_5_agree(n, m, seed):
    Z, gamma, beta, weights = _layer(seed, n, m)
    cache = nb["batchnorm_forward"](Z, gamma, beta, np.zeros((n, 1)), np.ones((n, 1)))[1]
    for a, b in zip(
        nb["batchnorm_backward"](weights, cache), nb["batchnorm_backward_simple"](weights, cache)
    ):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_the_notebooks_functions_are_the_references():
    # Bit for bit in training (forward and equation 5), so that the notebook's networks, which run
    # the learner's functions, train as the cited runs here, which run the reference's.
    Z, gamma, beta, weights = _layer(0, 4, 7)
    stats = (np.ones((4, 1)), np.full((4, 1), 2.0))
    mine, theirs = (
        nb["batchnorm_forward"](Z, gamma, beta, *stats),
        BN.forward(Z, gamma, beta, *stats),
    )
    arrays = lambda out: (out[0], out[2], out[3], *out[1][:5])  # noqa: E731 (the cache's arrays)
    for a, b in zip(arrays(mine), arrays(theirs), strict=True):
        np.testing.assert_array_equal(a, b)
    assert mine[1].epsilon == theirs[1].epsilon and type(mine[1]) is type(theirs[1])
    np.testing.assert_allclose(
        nb["batchnorm_inference"](Z, gamma, beta, *stats),
        BN.inference(Z, gamma, beta, *stats),
        rtol=1e-14,
    )
    for a, b in zip(
        nb["batchnorm_backward_simple"](weights, mine[1]), BN.backward(weights, mine[1])
    ):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(  # the graph's steps round differently
        nb["batchnorm_backward"](weights, mine[1])[0], BN.backward(weights, mine[1])[0], rtol=1e-12
    )


def test_a_batch_comes_out_with_mean_0_and_variance_1_before_gamma_and_beta():
    Z, _, _, _ = _layer(3, 5, 64)
    Z_tilde = nb["batchnorm_forward"](
        Z, np.ones((5, 1)), np.zeros((5, 1)), np.zeros((5, 1)), np.ones((5, 1))
    )[0]
    np.testing.assert_allclose(Z_tilde.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(
        Z_tilde.var(axis=1), Z.var(axis=1) / (Z.var(axis=1) + 1e-5), rtol=1e-12
    )


def test_a_bias_before_batch_norm_changes_nothing_and_gets_no_gradient():
    Z, gamma, beta, weights = _layer(4, 3, 8)
    stats = (np.zeros((3, 1)), np.ones((3, 1)))
    b = np.random.RandomState(5).randn(3, 1) * 10
    np.testing.assert_allclose(
        nb["batchnorm_forward"](Z + b, gamma, beta, *stats)[0],
        nb["batchnorm_forward"](Z, gamma, beta, *stats)[0],
        atol=1e-12,
    )
    dZ = nb["batchnorm_backward"](weights, nb["batchnorm_forward"](Z + b, gamma, beta, *stats)[1])[
        0
    ]
    np.testing.assert_allclose(dZ.sum(axis=1), 0, atol=1e-12)  # db = the row sums of dZ


def test_in_training_an_example_depends_on_its_batch_and_at_test_time_it_does_not():
    Z, gamma, beta, _ = _layer(6, 3, 12)
    running = (Z.mean(axis=1, keepdims=True), Z.var(axis=1, keepdims=True))
    batches = (Z[:, :6], np.hstack([Z[:, :1], Z[:, 6:] * 2]))
    train = [nb["batchnorm_forward"](b, gamma, beta, *running)[0][:, 0] for b in batches]
    test = [
        nb["batchnorm_inference"](b, gamma, beta, *running)[:, 0] for b in batches + (Z[:, :1],)
    ]
    assert not np.allclose(train[0], train[1])
    np.testing.assert_allclose(test[0], test[1])
    np.testing.assert_allclose(test[0], test[2])
    X, _ = digits()
    parameters, running, _, _ = cited("reference")
    alone = np.hstack(
        [nn_utils.predict_bn(parameters, running, X["dev"][:, [i]], BN) for i in range(217)]
    )
    np.testing.assert_array_equal(alone, nn_utils.predict_bn(parameters, running, X["dev"], BN))


def test_with_two_examples_every_value_becomes_minus_or_plus_one():
    pair = np.array([[0.3, 7.0], [-100.0, -98.0], [5.0, 4.0]])
    out = nb["batchnorm_forward"](
        pair, np.ones((3, 1)), np.zeros((3, 1)), np.zeros((3, 1)), np.ones((3, 1))
    )[0]
    np.testing.assert_allclose(np.abs(out), 1, atol=1e-4)
    assert np.array_equal(np.sign(out), np.sign(pair - pair.mean(axis=1, keepdims=True)))


def test_he_scale_and_the_number_of_updates_are_as_the_notebook_says():
    assert round(np.sqrt(2 / 64), 2) == 0.18 and round(np.sqrt(2 / 32), 2) == 0.25
    assert 30 * int(np.ceil(649 / 64)) == 330  # "about 300 updates"
    assert SCALES[0] == 0.07 and SCALES[-1] == 3.0 and len(SCALES) == 9


def test_without_batch_norm_only_a_band_around_he_learns_and_with_it_every_scale_does():
    (plain_cost, plain_dev), (bn_cost, bn_dev) = cited("scales").transpose(0, 2, 1)
    learned = plain_cost < np.log(6) / 2
    assert learned.sum() == 2 and set(SCALES[learned]) == {0.179, 0.286}
    below, above = SCALES < 0.179, SCALES > 0.286
    np.testing.assert_allclose(plain_cost[below], np.log(6), rtol=1e-3)  # guessing
    assert np.all(np.isnan(plain_cost[above]))  # overflowed
    assert np.all(plain_dev[~learned] == plain_dev[0]) and plain_dev[0] < 0.2  # chance
    assert np.all(bn_cost < np.log(6) / 2) and bn_dev.min() > 0.7
    # "at the largest scales it learns more slowly"
    assert np.all(np.diff(bn_cost[SCALES >= 0.286]) > 0) and bn_cost[-1] > 3 * bn_cost.min()


def test_tiny_batches_statistics_cost_accuracy_and_tens_come_back_near_test_mode():
    _, _, test_mode, batch_dev = cited("reference")
    by_size = dict(zip(BATCH_SIZES, batch_dev))
    assert by_size[2] < 0.4 and by_size[4] < 0.7 and by_size[2] < by_size[4] < by_size[8]
    assert all(abs(by_size[m] - test_mode) < 0.03 for m in (32, 64, 217))


def test_the_noise_of_the_normalization_falls_like_one_over_root_m():
    X, _ = digits()
    parameters = cited("reference")[0]
    Z1 = parameters["W1"] @ X["train"]
    rng = np.random.RandomState(5)
    spread = []
    for size in BATCH_SIZES:
        values = []
        for _ in range(200):
            batch = Z1[
                :, np.concatenate([[0], rng.choice(np.arange(1, 649), size - 1, replace=False)])
            ]
            values.append((batch[:, 0] - batch.mean(axis=1)) / np.sqrt(batch.var(axis=1) + 1e-5))
        spread.append(float(np.mean(np.std(values, axis=0))))
    scaled = np.array(spread) * np.sqrt(BATCH_SIZES)
    assert np.all(np.diff(spread) < 0)
    assert scaled[2:].max() / scaled[2:].min() < 1.5  # from 8 on (217 of 649: fewer independent)


def test_batch_norm_keeps_the_training_cost_up_and_does_not_help_the_dev_set_here():
    (plain_cost, plain_dev), (bn_cost, bn_dev) = cited("regularization").transpose(0, 2, 1)
    assert np.all(bn_cost > 10 * plain_cost.max())
    assert plain_dev.min() <= bn_dev.min() and bn_dev.max() <= plain_dev.max()


def test_every_cited_run_ends_the_same_on_another_cpu(elsewhere):
    assert_same_on_another_cpu({name: cited(name) for name in CITED_RUNS}, elsewhere)
