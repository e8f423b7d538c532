"""Calling a learner's function in the submission's kernel, from the grader's process.

``Remote(km, kc, timeout).start()`` loads ``wire.py`` and ``harness.py`` into the kernel, and
``remote.function(name)`` returns a stand-in for the notebook's function ``name``: calling it
sends the arguments to the kernel inside an execute request, runs the learner's function there,
and returns the values that came back in the reply's user expression (``wire.py``: plain data,
no pickles). No file is read or written: ``kc`` is the client that connected to the kernel
before any of the submission's code ran, and its sockets never reconnect. Arguments the function
changed in place are changed here too, so that a check can see what the function did to them;
the expected values never come from those objects. Whatever the kernel does, all that reaches
the grader is such a value or an exception of this module, within the deadline.
"""

import base64
import binascii
import inspect
import textwrap
import time
from pathlib import Path
from queue import Empty

import numpy as np
import zmq
from jupyter_core.utils import run_sync

from tests.grading import wire

HERE = Path(__file__).resolve().parent
KERNEL_SIDE = (HERE / "wire.py").read_text() + "\n" + (HERE / "harness.py").read_text()
REPLY = "_grader_reply"
MAX_REPLY = 3 * wire.MAX_BYTES  # characters of the reply's base64 text


class CallFailed(Exception):
    """A call that gave no value: the message starts with 'raised', 'timed out' or 'not graded'."""


class Missing(Exception):
    """The notebook defines no such function."""


def reply_to(kc, msg_id, deadline, msg_type="execute_reply"):
    """The content of the kernel's ``msg_type`` to request ``msg_id`` (None: to any request),
    read from ``kc``'s shell channel until ``deadline`` (``time.monotonic()``); None if none came
    in time.

    Other messages (replies to nothing, floods, malformed or forged ones) are dropped; the reply
    must be a dict whose content is a dict with a string status.
    """
    get = run_sync(kc.shell_channel.get_msg)
    while (left := deadline - time.monotonic()) > 0:
        try:
            msg = get(timeout=min(left, 1.0))
        except Empty:
            continue
        except Exception:  # noqa: S112 (a message the session cannot even unpack: drop it)
            continue
        if not isinstance(msg, dict) or msg.get("msg_type") != msg_type:
            continue
        parent, content = msg.get("parent_header"), msg.get("content")
        if not isinstance(parent, dict) or msg_id not in (None, parent.get("msg_id")):
            continue
        if isinstance(content, dict) and isinstance(content.get("status"), str):
            return content
    return None


def interrupt(km, kc, msg_id, wait=5):
    """Interrupt the kernel of ``km`` and wait at most ``wait`` seconds in all for the reply to
    the request ``msg_id`` it was running (None: any reply); return whether it came."""
    run_sync(km.interrupt_kernel)()
    return reply_to(kc, msg_id, time.monotonic() + wait) is not None


class Remote:
    def __init__(self, km, kc, timeout):
        """``km``: the kernel's (async) manager; ``kc``: its (async) client, channels started."""
        self.km = km
        self.kc = kc
        self.timeout = timeout
        self.broken = None  # why later calls cannot run, once something went wrong for good
        self.deadline = None  # time.monotonic() after which no call starts (one per exercise)

    def start(self):
        """Load the kernel's side; raise CallFailed if it cannot run."""
        self._run(KERNEL_SIDE, "the grader's helper code")

    def function(self, name):
        return RemoteFunction(self, name, {})

    def _run(self, code, what, expressions=None, retry=True):
        """Run ``code`` in the kernel; return the reply's user expressions, or raise CallFailed
        unless it finished without error."""
        if not self.broken and not run_sync(self.km.is_alive)():
            self.broken = "the kernel stopped before this check ran"
        if self.broken:
            raise CallFailed(f"not graded: {self.broken}")
        left = self.timeout if self.deadline is None else self.deadline - time.monotonic()
        if left <= 0:
            raise CallFailed(f"timed out: the check's calls ran longer than {self.timeout:g} s")
        try:
            msg_id = self.kc.execute(
                code,
                store_history=False,
                user_expressions=expressions or {},
                allow_stdin=False,
                stop_on_error=False,  # an interrupted call must not abort the next ones
            )
        except zmq.ZMQError:  # no kernel to send to
            self.broken = "the kernel stopped"
            raise CallFailed(f"not graded: {self.broken}") from None
        reply = reply_to(self.kc, msg_id, time.monotonic() + min(self.timeout, left))
        if reply is None:
            if not run_sync(self.km.is_alive)():
                self.broken = "the kernel stopped"
                raise CallFailed(f"not graded: {self.broken}")
            if not interrupt(self.km, self.kc, msg_id):
                self.broken = "the kernel stopped answering after a call was cut off"
            raise CallFailed(
                f"timed out: {what} was stopped when the check's {self.timeout:g} s ran out"
            )
        if reply["status"] == "aborted" and retry:  # queued behind an interrupt
            return self._run(code, what, expressions, retry=False)
        if reply["status"] != "ok":
            ename = reply.get("ename")
            raise CallFailed(
                f"not graded: the kernel could not run {what} "
                f"({ename if isinstance(ename, str) else 'aborted'})"[:300]
            )
        found = reply.get("user_expressions")
        return found if isinstance(found, dict) else {}

    def call(self, name, args, kwargs, replacements, seeds=None):
        request = {"function": name, "args": list(args), "kwargs": kwargs, "globals": replacements}
        request["seeds"] = seeds or {}
        encoded = base64.b64encode(wire.dumps(request)).decode("ascii")
        found = self._run(
            f"{REPLY} = serve_request(globals(), {encoded!r})", name, {"reply": REPLY}
        )
        answer = _decode_reply(found.get("reply"), name)
        if "missing" in answer:
            raise Missing(str(answer["missing"])[:300])
        if "raised" in answer:
            raised = answer["raised"]
            ename, evalue = map(str, raised) if type(raised) is list and len(raised) == 2 else "??"
            if ename == "NotImplementedError":
                raise NotImplementedError
            raise CallFailed(f"raised {ename[:100]}: {evalue[:300]}")
        for sent, back in zip(args, _list(answer.get("args")), strict=False):
            _restore(sent, back)
        back_kwargs = answer.get("kwargs")
        for key, sent in kwargs.items():
            if type(back_kwargs) is dict and key in back_kwargs:
                _restore(sent, back_kwargs[key])
        return answer.get("returned")


def _list(value):
    return value if type(value) is list else []


def _decode_reply(expression, name):
    """The reply of ``name``'s call from its user expression, or CallFailed."""
    unreadable = CallFailed(f"not graded: the reply of {name} could not be read")
    if not isinstance(expression, dict) or expression.get("status") != "ok":
        raise unreadable
    data = expression.get("data")
    text = data.get("text/plain") if isinstance(data, dict) else None
    if not isinstance(text, str) or not 2 <= len(text) <= MAX_REPLY or text[0] + text[-1] != "''":
        raise unreadable
    try:
        answer = wire.loads(base64.b64decode(text[1:-1], validate=True))
    except (ValueError, binascii.Error):
        raise unreadable from None
    if type(answer) is not dict:
        raise unreadable
    return answer


class RemoteFunction:
    """Stands in, in the grader's process, for the notebook's function ``name``."""

    def __init__(self, remote, name, replacements, seeds=None):
        self.remote = remote
        self.__name__ = name
        self.replacements = replacements
        self.seeds = seeds or {}

    def with_globals(self, **functions):
        """The same function seeing ``functions`` (NumPy-only helpers) in place of its globals."""
        sources = {
            name: (function.__name__, textwrap.dedent(inspect.getsource(function)))
            for name, function in functions.items()
        }
        return RemoteFunction(
            self.remote, self.__name__, {**self.replacements, **sources}, self.seeds
        )

    def with_seeds(self, **offsets):
        """The same function run with the seeds it sets shifted by ``offsets`` (``{"numpy" or
        "keras": offset}``: ``harness.reseeded``)."""
        return RemoteFunction(
            self.remote, self.__name__, self.replacements, {**self.seeds, **offsets}
        )

    def __call__(self, *args, **kwargs):
        return self.remote.call(self.__name__, args, kwargs, self.replacements, self.seeds)


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
