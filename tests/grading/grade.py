"""Grade submitted notebooks: run each in a fresh kernel, then hidden checks of its exercises."""

import csv
import json
import re
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_code_cell

from tests.grading.assignments import recognise

HIDDEN = Path(__file__).resolve().parent / "hidden.py"
HIDDEN_MODULE = "_hidden_checks"


class GradingError(Exception):
    """A file that cannot be graded: not a notebook, or no known assignment."""


@dataclass
class Exercise:
    name: str
    points: int
    max_points: int
    passed: bool
    message: str


@dataclass
class Result:
    notebook: str
    assignment: str
    score: int = 0
    max_score: int = 0
    exercises: list = field(default_factory=list)


def read_submission(path):
    """Parse the notebook at ``path`` without ever writing to it."""
    try:
        notebook = nbformat.reads(Path(path).read_text(encoding="utf-8"), as_version=4)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
        raise GradingError(f"{path}: not a readable Jupyter notebook ({error})") from None
    assignment = recognise(notebook)
    if assignment is None:
        raise GradingError(f"{path}: not a notebook of a known assignment")
    return notebook, assignment


def _hidden_cell(name):
    cell = new_code_cell(
        f"from {HIDDEN_MODULE} import grade_exercise\ngrade_exercise({name!r}, globals())"
    )
    cell.metadata["grader"] = name
    return cell


def _outcome(cell, timeout):
    """(passed, message) from the outputs of an executed hidden-check cell."""
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            for line in output.text.splitlines():
                if line.startswith("GRADE "):
                    reported = json.loads(line[len("GRADE ") :])
                    return reported["passed"], reported["message"]
        if output.output_type == "error":
            if output.ename == "KeyboardInterrupt":
                return False, f"timed out: the check ran longer than {timeout} s and was stopped"
            return False, f"the check could not run: {output.ename}: {output.evalue}"
    return False, "not graded: the kernel stopped before this check ran"


def graded_cells(cells, exercises):
    """The cells up to the last one that writes or checks an exercise: all a grade depends on.

    The cells after it hold the notebook's experiments (sweeps, comparisons), which can train for
    minutes and cannot change what the exercises' functions do. A submission whose cells carry
    neither nbgrader ids nor the exercises' definitions is run whole.
    """
    ids = set(exercises) | {f"check_{name}" for name in exercises}
    defines = re.compile(r"^def (" + "|".join(map(re.escape, exercises)) + r")\(", re.M)
    last = max(
        (
            index
            for index, cell in enumerate(cells)
            if cell.metadata.get("nbgrader", {}).get("grade_id") in ids
            or (cell.cell_type == "code" and defines.search(cell.source))
        ),
        default=len(cells) - 1,
    )
    return cells[: last + 1]


def grade(path, timeout=60):
    """Grade the notebook at ``path``; return a Result. Raises GradingError for a bad file."""
    notebook, assignment = read_submission(path)
    notebook.cells = [cell for cell in notebook.cells if "grader" not in cell.metadata]
    notebook.cells = graded_cells(notebook.cells, assignment.exercises)
    notebook.cells += [_hidden_cell(name) for name in assignment.exercises]
    with tempfile.TemporaryDirectory(prefix="grading-") as tmp:
        folder = Path(tmp) / assignment.folder
        assignment.copy_support_files(folder)
        (folder / f"{HIDDEN_MODULE}.py").write_bytes(HIDDEN.read_bytes())
        client = NotebookClient(
            notebook,
            timeout=timeout,
            kernel_name="python3",
            allow_errors=True,
            interrupt_on_timeout=True,
            record_timing=False,
            resources={"metadata": {"path": str(folder)}},
        )
        try:
            client.execute(stderr=subprocess.DEVNULL)
        except DeadKernelError:
            pass  # the checks that did not run are reported as not graded
    outcomes = {
        c.metadata["grader"]: _outcome(c, timeout)
        for c in notebook.cells
        if "grader" in c.metadata
    }
    result = Result(notebook=str(path), assignment=assignment.name)
    for name, max_points in assignment.exercises.items():
        passed, message = outcomes[name]
        points = max_points if passed else 0
        result.exercises.append(Exercise(name, points, max_points, passed, message))
        result.score += points
        result.max_score += max_points
    return result


def submissions(paths):
    """Expand folders into the notebooks below them (skipping checkpoints), in a stable order."""
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(
                p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
            )
        else:
            found.append(path)
    return found


def grade_all(paths, timeout=60, jobs=2):
    """Grade every notebook; return a list of Result or GradingError, in the order given."""

    def attempt(path):
        try:
            return grade(path, timeout)
        except GradingError as error:
            return error

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(attempt, paths))


def table(result):
    """The result as a plain-text table."""
    width = max(len("exercise"), *(len(e.name) for e in result.exercises))
    lines = [
        f"{result.notebook} ({result.assignment})",
        f"  {'exercise':<{width}}  points  passed  message",
    ]
    for e in result.exercises:
        points = f"{e.points}/{e.max_points}"
        passed = "yes" if e.passed else "no"
        lines.append(f"  {e.name:<{width}}  {points:>6}  {passed:>6}  {e.message}")
    lines.append(f"  {'total':<{width}}  {f'{result.score}/{result.max_score}':>6}")
    return "\n".join(lines)


def as_json(result):
    return asdict(result)


def learner_of(path, root):
    """The learner's name: the first folder below ``root`` (submissions/<learner>/...)."""
    relative = Path(path).resolve().relative_to(Path(root).resolve())
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def write_gradebook(results, root, out):
    """Write one row per learner, one column per exercise, and a total, to the CSV ``out``."""
    columns, rows = [], {}
    for result in results:
        learner = learner_of(result.notebook, root)
        row = rows.setdefault(learner, {})
        for e in result.exercises:
            if e.name not in columns:
                columns.append(e.name)
            row[e.name] = e.points
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["learner", *columns, "total"])
        for learner in sorted(rows):
            row = rows[learner]
            writer.writerow([learner, *(row.get(c, 0) for c in columns), sum(row.values())])
