"""Start a submission's kernel: ``python -I -c <this file> SPEC_JSON KERNEL_COMMAND...``.

The grader runs this file's source as the first program inside the sandbox (or, with
``--no-sandbox``, as the kernel's parent). It sets the resource limits of ``SPEC["limits"]``;
if it finds itself root (a sandbox started by root, which keeps root's user id), it becomes the
unprivileged user ``SPEC["user"]``, because root is exempt from the process limit; then it
replaces itself with the kernel.
"""

import json
import os
import resource
import sys


def main(spec, command):
    for name, value in spec["limits"].items():
        resource.setrlimit(getattr(resource, name), (value, value))
    if os.geteuid() == 0 and spec["user"] is not None:
        os.setgroups([])
        os.setgid(spec["user"])
        os.setuid(spec["user"])
    os.execv(command[0], command)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]), sys.argv[2:])
