"""Calling a learner's function in the submission's kernel, from the grader's process.

``Remote(km, folder, timeout, max_message).start()`` loads ``wire.py`` and ``harness.py`` into
the kernel, and ``remote.function(name)`` returns a stand-in for the notebook's function
``name``: calling it sends the arguments to the kernel, runs the learner's function there, and
returns the values that came back (``wire.py``: plain data, no pickles). Arguments the function
changed in place are changed here too, so that a check that reuses a random generator sees it
advanced. Whatever the kernel does, all that reaches the grader is such a value or an exception
of this module.
"""

import inspect
import textwrap
import time
from pathlib import Path

import numpy as np
import zmq
from jupyter_client import BlockingKernelClient
from jupyter_core.utils import run_sync

from tests.grading import wire

HERE = Path(__file__).resolve().parent
KERNEL_SIDE = (HERE / "wire.py").read_text() + "\n" + (HERE / "harness.py").read_text()


class CallFailed(Exception):
    """A call that gave no value: the message starts with 'raised', 'timed out' or 'not graded'."""


class Missing(Exception):
    """The notebook defines no such function."""


class Remote:
    def __init__(self, km, folder, timeout, max_message):
        """``km``: the kernel's (async) manager; ``folder``: where requests and replies go,
        which the kernel must be able to write; ``max_message``: bytes a message may have."""
        self.km = km
        context = zmq.Context()
        context.setsockopt(zmq.MAXMSGSIZE, max_message)
        self.kc = BlockingKernelClient(context=context)
        self.kc.load_connection_info(km.get_connection_info())
        self.kc.start_channels(hb=False)  # liveness comes from the kernel manager
        self.folder = Path(folder)
        self.timeout = timeout
        self.broken = None  # why later calls cannot run, once something went wrong for good
        self.deadline = None  # time.monotonic() after which no call starts (one per exercise)

    def start(self):
        """Load the kernel's side; raise CallFailed if it cannot run."""
        self._run(KERNEL_SIDE, "the grader's helper code")

    def close(self):
        self.kc.stop_channels()
        self.kc.context.destroy(linger=0)

    def function(self, name):
        return RemoteFunction(self, name, {})

    def _run(self, code, what, retry=True):
        """Run ``code`` in the kernel; raise CallFailed unless it finished without error."""
        if not self.broken and not run_sync(self.km.is_alive)():
            self.broken = "the kernel stopped before this check ran"
        if self.broken:
            raise CallFailed(f"not graded: {self.broken}")
        left = self.timeout if self.deadline is None else self.deadline - time.monotonic()
        if left <= 0:
            raise CallFailed(f"timed out: the check's calls ran longer than {self.timeout:g} s")
        try:
            reply = self.kc.execute_interactive(
                code,
                timeout=min(self.timeout, left),
                output_hook=lambda message: None,
                allow_stdin=False,
                store_history=False,
                stop_on_error=False,  # an interrupted call must not abort the next ones
            )
        except TimeoutError:
            if not interrupt(self.km, self.kc.get_shell_msg):
                self.broken = "the kernel stopped answering after a call was cut off"
            raise CallFailed(
                f"timed out: {what} was stopped when the check's {self.timeout:g} s ran out"
            ) from None
        except (RuntimeError, OSError) as error:  # the kernel died
            self.broken = f"the kernel stopped ({type(error).__name__})"
            raise CallFailed(f"not graded: {self.broken}") from None
        except ValueError as error:  # a malformed message (the kernel can send anything)
            self.broken = f"the kernel's messages could not be read ({error!r:.80})"
            raise CallFailed(f"not graded: {self.broken}") from None
        if reply["content"]["status"] == "aborted" and retry:  # queued behind an interrupt
            return self._run(code, what, retry=False)
        if reply["content"]["status"] != "ok":
            raise CallFailed(
                f"not graded: the kernel could not run {what} "
                f"({reply['content'].get('ename', 'aborted')})"[:300]
            )

    def call(self, name, args, kwargs, replacements):
        request = self.folder / "request"
        reply = self.folder / "reply"
        for suffix in (".json", ".npz"):
            Path(f"{reply}{suffix}").unlink(missing_ok=True)
        wire.dump(
            {"function": name, "args": list(args), "kwargs": kwargs, "globals": replacements},
            request,
        )
        self._run(f"serve_request(globals(), {str(self.folder)!r})", name)
        try:
            answer = wire.load(reply)
        except ValueError as error:
            raise CallFailed(
                f"not graded: the reply of {name} could not be read ({error})"
            ) from None
        if type(answer) is not dict:
            raise CallFailed(f"not graded: the reply of {name} could not be read")
        if "missing" in answer:
            raise Missing(str(answer["missing"])[:300])
        if "raised" in answer:
            ename, evalue = (str(x) for x in answer["raised"])
            if ename == "NotImplementedError":
                raise NotImplementedError
            raise CallFailed(f"raised {ename[:100]}: {evalue[:300]}")
        for sent, back in zip(args, answer.get("args", ()), strict=False):
            _restore(sent, back)
        for key, sent in kwargs.items():
            if key in answer.get("kwargs", {}):
                _restore(sent, answer["kwargs"][key])
        return answer.get("returned")


def interrupt(km, get_shell_msg, wait=5):
    """Interrupt the kernel of ``km`` and wait for the reply of the request it was running,
    read with ``get_shell_msg(timeout=...)``; return whether it came within ``wait`` seconds."""
    run_sync(km.interrupt_kernel)()
    try:
        while get_shell_msg(timeout=wait)["msg_type"] != "execute_reply":
            pass
        return True
    except Exception:  # queue.Empty, or a dead kernel
        return False


class RemoteFunction:
    """Stands in, in the grader's process, for the notebook's function ``name``."""

    def __init__(self, remote, name, replacements):
        self.remote = remote
        self.__name__ = name
        self.replacements = replacements

    def with_globals(self, **functions):
        """The same function seeing ``functions`` (NumPy-only helpers) in place of its globals."""
        sources = {
            name: (function.__name__, textwrap.dedent(inspect.getsource(function)))
            for name, function in functions.items()
        }
        return RemoteFunction(self.remote, self.__name__, {**self.replacements, **sources})

    def __call__(self, *args, **kwargs):
        return self.remote.call(self.__name__, args, kwargs, self.replacements)


def _restore(sent, back):
    """Change ``sent`` in place to what the learner's function left of it (``back``)."""
    if isinstance(sent, np.random.RandomState) and isinstance(back, np.random.RandomState):
        sent.set_state(back.get_state())
    elif isinstance(sent, np.ndarray) and isinstance(back, np.ndarray):
        if back.shape == sent.shape and sent.flags.writeable:
            np.copyto(sent, back, casting="unsafe")
    elif type(sent) is dict and type(back) is dict:
        for key in list(sent):
            if key not in back:
                del sent[key]
        for key, value in back.items():
            old = sent.get(key)
            same_array = isinstance(old, np.ndarray) and isinstance(value, np.ndarray)
            if (type(old) in (dict, list) and type(value) is type(old)) or (
                same_array and value.shape == old.shape and old.flags.writeable
            ):
                _restore(old, value)
            else:  # new, or rebound to another type or shape (W = W.T): the entry is replaced
                sent[key] = value
    elif type(sent) is list and type(back) is list:
        sent[:] = back
