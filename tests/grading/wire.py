"""Values that cross between the grader and a submission's kernel: JSON plus an ``.npz``, packed
into one bytes object (``dumps``/``loads``) that travels inside the kernel's own messages.

Nothing is pickled: a value is None, a bool, an int, a float, a str, a list, a tuple, a named
tuple (such as the utils modules' ``Cache``: rebuilt on the other side as a ``collections``
named tuple with the same name and fields), a dict with str keys, a NumPy array or scalar of a
bool, integer, float or complex dtype, a ``np.random.RandomState`` (sent as its state), or an
instance of TensorFlow's tensor or variable class (sent as its values, and read as a ``Tensor``:
a NumPy array that says which of the two it was). Anything else is sent as ``Unsupported(type
name)``. An object met twice is sent once, so that ``v is s`` still holds on the other side.
Reading checks sizes before it loads anything (and what the value would hold unfolded, as it
decodes), and refuses every value outside this list.

The grader imports this module; the kernel runs its source as a cell (``harness.py`` appended),
so it needs nothing but NumPy.
"""

import collections
import functools
import io
import json
import sys
import zipfile

import numpy as np

MAX_BYTES = 1 << 20  # a value whose JSON or arrays take more than this is refused
# Items (numbers, strings, containers, array elements) a value may hold counted as if every
# object met twice were a copy: an attacker's 1 KB list, 26 levels of two references to one
# list, filled the grader's 2 GiB when a check made an array of it.
MAX_UNFOLDED = 1 << 24
NUMERIC = "biufc"  # the dtype kinds that cross: no strings, dates, objects or raw bytes


class Tensor(np.ndarray):
    """A TensorFlow tensor's or variable's values, sent by a kernel; ``is_variable`` says which."""

    is_variable = False


class Unsupported:
    """A value of a type that cannot be sent; compares equal to nothing."""

    def __init__(self, type_name):
        self.type_name = str(type_name)[:100]

    def __repr__(self):
        return f"<{self.type_name} object>"


def _tensorflow_classes():
    """TensorFlow's tensor and variable classes, if this process imported TensorFlow; else
    (None, None). What is sent as a tensor is an instance of one of them: a class that only
    claims TensorFlow's module name is not. In a learner's kernel this is still the kernel's
    word (it can change what ``sys.modules`` holds): the grade rests on the values."""
    tf = sys.modules.get("tensorflow")
    tensor, variable = getattr(tf, "Tensor", None), getattr(tf, "Variable", None)
    if isinstance(tensor, type) and isinstance(variable, type):
        return tensor, variable
    return None, None


def dumps(value):
    """``value`` as bytes: the JSON text's length in 8 bytes, the JSON text, then the ``.npz``."""
    arrays, seen = {}, {}

    def encode(v):
        if v is None or type(v) in (bool, int, float, str):
            return v
        if id(v) in seen:
            return {"same": seen[id(v)]}
        seen[id(v)] = len(seen)
        _keep.append(v)  # ids stay unique while encoding
        if isinstance(v, np.ndarray | np.generic) and np.asarray(v).dtype.kind in NUMERIC:
            key = f"a{len(arrays)}"
            arrays[key] = np.array(v)
            return {"array" if isinstance(v, np.ndarray) else "scalar": key}
        if isinstance(v, np.random.RandomState):
            name, keys, pos, has_gauss, gauss = v.get_state()
            key = f"a{len(arrays)}"
            arrays[key] = keys
            return {"rng": [key, int(pos), int(has_gauss), float(gauss)]}
        if type(v) is list:
            return {"list": [encode(x) for x in v]}
        if type(v) is tuple:
            return {"tuple": [encode(x) for x in v]}
        if isinstance(v, tuple) and type(type(v).__dict__.get("_fields")) is tuple:
            return {"namedtuple": [type(v).__name__, list(v._fields), [encode(x) for x in v]]}
        if type(v) is dict and all(type(k) is str for k in v):
            return {"dict": {k: encode(x) for k, x in v.items()}}
        tensor, variable = _tensorflow_classes()
        if tensor is not None and isinstance(v, tensor | variable):
            values = np.asarray(v.numpy())
            if values.dtype.kind in NUMERIC:
                key = f"a{len(arrays)}"
                arrays[key] = values
                return {"tensor": [key, isinstance(v, variable)]}
        return {"unsupported": type(v).__name__}

    _keep = []
    text = json.dumps(encode(value)).encode("utf-8")
    npz = io.BytesIO()
    np.savez(npz, **arrays)
    return len(text).to_bytes(8, "big") + text + npz.getvalue()


def loads(data):
    """Read the value made by ``dumps``; raise ValueError if ``data`` is not such a value."""
    try:
        if type(data) is not bytes or not 8 <= len(data) <= 2 * MAX_BYTES + 8:
            raise ValueError("the value is too large or not bytes")
        size = int.from_bytes(data[:8], "big")
        if size > MAX_BYTES:
            raise ValueError("the value's JSON is too large")
        text, npz = data[8 : 8 + size], io.BytesIO(data[8 + size :])
        with zipfile.ZipFile(npz) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_BYTES:
                raise ValueError("the arrays are too large")
        npz.seek(0)
        with np.load(npz, allow_pickle=False) as arrays:
            arrays = {key: arrays[key] for key in arrays.files}
        return _decode(json.loads(text), arrays)
    except (OSError, EOFError, zipfile.BadZipFile, RecursionError, LookupError, TypeError) as e:
        raise ValueError(f"unreadable value: {type(e).__name__}: {e}"[:300]) from None


@functools.lru_cache(maxsize=64)
def _named_tuple(name, fields):
    """The class of a named tuple (names that are not identifiers, keywords or that start with
    an underscore raise ValueError)."""
    if type(name) is not str or not all(type(f) is str for f in fields):
        raise ValueError("malformed value: named tuple")
    try:
        return collections.namedtuple(name, fields)
    except ValueError as error:
        raise ValueError(f"malformed value: named tuple: {error}"[:200]) from None


def _decode(tree, arrays):
    made, unfolded = [], []  # per object: the object, and how many items it holds unfolded

    def decode_all(trees):
        """(the values of ``trees``, how many items a container of them holds unfolded)."""
        pairs = [decode(t) for t in trees]
        return [value for value, _ in pairs], 1 + sum(size for _, size in pairs)

    def decode(t):
        """(the value of ``t``, how many items it holds unfolded)."""
        if t is None or type(t) in (bool, int, float, str):
            return t, 1
        if type(t) is not dict or len(t) != 1:
            raise ValueError("malformed value")
        ((tag, body),) = t.items()
        if tag == "same":
            return made[body], unfolded[body]
        slot = len(made)
        made.append(None)
        unfolded.append(1)
        size = 1
        if tag == "array":
            value = arrays[body]
        elif tag == "scalar":
            value = arrays[body][()]
        elif tag == "tensor" and type(body) is list and len(body) == 2:
            value = arrays[body[0]].view(Tensor)
            value.is_variable = body[1] is True
        elif tag == "rng":
            key, pos, has_gauss, gauss = body
            value = np.random.RandomState()
            value.set_state(("MT19937", arrays[key], pos, has_gauss, gauss))
        elif tag in ("list", "tuple") and type(body) is list:
            items, size = decode_all(body)
            value = items if tag == "list" else tuple(items)
        elif tag == "namedtuple" and type(body) is list and len(body) == 3:
            name, fields, items = body
            if not (type(fields) is type(items) is list and 0 < len(fields) == len(items) <= 64):
                raise ValueError("malformed value: named tuple")
            items, size = decode_all(items)
            value = _named_tuple(name, tuple(fields))(*items)
        elif tag == "dict" and type(body) is dict:
            items, size = decode_all(body.values())
            value = dict(zip(body, items, strict=True))
        elif tag == "unsupported":
            value = Unsupported(body)
        else:
            raise ValueError(f"malformed value: tag {tag!r}"[:100])
        if isinstance(value, np.ndarray | np.generic):
            if value.dtype.kind not in NUMERIC:
                raise ValueError("malformed value: not a numeric array")
            size = max(1, value.size)
        if size > MAX_UNFOLDED:
            raise ValueError(f"the value holds more than {MAX_UNFOLDED} items unfolded")
        made[slot], unfolded[slot] = value, size
        return value, size

    return decode(tree)[0]
