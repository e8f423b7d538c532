"""Every result the Hyperparameter Search notebook states, recomputed."""

import functools
import io
import os
import subprocess
import sys
from contextlib import redirect_stdout

import numpy as np
from joblib import parallel_config
from scipy.stats import loguniform
from sklearn.model_selection import ParameterSampler

from tests.cross_cpu import OWN_CPU, ROOT, assert_same_on_another_cpu
from tests.helpers import NOTEBOOKS, notebook_definitions

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
        rng = np.random.RandomState(3)
        rates = nb["sample_learning_rate"](25, rng)
        return [
            {"learning_rate": a, "lambd": l} for a, l in zip(rates, 10 ** rng.uniform(-5, -3, 25))
        ]
    if name == "sampler":
        space = {"learning_rate": loguniform(1e-4, 1.0), "lambd": loguniform(1e-3, 10.0)}
        return list(ParameterSampler(space, n_iter=25, random_state=0))
    rng = np.random.RandomState(4)
    coarse = nb["random_trials_in"]([(1e-4, 1.0), (1e-3, 10.0)], 25, rng)
    if name == "coarse":
        return coarse
    best = nb["best_trial"](coarse, cited("coarse"))[0]
    box = [(best[key] / 10**0.15, best[key] * 10**0.15) for key in ("learning_rate", "lambd")]
    return nb["random_trials_in"](box, 25, rng)


def run(name):
    """A search's results, trial after trial in this process: [{dev_cost, dev_accuracy}]."""
    return [nb["run_trial"](trial, data()) for trial in sampled_trials(name)]


CITED_RUNS = {
    name: functools.partial(run, name) for name in ("grid", "random", "coarse", "fine", "sampler")
}


@functools.cache
def cited(name):
    return CITED_RUNS[name]()


def costs(name):
    return np.array([result["dev_cost"] for result in cited(name)])


def best(name):
    return nb["best_trial"](sampled_trials(name), cited(name))


def search_quietly(trials, n_jobs):
    with redirect_stdout(io.StringIO()) as printed:
        results = nb["search"](trials, data(), n_jobs=n_jobs)
    return results, printed.getvalue()


def test_on_the_toy_objective_random_tries_25_values_and_beats_the_grid_every_time():
    grid = np.linspace(0, 1, 5)
    grid_best = nb["score"](grid, None).max()
    assert round(grid_best, 3) == 0.487  # the printed value, from a = 0.5 or 0.75
    rng = np.random.RandomState(0)
    random_a = rng.rand(25)
    assert len(np.unique(random_a)) == 25 and nb["score"](random_a, None).max() > 0.98
    rng = np.random.RandomState(1)
    random_best = np.array([nb["score"](rng.rand(25), None).max() for _ in range(1000)])
    assert np.all(random_best > grid_best) and np.median(random_best) > 0.98


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


def test_on_the_real_run_the_grids_best_rate_is_0_1_and_random_search_does_better():
    grid_trial, grid_result = best("grid")
    assert grid_trial["learning_rate"] == 0.1
    diverged = [
        c for t, c in zip(sampled_trials("grid"), costs("grid")) if t["learning_rate"] == 1
    ]
    assert min(diverged) > np.log(6) - 0.1  # "1 is already too large": no better than guessing
    random_trial, random_result = best("random")
    assert random_result["dev_cost"] < grid_result["dev_cost"] - 0.05
    assert any(0.1 < t["learning_rate"] < 1 for t in sampled_trials("random"))


def test_the_coarse_landscape_is_as_described():
    trials, results = sampled_trials("coarse"), costs("coarse")
    rate = np.array([t["learning_rate"] for t in trials])
    lambd = np.array([t["lambd"] for t in trials])
    assert np.all(results[rate < 0.1] > 0.3)  # learn too little in 100 iterations
    assert np.all(results[rate > 0.9] > 1.0)  # diverge
    assert np.all(results[lambd > 3] > 0.3)  # underfit


def test_the_fine_search_lands_among_the_good_trials_and_improves_the_best():
    coarse_good, fine_good = (np.sum(costs(name) < 0.25) for name in ("coarse", "fine"))
    assert coarse_good <= 10 and fine_good >= 20
    assert best("fine")[1]["dev_cost"] < best("coarse")[1]["dev_cost"]


def test_parameter_sampler_finds_the_same_kind_of_answer():
    trial, result = best("sampler")
    assert 0.1 < trial["learning_rate"] < 1 and result["dev_cost"] < 0.25
    assert result["dev_cost"] < best("grid")[1]["dev_cost"]


def same_with_any_workers():
    """Run six coarse trials with 1 and 2 joblib workers and on a 2-worker local Dask cluster;
    return what differs (nothing, when every way gives the same numbers and lines)."""
    from dask.distributed import Client, LocalCluster

    trials = sampled_trials("coarse")[:6]
    runs = {
        "1 worker": search_quietly(trials, n_jobs=1),
        "2 workers": search_quietly(trials, n_jobs=2),
    }
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster),
        parallel_config(backend="dask"),
    ):
        runs["a Dask cluster"] = search_quietly(trials, n_jobs=-1)
    return [name for name, run in runs.items() if run != runs["1 worker"]]


def test_the_search_gives_the_same_results_with_one_and_two_workers_and_on_dask():
    # In a kernel, the workers that joblib and Dask start round as the kernel does. Here they
    # would inherit the other CPU's settings that tests/conftest.py gives to child processes, so
    # the comparison runs in a process with this machine's own settings.
    env = dict(os.environ)
    for variable, value in OWN_CPU.items():
        if value is None:
            env.pop(variable, None)
        else:
            env[variable] = value
    script = "from tests.test_search_lessons import same_with_any_workers as f; print(f())"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout


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
