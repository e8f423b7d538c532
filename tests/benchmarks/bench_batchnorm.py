"""Time batch norm's two backward passes, the Batch Normalization notebook's own solutions.

    python -m tests.benchmarks.bench_batchnorm

``batchnorm_backward`` follows the computation graph step by step; ``batchnorm_backward_simple``
is equation (5) of the notebook. Both run on the same cache and gradient, for a few layer widths
and batch sizes, interleaved so that the machine's load affects them alike. A benchmark, not a
test: nothing here asserts.
"""

import functools
import timeit

import numpy as np

from tests.helpers import NOTEBOOKS, notebook_definitions


def main(number=2000, repeat=7):
    nb = notebook_definitions(NOTEBOOKS["batchnorm"])
    for n, m in ((32, 64), (100, 256), (512, 1024)):
        rng = np.random.RandomState(0)
        Z, gamma, beta, dZ_tilde = (
            rng.randn(*shape) for shape in ((n, m), (n, 1), (n, 1), (n, m))
        )
        cache = nb["batchnorm_forward"](Z, gamma, beta, np.zeros((n, 1)), np.ones((n, 1)))[1]
        times = {"batchnorm_backward": [], "batchnorm_backward_simple": []}
        calls = max(number * 64 * 32 // (n * m), 5)
        for _ in range(repeat):
            for name in times:
                call = functools.partial(nb[name], dZ_tilde, cache)
                times[name].append(timeit.timeit(call, number=calls))
        graph, simple = (min(t) / calls * 1e6 for t in times.values())
        print(
            f"n = {n:<4} m = {m:<5} graph {graph:8.1f} us   equation (5) {simple:8.1f} us   "
            f"speed-up {graph / simple:.2f}x"
        )


if __name__ == "__main__":
    main()
