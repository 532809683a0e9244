"""The plain-data encoding between the trusted harness and a sandbox worker.

Everything that crosses the process boundary is JSON text in which numpy
arrays are tagged objects ``{"__nd__": [dtype, shape, base64 bytes]}`` and
only numeric and boolean dtypes are allowed. Nothing is ever unpickled, so a
hostile worker can send wrong numbers but never code.

Messages travel as an 8-byte big-endian length followed by UTF-8 JSON.
"""
from __future__ import annotations

import base64
import json
import math
import os
import struct
import threading

import numpy as np

#: dtype kinds that may cross the boundary: bool, signed, unsigned, float, complex
ALLOWED_KINDS = frozenset("biufc")
MAX_MESSAGE_BYTES = 256 * 1024 * 1024
MAX_DEPTH = 32
_HEADER = struct.Struct(">Q")
_WRITE_LOCK = threading.Lock()


class WireError(ValueError):
    """A message that is not valid plain data (refused, never executed)."""


class Handle:
    """Names an object that stays on one side of the boundary: ``side`` is "h" (harness) or "w" (worker).

    The stand-in channel (:mod:`grader.sandbox.remote`) passes objects that are not plain data this way; only
    the side that owns the object can act on it, and only through that channel.
    """

    __slots__ = ("side", "id", "kind")

    def __init__(self, side: str, id: int, kind: int = 0):
        self.side, self.id, self.kind = side, id, kind   # kind: its owner's number for the object's type

    def __repr__(self) -> str:
        return f"<handle {self.side}{self.id}>"

    def __eq__(self, other):
        return type(other) is Handle and (other.side, other.id) == (self.side, self.id)

    def __hash__(self):
        return hash((self.side, self.id))


class TensorData:
    """A torch tensor outside any autograd graph, passed by value: its numbers and the device it was on."""

    __slots__ = ("array", "device")

    def __init__(self, array: np.ndarray, device: str = "cpu"):
        self.array, self.device = array, device


class TorchConstant:
    """A ``torch.device`` or ``torch.dtype``, passed by name (``kind`` is "device" or "dtype")."""

    __slots__ = ("kind", "name")

    def __init__(self, kind: str, name: str):
        self.kind, self.name = kind, name


class Unencodable:
    """Stands for a value the worker could not turn into plain data."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<{self.type_name} object>"

    def __eq__(self, other):
        return isinstance(other, Unencodable) and other.type_name == self.type_name

    def __hash__(self):
        return hash(self.type_name)


def _encode(value, depth: int):
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    # Exact type checks: a student's subclass of float or ndarray must not
    # smuggle its own __eq__ or __float__ to the harness.
    if value is None or type(value) in (bool, str):
        return value
    if type(value) is int:
        return value
    if type(value) is float:
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, np.generic) and value.dtype.kind in ALLOWED_KINDS:
        return _encode_array(np.asarray(value), scalar=True)
    if isinstance(value, np.ndarray):
        return _encode_array(value, scalar=False)
    if type(value) in (list, tuple):
        return {"__seq__": type(value).__name__, "items": [_encode(v, depth + 1) for v in value]}
    if type(value) is dict:
        if not all(type(k) is str for k in value):
            raise WireError("dict keys must be strings")
        return {"__dict__": {k: _encode(v, depth + 1) for k, v in value.items()}}
    if isinstance(value, Unencodable):
        return {"__unencodable__": value.type_name}
    if type(value) is Handle:
        return {"__handle__": [value.side, value.id, value.kind]}
    if type(value) is TorchConstant:
        return {"__torch__": [value.kind, value.name[:40]]}
    if type(value) is TensorData:
        return {"__tensor__": [_encode_array(np.asarray(value.array), scalar=False), str(value.device)[:40]]}
    return {"__unencodable__": type(value).__qualname__}


def _encode_array(array: np.ndarray, scalar: bool):
    if array.dtype.kind not in ALLOWED_KINDS:
        return {"__unencodable__": f"ndarray of dtype {array.dtype}"}
    # np.array (not asarray) drops any subclass and copies to a plain buffer.
    plain = np.array(array, dtype=array.dtype.newbyteorder("<") if array.dtype.byteorder == ">" else array.dtype, order="C", subok=False)
    data = base64.b64encode(plain.tobytes()).decode("ascii")
    return {"__nd__": [plain.dtype.str, list(plain.shape), data], "scalar": scalar}


def encode(value) -> bytes:
    """Plain data (numbers, strings, arrays, lists, dicts) -> JSON bytes."""
    return json.dumps(_encode(value, 0), allow_nan=False).encode("utf-8")


def _decode(obj, depth: int):
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    if obj is None or type(obj) in (bool, int, float, str):
        return obj
    if type(obj) is list:
        raise WireError("bare JSON list (expected a tagged sequence)")
    if type(obj) is not dict:
        raise WireError(f"unexpected JSON value {type(obj).__name__}")
    if "__nd__" in obj:
        return _decode_array(obj)
    if "__float__" in obj:
        text = obj["__float__"]
        if text not in ("nan", "inf", "-inf"):
            raise WireError(f"bad float {text!r}")
        return float(text)
    if "__seq__" in obj:
        items = [_decode(v, depth + 1) for v in _as_list(obj.get("items"))]
        return tuple(items) if obj["__seq__"] == "tuple" else items
    if "__dict__" in obj:
        inner = obj["__dict__"]
        if type(inner) is not dict:
            raise WireError("bad dict")
        return {str(k): _decode(v, depth + 1) for k, v in inner.items()}
    if "__handle__" in obj:
        return _decode_handle(obj["__handle__"])
    if "__torch__" in obj:
        pair = obj["__torch__"]
        if type(pair) is not list or len(pair) != 2 or pair[0] not in ("device", "dtype") or type(pair[1]) is not str:
            raise WireError("bad torch constant")
        return TorchConstant(pair[0], pair[1][:40])
    if "__tensor__" in obj:
        return _decode_tensor(obj["__tensor__"])
    if "__unencodable__" in obj:
        return Unencodable(str(obj["__unencodable__"])[:200])
    raise WireError("untagged object")


def _decode_handle(obj) -> Handle:
    if type(obj) is not list or len(obj) != 3 or obj[0] not in ("h", "w") or any(type(n) is not int for n in obj[1:]):
        raise WireError("bad handle")
    return Handle(obj[0], obj[1], obj[2])


def _decode_tensor(obj) -> TensorData:
    if type(obj) is not list or len(obj) != 2 or type(obj[0]) is not dict or type(obj[1]) is not str:
        raise WireError("bad tensor")
    array = _decode_array(obj[0])
    return TensorData(np.asarray(array), obj[1])


def _as_list(obj):
    if type(obj) is not list:
        raise WireError("bad sequence")
    return obj


def _decode_array(obj) -> np.ndarray | np.generic:
    try:
        dtype_str, shape, data = obj["__nd__"]
        dtype = np.dtype(str(dtype_str))
        shape = tuple(int(s) for s in shape)
        raw = base64.b64decode(data, validate=True)
    except (TypeError, ValueError, KeyError) as exc:
        raise WireError(f"bad array: {exc}") from None
    if dtype.kind not in ALLOWED_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise WireError(f"refused dtype {dtype}")
    if any(s < 0 for s in shape) or math.prod(shape) * dtype.itemsize != len(raw):
        raise WireError("array size does not match its shape")
    array = np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    return array[()] if obj.get("scalar") is True and shape == () else array


def decode(data: bytes):
    """JSON bytes -> plain data; refuses anything that is not plain data."""
    try:
        obj = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WireError(f"not JSON: {exc}") from None
    return _decode(obj, 0)


#: A worker's exit status when its own code ran out of memory or stack after the student's code exhausted them.
EXIT_EXHAUSTED = 75

def send(fd: int, value) -> None:
    payload = encode(value)
    _write_all(fd, _HEADER.pack(len(payload)) + payload)


def _write_all(fd: int, data: bytes) -> None:
    """Write one whole frame; a frame larger than the pipe's buffer takes several writes, and another thread
    of the process (the worker's watchdog, beside a stand-in call) must not put its frame between them."""
    view = memoryview(data)
    with _WRITE_LOCK:
        while view:
            written = os.write(fd, view)
            view = view[written:]


def read_exact(fd: int, n: int) -> bytes:
    chunks, remaining = [], n
    while remaining:
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise EOFError("pipe closed")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def receive(fd: int):
    (length,) = _HEADER.unpack(read_exact(fd, _HEADER.size))
    if length > MAX_MESSAGE_BYTES:
        raise WireError(f"message of {length} bytes is over the limit")
    return decode(read_exact(fd, length))
