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

Memory that no resident set shows counts too, read every ``DISK_EVERY`` intervals: memfd and
deleted files held open or mapped, page tables, System V segments and socket queues (the last
three kinds, and mapped files, only as root). What no reading of /proc shows whole (pages a pipe
holds, kernel objects) only a ``MemoryCgroup`` bounds, where the grader can make one.
"""

import contextlib
import ctypes
import errno
import os
import secrets
import signal
import stat
import subprocess
import threading
import time
from pathlib import Path

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


class _Unlisted:
    """Bytes in files that no folder shows, read through the /proc links that lead to them, each
    file counted once however many lead to it: memory in memfd files, disk in deleted files."""

    def __init__(self):
        self.memory, self.disk, self._seen = 0, 0, set()

    def add(self, link, memfd):
        try:
            info = os.stat(link)
        except OSError:
            return
        key = (info.st_dev, info.st_ino)
        if not stat.S_ISREG(info.st_mode) or key in self._seen:
            return
        self._seen.add(key)
        if memfd:
            self.memory += info.st_blocks * 512
        elif info.st_nlink == 0:
            self.disk += info.st_blocks * 512


def held_open(pids, most):
    """(bytes, bytes) that ``pids`` hold in files no folder shows: memory in memfd files, and
    disk (or the sandbox's /tmp) in files deleted while open. Neither is resident memory nor an
    entry of the scratch folder, so neither bound saw them: 6 GiB of memfd files, or 1.5 GiB of
    deleted files, took seconds. Each file counts once, however many descriptors hold it; None
    once more than ``most`` descriptors are open."""
    files, count = _Unlisted(), 0
    for pid in pids:
        try:
            descriptors = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        count += len(descriptors)
        if count > most:
            return None
        for fd in descriptors:
            path = f"/proc/{pid}/fd/{fd}"
            try:
                target = os.readlink(path)
            except OSError:
                continue
            files.add(path, target.startswith("/memfd:"))
    return files.memory, files.disk


def mapped(pids, most):
    """(bytes, bytes, bytes) that ``pids`` hold through their memory mappings: page tables (a
    page of them for each page of zeros mapped, which no resident set shows: 3.5 GiB took 7
    processes), memory in memfd files and disk in deleted files that are mapped with no
    descriptor left open (3.5 GiB and 1.5 GiB went unseen). Each file counts once. None once
    more than ``most`` mappings. The files' sizes are read through /proc/PID/map_files, so only
    as root (page tables always)."""
    tables, files, count = 0, _Unlisted(), 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status", "rb") as handle:
                for line in handle:
                    if line.startswith(b"VmPTE:"):
                        tables += int(line.split()[1]) * 1024
            with open(f"/proc/{pid}/maps", "rb") as handle:
                maps = handle.read()
        except (OSError, IndexError, ValueError):
            continue
        count += maps.count(b"\n")
        if count > most:
            return None
        for line in maps.splitlines():
            if b"/memfd:" not in line and not line.endswith(b" (deleted)"):
                continue
            where = line.split(maxsplit=1)[0].decode("ascii", "replace")
            files.add(f"/proc/{pid}/map_files/{where}", b"/memfd:" in line)
    return tables, files.memory, files.disk


def _in_namespaces(pids, kind, *command):
    """What ``command`` prints in each ``kind`` namespace ("ipc", "net") that ``pids`` are in,
    other than this process's (the sandbox unshares its own). With nsenter, so only as root
    (nothing otherwise)."""
    if os.geteuid() != 0:
        return []
    try:
        own = os.stat(f"/proc/self/ns/{kind}").st_ino
    except OSError:
        return []
    namespaces = {}
    for pid in pids:
        try:
            namespace = os.stat(f"/proc/{pid}/ns/{kind}").st_ino
        except OSError:
            continue
        if namespace != own:
            namespaces.setdefault(namespace, pid)
    listings = []
    for pid in namespaces.values():
        try:
            listing = subprocess.run(
                ["nsenter", f"--{kind}=/proc/{pid}/ns/{kind}", *command],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=5,
            ).stdout
        except (OSError, subprocess.TimeoutExpired):
            continue
        listings.append(listing.decode("ascii", "replace"))
    return listings


def shared_memory(pids):
    """The bytes resident in the System V shared memory segments of the sandbox's IPC namespace:
    a segment detached from every process is in no one's resident memory, and 4 GiB of them went
    unseen. Only as root (0 otherwise)."""
    total = 0
    for listing in _in_namespaces(pids, "ipc", "cat", "/proc/sysvipc/shm"):
        header, *rows = listing.splitlines() or [""]
        names = header.split()
        found = [name for name in ("rss", "size") if name in names]
        if not found:
            continue
        column = names.index(found[0])
        for row in rows:
            fields = row.split()
            if len(fields) > column and fields[column].isdigit():
                total += int(fields[column])
    return total


def socket_memory(pids):
    """The bytes queued in the sockets of the sandbox's network namespace (Unix, TCP, UDP and
    the rest: ss's Recv-Q and Send-Q together, which can count a Unix socket's bytes twice, at
    its receiver's and as its sender's charge): data written to a socket that nobody reads is in
    no process's memory, and 500 Unix socket pairs held 4.5 GiB unseen. Only as root."""
    total = 0
    for listing in _in_namespaces(pids, "net", "ss", "-H", "--all", "--numeric", "-A", "all"):
        for row in listing.splitlines():
            fields = row.split()  # netid, state, Recv-Q, Send-Q, addresses
            if len(fields) > 3 and fields[2].isdigit() and fields[3].isdigit():
                total += int(fields[2]) + int(fields[3])
    return total


# A folder's descriptor: open only a folder, and not through a link as the last step.
FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
OPENAT2 = 437  # one number on every architecture
# openat2's resolve flags: no other mount, no /proc magic link, no link at all, nothing above
RESOLVE = 0x01 | 0x02 | 0x04 | 0x08


class _OpenHow(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64)]
    _fields_ += [("resolve", ctypes.c_uint64)]


_syscall = ctypes.CDLL(None, use_errno=True).syscall
_syscall.restype = ctypes.c_long


def open_below(root, relative):
    """A descriptor of the folder ``relative`` (a/b/c) below the folder of descriptor ``root``,
    reached without following a link at any step: a kernel can swap a folder for a link to a
    host folder between the walk's listing and its visit, and the grader, root, followed it.
    Raise OSError if it is not such a folder."""
    how = _OpenHow(FOLDER, 0, RESOLVE)
    path = os.fsencode(relative)
    fd = _syscall(OPENAT2, root, path, ctypes.byref(how), ctypes.sizeof(how))
    if fd >= 0:
        return fd
    error = ctypes.get_errno()
    if error not in (errno.ENOSYS, errno.EPERM):  # EPERM: a container's filter refusing openat2
        raise OSError(error, os.strerror(error), relative)
    fd = os.dup(root)  # before Linux 5.6: one step at a time
    try:
        for name in relative.split("/"):
            below = os.open(name, FOLDER, dir_fd=fd)
            os.close(fd)
            fd = below
    except OSError:
        os.close(fd)
        raise
    return fd


def disk_usage(folder, entries):
    """The bytes that the files and folders below ``folder`` take on disk, read without
    following links (``open_below``) or recursing; None once more than ``entries`` of them are
    counted, or if a folder cannot be read or is gone when the walk reaches it (a folder renamed
    over and over hid its files from every walk that skipped it)."""
    total, count, todo = 0, 0, [""]
    try:
        root = os.open(folder, FOLDER)
    except OSError:
        return None
    try:
        while todo:
            relative = todo.pop()
            fd = open_below(root, relative) if relative else os.dup(root)
            try:
                with os.scandir(fd) as scan:
                    for entry in scan:
                        count += 1
                        if count > entries:
                            return None
                        try:
                            info = entry.stat(follow_symlinks=False)
                        except OSError:
                            continue
                        total += info.st_blocks * 512
                        if stat.S_ISDIR(info.st_mode):
                            todo.append(f"{relative}/{entry.name}" if relative else entry.name)
            finally:
                os.close(fd)
    except OSError:  # removed, renamed or swapped since it was listed, or not readable
        return None
    finally:
        os.close(root)
    return total


def kill_still(pids, current):
    """SIGKILL those of ``pids`` that ``current()``, read once each is held by a pidfd, still
    lists: a number that ended and went to another process is not signalled."""
    held = {}
    for pid in pids:
        with contextlib.suppress(OSError):  # ended, or a thread's number
            held[pid] = os.pidfd_open(pid)
    try:
        still = current()
        for pid, pidfd in held.items():
            if pid in still:
                with contextlib.suppress(ProcessLookupError):
                    signal.pidfd_send_signal(pidfd, signal.SIGKILL)
    finally:
        for pidfd in held.values():
            os.close(pidfd)


class MemoryWatch:
    """Kill the process tree below ``root`` once it holds more than ``limit`` bytes together
    (or, given ``folder``, once what it wrote there passes ``disk`` bytes or ``entries`` files),
    or more than ``entries`` descriptors or ``mappings`` memory mappings.

    Use as a context manager around the tree's life; ``tripped`` then says whether it was killed,
    and ``message`` why. The root is held by a pidfd, so that once it has ended no other process
    that gets its number is taken for it.
    """

    def __init__(
        self, root, limit, interval=0.1, folder=None, disk=None, entries=100_000, mappings=100_000
    ):
        self.root, self.limit, self.interval = root, limit, interval
        self.folder, self.disk, self.entries, self.mappings = folder, disk, entries, mappings
        self.full = None  # what filled up: "memory", "disk", "descriptors" or "mappings"
        self._misses = 0  # readings of the folder in a row that could not be made
        self._unheld = 0  # the last reading of shared_memory and socket_memory
        self._mapped = (0, 0, 0)  # the last reading of mapped
        try:
            self._pidfd = os.pidfd_open(root)
        except ProcessLookupError:  # ended already: nothing to watch
            self._pidfd = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    @property
    def tripped(self):
        """Whether the tree was killed."""
        return self.full is not None

    @property
    def message(self):
        if self.full == "descriptors":
            return (
                f"the kernel's processes held more than {self.entries} files open and were stopped"
            )
        if self.full == "mappings":
            return (
                f"the kernel's processes held more than {self.mappings} memory mappings and "
                "were stopped"
            )
        if self.full == "disk":
            return (
                f"the kernel wrote more than {self.disk / 2**30:.3g} GiB or {self.entries} files "
                "into its scratch folder (or made a folder there unreadable) and was stopped"
            )
        return (
            f"the kernel's processes held more than {self.limit / 2**30:.3g} GiB of memory "
            "together and were stopped"
        )

    def _unheld_memory(self, tick, pids):
        """The memory that no process's resident set shows (System V segments, socket queues,
        page tables, mapped memfd files), or None past ``mappings`` mappings; read every
        DISK_EVERY intervals (it starts processes, and maps are long). Also keeps the disk that
        mapped deleted files take."""
        if (tick - 1) % DISK_EVERY == 0:
            self._unheld = shared_memory(pids) + socket_memory(pids)
            self._mapped = mapped(pids, self.mappings)
        return None if self._mapped is None else self._unheld + sum(self._mapped[:2])

    def _disk_full(self, tick, deleted):
        """Whether the folder's files and the deleted files held open pass ``disk``. A folder
        that cannot be read (or changes under the walk) three readings in a row counts as full:
        an honest kernel does not keep renaming its folders."""
        if self.folder is None or tick % DISK_EVERY:
            return False
        used = disk_usage(self.folder, self.entries)
        self._misses = 0 if used is not None else self._misses + 1
        return self._misses >= 3 or (used or 0) + deleted > self.disk

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
            held, unheld = held_open(pids, self.entries), self._unheld_memory(tick, pids)
            if held is None or unheld is None:
                self.full = "descriptors" if held is None else "mappings"
            elif resident(pids) + held[0] + unheld > self.limit:
                self.full = "memory"
            elif self._disk_full(tick, held[1] + self._mapped[2]):
                self.full = "disk"
            else:
                continue
            break
        else:
            return
        while self._alive():
            self._kill_tree()
            if self._stop.wait(self.interval / 10):
                return

    def _kill_tree(self):
        """SIGKILL the root (bubblewrap then kills the sandbox's processes itself), then each
        process below it, through ``kill_still``: a number read from /proc may have ended and
        gone to a process outside the tree (a kernel can run the numbers round in a second, and
        the watch's readings take time)."""

        def below():
            pids = set(tree(self.root))
            if not self._alive():  # ended during the reading: its numbers may be others'
                return set()
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
            return pids

        kill_still(tree(self.root)[1:], below)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        if self._pidfd is not None:
            os.close(self._pidfd)
        return False


CGROUPS = Path("/sys/fs/cgroup")


def _cgroup_parent():
    """(folder, version) under which this process can make a memory cgroup: its own cgroup of
    v1's memory hierarchy, or the root of cgroup v2 where that enables the memory controller;
    None if neither, or if this process is not root."""
    if os.geteuid() != 0:
        return None
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = (line.split(":", 2) + ["", ""])[:3]
        folder = CGROUPS / "memory" / path.lstrip("/")
        if "memory" in controllers.split(",") and (folder / "memory.limit_in_bytes").is_file():
            return folder, 1
    try:
        if "memory" in (CGROUPS / "cgroup.subtree_control").read_text().split():
            return CGROUPS, 2
    except OSError:
        pass
    return None


class MemoryCgroup:
    """A memory cgroup of one kernel's own, bounded to ``limit`` bytes, where the grader is root
    and can make one (cgroup v2, or v1's memory hierarchy); elsewhere ``folder`` is None and
    nothing is done. It bounds what no reading of /proc shows whole: a kernel's processes charge
    it with their page tables, the pages a pipe holds after vmsplice, socket buffers, epoll's
    watches and the like (4 GiB of each passed the watch), and the kernel's own OOM killer
    stops them past it. ``join`` (in the kernel's process, between fork and exec) puts the
    calling process in it; ``close`` kills what is left in it and removes it."""

    def __init__(self, limit):
        self.limit, self.folder, found = limit, None, _cgroup_parent()
        if found is None:
            return
        parent, self.version = found
        folder = parent / f"grading-{secrets.token_hex(8)}"
        try:
            folder.mkdir()
            (folder / ("memory.max" if self.version == 2 else "memory.limit_in_bytes")).write_text(
                str(limit)
            )
        except OSError:
            with contextlib.suppress(OSError):
                folder.rmdir()
            return
        self.folder = folder

    def join(self):
        if self.folder is not None:
            with contextlib.suppress(OSError), open(self.folder / "cgroup.procs", "w") as handle:
                handle.write("0")

    @property
    def ran_out(self):
        """Whether the OOM killer stopped a process of it."""
        if self.folder is None:
            return False
        name = "memory.events" if self.version == 2 else "memory.oom_control"
        try:
            for line in (self.folder / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill" and value.strip().isdigit():
                    return int(value) > 0
        except OSError:
            pass
        return False

    def _members(self):
        try:
            return {int(pid) for pid in (self.folder / "cgroup.procs").read_text().split()}
        except (OSError, ValueError):
            return set()

    def close(self, seconds=5):
        if self.folder is None:
            return
        ends = time.monotonic() + seconds
        while True:
            try:  # every process in it, at once, with no number read first (cgroup v2)
                (self.folder / "cgroup.kill").write_text("1")
            except OSError:  # cgroup v1, or a kernel before 5.14
                kill_still(self._members(), self._members)
            try:
                self.folder.rmdir()
                return
            except OSError:
                if time.monotonic() > ends:
                    return  # left for the system; it holds no process that runs
                time.sleep(0.05)
