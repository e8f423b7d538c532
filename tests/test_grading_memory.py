"""The grader's memory and time against a kernel that floods it (issue #25), and what happens to
a kernel whose grader's process dies.

libzmq bounds a frame (``MAX_MESSAGE``) and counts whole messages (``QUEUED``), so one message of
many frames is queued whole, however large, on any socket the grader is not reading. Each
submission is therefore graded in a child process whose data is bounded: here the children get
``MEMORY`` (the grader's own bound, ``GRADER_MEMORY``, is larger and would only make the test
slower), and a kernel sends four times that.
"""

import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from tests.grading import grade as grading
from tests.grading import sandbox, watchdog
from tests.grading.assignments import ASSIGNMENTS, ROOT
from tests.grading.release import release
from tests.hostile_submissions import slug

GC = ASSIGNMENTS["gradient_checking"]
MEMORY = 512 << 20  # bytes of data for each child in these tests
FRAMES = 4 * (MEMORY >> 20)  # frames of 1 MiB (under MAX_MESSAGE) in one message
SENDS = f"""
k = get_ipython().kernel
big = b"x" * (1 << 20)  # sent without a copy: the kernel's own memory hardly grows
frames = [big] * {FRAMES}
"""
FLOODS = {
    # nbclient reads iopub while a cell runs, but only whole messages: this one arrives whole
    # in libzmq's queue before any of it can be read.
    "one message of many frames on iopub": SENDS
    + """
k.session.send(k.iopub_socket, "stream", {"name": "stdout", "text": ""},
               parent=k.get_parent(), buffers=frames)
import time
time.sleep(5)
""",
    # The manager's control socket is never read: it learns the grader's address on it from
    # the interrupt of the cut-off cell.
    "one message of many frames on the control socket": SENDS
    + """
import time
try:
    time.sleep(60)
except KeyboardInterrupt:
    pass
k.session.send(k.control_stream, "comm_info_reply", {"status": "ok", "comms": {}},
               ident=k._parent_ident["control"], buffers=frames)
time.sleep(5)
""",
}
PEAK = """
import contextlib, io, json, resource, sys
from tests.grading import grade
from tests.grading.__main__ import main
grade.GRADER_MEMORY = int(sys.argv[1])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
report = io.StringIO()
with contextlib.redirect_stdout(report):
    main(["grade", "--json", "--jobs", "2", "--timeout", "3", "--budget", "15", *sys.argv[2:]])
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"before": before, "after": after, "results": json.loads(report.getvalue())}))
"""


@pytest.fixture(scope="module")
def blank(tmp_path_factory):
    folder = tmp_path_factory.mktemp("release")
    release([GC], folder)
    return folder / GC.folder / GC.notebook


def with_cell(blank, code, path, index=3):
    notebook = nbformat.read(blank, 4)
    notebook.cells.insert(index, nbformat.v4.new_code_cell(code.strip()))
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def test_a_kernel_that_sends_one_message_of_many_frames_fills_its_child_only(blank, tmp_path):
    """Before children, the grader's own peak grew by more than the message (a blank copy:
    104 MiB; 1 GiB on iopub: 2136 MiB; 1 GiB on control: 1127 MiB). Now its peak stays within
    64 MiB of its start, the flooded children stop with a line that says why, and the honest
    learner graded beside them keeps full marks."""
    sandbox.find_isolation()  # fails here, with its reason, where no sandbox can start
    floods = [
        with_cell(blank, code, tmp_path / slug(name) / GC.notebook)
        for name, code in FLOODS.items()
    ]
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", PEAK, str(MEMORY), *map(str, floods), str(GC.path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    elapsed = time.monotonic() - started
    report = json.loads(done.stdout.splitlines()[-1])
    *flooded, honest = report["results"]
    grown = (report["after"] - report["before"]) / 1024
    assert grown < 64, f"the grader's peak grew by {grown:.0f} MiB"
    for result in flooded:
        note = "the grader's process for this notebook ran out of its 512 MiB of memory"
        assert result["cut_off"][-1].startswith(note), result["cut_off"]
        assert result["score"] == 0 and {e["message"] for e in result["exercises"]} == {
            f"not graded: {result['cut_off'][-1]}"
        }
    assert honest["score"] == honest["max_score"] == 8, honest
    # Two at a time: each flooded child stops within its cell's 3 s (and the interrupt's 5 s) of
    # its kernel's start; the honest one takes about 10 s.
    assert elapsed < 90, f"{elapsed:.0f} s"


def processes_naming(text):
    """The processes whose command line holds ``text`` (zombies keep none)."""
    listed = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True).stdout
    return [line.strip() for line in listed.splitlines() if text in line]


ENDLESS = """
def forward_propagation(x, theta):  # the first exercise the checks call
    import os, signal, subprocess, sys, time
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", "$marker"])
    for _ in range(3000):  # deeper than shutil.rmtree's recursion can go
        os.mkdir("d")
        os.chdir("d")
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        time.sleep(0.05)
"""


def test_a_child_past_its_deadline_is_killed_and_its_kernel_dies_with_it(
    blank, tmp_path, monkeypatch
):
    """An exercise that ignores the interrupt keeps its child for the call's 10 s and the
    interrupt's 5 s once the cells (10 s of budget, a few needed) have run; with no time for
    the checks and 1 s of margin, the child's 11 s deadline comes first whatever the load (a
    slower machine only ends the child's work later). The kernel, and what it started, end with
    the child: in the sandbox (bubblewrap's --die-with-parent) and without one (the kernel's
    parent-death signal and its process group). What the kernel left in its scratch folder, a
    chain of folders 3000 deep, is removed all the same."""
    chains = Path(tempfile.gettempdir()).glob  # of this run only: an older one may have left some
    before = set(chains("grading-*/grading-*/scratch/*/d"))
    monkeypatch.setattr(grading, "CHECKS_BUDGET", 0)  # read by the parent: the child keeps its
    monkeypatch.setattr(grading, "CHILD_MARGIN", 1)
    jobs = {}
    for name, isolation in (
        ("sandbox", sandbox.find_isolation()),
        ("none", sandbox.find_isolation(allow_unsandboxed=True)),
    ):
        marker = f"{tmp_path}/{name}-marker"
        code = ENDLESS.replace("$marker", marker)
        cells = len(nbformat.read(blank, 4).cells)
        path = with_cell(blank, code, tmp_path / name / "GC.ipynb", index=cells)
        jobs[name] = (path, isolation, marker)
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        graded = {
            name: pool.submit(grading.grade_all, [path], 10, 1, 10, isolation)
            for name, (path, isolation, _) in jobs.items()
        }
        results = {name: future.result()[0] for name, future in graded.items()}
    elapsed = time.monotonic() - started
    for name, (_, _, marker) in jobs.items():
        result = results[name]
        assert result.cut_off[-1] == (
            "the grader's process for this notebook was stopped after 11 s, its time limit"
        ), (name, result.cut_off)
        assert result.score == 0 < result.max_score
        for _ in range(50):  # a killed process may take a moment to go
            if not processes_naming(marker):
                break
            time.sleep(0.1)
        assert processes_naming(marker) == [], name
    # the child's folder, and in it the scratch folder the kernel filled
    assert set(chains("grading-*/grading-*/scratch/*/d")) <= before
    assert elapsed < 11 + 2 * grading.CHILD_MARGIN + 10


def test_a_child_starts_in_well_under_a_second(tmp_path):
    """Once the forkserver runs, a child (here for a file that is not a notebook) starts,
    reports and ends in a fraction of a second (about 0.03 s on an idle machine; the bound
    leaves room for load): it forks with the grading modules loaded, and imports nothing."""
    path = tmp_path / "not-a-notebook.ipynb"
    path.write_text("not json")
    isolation = sandbox.find_isolation(allow_unsandboxed=True)
    grading.grade_all([path], isolation=isolation)  # starts the forkserver
    started = time.monotonic()
    (outcome,) = grading.grade_all([path], isolation=isolation)
    assert time.monotonic() - started < 1
    assert isinstance(outcome, grading.GradingError)
    assert outcome.reason.startswith("not a valid Jupyter notebook")
    assert Path(outcome.path) == path


def test_a_child_folder_left_behind_is_reported_for_a_file_not_graded_too(tmp_path, monkeypatch):
    """What is left of a child's folder goes into the report whatever the child found: for a
    file that could not be graded, after the reason (it used to be dropped)."""
    path = tmp_path / "not-a-notebook.ipynb"
    path.write_text("not json")
    remove = sandbox.remove_scratch  # removes it all the same, and says it could not
    monkeypatch.setattr(sandbox, "remove_scratch", lambda f: remove(f) or f"{f}: still there")
    isolation = sandbox.find_isolation(allow_unsandboxed=True)
    (outcome,) = grading.grade_all([path], isolation=isolation)
    assert isinstance(outcome, grading.GradingError)
    assert outcome.reason.startswith("not a valid Jupyter notebook")
    assert outcome.reason.endswith(": still there")


FORKS = """
import subprocess, sys, time
hold = "import time; held = b'x' * (200 << 20); time.sleep(60)"
for _ in range(3):  # each under the sandbox's limit per process; together over the bound
    subprocess.Popen([sys.executable, "-c", hold, "$marker"])
time.sleep(60)
"""


def test_processes_that_together_hold_too_much_are_killed(blank, tmp_path, monkeypatch):
    """Three processes of 200 MiB each that the kernel starts, against a bound of 400 MiB on
    the kernel's processes together (the grader's is ``KERNEL_MEMORY``): they are killed with
    the kernel within seconds, and the report says why. ``grade`` runs in this process, where
    the bound is set."""
    monkeypatch.setattr(grading, "KERNEL_MEMORY", 400 << 20)
    marker = f"{tmp_path}/forks-marker"
    path = with_cell(blank, FORKS.replace("$marker", marker), tmp_path / "forks" / "GC.ipynb")
    started = time.monotonic()
    result = grading.grade(path, timeout=30, budget=60, isolation=sandbox.find_isolation())
    assert time.monotonic() - started < 30
    held = [line for line in result.cut_off if "processes held more than" in line]
    assert held == [
        "the kernel's processes held more than 0.391 GiB of memory together and were stopped"
    ], result.cut_off
    assert result.score == 0 < result.max_score
    assert processes_naming(marker) == []


AS_ROOT = pytest.mark.skipif(os.geteuid() != 0, reason="read as root only")
# read with nsenter, or through /proc/PID/map_files
ROOT_ONLY = {"System V segments", "memfd files still mapped", "socket queues"}
ROOT_ONLY |= {"loopback TCP queues", "deleted files still mapped"}


# A process opens 256 files at most (sandbox.LIMITS): a cell that holds more sockets shares them
# out among processes, six of 512 MiB / 6 each; fill_up(end) sends until the socket's queue is full
IN_PROCESSES = """
import os, socket, time
def fill_up(end):
    end.setblocking(False)
    queued = 0
    try:
        while True:
            queued += end.send(bytes(1 << 16))
    except BlockingIOError:
        return queued
def in_processes(fill, count=6):
    for _ in range(count):
        if os.fork() == 0:
            fill((512 << 20) // count)
            time.sleep(60)
            os._exit(0)
    time.sleep(60)
"""
# libc's mmap, for a kernel's cell (Python's mmap keeps a descriptor of the file it maps)
MMAP = """
import ctypes, time
libc = ctypes.CDLL(None)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int]
libc.mmap.argtypes += [ctypes.c_int, ctypes.c_long]
"""


# Files under the sandbox's size limit per file (RLIMIT_FSIZE), but many of them: written
# everywhere the kernel may write (its working folder, its home), one level down or more.
FILLS = {
    "large files": """
import os, time
block = b"x" * (1 << 20)
for i in range(40):  # 40 MiB in files of 8 MiB, in two of the folders it may write
    folder = os.path.expanduser("~") if i % 2 else "."
    with open(f"{folder}/fill{i // 8}-{i % 8}.bin", "ab") as handle:
        handle.write(block)
time.sleep(60)
""",
    # Files no folder shows: deleted while held open (fallocate'd, so instantly on the disk)
    "deleted files held open": """
import os, time
held = []
for i in range(6):
    fd = os.open(f"big{i}", os.O_CREAT | os.O_RDWR, 0o600)
    os.posix_fallocate(fd, 0, 8 << 20)
    os.unlink(f"big{i}")
    held.append(fd)
time.sleep(60)
""",
    # Deleted files with no descriptor open: each mapped, one page of it
    "deleted files still mapped": MMAP
    + """import os
for i in range(6):
    fd = os.open(f"big{i}", os.O_CREAT | os.O_RDWR, 0o600)
    os.posix_fallocate(fd, 0, 8 << 20)
    libc.mmap(None, 4096, 1, 1, fd, 0)  # PROT_READ, MAP_SHARED
    os.close(fd)
    os.unlink(f"big{i}")
time.sleep(60)
""",
    "many small files": """
import os, time
os.makedirs("d/d", exist_ok=True)
for i in range(2500):
    open(f"d/d/f{i}", "w").close()
time.sleep(60)
""",
}


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=AS_ROOT if n in ROOT_ONLY else ()) for n in FILLS]
)
def test_a_kernel_that_fills_its_scratch_folder_is_stopped(blank, tmp_path, monkeypatch, name):
    """Against bounds of 32 MiB and 2000 files (the grader's are ``KERNEL_DISK`` and
    ``KERNEL_FILES``): the kernel is stopped within seconds, the report says why, and what it
    wrote goes with its scratch folder. ``grade`` runs in this process, where the bounds are
    set. (Without a bound, five files of 256 MiB grew the host's disk by 1.25 GiB.)"""
    monkeypatch.setattr(grading, "KERNEL_DISK", 32 << 20)
    monkeypatch.setattr(grading, "KERNEL_FILES", 2000)
    path = with_cell(blank, FILLS[name], tmp_path / slug(name) / "GC.ipynb")
    started = time.monotonic()
    result = grading.grade(path, timeout=30, budget=60, isolation=sandbox.find_isolation())
    assert time.monotonic() - started < 25
    assert "the kernel wrote more than 0.0312 GiB or 2000 files into its scratch folder" in (
        "\n".join(result.cut_off)
    ), result.cut_off
    assert result.score == 0 < result.max_score


# A file deleted while its descriptor is in flight in a Unix socket (SCM_RIGHTS, never received)
# has no name, no descriptor and no mapping: the watch cannot see it (12 of 255 MiB grew the
# host's disk by 3 GiB). Here 8 of 32 MiB are tried; the cell takes away an exercise if more fit
# than the scratch folder's tmpfs holds.
IN_FLIGHT = """
import array, os, socket
ends, hidden = socket.socketpair(), 0
for i in range(8):
    fd = os.open(f"in-flight{i}", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.posix_fallocate(fd, 0, 32 << 20)
        hidden += 32 << 20
    except OSError:
        pass
    ends[0].sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))])
    os.close(fd)
    os.unlink(f"in-flight{i}")
if hidden > $most:
    del forward_propagation
"""


@AS_ROOT
def test_what_a_kernel_hides_in_flight_is_bounded_by_its_scratch_folder(tmp_path, monkeypatch):
    """Run by root, the grader makes each scratch folder a tmpfs of KERNEL_DISK + SCRATCH_MARGIN
    bytes (here 32 + 64 MiB): what no reading sees is bounded all the same, and in memory that the
    kernel's cgroup counts; the honest learner who tried keeps full marks."""
    monkeypatch.setattr(grading, "KERNEL_DISK", 32 << 20)
    notebook = nbformat.read(GC.path, 4)
    most = grading.KERNEL_DISK + grading.SCRATCH_MARGIN
    code = IN_FLIGHT.replace("$most", str(most))
    notebook.cells.append(nbformat.v4.new_code_cell(code.strip()))
    notebook.cells[-1].metadata["nbgrader"] = {"grade_id": "check_gradient_check_n"}
    path = tmp_path / "in-flight" / "GC.ipynb"
    path.parent.mkdir()
    nbformat.write(notebook, path)
    result = grading.grade(path, timeout=30, budget=60, isolation=sandbox.find_isolation())
    assert result.score == result.max_score, result


# Memory in no process's resident set, 512 MiB of it: memfd files written, never mapped (6 GiB
# of them took two seconds and went unseen), System V segments filled, then detached (4 GiB
# went unseen until the kernel ended), and sockets filled (4.5 GiB in Unix sockets unseen); all but
# the first read with nsenter, so only when the grader is root.
UNSEEN_MEMORY = {
    "memfd files": """
import os, time
held = []
for i in range(8):
    fd = os.memfd_create(f"m{i}")
    os.posix_fallocate(fd, 0, 64 << 20)
    held.append(fd)
time.sleep(60)
""",
    "System V segments": """
import ctypes, time
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
libc.shmdt.argtypes = [ctypes.c_void_p]
for _ in range(8):  # 8 segments of 64 MiB
    segment = libc.shmget(0, 64 << 20, 0o1600)  # IPC_PRIVATE, IPC_CREAT | 0600
    address = libc.shmat(segment, None, 0)
    ctypes.memset(address, 1, 64 << 20)
    libc.shmdt(ctypes.c_void_p(address))
time.sleep(60)
""",
    "memfd files still mapped": MMAP
    + """import os
for i in range(8):
    fd = os.memfd_create(f"m{i}")
    os.posix_fallocate(fd, 0, 64 << 20)
    libc.mmap(None, 4096, 1, 1, fd, 0)  # PROT_READ, MAP_SHARED; no descriptor kept
    os.close(fd)
time.sleep(60)
""",
    # 60,000 pages of zeros, each 1 GiB from the next: a page of page table and one of page
    # directory each, 470 MiB (no resident set shows the zero page)
    "page tables": MMAP
    + """for i in range(60000):
    # PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE
    address = libc.mmap((1 << 40) + (i << 30), 4096, 1, 0x2 | 0x20 | 0x100000, -1, 0)
    ctypes.string_at(address, 1)
time.sleep(60)
""",
    # 512 MiB written into Unix socket pairs that nobody reads (fewer where the host's socket
    # buffers are small: 450 pairs of 416 KiB each way, 374 MiB, the kernel's own memory above)
    "socket queues": IN_PROCESSES
    + """def fill(most):
    held, queued = [], 0
    while queued < most and len(held) < 100:
        pair = socket.socketpair()
        for end in pair:
            end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
            queued += fill_up(end)
        held.append(pair)
in_processes(fill)
""",
    "loopback TCP queues": IN_PROCESSES
    + """def fill(most):
    server = socket.create_server(("127.0.0.1", 0), backlog=64)
    held, queued = [], 0
    while queued < most and len(held) < 100:
        client = socket.create_connection(server.getsockname())
        held += [client, server.accept()[0]]
        queued += fill_up(client)
in_processes(fill)
""",
}


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=AS_ROOT if n in ROOT_ONLY else ()) for n in UNSEEN_MEMORY]
)
def test_memory_outside_the_resident_sets_counts_against_the_kernels(
    blank, tmp_path, monkeypatch, name
):
    """Against a bound of 400 MiB on the kernel's processes together: stopped, and said so."""
    monkeypatch.setattr(grading, "KERNEL_MEMORY", 400 << 20)
    path = with_cell(blank, UNSEEN_MEMORY[name], tmp_path / slug(name) / "GC.ipynb")
    result = grading.grade(path, timeout=30, budget=60, isolation=sandbox.find_isolation())
    assert "the kernel's processes held more than 0.391 GiB of memory together" in (
        "\n".join(result.cut_off)
    ), result.cut_off
    assert result.score == 0 < result.max_score


# Memory that no reading of /proc shows, only the kernel's memory cgroup: its tmpfs /tmp and
# /dev/shm filled (318 MiB; the attacker's were pipes holding huge pages after vmsplice, datagrams
# of closed sockets, epoll's watches: 4 GiB of each)
IN_THE_CGROUP_ONLY = """
import time
for folder, size in (("/tmp", 255), ("/dev/shm", 63)):
    with open(f"{folder}/fill", "wb") as handle:
        for _ in range(size):
            handle.write(bytes(1 << 20))
time.sleep(60)
"""


@pytest.mark.skipif(
    watchdog._cgroup_parent() is None,
    reason="no memory cgroup can be made here (as root, with cgroup v1's memory hierarchy or "
    "cgroup v2's memory controller)",
)
def test_memory_only_the_cgroup_counts_stops_the_kernel(blank, tmp_path, monkeypatch):
    """Against a bound of 300 MiB: the system stops the kernel, the report says so, and the
    kernel's cgroup is gone afterwards."""
    monkeypatch.setattr(grading, "KERNEL_MEMORY", 300 << 20)
    monkeypatch.setattr(grading, "CGROUP_MARGIN", 0)
    made, cgroup = [], watchdog.MemoryCgroup  # this grading's (other tests make theirs)

    def recorded(limit):
        made.append(cgroup(limit))
        return made[-1]

    monkeypatch.setattr(grading.watchdog, "MemoryCgroup", recorded)
    path = with_cell(blank, IN_THE_CGROUP_ONLY, tmp_path / "cgroup" / "GC.ipynb")
    result = grading.grade(path, timeout=30, budget=60, isolation=sandbox.find_isolation())
    assert (
        "the kernel's processes charged more than 0.293 GiB of memory (page tables, pipes and "
        "kernel objects included) and the system stopped them" in result.cut_off
    ), result.cut_off
    assert result.score == 0 < result.max_score
    assert len(made) == 1 and made[0].folder is not None and not made[0].folder.exists()
