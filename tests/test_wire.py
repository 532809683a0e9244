"""The worker's replies are plain data: numbers and arrays round-trip, code never does."""
import base64
import json

import numpy as np
import pytest

from grader.sandbox import wire


@pytest.mark.parametrize("value", [
    None, True, 3, -2.5, "text", [1, 2.0, "x"], (1, (2, 3)), {"a": [1, {"b": None}]},
    np.arange(6, dtype=np.float32).reshape(2, 3), np.array([[1, 2]], dtype=np.int64), np.float64(1.5),
    np.array([True, False]), np.zeros((0, 3)), float("nan"), float("inf"),
])
def test_round_trip(value):
    back = wire.decode(wire.encode(value))
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype and back.shape == value.shape and np.array_equal(back, value)
    elif isinstance(value, float) and value != value:
        assert back != back
    else:
        assert back == value and type(back) is type(value)


def test_subclasses_and_objects_lose_their_behaviour():
    class Always(np.ndarray):
        def __eq__(self, other):
            return True

    class Sly(float):
        def __eq__(self, other):
            return True

    sent = wire.decode(wire.encode([np.ones(3).view(Always), Sly(2.0), object(), np.array([object()])]))
    assert type(sent[0]) is np.ndarray
    assert isinstance(sent[1], wire.Unencodable)  # a float subclass is not a float
    assert isinstance(sent[2], wire.Unencodable) and isinstance(sent[3], wire.Unencodable)


@pytest.mark.parametrize("payload", [
    {"__nd__": ["|O", [1], base64.b64encode(b"\0" * 8).decode()]},      # object dtype
    {"__nd__": ["<f8", [4], base64.b64encode(b"\0" * 8).decode()]},      # size mismatch
    {"__nd__": ["V8", [1], base64.b64encode(b"\0" * 8).decode()]},       # void
    {"untagged": 1},
    {"__float__": "1e999"},
])
def test_hostile_payloads_are_refused(payload):
    with pytest.raises(wire.WireError):
        wire.decode(json.dumps(payload).encode())


def test_pickle_is_not_json():
    import pickle

    with pytest.raises(wire.WireError):
        wire.decode(pickle.dumps({"ok": True}))
