"""The committed data file is what the project's generator makes, in the course's format."""

import numpy as np
import scipy.io

from tests.helpers import ROOT, load_module

generator = load_module(ROOT / "datasets" / "make_football_data.py", "make_football_data")


def test_committed_data_file_equals_what_the_generator_produces():
    committed = scipy.io.loadmat(ROOT / "datasets" / "data.mat")
    generated = generator.generate()
    assert sorted(k for k in committed if not k.startswith("__")) == sorted(generated)
    for key, value in generated.items():
        assert committed[key].dtype == value.dtype, key
        np.testing.assert_array_equal(committed[key], value, err_msg=key)


def test_data_file_has_the_courses_layout():
    data = generator.generate()
    assert data["X"].shape == (generator.M_TRAIN, 2) and data["X"].dtype == np.float64
    assert data["y"].shape == (generator.M_TRAIN, 1) and data["y"].dtype == np.uint8
    assert data["Xval"].shape == (generator.M_TEST, 2) and data["yval"].dtype == np.uint8
    for key in ("y", "yval"):
        assert set(np.unique(data[key])) == {0, 1}
        assert 0.3 < data[key].mean() < 0.7, "both outcomes are common"
    assert np.abs(data["X"]).max() <= generator.HALF_WIDTH


def test_generator_is_deterministic_and_the_seed_matters():
    first, second = generator.generate(), generator.generate()
    for key in first:
        np.testing.assert_array_equal(first[key], second[key])
    assert not np.array_equal(generator.generate(seed=2)["X"], first["X"])


def test_the_share_of_misheads_is_what_the_docstring_says():
    # Far from every boundary the nearer side wins with near certainty, so the labels that go the
    # other way there are the misheads: about one in twelve.
    rng = np.random.RandomState(0)
    X, y = generator.draw_kicks(rng, 20000)
    margin = generator.nearest_distance(X, generator.OPPONENTS) - generator.nearest_distance(
        X, generator.TEAM
    )
    clear = np.abs(margin) > 0.2
    surprises = np.mean(y[clear, 0] != (margin[clear] > 0))
    assert abs(surprises - generator.MISHEADS) < 0.01
    assert abs(generator.MISHEADS - 1 / 12) < 0.01


def test_generator_writes_a_file_in_the_courses_format(tmp_path):
    out = tmp_path / "kicks.mat"
    generator.main(["--out", str(out)])
    data = scipy.io.loadmat(out)
    np.testing.assert_array_equal(data["yval"], generator.generate()["yval"])
