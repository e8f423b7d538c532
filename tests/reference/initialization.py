"""The reference answers of the Initialization assignment (``part_1_initialisation``).

A case is a list of layer sizes ``[n_x, n[1], ..., n[L]]``. The expected W[l] is the course's
standard-normal draw of shape (n[l], n[l-1]), taken W1, W2, ... from one stream seeded 3, times
the layer's scale. The check also gets the draws alone and the scale each likely mistake would
use, which name a wrong scale in its hint. Zero initialization needs no value.
"""

import numpy as np

# The scale of W[l] for layer sizes ``dims``: the right one and the likely mistakes' (the names
# are those of ``MISTAKES`` in the part's testCases.py).
SCALES = {
    "initialize_parameters_random": (
        lambda dims, l: 10.0,
        {
            "unscaled": lambda dims, l: 1.0,
            "times 0.01": lambda dims, l: 0.01,
        },
    ),
    "initialize_parameters_he": (
        lambda dims, l: np.sqrt(2.0 / dims[l - 1]),
        {
            "n[l]": lambda dims, l: np.sqrt(2.0 / dims[l]),
            "Xavier": lambda dims, l: np.sqrt(1.0 / dims[l - 1]),
            "no square root": lambda dims, l: 2.0 / dims[l - 1],
        },
    ),
}


def answer(name, case):
    """The expected values of ``name`` (random or He initialization) for the layer sizes ``case``:
    ``{"W": {"W1": ..., ...}, "draws": {"W1": ..., ...}, "scale": [per layer],
    "mistakes": {mistake: [per layer]}}``."""
    scale, mistakes = SCALES[name]
    dims = [int(n) for n in case]
    layers = range(1, len(dims))
    rng = np.random.RandomState(3)
    draws = {f"W{l}": rng.randn(dims[l], dims[l - 1]) for l in layers}
    return {
        "W": {f"W{l}": draws[f"W{l}"] * scale(dims, l) for l in layers},
        "draws": draws,
        "scale": [float(scale(dims, l)) for l in layers],
        "mistakes": {
            mistake: [float(wrong(dims, l)) for l in layers] for mistake, wrong in mistakes.items()
        },
    }
