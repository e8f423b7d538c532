"""The grader against hostile submissions (``tests/hostile_submissions.py``), and its sandbox.

These tests need the sandbox: where none can start, they fail with the grader's message saying
why, rather than pass without having run.
"""

import contextlib
import csv
import hashlib
import io
import json
import os
import platform
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from string import Template

import nbformat
import pytest

from tests.grading import sandbox
from tests.grading.__main__ import main
from tests.grading.assignments import ASSIGNMENTS, ROOT
from tests.grading.grade import _grade, grade, read_submission
from tests.grading.release import release
from tests.helpers import in_a_sandbox
from tests.hostile_submissions import ATTACKS, FILES, FLOODS, slug

GC = ASSIGNMENTS["gradient_checking"]
CANARY = b"the instructor's file"
JOBS = 2  # submissions graded side by side (more, and the honest learner's cells may be cut off)


def digests(*extra):
    """A checksum of every file of the repository that git knows, and of ``extra``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    paths = [ROOT / os.fsdecode(p) for p in listed if p] + list(extra)
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths if p.is_file()}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """One class: an honest learner (the solutions) and one learner per attack, graded at once."""
    sandbox.find_isolation()  # fails here, with its reason, where no sandbox can start
    release([GC], tmp_path_factory.mktemp("release"))
    folder = tmp_path_factory.mktemp("submissions")
    blank_path = tmp_path_factory.getbasetemp() / "release0" / GC.folder / GC.notebook
    blank = nbformat.read(blank_path, 4)
    last_check = max(
        i
        for i, cell in enumerate(blank.cells)
        if cell.metadata.get("nbgrader", {}).get("grade_id", "").startswith("check_")
    )
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    honest = folder / "honest" / GC.notebook
    honest.parent.mkdir()
    honest.write_bytes(GC.path.read_bytes())
    canary = folder / "canary"
    canary.write_bytes(CANARY)
    for name, spoil in FILES.items():
        path = folder / slug(name) / GC.notebook
        path.parent.mkdir()
        path.write_bytes(blank_path.read_bytes())
        spoil(path, GC.path)
    for name, code in ATTACKS.items():
        notebook = nbformat.read(blank_path, 4)
        source = Template(code).substitute(
            root=ROOT, outside=folder, port=listener.getsockname()[1]
        )
        notebook.cells.insert(last_check, nbformat.v4.new_code_cell(source.strip()))
        path = folder / slug(name) / GC.notebook
        path.parent.mkdir()
        nbformat.write(notebook, path)
    before, honest_bytes = digests(canary), honest.read_bytes()
    started = time.monotonic()
    report = io.StringIO()
    with contextlib.redirect_stdout(report):
        status = main(
            ["grade", str(folder), "--timeout", "5", "--budget", "10", "--json"]
            + ["--jobs", str(JOBS), "--feedback", str(folder.parent / f"{folder.name}-feedback")]
            + ["--csv", str(folder.parent / f"{folder.name}-gradebook.csv")]
        )
    elapsed = time.monotonic() - started
    try:
        listener.accept()
        connected = True
    except BlockingIOError:
        connected = False
    with open(folder.parent / f"{folder.name}-gradebook.csv", newline="") as handle:
        gradebook = {row["learner"]: row for row in csv.DictReader(handle)}
    return {
        "status": status,
        "elapsed": elapsed,
        "gradebook": gradebook,
        "results": {Path(r["notebook"]).parent.name: r for r in json.loads(report.getvalue())},
        "folder": folder,
        "changed": [str(p) for p, d in digests(canary).items() if before.get(p) != d],
        "canary": canary.read_bytes() == CANARY and not canary.is_symlink(),
        "honest intact": honest.read_bytes() == honest_bytes,
        "pages": sorted(p.name for p in (folder.parent / f"{folder.name}-feedback").iterdir()),
        "connected": connected,
    }


@pytest.mark.parametrize("name", ATTACKS)
def test_a_blank_copy_with_an_attack_scores_zero(batch, name):
    assert batch["gradebook"][slug(name)]["total"] == "0"


@pytest.mark.parametrize("name", FILES)
def test_a_bad_file_gets_a_line_and_the_batch_goes_on(batch, name):
    row = batch["gradebook"][slug(name)]
    assert row["total"] == "0"
    assert row["not graded"].startswith(f"{GC.notebook}: ") and "\n" not in row["not graded"]
    assert slug(name) not in batch["results"]


def test_every_learner_of_the_batch_gets_a_feedback_page(batch):
    assert len(batch["pages"]) == len(ATTACKS) + len(FILES) + 1
    assert f"honest-{GC.notebook[:-6]}.html" in batch["pages"]


def test_the_honest_learner_in_the_same_batch_keeps_full_marks(batch):
    assert batch["status"] == 0
    assert batch["gradebook"]["honest"]["total"] == "8"
    assert batch["gradebook"]["honest"]["not graded"] == ""
    assert batch["honest intact"]


def test_a_kernel_that_ignores_the_interrupt_is_not_waited_for(batch):
    """Whatever the load: the cell may get less than its 5 s when the budget runs low."""
    result = batch["results"][slug("ignore interrupts and loop")]
    cell = result["cut_off"][0].split(":")[0]
    assert re.fullmatch(rf"{cell}: cut off after [1-5] s", result["cut_off"][0])
    assert result["cut_off"][1:] == [
        f"{cell}: the kernel ignored the interrupt; no more cells ran"
    ]
    assert {e["message"] for e in result["exercises"]} == {
        f"not graded: the kernel stopped answering when {cell} was cut off"
    }


def test_a_call_that_ignores_the_interrupt_and_floods_the_shell_channel_is_cut_off(batch):
    """Its replies to nothing pass for the cell's reply (nbclient reads the parent only), so the
    cell seems done; then the grader's own requests time out, and the batch goes on."""
    result = batch["results"][slug("ignore interrupts and flood the shell channel")]
    assert {e["message"].split(":")[0] for e in result["exercises"]} <= {"timed out", "not graded"}


def test_no_file_outside_the_scratch_copies_changes(batch):
    assert batch["changed"] == []
    assert batch["canary"]
    # Every place the attack "write outside the scratch copy" tries (tests/hostile_submissions.py)
    for path in (ROOT, ROOT / "tests" / "grading", Path("/tmp"), batch["folder"]):
        assert not (path / "pwned").exists(), f"a submission wrote {path / 'pwned'}"
    written = {p.name for p in batch["folder"].rglob("*")} - {
        "canary",
        GC.notebook,
        *map(slug, [*ATTACKS, *FILES]),
        "honest",
    }
    assert written == set()


def test_no_submission_reaches_the_network(batch):
    assert not batch["connected"]


def test_the_batch_grades_in_bounded_time(batch):
    """Every submission within its budget (10 s), plus the cut-off checks, JOBS at a time."""
    per_submission = 10 + 5 + 5 + 10  # budget, interrupt, the checks' start, kernel start-up
    assert batch["elapsed"] < per_submission * (len(ATTACKS) + 1) / JOBS


def test_without_a_sandbox_grading_refuses_unless_told(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sandbox, "_bwrap_binary", lambda: None)
    sandbox.find_isolation.cache_clear()
    try:
        assert main(["grade", str(GC.path)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "bwrap not found" in err and "--no-sandbox" in err
        assert main(["grade", "--no-sandbox", "--json", str(GC.path)]) == 0
        captured = capsys.readouterr()
        assert '"score": 8' in captured.out and "isolation: NONE" in captured.err
    finally:
        sandbox.find_isolation.cache_clear()


def test_a_notebook_over_its_budget_stops_and_says_which_cells_did_not_run(tmp_path):
    """Two cells that never end (they wait: the cores are the other tests'; a busy loop is cut
    off the same way, as the endless loops of test_grading.py and of the batch show)."""
    notebook = nbformat.read(GC.path, as_version=4)
    for index in (5, 3):
        endless = "import time\nwhile True:\n    time.sleep(0.05)"
        notebook.cells.insert(index, nbformat.v4.new_code_cell(endless))
    nbformat.write(notebook, tmp_path / "slow.ipynb")
    started = time.monotonic()
    result = grade(tmp_path / "slow.ipynb", timeout=4, budget=8)
    assert time.monotonic() - started < 8 + 10 + 10
    assert result.cut_off[0].startswith("cell 3: cut off after")
    assert "not run, the notebook's time budget was spent" in result.cut_off[-1]
    assert result.score == 0


def test_a_slow_kernel_start_does_not_spend_the_cells_budget():
    """On a loaded machine the sandboxed kernel can take seconds to start: the budget is the
    cells' own (the start has the child's margin), so the honest notebook keeps full marks. Here
    the start takes 7 s more than usual against a budget of 6 s, which its cells need 1 to 3 s
    of (the grade was 0 when the budget counted the start)."""
    notebook, assignment = read_submission(GC.path)
    result = _grade(
        GC.path, notebook, assignment, 5, 6, sandbox.find_isolation(), lambda _: time.sleep(7)
    )
    assert result.score == 8, result.cut_off


def test_a_fork_bomb_leaves_the_other_sandboxes_their_processes(tmp_path):
    """Two sandboxes side by side: the first forks until its process limit stops it and holds
    its processes; the second must still start 50 threads."""
    bomb = """
import os, sys, time
parent = os.getpid()
while True:
    try:
        if os.fork() == 0:
            time.sleep(60)
            os._exit(0)
    except OSError:
        break
open("full", "w").close()
time.sleep(60)
"""
    threads = """
import threading
started = [threading.Thread(target=lambda: None) for _ in range(50)]
for thread in started:
    thread.start()
print("ok")
"""
    first_sandbox, second_sandbox = (
        in_a_sandbox(tmp_path / "bomb", 60),
        in_a_sandbox(tmp_path / "other", 60),
    )
    full = tmp_path / "bomb" / "work" / "full"
    with subprocess.Popen([*first_sandbox, sys.executable, "-c", bomb]) as first:
        try:
            for _ in range(300):
                if full.exists():
                    break
                time.sleep(0.1)
            assert full.exists(), "the bomb did not fill its process limit"
            second = subprocess.run(
                [*second_sandbox, sys.executable, "-c", threads],
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert second.stdout == "ok\n", second.stderr
        finally:
            first.kill()


@pytest.mark.parametrize("sandboxed", [True, False])
def test_no_process_of_a_kernel_can_start_a_session_or_a_namespace(tmp_path, sandboxed):
    """The scheduler shares the CPU equally between sessions: a kernel that started 100 busy
    processes in sessions of their own left the honest kernels beside it 1% of the CPU, and their
    checks timed out. Root in a user namespace of its own, a kernel mounted a tmpfs of 64 GiB and
    filled 4 GiB of it: host memory that no process held. In the sandbox (and under --no-sandbox)
    setsid, unshare and clone into a new namespace fail, in the kernel and in every process it
    starts (clone3 says it does not exist, so that the C library uses clone); starting processes
    and threads does not."""
    code = """
import ctypes, errno, os, subprocess, sys, threading
libc = ctypes.CDLL(None, use_errno=True)
def call(number, *args):  # x86_64's numbers
    pid = libc.syscall(number, *args)
    if pid == 0:
        os._exit(0)  # a child of clone
    if pid < 0:
        raise OSError(ctypes.get_errno(), "")
def run(*argv):
    subprocess.run(argv, check=True, stderr=subprocess.DEVNULL)
attempts = {
    "setsid": os.setsid,
    "Popen": lambda: subprocess.run(["true"], start_new_session=True),
    "a child's setsid": lambda: run(sys.executable, "-c", "import os; os.setsid()"),
    "setsid(1)": lambda: run("setsid", "true"),
    "unshare a user namespace": lambda: call(272, 0x10000000),
    "unshare a mount namespace": lambda: call(272, 0x00020000),
    "unshare(1) a tmpfs": lambda: run("unshare", "-Urm", "mount", "-t", "tmpfs", "x", "/tmp"),
    "clone a user namespace": lambda: call(56, 0x10000000 | 17, 0, 0, 0, 0),
    "clone3": lambda: call(435, 0, 0),
}
for name, attempt in attempts.items():
    try:
        attempt()
        print(name, "done")
    except subprocess.CalledProcessError:
        print(name, "refused")
    except OSError as error:
        print(name, errno.errorcode[error.errno])
thread = threading.Thread(target=print, args=("a thread runs",))
thread.start()
thread.join()  # before the next line prints: on a loaded machine it printed after it once
print("a plain child", subprocess.run(["true"]).returncode)
"""
    if platform.machine() != "x86_64":
        pytest.skip("the system call numbers of the probe are x86_64's")
    argv = in_a_sandbox(tmp_path / "scratch", 30) if sandboxed else sandbox.unsandboxed_argv(30)
    done = subprocess.run(
        [*argv, sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert done.stdout.splitlines() == [
        "setsid EPERM",
        "Popen EPERM",
        "a child's setsid refused",
        "setsid(1) refused",
        "unshare a user namespace EPERM",
        "unshare a mount namespace EPERM",
        "unshare(1) a tmpfs refused",
        "clone a user namespace EPERM",
        "clone3 ENOSYS",
        "a thread runs",
        "a plain child 0",
    ], done.stderr[-500:]


@pytest.mark.parametrize("sandboxed", [True, False])
def test_no_process_of_a_kernel_can_hold_the_hosts_open_files(tmp_path, sandboxed):
    """The host's table of open files is shared by every process: a kernel that registered 2.4
    million files with io_uring (held by no descriptor) filled it, and no kernel beside it could
    open a file. io_uring is refused as missing (and io_setup, which takes from one count of the
    system's, and the key ring's calls, whose keys outlive the kernel); there are no
    pseudo-terminals (every devpts but the host's takes from one count of 3,072) and /dev, of
    half the machine's memory, is read-only (the user's own without root); a process
    opens 256 files at most, 256 processes of it 65,536, and its Unix sockets hold about as many
    in flight as it may open (the system's bound per user, which root is exempt from: only in
    the sandbox)."""
    code = """
import array, ctypes, errno, os, socket, sys
libc = ctypes.CDLL(None, use_errno=True)
def call(name, number, *args):
    done = libc.syscall(number, *args)
    print(name, "done" if done >= 0 else errno.errorcode[ctypes.get_errno()])
call("io_uring_setup", 425, 1, ctypes.create_string_buffer(120))
call("io_setup", 206, 4096, ctypes.byref(ctypes.c_ulong(0)))
call("add_key", 248, b"user", b"k", b"v", 1, -4)  # KEY_SPEC_USER_KEYRING
call("keyctl", 250, 0, -4, 0)  # KEYCTL_GET_KEYRING_ID
def try_open(path, flags):
    try:
        os.close(os.open(path, flags))
        print(path, "opened")
    except OSError as error:
        print(path, errno.errorcode[error.errno])
for path in ("/dev/ptmx", "/dev/pts/ptmx"):
    try_open(path, os.O_RDWR | os.O_NOCTTY)
if sys.argv[1] == "sandboxed":  # never into the host's /dev
    for path in ("/dev/x", "/dev/pts/x"):
        try_open(path, os.O_WRONLY | os.O_CREAT)
held = []
try:
    while len(held) < 100_000:
        held.append(os.open("/dev/null", os.O_RDONLY))
except OSError as error:  # descriptors are numbered from 0 up: the last one is the bound
    print("open", errno.errorcode[error.errno], "after descriptor", max(held))
for fd in held:
    os.close(fd)
ends, sent = socket.socketpair(), 0
try:
    while sent < 5_000:
        fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(200)]
        ends[0].sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
        for fd in fds:
            os.close(fd)
        sent += 200
    print("in flight", sent)
except OSError as error:
    print("in flight", errno.errorcode[error.errno], "after", sent)
"""
    if platform.machine() != "x86_64":
        pytest.skip("the system call number of the probe is x86_64's")
    argv = in_a_sandbox(tmp_path / "scratch", 30) if sandboxed else sandbox.unsandboxed_argv(30)
    done = subprocess.run(
        [*argv, sys.executable, "-c", code, "sandboxed" if sandboxed else "host"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    bounded = sandboxed or os.geteuid() != 0
    hosts_terminals = done.stdout.splitlines()[4:6]  # whatever the host's /dev holds
    assert done.stdout.splitlines() == [
        "io_uring_setup ENOSYS",
        "io_setup ENOSYS",
        "add_key ENOSYS",
        "keyctl ENOSYS",
        *(["/dev/ptmx ENOENT", "/dev/pts/ptmx ENOENT"] if sandboxed else hosts_terminals),
        *(["/dev/x EROFS", "/dev/pts/x EROFS"] if sandboxed else []),
        f"open EMFILE after descriptor {sandbox.LIMITS['RLIMIT_NOFILE'] - 1}",
        "in flight ETOOMANYREFS after 400" if bounded else "in flight 5000",
    ], done.stderr[-500:]


def test_the_kernel_can_write_its_tmp_and_start_a_pool_of_processes(tmp_path):
    """/tmp and /dev/shm were root's, 0755: tempfile, multiprocessing's pools and locks failed
    with EACCES in the sandbox. Now both are the sandbox's own tmpfs, of bounded size."""
    code = """
import multiprocessing, os, tempfile
with tempfile.NamedTemporaryFile() as handle:
    handle.write(bytes(1 << 20))
if __name__ == "__main__":
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        print(pool.map(abs, [-1, -2]))
    with multiprocessing.Lock():
        print("locked")
    for folder in ("/tmp", "/dev/shm"):
        info = os.statvfs(folder)
        print(folder, info.f_blocks * info.f_frsize >> 20, "MiB")
"""
    scratch = tmp_path / "scratch"
    argv = in_a_sandbox(scratch, 30)
    (scratch / "work" / "probe.py").write_text(code)
    done = subprocess.run(
        [*argv, sys.executable, "probe.py"], capture_output=True, text=True, timeout=60
    )
    assert done.stdout.splitlines() == ["[1, 2]", "locked", "/tmp 256 MiB", "/dev/shm 64 MiB"], (
        done.stderr[-500:]
    )


PEAK = """
import json, resource, sys
from tests.grading.grade import _grade, grade, read_submission
for path in sys.argv[1:]:
    result = grade(path, timeout=30, budget=60)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"score": result.score, "cut_off": result.cut_off, "peak": peak}))
"""


def test_what_a_kernel_floods_the_grader_with_is_not_kept(tmp_path):
    """Comm messages, errors, input requests and displays, 128 MiB each: the peak memory of the
    process that grades (grade(), as each child of grade_all runs it) stays within 32 MiB of what
    grading the blank copy takes. It grew by 64 MiB when the stdin channel was left open: 16
    queued input requests of 4 MiB."""
    release([GC], tmp_path / "release")
    blank = tmp_path / "release" / GC.folder / GC.notebook
    floods = []
    for name, code in FLOODS.items():
        notebook = nbformat.read(blank, 4)
        notebook.cells.insert(3, nbformat.v4.new_code_cell(code.strip()))
        floods.append(tmp_path / slug(name) / GC.notebook)
        floods[-1].parent.mkdir()
        nbformat.write(notebook, floods[-1])
    done = subprocess.run(
        [sys.executable, "-c", PEAK, str(blank), *map(str, floods)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    baseline, *flooded = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["score"] for r in flooded] == [0] * len(FLOODS)
    assert all(not r["cut_off"] for r in flooded), [r["cut_off"] for r in flooded]
    peaks = {name: round(r["peak"]) for name, r in zip(FLOODS, flooded, strict=True)}
    grown = flooded[-1]["peak"] - baseline["peak"]  # a peak only rises: the last is the highest
    assert grown < 32, f"blank copy {baseline['peak']:.0f} MiB, then peaks (MiB) after {peaks}"
