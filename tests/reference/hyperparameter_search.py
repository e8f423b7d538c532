"""The reference answers of the Hyperparameter Search assignment (``notebooks``).

The two exercises are samplers, and any right way of drawing passes (``10**rng.uniform(-4, 0,
n)`` and ``10**(-4 * rng.rand(n))`` give other numbers from the same seed): their checks are
about the law of the learner's own draws. What they compare with is the law, given here and
stored as data, not a sampler.

``answer(name, ())`` for ``sample_learning_rate`` and ``sample_beta``: the ``range`` the values
lie in, the interval of ``exponents`` over which log10 of the values (of 1 - beta for beta) is
uniform, and the ``shares`` of the values in each of four equal stretches of that interval. The
check tests 20,000 of the learner's draws against that law: nearly all distinct, exponents that
reach both ends of the interval, the shares, and a Kolmogorov-Smirnov test of the uniform law.
"""

_LAWS = {
    "sample_learning_rate": {"range": [1e-4, 1.0], "exponents": [-4, 0]},
    "sample_beta": {"range": [1 - 10.0**-1, 1 - 10.0**-3], "exponents": [-3, -1]},
}


def answer(name, case):
    """The law of sampler ``name`` (see the module's docstring); ``case`` is ``()``."""
    if name not in _LAWS or tuple(case) != ():
        raise KeyError(f"no reference answer called {name!r} on {case!r}")
    return {**_LAWS[name], "shares": [0.25] * 4}
