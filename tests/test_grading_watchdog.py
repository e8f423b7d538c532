"""The bound on a sandbox's processes' memory together (tests/grading/watchdog.py), on plain
process trees: no kernel needed."""

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.grading import watchdog
from tests.grading.watchdog import MemoryWatch, parent_in, resident, tree

MiB = 1 << 20
# A process that starts ``children`` processes, each holding ``size`` MiB written byte by byte
# (so resident, not only reserved), the last of them a grandchild, then sleeps. (In the sandbox
# an orphan stays in the tree: its own process namespace adopts it, below bubblewrap.)
TREE = """
import os, sys, time
children, size = int(sys.argv[1]), int(sys.argv[2])
for k in range(children):
    if os.fork() == 0:
        if k == children - 1 and os.fork() != 0:
            os.wait()
            os._exit(0)
        block = b"x" * (size << 20)
        os.write(1, b"holding\\n")  # one write: lines of two children never interleave
        time.sleep(60)
        os._exit(0)
time.sleep(60)
"""


def start_tree(children, size):
    process = subprocess.Popen(
        [sys.executable, "-c", TREE, str(children), str(size)], stdout=subprocess.PIPE, text=True
    )
    for _ in range(children):
        assert process.stdout.readline() == "holding\n"
    return process


def wait_for(condition, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_tree_over_the_limit_together_is_killed_whole():
    """Three children of 120 MiB, each far under any per-process limit, against 250 MiB."""
    process = start_tree(3, 120)
    pids = tree(process.pid)
    assert len(pids) == 5 and resident(pids) > 360 * MiB
    try:
        with MemoryWatch(process.pid, limit=250 * MiB, interval=0.05) as watch:
            assert wait_for(lambda: process.poll() is not None, 20), "the root was not killed"
            assert wait_for(lambda: resident(pids) == 0, 5), "processes below it live on"
        assert watch.tripped
        assert "more than 0.244 GiB of memory together" in watch.message
    finally:
        process.kill()
        process.wait()


def test_a_tree_under_the_limit_is_left_alone():
    process = start_tree(2, 30)
    try:
        with MemoryWatch(process.pid, limit=250 * MiB, interval=0.05) as watch:
            assert len(tree(process.pid)) == 4 and resident(tree(process.pid)) > 60 * MiB
            time.sleep(0.3)
            assert process.poll() is None
        assert not watch.tripped
    finally:
        process.kill()
        process.wait()


def test_once_the_root_has_ended_the_watch_signals_nothing():
    """Even with a limit of 0: it holds the root by a pidfd, so a process that is given the
    ended root's number later is not taken for it."""
    process = start_tree(0, 0)
    watch = MemoryWatch(process.pid, limit=0, interval=0.05)
    process.kill()
    process.wait()
    with watch:
        time.sleep(0.3)
    assert not watch.tripped


NEXT_NUMBER = "/proc/sys/kernel/ns_last_pid"  # the number of the last process started
# A root whose one child sleeps, reaped by the system once it ends (SIGCHLD ignored).
ROOT_AND_CHILD = """
import os, signal, time
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
child = os.fork()
if child == 0:
    time.sleep(60)
    os._exit(0)
print(child, flush=True)
time.sleep(60)
"""


def started_as(number):
    """A process outside every tree watched here, given the number ``number`` (free now)."""
    for _ in range(100):  # another process may be started between the write and the fork
        with open(NEXT_NUMBER, "w") as handle:
            handle.write(str(number - 1))
        process = subprocess.Popen(["sleep", "60"], start_new_session=True)
        if process.pid == number:
            return process
        process.kill()
        process.wait()
    pytest.fail(f"no process got the number {number} in 100 tries")


@pytest.mark.skipif(not os.access(NEXT_NUMBER, os.W_OK), reason="root sets the next number")
def test_a_number_given_to_another_process_during_a_reading_is_not_signalled(monkeypatch):
    """Issue #25's attacker: the watch listed the tree, read for a while, then killed every
    process of the list by number; one that ended in between could have its number given to a
    process outside the tree (a kernel can run the numbers round in a second), which was
    killed. Here the watch's child ends during a reading and its number goes to another."""
    root = subprocess.Popen([sys.executable, "-c", ROOT_AND_CHILD], stdout=subprocess.PIPE)
    child = int(root.stdout.readline())
    others = []
    reading = watchdog.held_open

    def slow_reading(pids, *args):
        if child in pids and not others:
            os.kill(child, signal.SIGKILL)
            assert wait_for(lambda: not os.path.exists(f"/proc/{child}"), 5)
            others.append(started_as(child))
        return reading(pids, *args)

    monkeypatch.setattr(watchdog, "held_open", slow_reading)
    try:
        with MemoryWatch(root.pid, limit=0, interval=0.05) as watch:
            assert wait_for(lambda: root.poll() is not None, 10), "the root was not killed"
        assert watch.tripped and others
        time.sleep(0.2)
        assert others[0].poll() is None, "the process given the child's number was killed"
    finally:
        for process in (root, *others):
            process.kill()
            process.wait()


def ended(pid):
    """Whether ``pid`` has ended (gone, or a zombie its new parent has not reaped yet)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except FileNotFoundError:
        return True


@pytest.mark.skipif(watchdog._cgroup_parent() is None, reason="no memory cgroup can be made here")
def test_closing_a_cgroup_ends_every_process_in_it():
    cgroup = watchdog.MemoryCgroup(1 << 30)
    root = subprocess.Popen(
        [sys.executable, "-c", ROOT_AND_CHILD], stdout=subprocess.PIPE, preexec_fn=cgroup.join
    )
    child = int(root.stdout.readline())
    try:
        assert len(cgroup._members()) == 2
        cgroup.close()
        assert root.wait(5) == -signal.SIGKILL
        assert not cgroup.folder.exists()  # removed: no process of it runs
        assert wait_for(lambda: ended(child), 5), "the child lives on"
    finally:
        root.kill()
        root.wait()


@pytest.mark.parametrize("stat", [b"12 (a) b) S c) S 7 12 0", b"12 (sh) S 7 12 0", b"3 ( ) R 1 3"])
def test_the_parent_is_read_past_a_program_name_with_spaces_and_parentheses(stat):
    assert parent_in(stat) == (1 if stat.startswith(b"3 ") else 7)


def test_a_folder_that_moves_under_the_walk_is_not_passed_over(tmp_path, monkeypatch):
    """A kernel renamed a folder over and over: each walk found its name gone and skipped it,
    with the 1.5 GiB inside. Now a walk that loses a folder says it could not measure (None),
    and the watch counts three such readings in a row as full."""
    (tmp_path / "d0").mkdir()
    (tmp_path / "d0" / "big").write_bytes(b"x" * (1 << 20))
    assert watchdog.disk_usage(tmp_path, 100) >= 1 << 20
    open_below = watchdog.open_below

    def renamed_first(root, relative):  # the kernel's rename, between the listing and the visit
        os.rename(tmp_path / relative, tmp_path / "d1")
        return open_below(root, relative)

    monkeypatch.setattr(watchdog, "open_below", renamed_first)
    assert watchdog.disk_usage(tmp_path, 100) is None
    monkeypatch.setattr(watchdog, "open_below", open_below)
    watch = MemoryWatch(os.getpid(), 1 << 40, folder=tmp_path / "gone", disk=1 << 40)
    assert [watch._disk_full(tick, 0) for tick in (10, 20, 30)] == [False, False, True]


@pytest.mark.parametrize("swapped, visited", [("d0", "d0"), ("d0/d1", "d0/d1"), ("d0", "d0/d1")])
@pytest.mark.parametrize("openat2", [True, False])
def test_a_folder_swapped_for_a_link_under_the_walk_is_not_followed(
    tmp_path, monkeypatch, swapped, visited, openat2
):
    """A kernel swapped a folder of its scratch copy for a link to a host folder between the
    walk's listing and its visit, over and over: the walk, root, listed the host folder (and the
    report told whether it existed). Now no step of the way follows a link, with openat2 or,
    where the system has none, one folder at a time."""
    outside, scratch = tmp_path / "outside", tmp_path / "scratch"
    (outside / "d1").mkdir(parents=True)
    (outside / "big").write_bytes(b"x" * (1 << 20))
    (outside / "d1" / "big").write_bytes(b"x" * (1 << 20))
    (scratch / "d0" / "d1").mkdir(parents=True)
    open_below = watchdog.open_below

    def swapped_first(root, relative):
        if relative == visited:  # the kernel's swap, between the listing and the visit
            os.rename(scratch / swapped, tmp_path / "moved")
            os.symlink(outside, scratch / swapped)
        return open_below(root, relative)

    monkeypatch.setattr(watchdog, "open_below", swapped_first)
    if not openat2:
        monkeypatch.setattr(watchdog, "OPENAT2", -1)  # ENOSYS
    assert watchdog.disk_usage(scratch, 100) is None
    assert os.path.islink(scratch / swapped)
    monkeypatch.setattr(watchdog, "open_below", open_below)
    assert watchdog.disk_usage(scratch, 100) < 1 << 20  # the link, not what it points to
