"""Time every notebook top to bottom in a fresh kernel, as a learner runs it; name its slow cells.

    python tests/benchmarks/bench_notebooks.py [--runs 2] [NOTEBOOK ...]

Each notebook runs ``--runs`` times in a fresh kernel with the machine's default BLAS threads (the
tests pin one thread; a learner does not), and the best run is reported with its three longest
cells and its longest silence: the longest time a cell ran without showing anything new (the
target is 5 s: a longer cell prints its progress). The output is a Markdown table (``make
benchmark`` writes it to RESULTS.md beside this file). A benchmark, not a test: timings depend on
the machine and its load, so nothing asserts.
"""

import argparse
import datetime
import os
import platform
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.execute_notebooks import course_notebooks  # noqa: E402

# The targets of the course: an assignment under a minute, a companion under half a minute.
TARGETS = {"part_": 60, "notebooks/Optimization_Methods": 60}
COMPANION_TARGET = 30


def target(path):
    relative = str(path.relative_to(ROOT))
    return next((s for p, s in TARGETS.items() if relative.startswith(p)), COMPANION_TARGET)


def cell_seconds(cell):
    """Seconds between the cell's start and its reply, from nbclient's timing metadata."""
    timing = cell.metadata.get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    start, end = (datetime.datetime.fromisoformat(t.replace("Z", "+00:00")) for t in (start, end))
    return (end - start).total_seconds()


class _Watched(NotebookClient):
    """Notes when each code cell starts, shows an output and ends."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.events = {}  # cell index -> [perf_counter of each event]
        self.on_cell_execute = lambda cell, cell_index: self._note(cell_index)
        self.on_cell_executed = lambda cell, cell_index, execute_reply: self._note(cell_index)

    def _note(self, cell_index):
        self.events.setdefault(cell_index, []).append(time.perf_counter())

    def output(self, outs, msg, display_id, cell_index):
        self._note(cell_index)
        return super().output(outs, msg, display_id, cell_index)


def run_once(path):
    """(total seconds, [(seconds, cell number)] of the code cells, (longest silence in seconds,
    its cell number)) for one fresh-kernel run."""
    notebook = nbformat.read(path, as_version=4)
    client = _Watched(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=True,
    )
    started = time.perf_counter()
    client.execute()
    total = time.perf_counter() - started
    code = [i for i, c in enumerate(notebook.cells) if c.cell_type == "code"]
    silences = [
        (max(b - a for a, b in zip(times, times[1:])), code.index(index) + 1)
        for index, times in client.events.items()
        if len(times) > 1
    ]
    cells = [(cell_seconds(notebook.cells[i]), number) for number, i in enumerate(code, start=1)]
    return total, cells, max(silences)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every course notebook")
    parser.add_argument("--runs", type=int, default=2, help="runs per notebook; the best counts")
    args = parser.parse_args(argv)
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.pop(variable, None)  # the machine's default threads, as in `make lab`
    paths = [p.resolve() for p in args.notebooks] or course_notebooks()
    print(
        f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}, best of {args.runs} fresh-kernel runs\n"
    )
    print(
        "| notebook | top to bottom | target | longest cells (code cell number: seconds) "
        "| longest silence (cell: seconds; target 5 s) |"
    )
    print("|---|---:|---:|---|---|")
    for path in paths:
        total, cells, silence = min(
            (run_once(path) for _ in range(args.runs)), key=lambda run: run[0]
        )
        longest = ", ".join(f"{n}: {s:.1f} s" for s, n in sorted(cells, reverse=True)[:3])
        print(
            f"| `{path.relative_to(ROOT)}` | {total:.1f} s | {target(path)} s | {longest} "
            f"| {silence[1]}: {silence[0]:.1f} s |",
            flush=True,
        )


if __name__ == "__main__":
    main()
