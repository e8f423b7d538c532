"""Every result the Hyperparameter Search notebook states, recomputed."""

import functools
import io
from contextlib import redirect_stdout

import numpy as np
import pytest
from joblib import parallel_config
from joblib.externals.loky import get_reusable_executor
from scipy.stats import loguniform
from sklearn.model_selection import ParameterSampler
from sklearn.neural_network._stochastic_optimizers import SGDOptimizer
from sklearn.utils import gen_batches

from nn_utils import predict_dec
from tests.cross_cpu import assert_same_on_another_cpu, use_own_cpu
from tests.helpers import NOTEBOOKS, digits_0_to_5, notebook_definitions

nb = notebook_definitions(NOTEBOOKS["hyperparameter_search"])


@functools.cache
def data():
    return nb["load_data"]()


def sampled_trials(name):
    """The trials of each search, drawn as the notebook draws them."""
    if name == "grid":
        levels = np.logspace(-4, 0, 5), np.logspace(-5, -3, 5)
        return [{"learning_rate": a, "lambd": l} for a in levels[0] for l in levels[1]]
    if name == "random":
        return nb["random_trials_in"]([(1e-4, 1.0), (1e-5, 1e-3)], 25, np.random.RandomState(3))
    if name == "sampler":
        space = {"learning_rate": loguniform(1e-4, 1.0), "lambd": loguniform(1e-3, 10.0)}
        return list(ParameterSampler(space, n_iter=25, random_state=0))
    if name == "momentum":
        rng = np.random.RandomState(5)
        rates = 10 ** (np.log10(nb["sample_learning_rate"](16, rng)) / 2)
        return [{"learning_rate": a, "beta": b} for a, b in zip(rates, nb["sample_beta"](16, rng))]
    rng = np.random.RandomState(4)
    coarse = nb["random_trials_in"]([(1e-4, 1.0), (1e-3, 10.0)], 25, rng)
    if name == "coarse":
        return coarse
    return nb["random_trials_in"](fine_box(), 25, rng)


def fine_box():
    best = nb["best_trial"](sampled_trials("coarse"), cited("coarse"))[0]
    return [(best[key] / 10**0.15, best[key] * 10**0.15) for key in ("learning_rate", "lambd")]


def run(name):
    """A search's results, trial after trial in this process: [{dev_cost, dev_accuracy, ...}]."""
    trial = nb["run_momentum_trial"] if name == "momentum" else nb["run_trial"]
    return [trial(t, data()) for t in sampled_trials(name)]


def rescored():
    """The four winners of sections 3 and 4 trained from seeds 1-5, as the notebook does:
    {search: rows of (dev cost, test cost, test accuracy)}."""
    names = ("grid", "random", "coarse", "fine")
    return {name: nb["rescore"](best(name)[0], data()) for name in names}


SEARCHES = ("grid", "random", "coarse", "fine", "sampler", "momentum")
CITED_RUNS = {name: functools.partial(run, name) for name in SEARCHES} | {
    "rescored": rescored,
    "pandas": lambda: nb["babysit"](data()),
}


@functools.cache
def cited(name):
    return CITED_RUNS[name]()


def costs(name):
    return np.array([result["dev_cost"] for result in cited(name)])


def rates(name):
    return np.array([trial["learning_rate"] for trial in sampled_trials(name)])


def best(name):
    return nb["best_trial"](sampled_trials(name), cited(name))


def search_quietly(trials, n_jobs):
    with redirect_stdout(io.StringIO()) as printed:
        results = nb["search"](trials, data(), n_jobs=n_jobs)
    return results, printed.getvalue()


# Section 1 -------------------------------------------------------------------------------------


def test_with_the_peak_at_0_63_random_tries_25_values_and_beats_the_grid():
    grid = np.linspace(0, 1, 5)
    grid_best = nb["score"](grid, None).max()
    assert round(grid_best, 3) == 0.487  # the printed value, from a = 0.5 or 0.75
    rng = np.random.RandomState(0)
    random_a = rng.rand(25)
    assert len(np.unique(random_a)) == 25 and nb["score"](random_a, None).max() > 0.98
    assert nb["score"](grid, None, peak=0.5).max() == 1  # a peak on the grid: found exactly
    # "With the peak at 0.63, random search would win nearly every search."
    random_best = nb["score"](np.random.RandomState(7).rand(4000, 25), None).max(axis=1)
    assert np.mean(random_best > grid_best) > 0.99


def test_with_the_peak_drawn_per_search_random_wins_about_five_times_in_six():
    peaks, grid_best, random_best = nb["toy_searches"](4000, seed=1)
    wins = random_best > grid_best
    assert 0.80 < wins.mean() < 0.87
    # The same share by hand: with the peak at a distance d from the grid (uniform in [0, 1/8]
    # away from the ends), the grid wins when no random point comes closer, (1 - 2d)**25.
    assert abs(wins.mean() - (1 - 8 * (1 - 0.75**26) / 52)) < 0.015
    distance = np.min(np.abs(peaks[:, None] - np.linspace(0, 1, 5)), axis=1)
    near, far = distance < 0.02, distance >= 0.05
    assert 0.6 < 1 - wins[near].mean() < 0.67  # "nearly two searches in three"
    assert round(wins[far].mean(), 2) == 0.98
    assert np.median(random_best) > np.median(grid_best) + 0.1


# Section 2 -------------------------------------------------------------------------------------


def test_the_numbers_of_the_scales_section():
    share = lambda low, high: (high - low) / (1 - 1e-4)  # noqa: E731 (uniform in [1e-4, 1])
    assert round(share(0.1, 1), 2) == 0.90 and round(100 * share(1e-4, 1e-3), 2) == 0.09
    window = lambda beta: 1 / (1 - beta)  # noqa: E731
    assert [round(window(b), 2) for b in (0.9, 0.9005, 0.999, 0.9995)] == [10, 10.05, 1000, 2000]
    rng = np.random.RandomState(2)
    uniform_beta = rng.uniform(0.9, 0.999, 10_000)
    log_beta = nb["sample_beta"](10_000, rng)
    assert 0.88 < np.mean(window(uniform_beta) < 100) < 0.93  # "nine draws in ten"
    assert abs(np.mean(window(log_beta) < 100) - 0.5) < 0.02  # "half of its trials"
    rates = nb["sample_learning_rate"](40_000, np.random.RandomState(0))
    shares = np.histogram(np.log10(rates), [-4, -3, -2, -1, 0])[0] / rates.size
    np.testing.assert_allclose(shares, 0.25, atol=0.01)  # "each decade gets a quarter"


def test_on_a_narrow_range_the_linear_and_the_log_scale_hardly_differ():
    rng = np.random.RandomState(0)
    for (low, high), share in (((50, 100), 0.585), ((1e-4, 1.0), 0.925)):
        drawn = np.exp(rng.uniform(np.log(low), np.log(high), 100_000))  # log scale
        assert abs(np.mean(drawn < (low + high) / 2) - share) < 0.005
    assert np.mean(rng.randint(50, 101, 100_000) < 75) < 0.51  # linear: about half below


# Section 3 -------------------------------------------------------------------------------------


def test_the_trials_are_your_learning_rates_moved_onto_each_log_scale():
    """random_trials_in: for each side of the box, the exponents r of n of your learning rates
    moved linearly from [-4, 0] onto [log10 low, log10 high], the learning rates first; with
    r = rng.uniform(-4, 0, n) these are rng.uniform(log10 low, log10 high, n) of each side."""
    box = [(1e-4, 1.0), (1e-3, 10.0)]
    trials = nb["random_trials_in"](box, 25, np.random.RandomState(4))
    rng = np.random.RandomState(4)
    for key, (low, high) in zip(("learning_rate", "lambd"), np.log10(box)):
        exponents = np.log10([trial[key] for trial in trials])
        np.testing.assert_allclose(exponents, rng.uniform(low, high, 25), rtol=0, atol=1e-14)
    rng = np.random.RandomState(3)
    learning_rates = [t["learning_rate"] for t in sampled_trials("random")]
    np.testing.assert_allclose(learning_rates, nb["sample_learning_rate"](25, rng), rtol=1e-14)
    lambdas = [t["lambd"] for t in sampled_trials("random")]
    np.testing.assert_allclose(np.log10(lambdas), rng.uniform(-5, -3, 25), rtol=0, atol=1e-14)
    rng = np.random.RandomState(5)  # the momentum trials: 10**U(-2, 0), then sample_beta
    np.testing.assert_allclose(rates("momentum"), 10 ** rng.uniform(-2, 0, 16), rtol=1e-14)


def test_the_trials_need_your_sample_learning_rate(monkeypatch):
    """Issue #25: random_trials_in holds no sampler of its own. Without Exercise 1 it raises,
    and a sample_learning_rate written as one side of its trials never returns values."""

    def not_done(n, rng):
        raise NotImplementedError

    monkeypatch.setitem(nb, "sample_learning_rate", not_done)
    with pytest.raises(NotImplementedError):
        nb["random_trials_in"]([(1e-4, 1.0), (1e-3, 10.0)], 5, np.random.RandomState(0))

    def one_side(n, rng):
        trials = nb["random_trials_in"]([(1e-4, 1.0), (1.0, 1.0)], n, rng)
        return np.array([trial["learning_rate"] for trial in trials])

    monkeypatch.setitem(nb, "sample_learning_rate", one_side)
    with pytest.raises(RecursionError):
        one_side(5, np.random.RandomState(0))


def test_the_grids_lambdas_change_nothing_and_its_learning_rates_everything():
    grid = costs("grid").reshape(5, 5)  # a row per learning rate
    assert np.all(np.ptp(grid, axis=1) <= 1.5e-4)  # "by 0.0001 at most"
    assert round(grid[0].min(), 2) == 1.82 and round(grid[3].min(), 2) == 0.33


def test_on_the_real_run_the_grids_best_rate_is_0_1_and_random_search_does_better():
    grid_trial, grid_result = best("grid")
    assert grid_trial["learning_rate"] == 0.1
    assert min(costs("grid")[rates("grid") == 1]) > np.log(6)  # worse than guessing
    random_trial, random_result = best("random")
    assert random_result["dev_cost"] < grid_result["dev_cost"] - 0.05
    assert any(0.1 < rate < 1 for rate in rates("random"))


# Section 4 -------------------------------------------------------------------------------------


def test_the_coarse_landscape_is_as_described():
    results, rate = costs("coarse"), rates("coarse")
    lambd = np.array([t["lambd"] for t in sampled_trials("coarse")])
    assert np.all(results[rate < 0.1] > 0.3)  # learn too little in 100 iterations
    assert np.sum(lambd > 3) == 1 and round(results[lambd > 3][0], 2) == 1.60  # underfits
    good = results < 0.25
    assert good.sum() == 6 and (round(rate[good].min(), 2), round(rate[good].max(), 2)) == (
        0.28,
        0.78,
    )
    assert round(best("coarse")[0]["learning_rate"], 3) == 0.625
    assert np.sum(rate > 0.8) == 2 and np.all(results[rate > 0.8] > 1)  # the two above 0.8


def picked():
    """The four trials whose training costs the notebook shows."""
    return [
        nb["nearest"](sampled_trials("grid"), cited("grid"), 0.1),
        nb["nearest"](sampled_trials("coarse"), cited("coarse"), 0.63),
        nb["nearest"](sampled_trials("coarse"), cited("coarse"), 0.86),
        nb["nearest"](sampled_trials("grid"), cited("grid"), 1.0),
    ]


def test_large_learning_rates_jump_then_settle_oscillate_or_collapse():
    curves = {round(t["learning_rate"], 3): np.array(r["train_curve"]) for t, r in picked()}
    assert sorted(curves) == [0.1, 0.625, 0.858, 1.0]
    assert np.all(np.diff(curves[0.1]) < 0)  # the small rate falls all the way
    for rate in (0.625, 0.858, 1.0):  # the cost jumps up within the first 30 iterations
        assert np.diff(curves[rate][:7]).max() > 0.1
    assert np.diff(curves[0.625][10:]).max() <= 5e-4 and curves[0.625][-1] < 0.05  # settles
    assert np.diff(curves[0.858][10:]).max() > 0.5  # keeps jumping up and down to the end
    assert sum(np.diff(curves[0.858][10:]) > 0.1) >= 3
    assert abs(curves[1.0][-1] - np.log(6)) < 0.02  # stays near ln 6
    parameters = nb["train_trial"]({"learning_rate": 1.0, "lambd": 1e-5}, data())[0]
    assert len(np.unique(predict_dec(parameters, data()["X_dev"]))) == 1  # the same digit


def test_the_fine_box_reaches_0_88_and_its_trials_above_0_8_scatter():
    assert round(fine_box()[0][1], 2) == 0.88
    above = costs("fine")[rates("fine") > 0.8]
    assert (round(above.min(), 3), round(above.max(), 3)) == (0.159, 1.011)


def test_the_fine_search_lands_among_the_good_trials_with_a_lower_best_dev_cost():
    coarse_good, fine_good = (np.sum(costs(name) < 0.25) for name in ("coarse", "fine"))
    assert (coarse_good, fine_good) == (6, 23)
    (coarse, fine) = (best(name)[1] for name in ("coarse", "fine"))
    assert (round(coarse["dev_cost"], 3), round(fine["dev_cost"], 3)) == (0.165, 0.151)
    assert round(coarse["dev_accuracy"], 3) == round(fine["dev_accuracy"], 3) == 0.954


def test_from_other_seeds_the_fine_winner_is_no_better_than_the_coarse_one():
    scores = cited("rescored")
    mean = {name: rows.mean(axis=0) for name, rows in scores.items()}  # dev, test, accuracy
    sd = {name: rows.std(axis=0) for name, rows in scores.items()}
    for column in (1, 2):  # test cost and test accuracy: apart by less than either's spread
        apart = abs(mean["coarse"][column] - mean["fine"][column])
        assert apart < min(sd["coarse"][column], sd["fine"][column])
    fine_seed_0 = best("fine")[1]["dev_cost"]
    assert round(mean["fine"][0], 3) == 0.171 and mean["fine"][0] > fine_seed_0 + 0.01
    assert mean["fine"][0] >= mean["coarse"][0]  # "no lower than the coarse winner's"
    # The random search's winner, lambda nearly 0, does as well; the grid's is clearly worse.
    assert best("random")[0]["lambd"] < 1e-3
    assert abs(mean["random"][1] - mean["coarse"][1]) < sd["coarse"][1]
    for name in ("random", "coarse", "fine"):
        assert mean["grid"][1] > mean[name][1] + 3 * sd["grid"][1]
        assert mean["grid"][2] < mean[name][2] - sd["grid"][2]
    assert all(m[1] < m[0] for m in mean.values())  # test cost below dev cost: easier images


# Section 5 -------------------------------------------------------------------------------------


def test_parameter_sampler_finds_the_same_kind_of_answer():
    trial, result = best("sampler")
    assert 0.1 < trial["learning_rate"] < 1 and result["dev_cost"] < 0.25
    assert result["dev_cost"] < best("grid")[1]["dev_cost"]


def test_scikit_learns_momentum_with_step_alpha_1_minus_beta_is_the_courses():
    rng = np.random.RandomState(0)
    alpha, beta = 0.3, 0.95
    W = rng.randn(3, 2)
    course_W, v = W.copy(), np.zeros_like(W)
    params = [W.copy()]
    optimizer = SGDOptimizer(params, alpha * (1 - beta), momentum=beta, nesterov=False)
    for _ in range(5):
        dW = rng.randn(3, 2)
        v = beta * v + (1 - beta) * dW
        course_W = course_W - alpha * v
        optimizer.update_params(params, [dW])
    np.testing.assert_allclose(params[0], course_W, rtol=1e-12)
    assert sum(1 for _ in gen_batches(200, 32)) * 50 == 350  # mini-batches of 32, 50 epochs


def test_momentum_windows_longer_than_100_steps_lose_in_a_run_of_350():
    trials, results = sampled_trials("momentum"), costs("momentum")
    window = np.array([1 / (1 - t["beta"]) for t in trials])
    long, short = results[window > 100], results[window <= 100]
    assert (long.size, short.size) == (11, 5)
    assert long.min() > 0.5 and np.sum(short < 0.3) == 3
    assert round(1 - 0.999**350, 2) == 0.30  # the velocity's weight after 350 steps


# Section 6 -------------------------------------------------------------------------------------


def test_the_panda_nears_caviars_best_with_a_tenth_of_the_compute():
    days = cited("pandas")
    assert [round(rate, 3) for rate, _, _ in days] == [
        0.05, 0.075, 0.113, 0.169, 0.253, 0.38, 0.19, 0.285,
    ]  # fmt: skip
    assert [kept for _, _, kept in days] == [True] * 5 + [False] + [True] * 2  # one day undone
    assert all(len(costs) == 26 for _, costs, _ in days)  # 8 days of 25 iterations: 200
    assert round([c[-1] for _, c, kept in days if kept][-1], 3) == 0.200
    assert round(best("coarse")[1]["dev_cost"], 3) == 0.165  # caviar: 25 x 100 iterations


def test_649_training_images_make_the_same_lambda_regularize_3_2_times_less():
    images, labels, sets = digits_0_to_5()
    assert len(sets["train"]) == 649
    np.testing.assert_array_equal(data()["X"], images[:, sets["train"][:200]])
    np.testing.assert_array_equal(data()["X_test"], images[:, sets["test"]])
    assert round(649 / 200, 1) == 3.2  # lambda / (2 m): the L2 term's weight


def test_the_search_gives_the_same_results_with_one_and_two_workers_and_on_dask(monkeypatch):
    # Worker processes as a learner's kernel starts them: on this CPU (the tests point the
    # processes they start at another one), so that any difference comes from the workers.
    from dask.distributed import Client, LocalCluster

    use_own_cpu(monkeypatch)
    trials = sampled_trials("coarse")[:6]
    get_reusable_executor().shutdown(wait=True)
    try:
        runs = {"1 worker": search_quietly(trials, 1), "2 workers": search_quietly(trials, 2)}
    finally:
        get_reusable_executor().shutdown(wait=True)  # no worker keeps this CPU's settings
    # Dask's worker threads: the route through joblib's Dask backend (worker processes would
    # add 7 s of start-up here; the two joblib workers above are processes).
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster),
        parallel_config(backend="dask"),
    ):
        runs["a Dask cluster"] = search_quietly(trials, n_jobs=-1)
    assert [name for name, run in runs.items() if run != runs["1 worker"]] == []
    assert runs["1 worker"][0] == cited("coarse")[:6]


def test_a_search_prints_one_line_per_batch():
    results, printed = search_quietly(sampled_trials("coarse")[:12], n_jobs=1)
    assert results == cited("coarse")[:12]
    assert printed.splitlines()[0].startswith("  trials 1-10 of 12 done; best so far: dev cost")
    assert (
        printed.splitlines()[1].startswith("  trials 11-12 of 12 done")
        and printed.count("\n") == 2
    )


def test_every_cited_run_ends_the_same_on_another_cpu(elsewhere):
    assert_same_on_another_cpu({name: cited(name) for name in CITED_RUNS}, elsewhere)
