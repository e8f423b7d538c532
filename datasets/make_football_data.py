"""Generate ``datasets/data.mat``: where the goalkeeper's kicks land, and who wins the header.

    python datasets/make_football_data.py [--out PATH]

**What the data represents.** A goalkeeper kicks the ball upfield. Each example is the point
where the ball comes down, in field coordinates scaled to about [-0.75, 0.75] on both axes:
``x1`` runs across the pitch, ``x2`` along it towards the opponents' goal. The label is 1 when
one of our players heads the ball and 0 when an opponent does. The question the Regularization
notebook asks is the course's: where should the goalkeeper aim?

**How it is drawn.** Four of our players and five opponents stand at fixed positions (``TEAM``,
``OPPONENTS``). Landing points are uniform over the square. Whoever is nearer to the ball
usually wins it: our player heads it with probability ``sigmoid(SHARPNESS * (d_opp - d_team))``,
where ``d_team`` and ``d_opp`` are the distances to the nearest player of each side. Then a fixed
share of duels, ``MISHEADS``, go the other way (a slip, a gust of wind). The result is a
curved boundary between territories, blurred near the boundary and sprinkled with isolated
surprises: the kind of data a large network overfits by drawing islands around the surprises.

**Seed.** One ``RandomState(SEED)`` stream draws the 200 training examples, then the 200 test
examples. The seed was chosen among the first few for a clear illustration: on other draws of
such small noisy sets the benefit of regularization is smaller or absent.

The file is in the course's format (MAT 5): ``X`` (m, 2) float64 and ``y`` (m, 1) uint8 for
training, ``Xval`` and ``yval`` for testing. ``tests/test_datasets.py`` checks that the committed
file holds exactly what this script generates.
"""

import argparse
from pathlib import Path

import numpy as np
import scipy.io
from scipy.special import expit

SEED = 1
M_TRAIN = 200
M_TEST = 200
HALF_WIDTH = 0.75
SHARPNESS = 40.0
MISHEADS = 0.08
TEAM = np.array([[-0.45, 0.35], [0.0, 0.1], [0.45, 0.35], [0.0, 0.6]])
OPPONENTS = np.array([[-0.25, 0.0], [0.25, 0.0], [-0.5, -0.4], [0.5, -0.4], [0.0, -0.45]])
DEFAULT_OUT = Path(__file__).resolve().parent / "data.mat"


def nearest_distance(points, players):
    """Distance from each row of ``points`` (k, 2) to the nearest row of ``players``."""
    return np.min(np.linalg.norm(points[:, None, :] - players[None, :, :], axis=2), axis=1)


def draw_kicks(rng, m):
    """Draw ``m`` landing points (m, 2) and their labels (m, 1) uint8 from ``rng``."""
    X = rng.uniform(-HALF_WIDTH, HALF_WIDTH, size=(m, 2))
    margin = nearest_distance(X, OPPONENTS) - nearest_distance(X, TEAM)
    headed = rng.uniform(size=m) < expit(SHARPNESS * margin)
    headed ^= rng.uniform(size=m) < MISHEADS
    return X, headed.astype(np.uint8).reshape(m, 1)


def generate(seed=SEED):
    """Return the data set as a dict with keys X, y, Xval, yval (the course's layout)."""
    rng = np.random.RandomState(seed)
    X, y = draw_kicks(rng, M_TRAIN)
    Xval, yval = draw_kicks(rng, M_TEST)
    return {"X": X, "y": y, "Xval": Xval, "yval": yval}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"default: {DEFAULT_OUT}")
    args = parser.parse_args(argv)
    scipy.io.savemat(args.out, generate(), format="5", do_compression=False)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
