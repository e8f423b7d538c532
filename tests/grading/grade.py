"""Grade submitted notebooks: run each in a sandboxed kernel, then check its exercises.

A submission's cells run in a fresh kernel inside the sandbox of ``sandbox.py``, each for at most
``timeout`` seconds and all of them within ``budget``. Then every exercise's hidden check runs
in the grader's process, calling the learner's functions in that kernel through ``remote.py``:
only the values they return come back, and the grade is computed from those there. Nothing the
kernel prints or writes decides a grade, and the grader keeps none of it: a cell's outputs,
errors and comm messages are dropped as they come. Every file of a submission that cannot be
graded (a link, a folder, a file too large, a notebook nbformat cannot validate) gets a one-line
reason, and the others are graded all the same.

``grade`` does all this in the calling process. ``grade_all``, which the command line uses, does
it for each notebook in a child process of its own, whose data is bounded (``GRADER_MEMORY``) and
which is killed past its deadline, with its kernel: ZeroMQ queues a message of any number of
frames whole, so a kernel can always fill the process that talks to it, and then it fills only
that child, and its notebook gets a line saying what happened.
"""

import contextlib
import csv
import ctypes
import io
import json
import logging
import multiprocessing
import multiprocessing.connection
import os
import random
import re
import resource
import secrets
import signal
import stat
import subprocess
import tempfile
import threading
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

from tests.grading import sandbox, watchdog
from tests.grading.assignments import ASSIGNMENTS, recognise
from tests.grading.hidden import check, prepare
from tests.grading.remote import CallFailed, Remote, interrupt

QUIET = logging.getLogger("tests.grading.quiet")
QUIET.setLevel(logging.CRITICAL)
MAX_MESSAGE = 2 << 20  # bytes; a larger message from the kernel drops its connection
QUEUED = 16  # messages a socket holds for the grader; the kernel's next ones are dropped
MAX_NOTEBOOK = 32 << 20  # bytes of a submitted notebook
CALL_TIMEOUT = 10  # seconds for each call of a hidden check (they take milliseconds)
CHECK_SECONDS = {"model": 30}  # but a model's check trains it, and the reference beside it
CHECKS_BUDGET = 60  # seconds for all the hidden checks of a notebook together
# bytes resident in all of a kernel's processes together (watchdog.MemoryWatch): what one may have
KERNEL_MEMORY = sandbox.LIMITS["RLIMIT_AS"]
# bytes and files that a kernel may write into its scratch folder together (watchdog.MemoryWatch)
KERNEL_DISK, KERNEL_FILES = 1 << 30, 100_000
# What the scratch folder's tmpfs holds beyond KERNEL_DISK (the assignment's files, and what a
# kernel writes between two readings of the folder), when the grader is root (ScratchFolder);
# and files, half as many again as KERNEL_FILES
SCRATCH_MARGIN = 64 << 20
# What a kernel's memory cgroup allows beyond KERNEL_MEMORY (page cache, kernel objects): the
# watch, which says what filled up, stops a kernel first where it can see the memory
CGROUP_MARGIN = 512 << 20
# The kernel draws no figure (a figure is displayed as its text instead): the grader drops every
# output, and rendering the figures to PNG took 0.3 to 0.6 of the 2 to 3.5 core-seconds that
# grading Gradient Checking takes on 2 cores.
KERNEL_ARGUMENTS = ("--InlineBackend.figure_formats=[]",)

# Learner code cannot reach a child's memory but through what its kernel sends, and libzmq queues
# whatever arrives on a socket nobody reads (MAX_MESSAGE bounds a frame, QUEUED counts whole
# messages, however many frames they have): so a child's data is bounded instead (RLIMIT_DATA:
# the heap and private writable mappings, each thread's 8 MiB stack among them; RLIMIT_AS would
# also count the address space that libraries reserve and never use). Measured on 2 CPUs, the
# honest grading of the reference notebooks peaks at 166 to 279 MiB of data, and at 503 MiB
# (11 threads) for the heaviest, TensorFlow Introduction, whose checks load TensorFlow; its
# thread pools grow with the CPUs, hence the 16 MiB per CPU. A child is stopped at FULL of it, 3.5
# times that peak.
GRADER_MEMORY = (2 << 30) + (16 << 20) * (os.cpu_count() or 1)  # bytes
CHILD_MARGIN = 30  # seconds for the kernel's start and shutdown, the interrupts, the helper code
# A child whose data reaches this share of its bound is stopped: it is being flooded (an honest
# one stays far below), and libzmq, failing to allocate, drops the connection but may keep the
# memory, so that the child would hang rather than end.
FULL = 0.875
WATCH = 0.25  # seconds between two looks at a child's memory
FINAL = {"result", "error", "memory"}  # the report a child ends with
RESULT_BYTES = 1 << 20  # of a child's report to the parent (a few kB in practice)
_PROCESSES = threading.Lock()  # multiprocessing's bookkeeping of children is not thread-safe
try:
    _PRCTL = ctypes.CDLL(None, use_errno=True).prctl
except (AttributeError, OSError, TypeError):  # not Linux: no parent-death signal
    _PRCTL = None
PR_SET_PDEATHSIG = 1


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
    """Parse the notebook at ``path`` without ever writing to it, following a link, or opening
    anything but a regular file (opening a device can act: a watchdog device arms a reboot); a
    file of several names is not read (a hard link to the instructor's solutions is one)."""
    fd = None
    try:
        info = os.lstat(path)
        if stat.S_ISREG(info.st_mode):
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            info = os.fstat(fd)
    except OSError as error:
        raise GradingError(path, f"cannot be graded: {error.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        if fd is not None:
            os.close(fd)
        kinds = {stat.S_IFLNK: "a link, not a notebook", stat.S_IFDIR: "a folder, not a notebook"}
        what = kinds.get(stat.S_IFMT(info.st_mode), "not a regular file")
        raise GradingError(path, f"cannot be graded: {what}")
    with open(fd, "rb") as handle:
        if info.st_nlink > 1:  # another name of a file that may be anyone's: the solutions
            raise GradingError(
                path, f"cannot be graded: a hard link (one of {info.st_nlink} names of a file)"
            )
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

    # NotebookClient's own is bound to NotebookClient's coroutine, which would skip the above
    start_new_kernel_client = run_sync(async_start_new_kernel_client)


def _kernel_manager(isolation, scratch, cwd, seconds, user, allowed=()):
    cpu = sandbox.cpu_limit(seconds)
    if isolation.bwrap:
        prefix = sandbox.sandbox_argv(isolation.bwrap, scratch, cwd, cpu, user, allowed)
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
    return _grade(path, notebook, assignment, timeout, budget, isolation)


def _grade(path, notebook, assignment, timeout, budget, isolation, started=None, cgroup=None):
    """Grade ``notebook``, read from ``path``, of ``assignment``: the work of ``grade``.
    ``started`` is called with the process group of the kernel once it has started. The kernel
    runs in the memory cgroup ``cgroup`` (made and removed here if None: the caller removes its
    own, so that a cgroup outlives no killed process)."""
    notebook.cells = graded_cells(notebook.cells, assignment.exercises)
    result = Result(notebook=str(path), assignment=assignment.name)
    result.isolation = isolation.description
    outcomes = {}
    # no recursion, no link followed; as root, a tmpfs: what the watch sees trips it first
    scratch_folder = sandbox.ScratchFolder(
        prefix="grading-", size=KERNEL_DISK + SCRATCH_MARGIN, files=KERNEL_FILES * 3 // 2
    )
    with scratch_folder as private:
        scratch = Path(private) / "scratch"
        cwd = scratch / assignment.folder
        assignment.copy_support_files(cwd)
        for name in sandbox.WRITABLE:
            (scratch / name).mkdir()
        sandbox.copy_font_cache(scratch / ".matplotlib")
        user = sandbox.sandbox_user() if isolation.bwrap else None
        sandbox.prepare_scratch(scratch, user)
        seconds = budget + CALL_TIMEOUT * 30
        km = _kernel_manager(isolation, scratch, cwd, seconds, user, assignment.autodiff)
        client = _DroppingClient(
            notebook,
            km=km,
            timeout=timeout,
            allow_errors=True,
            record_timing=False,
            extra_arguments=list(KERNEL_ARGUMENTS),  # nbclient appends to it
            resources={"metadata": {"path": str(cwd)}},
            log=QUIET,  # the report says which cells were cut off
        )
        own = cgroup is None
        cgroup = watchdog.MemoryCgroup(KERNEL_MEMORY + CGROUP_MARGIN) if own else cgroup
        watch = None
        try:
            with (
                client.setup_kernel(
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    preexec_fn=_kernel_preexec(cgroup.join),
                ),
                watchdog.MemoryWatch(
                    km.provisioner.pid,
                    KERNEL_MEMORY,
                    folder=scratch,
                    disk=KERNEL_DISK,
                    entries=KERNEL_FILES,
                ) as watch,
            ):
                if started is not None:
                    started(km.provisioner.pgid)
                deadline = time.monotonic() + budget  # the cells' own: the start is CHILD_MARGIN's
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
                    prepare(assignment)  # before any deadline: the reference, TensorFlow
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
            ran_out = cgroup.ran_out
            if own:
                cgroup.close()
    if watch is not None and watch.tripped:
        result.cut_off.append(watch.message)
    elif ran_out:
        result.cut_off.append(
            f"the kernel's processes charged more than {cgroup.limit / 2**30:.3g} GiB of memory "
            "(page tables, pipes and kernel objects included) and the system stopped them"
        )
    if scratch_folder.problem:  # the grade stands; the instructor learns what is left where
        result.cut_off.append(scratch_folder.problem)
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
    """Expand folders into the notebooks below them (skipping checkpoints), in a stable order;
    a notebook found twice (a folder given inside another) is listed once, where first found.
    Return them and a GradingError for each learner whose folder was not walked whole.

    Links are not followed: a linked folder is not entered, and a linked notebook is listed so
    that grading says why it cannot be graded. Of each folder below a folder given (a learner's,
    ``learner_of``), at most MAX_NOTEBOOKS + 1 notebooks are listed: enough for ``within_limit``
    to refuse them all, where 200,000 files took the grader 140 MiB more.
    """
    found, seen, cut_short = [], set(), []
    for path in map(Path, paths):
        below, cut = (
            _notebooks_below(path) if path.is_dir() and not path.is_symlink() else ([path], [])
        )
        cut_short += cut
        for notebook in below:
            if os.path.abspath(notebook) not in seen:
                seen.add(os.path.abspath(notebook))
                found.append(notebook)
    return found, cut_short


def _notebooks_below(top, most=None):
    """The paths ending in .ipynb below the folder ``top``, folder by folder (each folder's own,
    sorted, then its subfolders', in sorted order), with an explicit stack: os.walk recurses on
    Python 3.11, and a learner's folder 1100 deep raised RecursionError, which ended the batch.
    A folder that cannot be read is passed over. Below each folder of ``top``, the walk stops
    after ``most`` (default MAX_NOTEBOOKS) + 1 notebooks, or after MAX_ENTRIES entries of any
    kind: 150,000 empty subfolders took the grader 98 MiB more (issue #25's attacker), and so
    does ``top`` itself after MAX_ENTRIES entries. A folder in ``top`` is a learner's, whatever
    its name (``bob.ipynb``). Return the paths and a GradingError for each learner (or ``top``)
    whose walk stopped at MAX_ENTRIES."""
    most = MAX_NOTEBOOKS if most is None else most
    found, stack, counts, entries, cut = [], [(top, None)], {}, {}, []
    while stack:
        folder, learner = stack.pop()
        left = None if learner is None else most + 1 - counts.get(learner, 0)
        if left is not None and (left <= 0 or entries.get(learner, 0) > MAX_ENTRIES):
            continue
        notebooks, folders, subfolders = [], [], []  # names only: a DirEntry each took 0.7 KiB
        try:
            with os.scandir(folder) as scan:
                for entry in scan:
                    entries[learner] = entries.get(learner, 0) + 1  # None: the folder given
                    if entries[learner] > MAX_ENTRIES:
                        cut.append(
                            GradingError(
                                folder if learner is None else Path(top, learner),
                                f"more than {MAX_ENTRIES:,} files and folders: the notebooks "
                                "past them were not looked for",
                            )
                        )
                        break
                    own = entry.is_dir(follow_symlinks=False)
                    if entry.name.endswith(".ipynb") and not (own and learner is None):
                        # a file, a link, or a folder named so below a learner's: each gets a
                        # line (in the folder given, a folder is a learner's, bob.ipynb's)
                        (folders if entry.is_dir() else notebooks).append(entry.name)
                    if own and entry.name != ".ipynb_checkpoints":
                        subfolders.append(entry.name)
        except OSError:
            continue
        named = sorted(notebooks) + sorted(folders)
        if left is not None:
            named = named[:left]
            counts[learner] = counts.get(learner, 0) + len(named)
        found += [Path(folder, name) for name in named]
        stack += [
            (Path(folder, name), learner or name) for name in sorted(subfolders, reverse=True)
        ]
    return found, cut


MAX_NOTEBOOKS = 30  # of one learner; past it, none is graded (each assignment has one)
MAX_ENTRIES = 10_000  # files and folders of one learner that the walk looks at


def within_limit(paths, roots, limit=MAX_NOTEBOOKS):
    """``paths`` without those of a learner (``learner_of(path, roots)``) who has more than
    ``limit`` notebooks, and a GradingError for each such learner: thousands of files in one
    learner's folder would otherwise take the batch's time and the grader's memory."""
    learners = [learner_of(path, roots) for path in paths]
    by_learner = {}
    for path, learner in zip(paths, learners, strict=True):
        by_learner.setdefault(learner, []).append(path)
    over = {learner for learner, found in by_learner.items() if len(found) > limit}
    refused = [
        GradingError(
            by_learner[learner][0],
            f"not graded: more than {limit} notebooks of this learner; none of them was graded",
        )
        for learner in sorted(over)
    ]
    return [p for p, learner in zip(paths, learners, strict=True) if learner not in over], refused


def grade_all(paths, timeout=60, jobs=2, budget=300, isolation=None, memory=None, learners=None):
    """Grade every notebook; return a list of Result or GradingError, in the order given.

    Each notebook is graded in a child process of its own, ``jobs`` at a time, whose data may
    not grow past ``memory`` bytes (default GRADER_MEMORY) and which is killed if it runs past
    its deadline (the budget, the checks' time and CHILD_MARGIN seconds). Whatever goes wrong
    with one submission, even a kernel that fills its grader's memory, is that submission's line
    of the report: the others are graded all the same.

    Given ``learners`` (one per path), a notebook of an assignment that the same learner's
    notebook graded before or beside it is of is stopped as soon as its child names the
    assignment: none of them would count (``write_gradebook``), and 30 copies of a notebook that
    spends its budget kept a job busy for 30 budgets.
    """
    isolation = isolation or sandbox.find_isolation()
    memory = GRADER_MEMORY if memory is None else memory
    claimed, lock = set(), threading.Lock()

    def attempt(path, learner):
        def taken(assignment):  # whether another notebook of the learner claimed it
            with lock:
                if learner is None or (learner, assignment) not in claimed:
                    claimed.add((learner, assignment))
                    return False
                return True

        try:
            return _in_child(path, timeout, budget, isolation, memory, taken)
        except Exception as error:  # a failure of the grader's own on this file: say so
            return GradingError(path, f"not graded: the grader failed ({type(error).__name__})")

    learners = [None] * len(paths) if learners is None else learners
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(attempt, paths, learners))


def _data_size(pid):
    """The bytes of data (what RLIMIT_DATA counts) of the process ``pid``; 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            found = re.search(rb"^VmData:\s+(\d+) kB", status.read(), re.M)
    except OSError:
        return 0
    return int(found.group(1)) << 10 if found else 0


def _kill_group(group):
    """Kill the process group ``group`` (a kernel's, whose grader died: the kernel itself died
    with it, but not what it started), if it is still there. Only without a sandbox: there, the
    number may have gone to another group since, and the sandbox's process namespace ends with
    its first process, every process in it with it."""
    with contextlib.suppress(OSError):
        os.killpg(group, signal.SIGKILL)


def _tail(path, size=4096):
    """The last ``size`` bytes of the file at ``path`` (b"" if there is none)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, os.fstat(handle.fileno()).st_size - size))
            return handle.read()
    except OSError:
        return b""


def _context():
    """The "forkserver" context: a child forks from a server that has the grading modules loaded,
    not from this multithreaded process (a fork of which may inherit a held lock)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tests.grading.grade", "matplotlib.font_manager"])
    return context


def _die_with_parent():
    """Have Linux send this process SIGKILL when the thread that started it ends."""
    if _PRCTL is not None:
        _PRCTL(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _kernel_preexec(join=lambda: None):
    """What the kernel's process does between fork and exec: die with this grader's thread
    (bubblewrap's --die-with-parent does the same for the sandbox, and without one, for
    ``--no-sandbox``, this is what ends the kernel), get back the data limit that the grader's
    child set for itself (the kernel has its own limits, ``sandbox.LIMITS``), and ``join`` its
    memory cgroup."""
    parent = os.getpid()
    data = resource.getrlimit(resource.RLIMIT_DATA)[1]

    def preexec():
        _die_with_parent()
        if os.getppid() != parent:  # the grader ended before the line above
            os._exit(1)
        resource.setrlimit(resource.RLIMIT_DATA, (data, data))
        join()

    return preexec


def _child(report, path, timeout, budget, isolation, memory, environment, private, cgroup):
    """Grade ``path`` in this child process; send its outcome as JSON on the pipe ``report``."""
    _die_with_parent()  # the forkserver, which ends when the grader does
    os.environ.clear()
    os.environ.update(environment)  # the grader's, as it is now (the forkserver's is older)
    tempfile.tempdir = private  # the grader removes it, whatever becomes of this process
    with open(Path(private, "stderr"), "wb") as log:
        os.dup2(log.fileno(), 2)  # libzmq says there why it aborted
    if memory is not None:
        resource.setrlimit(resource.RLIMIT_DATA, (memory, resource.RLIM_INFINITY))
    try:
        notebook, assignment = read_submission(path)
        report.send_bytes(json.dumps({"assignment": assignment.name}).encode())

        def started(group):
            report.send_bytes(json.dumps({"kernel": group}).encode())

        result = _grade(path, notebook, assignment, timeout, budget, isolation, started, cgroup)
        outcome = {"result": asdict(result)}
    except GradingError as error:
        outcome = {"error": error.reason}
    except MemoryError:
        outcome = {"memory": True}
    except Exception as error:  # a failure of the grader's own on this file: say so
        outcome = {"error": f"not graded: the grader failed ({type(error).__name__})"}
    report.send_bytes(json.dumps(outcome).encode())


def _in_child(path, timeout, budget, isolation, memory, taken=lambda assignment: False):
    """Grade ``path`` in a child process; its Result, or a GradingError, whatever happens. Once
    the child names the assignment, ``taken(name)`` says whether to stop it there."""
    context = _context()
    deadline = budget + CHECKS_BUDGET + CHILD_MARGIN
    folder = sandbox.ScratchFolder(prefix="grading-")  # a killed child leaves its scratch in it
    cgroup = watchdog.MemoryCgroup(KERNEL_MEMORY + CGROUP_MARGIN)  # and its kernel's cgroup
    with folder as private, contextlib.closing(cgroup):
        reader, writer = context.Pipe(duplex=False)
        child = context.Process(
            target=_child,
            args=(
                writer,
                str(path),
                timeout,
                budget,
                isolation,
                memory,
                dict(os.environ),
                private,
                cgroup,
            ),
            daemon=True,
        )
        try:
            with _PROCESSES:
                child.start()
        except Exception as error:
            return GradingError(path, f"not graded: the grader's process did not start ({error})")
        finally:
            writer.close()
        ends = time.monotonic() + deadline
        reports, late, full, duplicate = {}, False, False, False
        while not FINAL & reports.keys() and not duplicate:
            left = ends - time.monotonic()
            if left <= 0:
                late = True
                break
            full = memory is not None and _data_size(child.pid) > memory * FULL
            if full:
                break
            if not multiprocessing.connection.wait([reader, child.sentinel], min(left, WATCH)):
                continue
            try:
                if not reader.poll():
                    break
                report = json.loads(reader.recv_bytes(RESULT_BYTES))
                reports.update(report if type(report) is dict and len(report) == 1 else {})
                named = type(report) is dict and "assignment" in report
                duplicate = named and taken(str(report["assignment"]))
            except (EOFError, OSError, ValueError):  # ended, or said something it should not
                break
        ended = [child.sentinel]
        if not FINAL & reports.keys() and not multiprocessing.connection.wait(ended, 0):
            child.kill()  # and its kernel with it (_kernel_preexec)
        elif not multiprocessing.connection.wait(ended, CHILD_MARGIN):
            child.kill()  # it reported, but does not end
        multiprocessing.connection.wait(ended, CHILD_MARGIN)
        group = reports.get("kernel")
        unsandboxed = isolation.bwrap is None
        if unsandboxed and not FINAL & reports.keys() and type(group) is int and group > 1:
            _kill_group(group)  # what the kernel started (in a sandbox, its namespace ends it)
        with _PROCESSES:
            child.join(1)
            status = child.exitcode
        reader.close()
        stderr = _tail(Path(private, "stderr"))
    stopped = "full" if full else "late" if late else "duplicate" if duplicate else None
    outcome = _outcome(path, reports, stopped, status, deadline, memory, stderr)
    if folder.problem and isinstance(outcome, Result):
        outcome.cut_off.append(folder.problem)
    elif folder.problem:
        outcome = GradingError(path, f"{outcome.reason}; {folder.problem}")
    return outcome


def in_this_process(path, timeout, budget, isolation, memory, taken=None):
    """Grade ``path`` as ``_in_child`` does, but in this process, without its bounds: for a test
    that changes a check here (a child loads the checks afresh)."""
    try:
        return grade(path, timeout, budget, isolation)
    except GradingError as error:
        return error


def _outcome(path, reports, stopped, status, deadline, memory, stderr):
    """The Result or GradingError that a child's reports and exit status amount to; ``stopped``
    says why the grader killed it ("late", "full" or None)."""
    if "result" in reports:
        result = reports["result"]
        result["exercises"] = [Exercise(**e) for e in result["exercises"]]
        return Result(**result)
    if "error" in reports:
        return GradingError(path, str(reports["error"]))
    out_of_memory = stopped == "full" or "memory" in reports or status == -signal.SIGABRT
    if out_of_memory or b"OUT OF MEMORY" in stderr or b"MemoryError" in stderr:
        size = f"{memory / 2**30:.1f} GiB" if memory >= 1 << 30 else f"{memory >> 20} MiB"
        what = f"ran out of its {size} of memory (the kernel flooded it)"
    elif stopped == "late":
        what = f"was stopped after {deadline:.0f} s, its time limit"
    elif stopped == "duplicate":
        what = "was stopped: the learner has another notebook of this assignment"
    elif status is not None and status < 0:
        name = signal.Signals(-status).name
        what = f"was killed by {name}" + (
            " (perhaps by the system, short of memory)" if name == "SIGKILL" else ""
        )
    else:
        what = f"ended without a result (exit status {status})"
    note = f"the grader's process for this notebook {what}"
    assignment = ASSIGNMENTS.get(str(reports.get("assignment")))
    if assignment is None:
        return GradingError(path, f"not graded: {note}")
    result = Result(notebook=str(path), assignment=assignment.name, cut_off=[note])
    for name, max_points in assignment.exercises.items():
        result.exercises.append(Exercise(name, 0, max_points, False, f"not graded: {note}"))
        result.max_score += max_points
    return result


def visible(text, keep=""):
    """``text`` as it may be shown: every character that ``str.isprintable`` rejects (controls
    such as ESC and CR, format characters such as a right-to-left override, line separators,
    lone surrogates), but those in ``keep``, written as the escape Python would write, \x1b, \r,
    \u202e; a byte of a file name that is not UTF-8 (kept by Python as a surrogate) as \xff.

    A terminal acts on what it is sent, and a learner chooses much of it: their folder and file
    names, and what their code raises. Escaped, a line of the report stays the line it was.
    """
    text = str(text)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c in keep else _escape(c) for c in text)


def _escape(character):
    code = ord(character)
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's stand-in for the byte code - 0xDC00
        return f"\\x{code - 0xDC00:02x}"
    return repr(character)[1:-1] if code < 0x10000 else f"\\U{code:08x}"


def table(result):
    """The result as a plain-text table, every name and message shown with ``visible``."""
    names = [visible(e.name) for e in result.exercises]
    width = max(len("exercise"), *map(len, names))
    lines = [
        f"{visible(result.notebook)} ({visible(result.assignment)})",
        f"  {'exercise':<{width}}  points  passed  message",
    ]
    for name, e in zip(names, result.exercises, strict=True):
        points = f"{e.points}/{e.max_points}"
        passed = "yes" if e.passed else "no"
        lines.append(f"  {name:<{width}}  {points:>6}  {passed:>6}  {visible(e.message)}")
    lines.append(f"  {'total':<{width}}  {f'{result.score}/{result.max_score}':>6}")
    lines += [f"  {visible(note)}" for note in result.cut_off]
    return "\n".join(lines)


def as_json(result):
    """The result as a JSON object: the text as it is (JSON escapes what it must)."""
    return asdict(result)


def learner_of(path, roots):
    """The learner a notebook belongs to, named by where it was found among the paths ``roots``
    that the grader was given (one path, or a list); links are not resolved.

    - given one folder: the first folder below it, ``alice`` for ``submissions/alice/...``
      (a notebook right in the folder: its name without ``.ipynb``; the folder itself: as
      given);
    - given several paths: the same, after the path of the first folder given that holds the
      notebook, ``sec1/alice`` and ``sec2/alice``, so that two folders never merge;
    - a notebook given by itself: the folder it is in, as given (``sub/alice``), or, given
      without a folder, its name without ``.ipynb``.
    """
    roots = [roots] if isinstance(roots, str | os.PathLike) else list(roots)
    absolute = os.path.abspath(path)
    for root in roots:
        base = os.path.abspath(root)
        if absolute == base and os.path.isdir(path) and not os.path.islink(path):
            return os.path.normpath(root)  # the folder given itself (its walk was cut short)
        if absolute.startswith(base.rstrip(os.sep) + os.sep):
            parts = Path(os.path.relpath(absolute, base)).parts
            folder = len(parts) > 1 or (os.path.isdir(path) and not os.path.islink(path))
            name = parts[0] if folder else parts[0].removesuffix(".ipynb")
            return name if len(roots) == 1 else os.path.join(os.path.normpath(root), name)
    folder = os.path.dirname(os.path.normpath(path))
    return folder or Path(path).stem


class OutputError(Exception):
    """A file of the report (the gradebook, a feedback page) that could not be written."""

    def __init__(self, path, reason):
        super().__init__(f"{visible(os.fspath(path))}: {reason}")
        self.path = os.fspath(path)
        self.reason = reason


_KINDS = {stat.S_IFDIR: "a folder", stat.S_IFIFO: "a FIFO", stat.S_IFSOCK: "a socket"}


def write_file(out, text):
    """Write ``text`` (UTF-8) to the file ``out`` in one step: to a new file beside it, then
    renamed to ``out``. What was at ``out`` is replaced if it is a file or a link (the link
    itself: nothing is written where it points); anything else there (a folder, a FIFO, a
    device) is left as it is. Raise OutputError naming ``out`` if the file cannot be written,
    and leave no partial file behind."""
    out = Path(out)
    try:
        mode = os.lstat(out).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as error:
        raise OutputError(out, f"cannot be written ({error.strerror})") from None
    if mode is not None and not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
        what = _KINDS.get(stat.S_IFMT(mode), "a device")
        raise OutputError(out, f"{what} is there, not a file; left as it is, nothing written")
    name = os.fsdecode(os.fsencode(out.name)[:64])  # the partial's name stays short
    partial = out.with_name(f".{name}.{secrets.token_hex(4)}")
    created = False
    try:
        with open(partial, "x", encoding="utf-8", errors="backslashreplace", newline="") as f:
            created = True
            f.write(text)
        os.replace(partial, out)
    except OSError as error:
        try:
            if created:
                os.unlink(partial)
        except OSError:
            pass
        raise OutputError(out, f"cannot be written ({error.strerror or error})") from None


FORMULA = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet may take a cell starting so for code


def csv_cell(value):
    """A CSV cell that a spreadsheet shows as text: ``value`` through ``visible``, and after a
    single quote if it starts like a formula (OWASP's advice on CSV injection)."""
    if not isinstance(value, str):
        return value
    text = visible(value)
    return f"'{text}" if text.startswith(FORMULA) else text


def write_gradebook(outcomes, roots, out):
    """Write one row per learner (named by ``learner_of(path, roots)``), one column per
    (assignment, exercise), a total, and a note for each file that could not be graded, to the
    CSV ``out`` with ``write_file`` (which raises OutputError if it cannot).

    A learner with two notebooks of one assignment gets none of them counted (zeros, and a note
    naming the files): the grader does not guess which one is meant, nor keeps the better one
    of several attempts."""
    columns, rows, notes, graded = [], {}, {}, {}
    for outcome in outcomes:
        path = outcome.path if isinstance(outcome, GradingError) else outcome.notebook
        learner = learner_of(path, roots)
        row = rows.setdefault(learner, {})
        if isinstance(outcome, GradingError):
            notes.setdefault(learner, []).append(f"{Path(path).name}: {outcome.reason}")
            continue
        graded.setdefault((learner, outcome.assignment), []).append(path)
        for e in outcome.exercises:
            column = f"{outcome.assignment}/{e.name}"
            if column not in columns:
                columns.append(column)
            row[column] = e.points
    for (learner, assignment), paths in graded.items():
        if len(paths) > 1:
            for column in columns:
                if column.startswith(f"{assignment}/"):
                    rows[learner][column] = 0
            files = ", ".join(os.path.relpath(p, os.path.commonpath(paths)) for p in paths)
            notes.setdefault(learner, []).append(
                f"{len(paths)} notebooks of {assignment} ({files}): none counted; keep one"
            )
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["learner", *map(csv_cell, columns), "total", "not graded"])
    for learner in sorted(rows):
        row = rows[learner]
        cells = [learner, *(row.get(c, 0) for c in columns), sum(row.values())]
        writer.writerow([*map(csv_cell, cells), csv_cell("; ".join(notes.get(learner, ())))])
    write_file(out, text.getvalue())
