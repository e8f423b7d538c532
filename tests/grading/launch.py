"""Start a submission's kernel: ``python -I -c <this file> SPEC_JSON KERNEL_COMMAND...``.

The grader runs this file's source as the first program inside the sandbox (or, with
``--no-sandbox``, as the kernel's parent). It sets the resource limits of ``SPEC["limits"]``;
if it finds itself root (a sandbox started by root, which keeps root's user id), it becomes the
unprivileged user ``SPEC["user"]``, because root is exempt from the process limit; then it
replaces itself with the kernel, unable to start a session of its own (no_new_sessions).
"""

import ctypes
import errno
import json
import os
import resource
import sys

# The system calls the filter refuses (setsid, unshare, clone, clone3, and as missing, io_uring's,
# the older asynchronous I/O's io_setup and the key ring's), by the audit architecture that the
# kernel passes to a seccomp filter (x86_64's x32 numbers, i386's and 32-bit ARM's too).
# io_uring_setup, io_uring_enter and io_uring_register are 425 to 427 on every one.
X32 = 0x40000000  # the bit of x86_64's x32 numbers
IO_URING = (425, 426, 427)
SYSCALLS = {
    "x86_64": {
        0xC000003E: {
            "setsid": (112, X32 | 112),
            "unshare": (272, X32 | 272),
            "clone": (56, X32 | 56),
            "clone3": (435, X32 | 435),
            # io_setup (x32's is 543), add_key, request_key, keyctl
            "missing": (*IO_URING, 206, 248, 249, 250)
            + tuple(X32 | n for n in (*IO_URING, 543, 248, 249, 250)),
        },
        0x40000003: {
            "setsid": (66,),
            "unshare": (310,),
            "clone": (120,),
            "clone3": (435,),
            "missing": (*IO_URING, 245, 286, 287, 288),
        },
    },
    "aarch64": {
        0xC00000B7: {
            "setsid": (157,),
            "unshare": (97,),
            "clone": (220,),
            "clone3": (435,),
            "missing": (*IO_URING, 0, 217, 218, 219),
        },
        0x40000028: {
            "setsid": (66,),
            "unshare": (337,),
            "clone": (120,),
            "clone3": (435,),
            "missing": (*IO_URING, 243, 309, 310, 311),
        },
    },
}
# clone's flags for a new namespace: mount, cgroup, UTS, IPC, user, process ids, network
NEW_NAMESPACES = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000
NEW_NAMESPACES |= 0x40000000


class _Instruction(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte)]
    _fields_ += [("k", ctypes.c_uint32)]


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_Instruction))]


def _block(arch, numbers):
    """The filter's instructions for one architecture, every jump within them."""
    load, equal, test, ret = 0x20, 0x15, 0x45, 0x06  # BPF_LD|W|ABS, BPF_JMP|JEQ|K, JSET|K, RET
    allow = 0x7FFF0000  # SECCOMP_RET_ALLOW; SECCOMP_RET_ERRNO is 0x00050000 | errno
    refuse, missing = 0x00050000 | errno.EPERM, 0x00050000 | errno.ENOSYS
    # (code, label if true, label if false, k); a label is the index of its instruction
    checks = [(n, "refuse") for name in ("setsid", "unshare") for n in numbers[name]]
    checks += [(n, "missing") for name in ("clone3", "missing") for n in numbers[name]]
    checks += [(n, "flags") for n in numbers["clone"]]
    code = [(load, None, None, 4), (equal, None, "end", arch), (load, None, None, 0)]
    code += [(equal, target, None, n) for n, target in checks] + [(ret, None, None, allow)]
    labels = {"flags": len(code)}  # clone's flags, its first argument (low 32 bits, little end)
    code += [(load, None, None, 16), (test, "refuse", None, NEW_NAMESPACES)]
    code += [(ret, None, None, allow)]
    labels |= {"refuse": len(code), "missing": len(code) + 1, "end": len(code) + 2}
    code += [(ret, None, None, refuse), (ret, None, None, missing)]

    def offset(i, label):
        return 0 if label is None else labels[label] - i - 1

    return [(c, offset(i, t), offset(i, f), k) for i, (c, t, f, k) in enumerate(code)]


def no_new_sessions():
    """Make setsid and new namespaces fail with EPERM in this process and all it starts (clone3,
    whose flags a filter cannot read, with ENOSYS: the C library then uses clone), and io_uring,
    io_setup and the key ring's calls fail with ENOSYS, as where the system has none.

    The scheduler gives every session an equal share of the CPU (autogroup), so a kernel that
    started a hundred sessions took all but 1% of the CPU from the kernels graded beside it: their
    checks timed out. In a user namespace of its own, a kernel was root there and mounted a tmpfs
    of any size: host memory that no process of it held. The files registered with an io_uring
    instance are held open by no descriptor (RLIMIT_NOFILE does not count them): 2.4 million of
    them filled the host's table of open files, and no other process could open one. io_setup
    takes from one count of the whole system (fs.aio-max-nr, 65,536), and keys added to a user's
    key ring outlive every process of that user: each sandbox's user left 200 behind.
    """
    code = [
        instruction
        for arch, numbers in SYSCALLS.get(os.uname().machine, {}).items()
        for instruction in _block(arch, numbers)
    ]
    code.append((0x06, 0, 0, 0x7FFF0000))  # an architecture of no block: allowed
    length = len(code)
    program = _Program(length, (_Instruction * length)(*code))
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    prctl.argtypes = [
        ctypes.c_int,
        ctypes.c_ulong,
        ctypes.c_void_p,
        ctypes.c_ulong,
        ctypes.c_ulong,
    ]
    # PR_SET_NO_NEW_PRIVS (which an unprivileged filter needs), then PR_SET_SECCOMP's filter mode
    if prctl(38, 1, None, 0, 0) or prctl(22, 2, ctypes.addressof(program), 0, 0):
        raise OSError(ctypes.get_errno(), "the seccomp filter could not be installed")


def main(spec, command):
    for name, value in spec["limits"].items():
        resource.setrlimit(getattr(resource, name), (value, value))
    if os.geteuid() == 0 and spec["user"] is not None:
        os.setgroups([])
        os.setgid(spec["user"])
        os.setuid(spec["user"])
    no_new_sessions()
    os.execv(command[0], command)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]), sys.argv[2:])
