"""Re-execute notebooks top to bottom and store their outputs: the baseline nbval compares against.

    python -m tests.execute_notebooks [NOTEBOOK ...]

With no argument, every notebook of the course (the three parts and notebooks/). Each runs in a
fresh kernel with its own folder as the working directory. A notebook is written back only when
every cell ran without error, so a failing run never replaces what was there; the cell sources are
never changed.
"""

import argparse
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_GLOBS = ("part_*/*.ipynb", "notebooks/*.ipynb")


def course_notebooks():
    """Return the paths of every notebook of the course, in course order."""
    return sorted(path for pattern in NOTEBOOK_GLOBS for path in ROOT.glob(pattern))


def execute(path, timeout=600):
    """Execute the notebook at ``path`` in place; raise CellExecutionError on the first error."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
    )
    client.execute()
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = coalesce_streams(cell.outputs)
    nbformat.write(notebook, path)


def coalesce_streams(outputs):
    """Merge consecutive prints to the same stream into one output, as a reader sees them.

    How a kernel splits a cell's printing into messages depends on timing; merged, the stored
    outputs are the same on every run.
    """
    merged = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            output.output_type == "stream"
            and previous is not None
            and previous.output_type == "stream"
            and previous.name == output.name
        ):
            previous.text += output.text
        else:
            merged.append(output)
    return merged


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every course notebook")
    args = parser.parse_args(argv)
    paths = [path.resolve() for path in args.notebooks] or course_notebooks()
    failed = False
    for path in paths:
        print(f"executing {path.relative_to(ROOT)}", flush=True)
        try:
            execute(path)
        except CellExecutionError as error:
            failed = True
            print(f"  failed, left unchanged:\n{error}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
