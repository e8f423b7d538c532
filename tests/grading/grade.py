"""Grade submitted notebooks: run each in a sandboxed kernel, then check its exercises.

A submission's cells run in a fresh kernel inside the sandbox of ``sandbox.py``, each for at most
``timeout`` seconds and all of them within ``budget``. Then every exercise's hidden check runs
here, in the grader's process, calling the learner's functions in that kernel through
``remote.py``: only the values they return come back, and the grade is computed from those here.
Nothing the kernel prints or writes decides a grade, and the grader keeps none of it: a cell's
outputs, errors and comm messages are dropped as they come. Every file of a submission that
cannot be graded (a link, a folder, a file too large, a notebook nbformat cannot validate) gets
a one-line reason, and the others are graded all the same.
"""

import csv
import logging
import os
import random
import re
import secrets
import stat
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
import zmq
import zmq.asyncio
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from tests.grading import sandbox
from tests.grading.assignments import recognise
from tests.grading.hidden import check
from tests.grading.remote import CallFailed, Remote, interrupt

QUIET = logging.getLogger("tests.grading.quiet")
QUIET.setLevel(logging.CRITICAL)
MAX_MESSAGE = 2 << 20  # bytes; a larger message from the kernel drops its connection
QUEUED = 16  # messages a socket holds for the grader; the kernel's next ones are dropped
MAX_NOTEBOOK = 32 << 20  # bytes of a submitted notebook
CALL_TIMEOUT = 10  # seconds for each call of a hidden check (they take milliseconds)
CHECK_SECONDS = {"model": 30}  # but a model's check trains it, and the reference beside it
CHECKS_BUDGET = 60  # seconds for all the hidden checks of a notebook together


class GradingError(Exception):
    """A file that cannot be graded: not a notebook, or no known assignment."""

    def __init__(self, path, reason):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


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
    isolation: str = ""
    cut_off: list = field(default_factory=list)  # what happened to cells that did not finish


def read_submission(path):
    """Parse the notebook at ``path`` without ever writing to it, or following a link."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        reason = "a link, not a notebook" if os.path.islink(path) else error.strerror
        raise GradingError(path, f"cannot be graded: {reason}") from None
    with open(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise GradingError(path, "cannot be graded: not a regular file")
        if info.st_size > MAX_NOTEBOOK:
            raise GradingError(path, f"cannot be graded: larger than {MAX_NOTEBOOK >> 20} MiB")
        data = handle.read(MAX_NOTEBOOK + 1)
    try:
        notebook = nbformat.reads(data.decode("utf-8"), as_version=4)
        nbformat.validate(notebook)
    except Exception as error:  # nbformat raises many kinds for what a learner can hand in
        reason = str(error).strip().splitlines()[0][:120] if str(error).strip() else ""
        raise GradingError(
            path, f"not a valid Jupyter notebook ({type(error).__name__}: {reason})"
        ) from None
    assignment = recognise(notebook)
    if assignment is None:
        raise GradingError(path, "not a notebook of a known assignment")
    return notebook, assignment


EXPERIMENT = "experiment"  # the tag of a cell that only trains or plots for the lesson


def graded_cells(cells, exercises):
    """The cells a grade depends on: up to the last one that writes or checks an exercise, without
    the cells tagged ``experiment`` between them.

    The cells after the last exercise hold the notebook's experiments (sweeps, comparisons), and
    so do the tagged cells between exercises (the models trained after an exercise, their
    figures): they can train for minutes and cannot change what the exercises' functions do. A
    tagged cell that defines an exercise's function runs all the same. A submission whose cells
    carry neither nbgrader ids nor the exercises' definitions is run whole.
    """
    ids = set(exercises) | {f"check_{name}" for name in exercises}
    defines = re.compile(r"^def (" + "|".join(map(re.escape, exercises)) + r")\(", re.M)

    def needed(cell):
        return cell.metadata.get("nbgrader", {}).get("grade_id") in ids or (
            cell.cell_type == "code" and defines.search(cell.source)
        )

    last = max((i for i, cell in enumerate(cells) if needed(cell)), default=len(cells) - 1)
    return [
        cell
        for cell in cells[: last + 1]
        if EXPERIMENT not in cell.metadata.get("tags", ()) or needed(cell)
    ]


class _DroppingClient(NotebookClient):
    """Runs the cells and keeps nothing the kernel sends: no output, error or widget state."""

    def output(self, outs, msg, display_id, cell_index):
        return None

    def handle_comm_msg(self, outs, msg, cell_index):
        return None

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()
        kc.hb_channel.stop()  # its thread would connect again to a path the kernel can replace
        kc.stdin_channel.stop()  # nothing asks for input: what the kernel sends there would queue
        return kc


def _kernel_manager(isolation, scratch, cwd, seconds, user):
    cpu = sandbox.cpu_limit(seconds)
    if isolation.bwrap:
        prefix = sandbox.sandbox_argv(isolation.bwrap, scratch, cwd, cpu, user)
    else:
        prefix = sandbox.unsandboxed_argv(cpu)
    context = zmq.asyncio.Context()
    context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE)
    context.setsockopt(zmq.RCVHWM, QUEUED)
    return sandbox.SandboxedKernelManager(
        prefix,
        user,
        kernel_name="python3",
        transport="ipc",
        ip=str(scratch / ".kernel" / "socket"),
        connection_file=str(scratch / ".kernel" / "connection.json"),
        context=context,
    )


def _run_cells(client, cells, timeout, deadline):
    """Run the submission's cells; return a line for each cell that did not run to its end, and
    why the kernel cannot run the checks (None if it can)."""
    notes = []
    for index, cell in enumerate(cells):
        if cell.cell_type != "code":
            continue
        left = deadline - time.monotonic()
        if left <= 1:
            notes.append(f"cell {index}: not run, the notebook's time budget was spent")
            continue
        client.timeout = max(1, int(min(timeout, left)))
        try:
            client.execute_cell(cell, index)
        except CellTimeoutError:
            notes.append(f"cell {index}: cut off after {client.timeout:.0f} s")
            if not interrupt(client.km, client.kc, None):
                notes.append(f"cell {index}: the kernel ignored the interrupt; no more cells ran")
                return notes, f"the kernel stopped answering when cell {index} was cut off"
        except DeadKernelError:
            notes.append(f"cell {index}: the kernel died; no more cells ran")
            break
        except Exception as error:  # a malformed message: the kernel is the learner's to spoil
            notes.append(f"cell {index}: the kernel's messages could not be read ({error!r:.80})")
            return notes, "the kernel's messages could not be read"
    return notes, None


def grade(path, timeout=60, budget=300, isolation=None):
    """Grade the notebook at ``path``; return a Result. Raises GradingError for a bad file.

    ``timeout`` bounds each cell, ``budget`` all the notebook's cells together; the hidden checks
    then take at most CALL_TIMEOUT seconds per exercise more. ``isolation`` defaults to the
    sandbox (``sandbox.find_isolation()``, which raises SandboxUnavailable if there is none).
    """
    isolation = isolation or sandbox.find_isolation()
    notebook, assignment = read_submission(path)
    notebook.cells = graded_cells(notebook.cells, assignment.exercises)
    result = Result(notebook=str(path), assignment=assignment.name)
    result.isolation = isolation.description
    outcomes = {}
    with tempfile.TemporaryDirectory(prefix="grading-") as private:
        scratch = Path(private) / "scratch"
        cwd = scratch / assignment.folder
        assignment.copy_support_files(cwd)
        for name in sandbox.WRITABLE:
            (scratch / name).mkdir()
        sandbox.copy_font_cache(scratch / ".matplotlib")
        user = sandbox.sandbox_user() if isolation.bwrap else None
        sandbox.prepare_scratch(scratch, user)
        km = _kernel_manager(isolation, scratch, cwd, budget + CALL_TIMEOUT * 30, user)
        client = _DroppingClient(
            notebook,
            km=km,
            timeout=timeout,
            allow_errors=True,
            record_timing=False,
            resources={"metadata": {"path": str(cwd)}},
            log=QUIET,  # the report says which cells were cut off
        )
        deadline = time.monotonic() + budget
        try:
            with client.setup_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
                result.cut_off, stuck = _run_cells(client, notebook.cells, timeout, deadline)
                client.kc.iopub_channel.stop()  # the checks read replies only: nothing queues
                per_check = min(
                    timeout, CALL_TIMEOUT
                )  # to load the helper code; each check sets its own
                remote = Remote(km, client.kc, per_check)
                remote.broken = stuck  # then no check waits for a kernel that does not answer
                cases = random.Random(secrets.randbits(64))  # hidden cases, new for every run
                try:
                    remote.start()
                    checks_end = time.monotonic() + CHECKS_BUDGET
                    for name in assignment.exercises:
                        remote.timeout = min(timeout, CHECK_SECONDS.get(name, CALL_TIMEOUT))
                        remote.deadline = min(time.monotonic() + remote.timeout, checks_end)
                        if remote.deadline - time.monotonic() < 1:
                            outcomes[name] = (False, "not graded: the checks' time ran out")
                            continue
                        outcomes[name] = check(assignment, name, remote.function(name), cases)
                except CallFailed as error:
                    outcomes = dict.fromkeys(assignment.exercises, (False, str(error)))
        except (DeadKernelError, RuntimeError) as error:  # the kernel did not start or died
            result.cut_off.append(f"the kernel stopped: {error}"[:300])
        finally:
            if client.kc is not None:
                client.kc.stop_channels()
            run_sync(km.shutdown_kernel)(now=True)
            km.context.destroy(linger=0)  # every socket of this grading, so no descriptor leaks
    for name, max_points in assignment.exercises.items():
        passed, message = outcomes.get(
            name, (False, "not graded: the kernel stopped before this check ran")
        )
        points = max_points if passed else 0
        result.exercises.append(Exercise(name, points, max_points, passed, message))
        result.score += points
        result.max_score += max_points
    return result


def submissions(paths):
    """Expand folders into the notebooks below them (skipping checkpoints), in a stable order.

    Links are not followed: a linked folder is not entered, and a linked notebook is listed so
    that grading says why it cannot be graded.
    """
    found = []
    for path in map(Path, paths):
        if path.is_dir() and not path.is_symlink():
            for folder, subfolders, files in os.walk(path):
                subfolders[:] = sorted(d for d in subfolders if d != ".ipynb_checkpoints")
                found += sorted(Path(folder, f) for f in files if f.endswith(".ipynb"))
                found += sorted(  # a folder named like a notebook, or a link to one
                    Path(folder, d)
                    for d in os.listdir(folder)
                    if d.endswith(".ipynb") and Path(folder, d).is_dir()
                )
        else:
            found.append(path)
    return found


def grade_all(paths, timeout=60, jobs=2, budget=300, isolation=None):
    """Grade every notebook; return a list of Result or GradingError, in the order given.

    Whatever goes wrong with one submission is that submission's line of the report: the
    others are graded all the same.
    """
    isolation = isolation or sandbox.find_isolation()

    def attempt(path):
        try:
            return grade(path, timeout, budget, isolation)
        except GradingError as error:
            return error
        except Exception as error:  # a failure of the grader's own on this file: say so
            return GradingError(path, f"not graded: the grader failed ({type(error).__name__})")

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
    lines += [f"  {note}" for note in result.cut_off]
    return "\n".join(lines)


def as_json(result):
    return asdict(result)


def learner_of(path, root):
    """The learner's name: the first folder below ``root`` (submissions/<learner>/...); links
    are not resolved, so a path is named by where it was found."""
    relative = Path(os.path.relpath(os.path.abspath(path), os.path.abspath(root)))
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def write_gradebook(outcomes, root, out):
    """Write one row per learner, one column per (assignment, exercise), a total, and a note
    for each file that could not be graded, to the CSV ``out`` (a link there is replaced)."""
    columns, rows, notes = [], {}, {}
    for outcome in outcomes:
        path = outcome.path if isinstance(outcome, GradingError) else outcome.notebook
        learner = learner_of(path, root)
        row = rows.setdefault(learner, {})
        if isinstance(outcome, GradingError):
            notes.setdefault(learner, []).append(f"{Path(path).name}: {outcome.reason}")
            continue
        for e in outcome.exercises:
            column = f"{outcome.assignment}/{e.name}"
            if column not in columns:
                columns.append(column)
            row[column] = e.points
    out = Path(out)
    partial = out.with_name(f".{out.name}.{secrets.token_hex(4)}")
    with open(partial, "x", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["learner", *columns, "total", "not graded"])
        for learner in sorted(rows):
            row = rows[learner]
            writer.writerow(
                [
                    learner,
                    *(row.get(c, 0) for c in columns),
                    sum(row.values()),
                    "; ".join(notes.get(learner, ())),
                ]
            )
    os.replace(partial, out)
