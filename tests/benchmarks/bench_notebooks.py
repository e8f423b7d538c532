"""Time every notebook top to bottom in a fresh kernel, as a learner runs it; name its slow cells.

    python tests/benchmarks/bench_notebooks.py [--runs 2] [NOTEBOOK ...]

Each notebook runs ``--runs`` times in a fresh kernel with the machine's default BLAS threads (the
tests pin one thread; a learner does not), and the best run is reported with its three longest
cells. The output is a Markdown table (``make benchmark`` writes it to RESULTS.md beside this
file). A benchmark, not a test: timings depend on the machine and its load, so nothing asserts.
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


def run_once(path):
    """(total seconds, [(seconds, cell number)] of the code cells) for one fresh-kernel run."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=True,
    )
    started = time.perf_counter()
    client.execute()
    total = time.perf_counter() - started
    code = [c for c in notebook.cells if c.cell_type == "code"]
    return total, [(cell_seconds(c), number) for number, c in enumerate(code, start=1)]


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
    print("| notebook | top to bottom | target | longest cells (code cell number: seconds) |")
    print("|---|---:|---:|---|")
    for path in paths:
        total, cells = min((run_once(path) for _ in range(args.runs)), key=lambda run: run[0])
        longest = ", ".join(f"{n}: {s:.1f} s" for s, n in sorted(cells, reverse=True)[:3])
        print(
            f"| `{path.relative_to(ROOT)}` | {total:.1f} s | {target(path)} s | {longest} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
