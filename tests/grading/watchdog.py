"""A bound on the memory of all of a sandbox's processes together.

The sandbox limits each process's address space (``sandbox.LIMITS``), but a kernel can fork: a
few children under the limit each can together take the machine's memory. ``MemoryWatch``
follows the tree of processes below the sandbox's first process (bubblewrap's own process on the
host: everything the kernel starts, orphans included, stays in its process namespace and so
below it) and kills the whole tree when their resident memory together passes a limit. It reads
``/proc`` every ``interval`` seconds: a tree can overshoot the limit by what it allocates in that
time, which each process's own limit keeps finite.

Given a ``folder`` (the sandbox's scratch copy, where all it may write lies) and a ``disk`` bound,
it also kills the tree once the files there take more than ``disk`` bytes together, or number
more than ``entries``: each file's size is bounded (RLIMIT_FSIZE), their number is not, and one
submission could fill the grader's disk. The folder is read every ``DISK_EVERY`` intervals.
"""

import os
import signal
import threading

PAGE = os.sysconf("SC_PAGE_SIZE")
DISK_EVERY = 10  # intervals between two readings of the folder


def _parents():
    """{pid: parent pid} of every process on the machine (those that end meanwhile are left
    out)."""
    parents = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        parents[int(name)] = parent_in(stat)
    return parents


def parent_in(stat):
    """The parent's pid in the text of ``/proc/<pid>/stat``: ``pid (comm) state ppid ...``,
    where comm, the program's name, can hold spaces and parentheses of its own."""
    return int(stat[stat.rfind(b")") + 2 :].split()[1])


def tree(root):
    """``root`` and every process below it."""
    children = {}
    for pid, parent in _parents().items():
        children.setdefault(parent, []).append(pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def resident(pids):
    """The resident memory of ``pids`` together, in bytes (pages two of them share count twice:
    an overestimate, never an underestimate)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm", "rb") as handle:
                total += int(handle.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
    return total


def disk_usage(folder, entries):
    """The bytes that the files and folders below ``folder`` take on disk, read without
    following links or recursing; None once more than ``entries`` of them are counted, or if a
    folder cannot be read (what it holds would not be counted)."""
    total, count, todo = 0, 0, [folder]
    while todo:
        try:
            with os.scandir(todo.pop()) as scan:
                for entry in scan:
                    count += 1
                    if count > entries:
                        return None
                    try:
                        total += entry.stat(follow_symlinks=False).st_blocks * 512
                        if entry.is_dir(follow_symlinks=False):
                            todo.append(entry.path)
                    except OSError:
                        continue
        except FileNotFoundError:  # removed since it was listed
            continue
        except OSError:
            return None
    return total


class MemoryWatch:
    """Kill the process tree below ``root`` once it holds more than ``limit`` bytes together
    (or, given ``folder``, once what it wrote there passes ``disk`` bytes or ``entries`` files).

    Use as a context manager around the tree's life; ``tripped`` then says whether it was killed,
    and ``message`` why. The root is held by a pidfd, so that once it has ended no other process
    that gets its number is taken for it.
    """

    def __init__(self, root, limit, interval=0.1, folder=None, disk=None, entries=100_000):
        self.root, self.limit, self.interval = root, limit, interval
        self.folder, self.disk, self.entries = folder, disk, entries
        self.tripped = False
        self.full = None  # what filled up: "memory" or "disk"
        try:
            self._pidfd = os.pidfd_open(root)
        except ProcessLookupError:  # ended already: nothing to watch
            self._pidfd = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    @property
    def message(self):
        if self.full == "disk":
            return (
                f"the kernel wrote more than {self.disk / 2**30:.3g} GiB or {self.entries} files "
                "into its scratch folder (or made a folder there unreadable) and was stopped"
            )
        return (
            f"the kernel's processes held more than {self.limit / 2**30:.3g} GiB of memory "
            "together and were stopped"
        )

    def _disk_full(self, tick):
        if self.folder is None or tick % DISK_EVERY:
            return False
        used = disk_usage(self.folder, self.entries)
        return used is None or used > self.disk

    def _alive(self):
        if self._pidfd is None:
            return False
        try:
            signal.pidfd_send_signal(self._pidfd, 0)
        except ProcessLookupError:
            return False
        return True

    def _watch(self):
        tick = 0
        while not self._stop.wait(self.interval):
            if not self._alive():
                return
            pids = tree(self.root)
            tick += 1
            if resident(pids) > self.limit:
                self.full = "memory"
            elif self._disk_full(tick):
                self.full = "disk"
            else:
                continue
            self.tripped = True
            break
        else:
            return
        # The root first (bubblewrap then kills the sandbox's processes itself), then whatever
        # is left below it, until nothing is.
        while self._alive() or len(pids) > 1:
            if self._alive():
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
            for pid in pids[1:]:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            if self._stop.wait(self.interval / 10):
                return
            pids = tree(self.root) if self._alive() else pids[:1]

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        if self._pidfd is not None:
            os.close(self._pidfd)
        return False
