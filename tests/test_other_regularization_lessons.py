"""Every result the Other Regularization notebook states, recomputed from the notebook's code."""

import numpy as np
import pytest
import sklearn.datasets

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


def close(train_error, dev_error):
    return pytest.approx((train_error, dev_error), abs=1e-9)


@pytest.fixture(scope="module")
def baseline():
    return fit(nb["train_X"], nb["train_Y"], dev=(nb["dev_X"], nb["dev_Y"]), record_every=50)


def test_the_baseline_overfits(baseline):
    assert nb["errors"](baseline[0]) == close(0.0, 0.149)


def test_reflections_keep_the_labels_of_the_rings():
    reflected, reflected_Y = nb["reflect"](nb["train_X"], nb["train_Y"])
    radius = np.linalg.norm(reflected, axis=0).reshape(4, 60)
    assert np.allclose(radius, radius[0]) and (reflected_Y.reshape(4, 60) == nb["train_Y"]).all()


def test_reflections_cut_the_dev_error_and_jitter_alone_does_not():
    results = {}
    for name, (aug_X, aug_Y) in {
        "reflections": nb["reflect"](nb["train_X"], nb["train_Y"]),
        "jitter": nb["jitter"](nb["train_X"], nb["train_Y"]),
        "both": nb["jitter"](*nb["reflect"](nb["train_X"], nb["train_Y"])),
    }.items():
        results[name] = nb["errors"](fit(aug_X, aug_Y)[0])
    assert results["reflections"] == close(0.2 / 6, 0.107)
    assert results["jitter"] == close(0.0, 0.150)
    assert results["both"] == close(0.2 / 6, 0.106)


def test_early_stopping_at_iteration_100_is_two_points_better(baseline):
    history = baseline[1]
    best = int(np.argmin(history["dev_cost"]))
    assert history["iteration"][best] == 100
    assert history["dev_cost"][-1] > history["dev_cost"][best]
    assert history["train_cost"][-1] < history["train_cost"][best]
    assert nb["errors"](history["parameters"][best]) == close(1 / 60, 0.129)


def test_l2_does_not_help_at_any_strength_tried(baseline):
    errors = {
        lambd: nb["errors"](fit(nb["train_X"], nb["train_Y"], lambd=lambd)[0])
        for lambd in (0.03, 0.3, 3.0)
    }
    assert errors[0.03] == close(0.0, 0.155) and errors[3.0] == close(0.10, 0.24)
    assert all(dev > nb["errors"](baseline[0])[1] for _, dev in errors.values())
    assert errors[0.03][1] < errors[0.3][1] < errors[3.0][1], "worse as lambd grows"
