"""What crosses between the grader and a submission's kernel: data only, aliasing kept."""

import io
import json

import numpy as np
import pytest

import reg_utils
from tests.grading import wire
from tests.grading.remote import _restore
from tests.helpers import random_network


def round_trip(value):
    return wire.loads(wire.dumps(value))


def packed(tree, arrays=None):
    """Bytes in the wire's layout, for a JSON tree and arrays that ``dumps`` would never make."""
    text = json.dumps(tree).encode()
    npz = io.BytesIO()
    np.savez(npz, **(arrays or {}))
    return len(text).to_bytes(8, "big") + text + npz.getvalue()


def test_a_forward_cache_comes_back_a_named_tuple_that_reads_by_name():
    X, _, parameters = random_network(0)
    A3, cache = reg_utils.forward_propagation(X, parameters)
    got_A3, got = round_trip((A3, cache))
    assert got._fields == cache._fields and type(got).__name__ == "Cache"
    Z1, *_ = got  # unpacks as the course's tuple
    np.testing.assert_array_equal(Z1, cache.Z1)
    np.testing.assert_array_equal(got.W3, parameters["W3"])
    assert got.A3 is got_A3, "an object met twice is sent once"


def test_a_generator_comes_back_in_the_same_state_and_objects_become_unsupported():
    rng = np.random.RandomState(3)
    rng.rand(5)
    got_rng, other = round_trip([rng, object()])
    assert got_rng.rand() == rng.rand()
    assert isinstance(other, wire.Unsupported) and other.type_name == "object"


@pytest.mark.parametrize(
    "body",
    [
        ["Cache", ["_fields"], [1]],  # a name namedtuple refuses
        ["Cache", ["Z1", "A1"], [1]],  # fewer values than fields
        ["Cache", ["class"], [1]],  # a keyword
        ["os.system", ["a"], [1]],  # not an identifier
        ["Cache", [{"dict": {}}], [1]],
    ],
)
def test_a_malformed_named_tuple_is_refused(body):
    with pytest.raises(ValueError, match="malformed|unreadable"):
        wire.loads(packed({"namedtuple": body}))


@pytest.mark.parametrize(
    "array",
    [
        np.array(["a", "b"]),  # strings
        np.array("x"),  # a str scalar
        np.array(["2020-01-01"], dtype="datetime64[D]"),
        np.zeros(2, dtype="V4"),  # raw bytes
        np.zeros(2, dtype=[("a", "f8")]),  # a structured array
    ],
    ids=["str", "str scalar", "datetime64", "void", "structured"],
)
@pytest.mark.parametrize("tag", ["array", "scalar", "tensor"])
def test_only_numeric_arrays_and_scalars_cross(array, tag):
    body = ["a0", False] if tag == "tensor" else "a0"
    with pytest.raises(ValueError, match="malformed|unreadable"):
        wire.loads(packed({tag: body}, {"a0": array}))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00" * 7,
        (2**40).to_bytes(8, "big") + b"{}",  # a JSON text said to be huge
        packed({"list": [{"same": 5}]}),  # a reference to nothing
        packed({"array": "missing"}),
        packed(["not", "a", "tagged", "value"]),
        b"\x00" * 8 + b"PK\x03\x04garbage",
        "text, not bytes",
    ],
)
def test_bytes_that_are_not_a_value_are_refused(data):
    with pytest.raises(ValueError):
        wire.loads(data)


def test_arrays_said_to_be_larger_than_the_limit_are_refused_before_loading():
    big = np.zeros(wire.MAX_BYTES // 8 + 1)
    with pytest.raises(ValueError, match="too large"):
        wire.loads(packed({"array": "a0"}, {"a0": big}))


def doubled(leaf, levels, container):
    """``levels`` levels of a container holding two references to the level below."""
    for _ in range(levels):
        leaf = container(leaf)
    return leaf


@pytest.mark.parametrize(
    "leaf, container, too_deep",
    [
        (0.5, lambda v: [v, v], 30),
        (0.5, lambda v: {"a": v, "b": v}, 30),
        (np.zeros(1 << 10), lambda v: (v, v), 15),
    ],
)
def test_a_small_value_that_unfolds_past_the_limit_is_refused(leaf, container, too_deep):
    """An object met twice crosses once: 30 levels of two references to one list, a value of
    1 KB, hold 2**30 numbers unfolded, which a check making an array of it would meet (an
    attacker's filled the grader's 2 GiB). Fewer levels cross, their sharing kept."""
    data = wire.dumps(doubled(leaf, too_deep, container))
    assert len(data) < 16 << 10  # a kilobyte, but for the array
    with pytest.raises(ValueError, match="unfolded"):
        wire.loads(data)
    back = round_trip(doubled(leaf, 4, container))
    first, second = back if isinstance(back, list | tuple) else back.values()
    assert first is second


def test_tensorflow_tensors_and_variables_come_back_as_their_values():
    import tensorflow as tf

    tensor, variable = tf.constant([[1.0, 2.0]]), tf.Variable(tf.ones((2, 3)))
    got = round_trip({"t": tensor, "v": variable, "both": [tensor, tensor]})
    np.testing.assert_array_equal(got["t"], [[1.0, 2.0]])
    assert got["t"].dtype == np.float32 and not got["t"].is_variable
    assert isinstance(got["v"], wire.Tensor) and got["v"].is_variable and got["v"].shape == (2, 3)
    assert got["both"][0] is got["both"][1]


def test_what_a_function_did_to_a_dict_argument_is_done_to_the_graders_copy():
    W, b = np.ones((2, 3)), np.zeros((2, 1))
    sent = {"W": W, "b": b, "gone": 1, "cache": {"Z": 1}}
    back = {"W": np.full((3, 2), 2.0), "b": np.full((2, 1), 3.0), "new": [1], "cache": [2]}
    _restore(sent, back)
    assert sent.keys() == {"W", "b", "new", "cache"} and sent["cache"] == [2]
    np.testing.assert_array_equal(sent["W"], np.full((3, 2), 2.0))  # rebound: replaced
    assert sent["b"] is b and b[0, 0] == 3.0  # changed in place: the same array, changed
    np.testing.assert_array_equal(W, np.ones((2, 3)))  # the caller's old W is left as it was
