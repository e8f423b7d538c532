"""The timings the notebooks quote are those of tests/benchmarks/RESULTS.md (``make benchmark``).

A notebook's outputs are the same on every machine, so no timing is printed in them; the prose
quotes one measurement, made on the machine RESULTS.md names. Each sentence is rebuilt here from
RESULTS.md's numbers: after a new ``make benchmark``, a quoted number that was not updated fails.
"""

import re

import nbformat
import pytest

from tests.helpers import ROOT

RESULTS = (ROOT / "tests" / "benchmarks" / "RESULTS.md").read_text()


def markdown(name):
    notebook = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")


def numbers(pattern):
    found = re.search(pattern, RESULTS)
    assert found, f"RESULTS.md has no line like {pattern!r}"
    return [float(value) for value in found.groups()]


def batch_norm():
    row = r"n = {}\s+m = {}\s+graph\s+([\d.]+) us\s+equation \(5\)\s+([\d.]+) us"
    small_graph, small_simple = numbers(row.format(32, 64))
    large_graph, large_simple = numbers(row.format(512, 1024))
    return (
        f"equation (5) took {small_simple:.0f} µs against the graph's {small_graph:.0f} µs for 32 "
        f"units and a batch of 64, and {large_simple / 1000:.1f} ms against "
        f"{large_graph / 1000:.1f} ms for 512 units and a batch of 1024"
    )


def search():
    (trial,) = numbers(r"one trial: (\d+) ms")
    (one,) = numbers(r"25 trials, one worker \(pandas's compute\): best ([\d.]+) s")
    best, first = numbers(r"25 trials, 2 workers: best ([\d.]+) s, first ([\d.]+) s")
    return (
        f"one trial of sections 3 and 4 took {trial:.0f} ms; the 25 trials of the coarse search "
        f"took {one:.2f} s on one worker, and on two workers {first:.2f} s the first time "
        f"(starting the worker processes and sending them the data) and {best:.2f} s once they ran"
    )


def tensorflow():
    _, eager = numbers(r"eager\s+first epoch ([\d.]+) s, then ([\d.]+) s per epoch")
    first, graph = numbers(r"tf.function\s+first epoch ([\d.]+) s, then ([\d.]+) s per epoch")
    return (
        f"an epoch of these 21 mini-batches took about {eager:.2f} s eagerly and {graph:.2f} s as "
        f"a graph, after a first graph epoch of about {first:.1f} s that traced it"
    )


@pytest.mark.parametrize(
    "notebook, sentence",
    [
        ("Batch_Normalization.ipynb", batch_norm),
        ("Hyperparameter_Search.ipynb", search),
        ("TensorFlow_Introduction.ipynb", tensorflow),
    ],
)
def test_the_timings_a_notebook_quotes_are_the_benchmarks(notebook, sentence):
    assert "2 cores, x86_64" in RESULTS  # the machine the notebooks name: 2 cores, x86-64
    assert sentence() in markdown(notebook)
