"""Every result the Batch Normalization notebook states, recomputed.

Each training run the notebook cites is trained once here (``cited``, cached for the module) and
shared by the tests that read it.
"""

import functools

import nbformat
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import nn_utils
from tests.cross_cpu import RTOL, assert_same_on_another_cpu, flatten
from tests.helpers import NOTEBOOKS, digits_0_to_5, gradient_error, notebook_definitions
from tests.reference import batchnorm as reference

nb = notebook_definitions(NOTEBOOKS["batchnorm"])
# The networks run the reference's batch-norm functions; the notebook's run the learner's, which
# train bit for bit the same (test_the_notebooks_functions_are_the_references).
BN = reference.LAYER
LAYERS = [64] + [32] * 8 + [6]
SCALES = np.round(np.logspace(np.log10(0.07), np.log10(3), 9), 3)
BATCH_SIZES = [2, 4, 8, 16, 32, 64, 217]
TINY = [2, 4, 8, 16, 64]  # section 6.4's training runs; those under 16 are chaotic
CHAOTIC = [2, 4, 8]
# What every chaotic run shows, the notebook says: dev accuracy under 30%, under 85%, over 90%.
CHAOTIC_BOUNDS = {2: (0.0, 0.3), 4: (0.0, 0.85), 8: (0.9, 1.0)}


@functools.cache
def digits():
    """The notebook's split of the digits 0-5: {set: X}, {set: one-hot Y}."""
    images, labels, sets = digits_0_to_5()
    X = {name: images[:, index] for name, index in sets.items()}
    Y = {name: np.eye(6)[:, labels[index]] for name, index in sets.items()}
    return X, Y


def accuracy(parameters, running, name):
    X, Y = digits()
    predicted = nn_utils.predict_bn(parameters, running, X[name], BN)
    return float(np.mean(predicted == Y[name].argmax(0)))


def training_cost(parameters, running, X, Y):
    """The notebook's training_cost: the cross-entropy in test mode."""
    AL = nn_utils.forward_propagation_bn(X, parameters, running, BN, "test")[0]
    with np.errstate(all="ignore"):
        return float(-np.sum(Y * np.log(np.clip(AL, 1e-300, 1))) / Y.shape[1])


def train(batchnorm, **options):
    X, Y = digits()
    with np.errstate(all="ignore"):
        return nn_utils.train_bn(
            X["train"], Y["train"], LAYERS, BN if batchnorm else None, **options
        )


def curves_run():
    """Section 6.1: He's scale, batches of 64, rate 0.05 for 30 epochs and 0.6 for 15, without
    and with batch norm; the runs at 0.05 record layer 8's Z_tilde over the training set (its
    units' means and standard deviations, training mode) after every epoch (section 6.2)."""
    X, _ = digits()
    result = {}
    for rate, epochs in ((0.05, 30), (0.6, 15)):
        for batchnorm in (False, True):
            layer8 = []

            def record(epoch, parameters, running, layer8=layer8):
                caches = nn_utils.forward_propagation_bn(X["train"], parameters, running, BN)[1]
                layer8.append((caches[7][0].Z.mean(axis=1), caches[7][0].Z.std(axis=1)))

            parameters, running, costs = train(
                batchnorm, learning_rate=rate, num_epochs=epochs, mini_batch_size=64,
                on_epoch=record if rate == 0.05 else None,
            )  # fmt: skip
            result[f"{rate} {batchnorm}"] = {
                "parameters": parameters,
                "running": running,
                "costs": np.array(costs),
                "means": np.array([mean for mean, _ in layer8]),
                "spreads": np.array([spread for _, spread in layer8]),
            }
    return result


def scale_run():
    """Section 6.3: (last epoch's training cost, dev accuracy) without and with batch norm."""
    result = np.zeros((2, len(SCALES), 2))
    for i, scale in enumerate(SCALES):
        for batchnorm in (False, True):
            parameters, running, costs = train(
                batchnorm, learning_rate=0.05, num_epochs=30, mini_batch_size=64,
                scale=[scale] * 8 + [np.sqrt(2 / 32)], seed=0,
            )  # fmt: skip
            result[int(batchnorm), i] = costs[-1], accuracy(parameters, running, "dev")
    return result


@functools.cache
def tiny_runs():
    """Section 6.4: trained with batches of m for 5 epochs at 0.2 m / 64: {m: (parameters,
    running, dev accuracy, training cost in test mode)}."""
    X, Y = digits()
    result = {}
    for size in TINY:
        parameters, running, _ = train(
            True, learning_rate=0.2 * size / 64, num_epochs=5, mini_batch_size=size
        )
        cost = training_cost(parameters, running, X["train"], Y["train"])
        result[size] = parameters, running, accuracy(parameters, running, "dev"), cost
    return result


def tiny_run():
    """The stable runs (16, 64) whole, and of the chaotic ones whether each stayed in the range
    the notebook states: the same on every processor."""
    runs = tiny_runs()
    bounds = [float(low <= runs[m][2] < high) for m, (low, high) in CHAOTIC_BOUNDS.items()]
    return {str(m): runs[m] for m in (16, 64)} | {"bounds": np.array(bounds)}


def regularization_run():
    """Section 6.5: per seed (last epoch's mini-batch cost, training cost, training accuracy and
    dev accuracy, the last three in test mode), without and with batch norm."""
    X, Y = digits()
    few_X, few_Y = X["train"][:, :150], Y["train"][:, :150]
    result = np.zeros((2, 3, 4))
    for seed in range(3):
        for batchnorm in (False, True):
            parameters, running, costs = nn_utils.train_bn(
                few_X, few_Y, LAYERS, BN if batchnorm else None,
                learning_rate=0.05, num_epochs=80, mini_batch_size=30, seed=seed,
            )  # fmt: skip
            predicted = nn_utils.predict_bn(parameters, running, few_X, BN)
            result[int(batchnorm), seed] = (
                costs[-1],
                training_cost(parameters, running, few_X, few_Y),
                np.mean(predicted == few_Y.argmax(0)),
                accuracy(parameters, running, "dev"),
            )
    return result


CITED_RUNS = {
    "curves": curves_run,
    "scales": scale_run,
    "tiny": tiny_run,
    "regularization": regularization_run,
}


@functools.cache
def cited(name):
    return CITED_RUNS[name]()


def curve(rate, batchnorm):
    return cited("curves")[f"{rate} {batchnorm}"]


def markdown():
    notebook = nbformat.read(NOTEBOOKS["batchnorm"], as_version=4)
    return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")


# Sections 1 to 4: the layer -----------------------------------------------------------------


def _layer(seed, n, m):
    rng = np.random.RandomState(seed)
    Z = rng.randn(n, m) * rng.uniform(0.5, 3, (n, 1)) + rng.randn(n, 1) * 3
    return Z, rng.randn(n, 1), rng.randn(n, 1), rng.randn(n, m)


@settings(max_examples=40)
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


@settings(max_examples=40)
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
    train_mode = [nb["batchnorm_forward"](b, gamma, beta, *running)[0][:, 0] for b in batches]
    test = [
        nb["batchnorm_inference"](b, gamma, beta, *running)[:, 0] for b in batches + (Z[:, :1],)
    ]
    assert not np.allclose(train_mode[0], train_mode[1])
    np.testing.assert_allclose(test[0], test[1])
    np.testing.assert_allclose(test[0], test[2])
    X, _ = digits()
    parameters, running = curve(0.05, True)["parameters"], curve(0.05, True)["running"]
    alone = np.hstack(
        [nn_utils.predict_bn(parameters, running, X["dev"][:, [i]], BN) for i in range(0, 217, 9)]
    )
    together = nn_utils.predict_bn(parameters, running, X["dev"], BN)[:, ::9]
    np.testing.assert_array_equal(alone, together)


def _layer_check():
    """Section 3's numerical check of the layer as the notebook runs it (RandomState(2), h)."""
    rng = np.random.RandomState(2)
    Z, gamma, beta = rng.randn(4, 6) * 3 + 1, rng.randn(4, 1), rng.randn(4, 1)
    weights = rng.randn(4, 6)
    stats = (np.zeros((4, 1)), np.ones((4, 1)))

    def J():
        return np.sum(weights * nb["batchnorm_forward"](Z, gamma, beta, *stats)[0])

    cache = nb["batchnorm_forward"](Z, gamma, beta, *stats)[1]
    numerical = [nb["numerical_gradient"](J, x) for x in (Z, gamma, beta)]
    return weights, cache, numerical


def test_a_right_backward_pass_is_off_by_rounding_and_a_wrong_one_by_order_one():
    weights, cache, numerical = _layer_check()
    right = nb["batchnorm_backward"](weights, cache)
    for a, b in zip(numerical, right):
        assert 1e-11 < nb["relative_difference"](a, b) < 1e-9
    constants = cache.gamma * weights / np.sqrt(cache.var + cache.epsilon)  # a typical mistake
    assert nb["relative_difference"](numerical[0], constants) > 0.1


def test_equation_5_reads_neither_z_nor_mu_and_the_graph_needs_both():
    weights, cache, _ = _layer_check()
    blind = cache._replace(Z=np.full_like(cache.Z, np.nan), mu=np.full_like(cache.mu, np.nan))
    for a, b in zip(
        nb["batchnorm_backward_simple"](weights, blind),
        nb["batchnorm_backward_simple"](weights, cache),
    ):
        np.testing.assert_array_equal(a, b)
    with np.errstate(invalid="ignore"):
        assert np.isnan(nb["batchnorm_backward"](weights, blind)[0]).all()


# Section 6.1: faster learning ---------------------------------------------------------------


def test_at_005_batch_norm_is_ahead_in_epochs_2_to_8_and_then_the_plain_network_passes_it():
    ab = (False, True)
    plain, with_bn = curve(0.05, False)["costs"], curve(0.05, True)["costs"]
    ahead = with_bn < plain
    assert not ahead[0] and ahead[1:8].all() and not ahead[8]  # epochs 2 to 8, not 1 or 9
    rises = np.diff(plain)
    assert (rises > 0).sum() == 4 and np.argmax(rises) + 2 == 10 and round(rises.max(), 1) == 1.2
    assert np.diff(with_bn).max() < 0.05  # never rises by 0.05
    X, Y = digits()
    after = {
        b: training_cost(curve(0.05, b)["parameters"], curve(0.05, b)["running"], X["train"],
                          Y["train"]) for b in (False, True)
    }  # fmt: skip
    assert (round(after[False], 3), round(after[True], 3)) == (0.020, 0.054)
    devs = [accuracy(curve(0.05, b)["parameters"], curve(0.05, b)["running"], "dev") for b in ab]
    assert (round(devs[0], 3), round(devs[1], 3)) == (0.972, 0.968)  # about the same


def test_at_06_the_plain_network_overflows_in_its_second_epoch_and_batch_norm_still_learns():
    assert np.isclose(0.6 / 0.05, 12)
    plain, with_bn = curve(0.6, False), curve(0.6, True)
    assert np.isfinite(plain["costs"][0]) and np.isnan(plain["costs"][1:]).all()
    assert round(accuracy(with_bn["parameters"], with_bn["running"], "dev"), 3) == 0.917
    later = with_bn["costs"][1:]
    assert 0.09 < later.min() < 0.1 and 0.5 < later.max() < 0.55  # between 0.1 and 0.55
    assert (np.diff(later) > 0).sum() >= 3  # up and down
    assert with_bn["costs"][14] < 0.1 < curve(0.05, True)["costs"][14]


# Section 6.2: covariate shift ---------------------------------------------------------------


def test_without_batch_norm_layer_8_drifts_and_with_it_holds_still():
    shift = {}
    for batchnorm in (False, True):
        means, spreads = curve(0.05, batchnorm)["means"], curve(0.05, batchnorm)["spreads"]
        moved = np.mean(np.abs(means[-1] - means[0]) / spreads[-1])
        grown = np.exp(np.mean(np.abs(np.log(spreads[-1] / spreads[0]))))
        shift[batchnorm] = moved, grown, np.median(spreads, axis=1)
    moved, grown, median = shift[False]
    assert grown > 10 and 0.8 < moved < 1.2  # more than tenfold; about one spread
    assert median[-1] / median[0] > 10
    moved, grown, median = shift[True]
    assert grown < 1.2 and moved < 0.2 and np.all((0.95 < median) & (median < 1.15))


def test_in_training_mode_every_batch_has_the_mean_beta_and_the_spread_gamma():
    X, _ = digits()
    run = curve(0.05, True)
    parameters = run["parameters"]
    caches = nn_utils.forward_propagation_bn(X["train"][:, :64], parameters, run["running"], BN)[1]
    for l in range(1, 9):
        Z_tilde, norm = caches[l - 1][0].Z, caches[l - 1][1]
        np.testing.assert_allclose(Z_tilde.mean(axis=1, keepdims=True), parameters[f"beta{l}"],
                                   atol=1e-12)  # fmt: skip
        np.testing.assert_allclose(
            Z_tilde.std(axis=1, keepdims=True),
            np.abs(parameters[f"gamma{l}"]) * np.sqrt(norm.var / (norm.var + 1e-5)),
            rtol=1e-9,
        )


# Section 6.3: the weights' scale ------------------------------------------------------------


def test_he_scale_and_the_number_of_updates_are_as_the_notebook_says():
    assert round(np.sqrt(2 / 64), 2) == 0.18 and round(np.sqrt(2 / 32), 2) == 0.25
    assert 30 * int(np.ceil(649 / 64)) == 330  # "about 300 updates"
    assert SCALES[0] == 0.07 and SCALES[-1] == 3.0 and len(SCALES) == 9
    assert round(0.07 / np.sqrt(2 / 64), 1) == 0.4 and round(3 / np.sqrt(2 / 32)) == 12


def test_without_batch_norm_only_the_two_scales_nearest_he_learn_and_with_it_every_scale_does():
    (plain_cost, plain_dev), (bn_cost, bn_dev) = cited("scales").transpose(0, 2, 1)
    learned = plain_cost < np.log(6) / 2
    assert set(SCALES[learned]) == {0.179, 0.286}
    he = (np.sqrt(2 / 64), np.sqrt(2 / 32))  # the two nearest He's 0.18 to 0.25
    distance = np.abs(np.log(SCALES) - np.log(np.mean(he)))
    assert set(SCALES[np.argsort(distance)[:2]]) == {0.179, 0.286}
    below, above = SCALES < 0.179, SCALES > 0.286
    np.testing.assert_allclose(plain_cost[below], np.log(6), rtol=1e-3)  # guessing
    assert np.all(np.isnan(plain_cost[above]))  # overflowed
    _, Y = digits()
    class_0 = np.mean(Y["dev"].argmax(0) == 0)
    assert round(class_0, 3) == 0.171 and np.all(plain_dev[above] == class_0)
    assert np.all(bn_cost < np.log(6) / 2) and bn_dev.min() > 0.7
    assert bn_dev[0] == bn_dev.max() and round(bn_dev[0], 3) == 0.982
    assert bn_dev[-1] == bn_dev[-2] == bn_dev.min() and round(bn_dev.min(), 3) == 0.742
    assert np.all(np.diff(bn_cost[SCALES >= 0.286]) > 0)  # rises with the scale from 0.286


def test_a_network_of_nan_predicts_class_0():
    X, _ = digits()
    parameters, running = nn_utils.initialize_parameters_bn(LAYERS)
    parameters = {k: np.full_like(v, np.nan) for k, v in parameters.items()}
    with np.errstate(invalid="ignore"):
        assert np.all(nn_utils.predict_bn(parameters, running, X["dev"], BN) == 0)


# Section 6.4: the batch size ----------------------------------------------------------------


def test_with_two_examples_every_value_becomes_minus_or_plus_one():
    pair = np.array([[0.3, 7.0], [-100.0, -98.0], [5.0, 4.0]])
    out = nb["batchnorm_forward"](
        pair, np.ones((3, 1)), np.zeros((3, 1)), np.zeros((3, 1)), np.ones((3, 1))
    )[0]
    np.testing.assert_allclose(np.abs(out), 1, atol=1e-4)
    assert np.array_equal(np.sign(out), np.sign(pair - pair.mean(axis=1, keepdims=True)))


def test_one_networks_statistics_of_tiny_batches_cost_accuracy_and_tens_are_near_test_mode():
    X, Y = digits()
    parameters, running = curve(0.05, True)["parameters"], curve(0.05, True)["running"]
    test_mode = accuracy(parameters, running, "dev")
    by_size = {}
    for size in BATCH_SIZES:
        right = 0
        for start in range(0, 217, size):
            columns = slice(start, start + size)
            AL = nn_utils.forward_propagation_bn(X["dev"][:, columns], parameters, running, BN)[0]
            right += np.sum(AL.argmax(0) == Y["dev"][:, columns].argmax(0))
        by_size[size] = right / 217
    assert by_size[2] < 0.4 and by_size[4] < 0.7 and by_size[2] < by_size[4] < by_size[8]
    assert all(abs(by_size[m] - test_mode) < 0.03 for m in (32, 64, 217))


def test_the_noise_falls_like_one_over_root_m_times_the_finite_population_factor():
    X, _ = digits()
    Z1 = curve(0.05, True)["parameters"]["W1"] @ X["train"]
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
    m = np.array(BATCH_SIZES)
    finite = np.sqrt((649 - m) / 648)
    assert (round(finite[5], 2), round(finite[6], 2)) == (0.95, 0.82)
    assert np.all(np.diff(spread) < 0)
    scaled = np.array(spread) * np.sqrt(m) / finite
    assert np.all((0.995 <= scaled[2:]) & (scaled[2:] < 1.105))  # 1.0 to 1.1 from m = 8 on
    plain = np.array(spread) * np.sqrt(m)  # below the 1/sqrt(m) line drawn through m = 16
    assert plain[5] < plain[3] and plain[6] < plain[3]


def test_the_first_layers_gradient_vanishes_with_2_and_explodes_with_4():
    X, Y = digits()
    start, start_running = nn_utils.initialize_parameters_bn(LAYERS, seed=0)
    shuffled = np.random.RandomState(0).permutation(649)
    ratios = {}
    for size in TINY:
        per_batch = []
        for k in range(8):
            columns = shuffled[k * size : (k + 1) * size]
            AL, caches, _ = nn_utils.forward_propagation_bn(
                X["train"][:, columns], start, start_running, BN
            )
            grads = nn_utils.backward_propagation_bn(AL, Y["train"][:, columns], caches, start, BN)
            per_batch.append(
                [np.linalg.norm(grads[f"dW{l}"]) / np.linalg.norm(start[f"W{l}"]) for l in (1, 8)]
            )
        ratios[size] = np.median(per_batch, axis=0)
    first = {size: ratios[size][0] for size in TINY}
    assert first[2] < 1e-3  # none
    assert 7.25 <= first[4] < 7.75 and round(first[64], 2) == 0.38  # seven and a half; 0.38
    assert first[4] > first[8] > first[16] > first[64]
    # it grows on its way back through the normalizations, far more with 4 than with 64
    assert ratios[4][0] / ratios[4][1] > 3 * ratios[64][0] / ratios[64][1]


def test_training_with_tiny_batches_the_learning_rates_and_steps_are_as_printed():
    assert [0.2 * m / 64 for m in (16, 64)] == [0.05, 0.2]
    assert [5 * int(np.ceil(649 / m)) for m in TINY] == [1625, 815, 410, 205, 55]


def test_trained_with_batches_of_16_and_64_the_network_learns_as_usual():
    for size in (16, 64):
        _, _, dev, cost = cited("tiny")[str(size)]
        assert dev > 0.94 and cost < 0.15


def test_trained_with_batches_of_2_4_and_8_it_stays_near_chance_far_below_and_near_the_rest():
    runs = tiny_runs()
    for size, (low, high) in CHAOTIC_BOUNDS.items():
        assert low <= runs[size][2] < high, (size, runs[size][2])
    assert cited("tiny")["bounds"].tolist() == [1.0, 1.0, 1.0]
    assert runs[2][2] < 0.3 and runs[4][2] < min(runs[16][2], runs[64][2]) - 0.05


def test_the_runs_with_batches_under_16_end_elsewhere_after_a_change_in_the_last_bits():
    # What another processor's rounding does to a run, shown on any processor: the same runs from
    # training images changed by one part in 2**44 (their last 8 of 52 bits). The runs with
    # batches of 16 and 64 end within RTOL of the notebook's, as on another CPU; on this EPYC the
    # smallest chaotic change (batches of 8) was 5e-2, the largest stable one 1e-13.
    X, Y = digits()
    nudged = X["train"] * (1 + 2.0**-44)
    assert np.count_nonzero(nudged != X["train"]) == np.count_nonzero(X["train"])
    for size in TINY:
        with np.errstate(all="ignore"):
            parameters = nn_utils.train_bn(
                nudged, Y["train"], LAYERS, BN,
                learning_rate=0.2 * size / 64, num_epochs=5, mini_batch_size=size,
            )[0]  # fmt: skip
        here, there = flatten(tiny_runs()[size][0]), flatten(parameters)
        moved = np.max(np.abs(here - there)) / np.max(np.abs(here))
        if size in CHAOTIC:
            assert moved > 1e-3, f"batches of {size} ended where they did: not chaotic"
        else:
            assert moved < RTOL, f"batches of {size} moved by {moved:.1e}: not stable"


# Section 6.5: a slight regularization -------------------------------------------------------


def test_batch_norms_noise_slows_fitting_the_150_images_but_does_not_prevent_it():
    (plain_last, plain_cost, plain_train, plain_dev), (bn_last, bn_cost, bn_train, bn_dev) = cited(
        "regularization"
    ).transpose(0, 2, 1)
    assert np.all((0.03 <= np.round(bn_last, 2)) & (np.round(bn_last, 2) <= 0.06))
    assert np.all((0.004 <= np.round(bn_cost, 3)) & (np.round(bn_cost, 3) <= 0.007))
    assert np.all(bn_train == 1) and np.all(plain_train == 1)  # both classify all 150
    ratio = bn_cost / plain_cost
    assert np.all((3 <= ratio) & (ratio < 7)), ratio  # three to seven times, seed for seed
    assert plain_dev.min() <= bn_dev.min() and bn_dev.max() <= plain_dev.max()


def test_every_cited_run_ends_the_same_on_another_cpu(elsewhere):
    assert_same_on_another_cpu({name: cited(name) for name in CITED_RUNS}, elsewhere)
