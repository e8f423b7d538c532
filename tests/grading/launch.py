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

# The setsid system call of each architecture a host may run, by the audit architecture that the
# kernel passes to a seccomp filter (x86_64's x32 numbers, i386's and 32-bit ARM's included).
SETSID = {
    "x86_64": {0xC000003E: (112, 0x40000000 | 112), 0x40000003: (66,)},
    "aarch64": {0xC00000B7: (157,), 0x40000028: (66,)},
}


class _Instruction(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte)]
    _fields_ += [("k", ctypes.c_uint32)]


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_Instruction))]


def no_new_sessions():
    """Make setsid fail with EPERM in this process and all it starts. The scheduler gives every
    session an equal share of the CPU (autogroup), so a kernel that started a hundred sessions
    took all but 1% of the CPU from the kernels graded beside it: their checks timed out."""
    load, equal, ret = 0x20, 0x15, 0x06  # BPF_LD|BPF_W|BPF_ABS, BPF_JMP|BPF_JEQ|BPF_K, BPF_RET
    allow, refuse = 0x7FFF0000, 0x00050000 | errno.EPERM  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO
    code = []
    for arch, numbers in SETSID.get(os.uname().machine, {}).items():
        # this architecture's system calls: its setsid numbers jump to the block's refusal
        k = len(numbers)
        code += [(load, 0, 0, 4), (equal, 0, k + 3, arch), (load, 0, 0, 0)]
        code += [(equal, k - i, 0, n) for i, n in enumerate(numbers)]
        code += [(ret, 0, 0, allow), (ret, 0, 0, refuse)]
    code.append((ret, 0, 0, allow))  # an architecture of no block
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
