"""Every result the Other Regularization notebook states, recomputed from the notebook's code."""

import functools

import numpy as np
import pytest
import sklearn.datasets

from tests.cross_cpu import assert_same_on_another_cpu
from tests.helpers import NOTEBOOKS, notebook_definitions

nb = notebook_definitions(NOTEBOOKS["other_regularization"])
points, labels = sklearn.datasets.make_circles(
    n_samples=1060, noise=0.2, factor=0.5, random_state=0
)
X, Y = points.T, labels.reshape(1, -1)
nb.update(train_X=X[:, :60], train_Y=Y[:, :60], dev_X=X[:, 60:], dev_Y=Y[:, 60:])
LAYERS = [2, 32, 32, 1]


def fit(X_, Y_, **kwargs):
    return nb["train"](X_, Y_, LAYERS, learning_rate=0.3, num_iterations=3000, seed=0, **kwargs)


def close(train_error, dev_error, dev_cost=None):
    """The notebook's (training error, dev error, dev cost); the cost as printed, to 2 decimals."""

    class Close:
        def __eq__(self, got):
            cost_ok = dev_cost is None or round(got[2], 2) == dev_cost
            return got[:2] == pytest.approx((train_error, dev_error), abs=1e-9) and cost_ok

        def __repr__(self):
            return repr((train_error, dev_error, dev_cost))

    return Close()


def augmented(name):
    data = (nb["train_X"], nb["train_Y"])
    return {
        "reflections": lambda: nb["reflect"](*data),
        "jitter": lambda: nb["jitter"](*data),
        "both": lambda: nb["jitter"](*nb["reflect"](*data)),
    }[name]()


# Every network the notebook trains and reports on: (parameters, history).
CITED_RUNS = {
    "baseline": lambda: fit(
        nb["train_X"], nb["train_Y"], dev=(nb["dev_X"], nb["dev_Y"]), record_every=50
    ),
    **{
        name: functools.partial(lambda name: fit(*augmented(name)), name)
        for name in ("reflections", "jitter", "both")
    },
    **{
        f"lambd={lambd}": functools.partial(fit, nb["train_X"], nb["train_Y"], lambd=lambd)
        for lambd in (0.03, 0.3, 3.0)
    },
}


@functools.cache
def cited(name):
    return CITED_RUNS[name]()


@pytest.fixture(scope="module")
def baseline():
    return cited("baseline")


def test_the_baseline_overfits(baseline):
    assert nb["errors"](baseline[0]) == close(0.0, 0.149, 1.10)


def test_reflections_keep_the_labels_of_the_rings():
    reflected, reflected_Y = nb["reflect"](nb["train_X"], nb["train_Y"])
    radius = np.linalg.norm(reflected, axis=0).reshape(4, 60)
    assert np.allclose(radius, radius[0]) and (reflected_Y.reshape(4, 60) == nb["train_Y"]).all()


def test_reflections_cut_the_dev_error_and_jitter_alone_does_not():
    results = {name: nb["errors"](cited(name)[0]) for name in ("reflections", "jitter", "both")}
    assert results["reflections"] == close(0.2 / 6, 0.107, 0.42)
    assert results["jitter"] == close(0.0, 0.150, 1.31)
    assert results["both"] == close(0.2 / 6, 0.106, 0.36)


def test_early_stopping_at_iteration_100_is_two_points_better(baseline):
    history = baseline[1]
    best = int(np.argmin(history["dev_cost"]))
    assert history["iteration"][best] == 100
    assert history["dev_cost"][-1] > history["dev_cost"][best]
    assert history["train_cost"][-1] < history["train_cost"][best]
    assert nb["errors"](history["parameters"][best]) == close(1 / 60, 0.129, 0.32)


def test_l2_lowers_the_dev_cost_but_not_the_dev_error(baseline):
    results = {lambd: nb["errors"](cited(f"lambd={lambd}")[0]) for lambd in (0.03, 0.3, 3.0)}
    assert results[0.03] == close(0.0, 0.155, 0.79) and results[0.3] == close(0.0, 0.168, 0.48)
    assert results[3.0] == close(0.10, 0.24, 0.56)
    dev_error = nb["errors"](baseline[0])[1]
    standard_error = np.sqrt(dev_error * (1 - dev_error) / 1000)
    assert round(standard_error, 3) == 0.011
    assert abs(results[0.03][1] - dev_error) < standard_error, "15.5% is no different"
    assert standard_error < results[0.3][1] - dev_error < 2 * standard_error, "slightly worse"
    early = nb["errors"](baseline[1]["parameters"][int(np.argmin(baseline[1]["dev_cost"]))])
    assert early[2] < min(r[2] for r in results.values()), "early stopping is best by dev cost"


def test_l2_makes_the_confident_mistakes_cheaper_without_moving_the_boundary(baseline):
    share, mean = nb["mistakes"](baseline[0])
    assert round(share, 2) == 0.99 and round(mean, 1) == 7.3
    share, mean = nb["mistakes"](cited("lambd=0.3")[0])
    assert round(share, 2) == 0.89 and round(mean, 1) == 2.6
    assert nb["errors"](cited("lambd=0.3")[0])[0] == 0.0, "still fits every training point"


def test_every_cited_run_ends_the_same_on_another_cpu(elsewhere):
    assert_same_on_another_cpu({name: cited(name) for name in CITED_RUNS}, elsewhere)
