"""reg_utils beyond the shared contract: the data loader, the course's initialization, checks."""

import os

import numpy as np
import pytest
import scipy.io

import reg_utils
from tests.helpers import ROOT


def test_load_2D_dataset_reads_the_projects_data_from_any_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    train_X, train_Y, test_X, test_Y = reg_utils.load_2D_dataset()
    data = scipy.io.loadmat(ROOT / "datasets" / "data.mat")
    np.testing.assert_array_equal(train_X, data["X"].T)
    np.testing.assert_array_equal(train_Y, data["y"].T)
    np.testing.assert_array_equal(test_X, data["Xval"].T)
    np.testing.assert_array_equal(test_Y, data["yval"].T)
    assert os.getcwd() == str(tmp_path)


def test_load_2D_dataset_reads_any_file_in_the_courses_format(tmp_path):
    # The course's file: X (211, 2), y (211, 1) uint8, Xval (200, 2), yval (200, 1) uint8.
    rng = np.random.RandomState(0)
    course_like = {
        "X": rng.uniform(-0.6, 0.6, (211, 2)),
        "y": rng.randint(0, 2, (211, 1)).astype(np.uint8),
        "Xval": rng.uniform(-0.6, 0.6, (200, 2)),
        "yval": rng.randint(0, 2, (200, 1)).astype(np.uint8),
    }
    path = tmp_path / "data.mat"
    scipy.io.savemat(path, course_like)
    train_X, train_Y, test_X, test_Y = reg_utils.load_2D_dataset(path)
    assert train_X.shape == (2, 211) and train_Y.shape == (1, 211)
    assert test_X.shape == (2, 200) and test_Y.shape == (1, 200)
    np.testing.assert_array_equal(train_X, course_like["X"].T)
    np.testing.assert_array_equal(test_Y, course_like["yval"].T)


def test_load_2D_dataset_explains_a_missing_or_malformed_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="is not a file"):
        reg_utils.load_2D_dataset(tmp_path / "nothing.mat")
    path = tmp_path / "partial.mat"
    scipy.io.savemat(path, {"X": np.zeros((3, 2)), "y": np.zeros((3, 1))})
    with pytest.raises(KeyError, match="lacks Xval, yval"):
        reg_utils.load_2D_dataset(path)
    scipy.io.savemat(
        path,
        {
            "X": np.zeros((3, 2)),
            "y": np.zeros((2, 1)),
            "Xval": np.zeros((3, 2)),
            "yval": np.zeros((3, 1)),
        },
    )
    with pytest.raises(ValueError, match=r"y shape \(m, 1\)"):
        reg_utils.load_2D_dataset(path)
    scipy.io.savemat(
        path,
        {
            "X": np.zeros((3, 2)),
            "y": np.full((3, 1), 2),
            "Xval": np.zeros((3, 2)),
            "yval": np.zeros((3, 1)),
        },
    )
    with pytest.raises(ValueError, match="y must contain only 0 and 1"):
        reg_utils.load_2D_dataset(path)


def test_initialize_parameters_follows_the_course():
    parameters = reg_utils.initialize_parameters([2, 20, 3, 1])
    rng = np.random.RandomState(3)
    for l, (rows, cols) in enumerate(((20, 2), (3, 20), (1, 3)), start=1):
        np.testing.assert_array_equal(parameters[f"W{l}"], rng.randn(rows, cols) / np.sqrt(cols))
        np.testing.assert_array_equal(parameters[f"b{l}"], np.zeros((rows, 1)))
    with pytest.raises(ValueError, match=r"layers_dims\[2\] must be a positive layer size"):
        reg_utils.initialize_parameters([2, 20, 0, 1])


@pytest.mark.parametrize("keep_prob", [0, -0.1, 1.5, np.nan])
def test_check_keep_prob_rejects_values_outside_0_1(keep_prob):
    with pytest.raises(ValueError, match=r"keep_prob must be in \(0, 1\], got"):
        reg_utils.check_keep_prob(keep_prob)


@pytest.mark.parametrize("lambd", [-0.1, np.inf, np.nan])
def test_check_lambd_rejects_negative_or_non_finite_values(lambd):
    with pytest.raises(ValueError, match="lambd must be a finite number >= 0, got"):
        reg_utils.check_lambd(lambd)


@pytest.mark.parametrize(
    "check, value", [("check_keep_prob", "0.5"), ("check_lambd", None), ("check_keep_prob", True)]
)
def test_checks_reject_values_that_are_not_numbers(check, value):
    with pytest.raises(TypeError, match="must be a number"):
        getattr(reg_utils, check)(value)


def test_checks_accept_valid_values():
    assert reg_utils.check_keep_prob(1) == 1 and reg_utils.check_keep_prob(0.86) == 0.86
    assert reg_utils.check_lambd(0) == 0 and reg_utils.check_lambd(np.float64(0.7)) == 0.7
