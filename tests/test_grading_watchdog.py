"""The bound on a sandbox's processes' memory together (tests/grading/watchdog.py), on plain
process trees: no kernel needed."""

import subprocess
import sys
import time

import pytest

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


@pytest.mark.parametrize("stat", [b"12 (a) b) S c) S 7 12 0", b"12 (sh) S 7 12 0", b"3 ( ) R 1 3"])
def test_the_parent_is_read_past_a_program_name_with_spaces_and_parentheses(stat):
    assert parent_in(stat) == (1 if stat.startswith(b"3 ") else 7)
