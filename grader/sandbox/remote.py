"""The stand-in channel: while a probe runs, the worker and the harness act on each other's objects.

It serves "one mistake, charged once": a check re-run with trusted stand-ins
for the parts of a submission that already failed their own checks. A
stand-in lives in the worker (so the student's code can hold it, subclass
checks hold, and it can be passed around), but its behaviour is the
reference's, computed in the harness: the reference's code never enters the
worker. While serving, the reference may in turn act on the student's objects
(call an optimizer's ``update``, iterate a loader, add two tensors).

Plain data crosses in the wire encoding (:mod:`grader.sandbox.wire`, never
pickle); any other object crosses as a :class:`wire.Handle` that only its
owner can act on, and the other side sees it as a :class:`RemoteObject`. Each
side has an :class:`Endpoint`: its table of exported objects and the requests
it answers on them. Requests name an action (``method``, ``getattr``,
``operator``…), never code; attribute names starting with ``_`` are refused.
"""
from __future__ import annotations

import copy
import operator
import types

import numpy as np

from grader.sandbox import wire

#: operator-module functions a request may apply (arithmetic and comparisons on the owner's objects).
OPERATORS = frozenset({"add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "neg", "pos", "abs",
                       "lt", "le", "gt", "ge", "eq", "ne", "and_", "or_", "xor", "invert", "contains", "getitem",
                       "setitem"})
#: requests in flight inside one another (a stand-in calling the student calling a stand-in…).
MAX_NESTING = 48
MAX_ERROR_CHARS = 1000


class RemoteError(Exception):
    """The other side raised while doing what was asked (its message says what)."""


#: built-in exceptions that keep their type across the boundary (``hasattr`` needs an AttributeError, a loop
#: may catch an IndexError…), as subclasses of :class:`RemoteError`; any other arrives as a plain RemoteError.
_KEPT = (AttributeError, TypeError, ValueError, KeyError, IndexError, LookupError, ArithmeticError,
         ZeroDivisionError, OverflowError, FloatingPointError, NotImplementedError, AssertionError, RuntimeError)
REMOTE_EXCEPTIONS = {kept.__name__: type(f"Remote{kept.__name__}", (RemoteError, kept), {}) for kept in _KEPT}


class ObjectTable:
    """The objects of one side that the other holds handles to (kept alive until :meth:`clear`)."""

    def __init__(self, side: str):
        self.side = side
        self._objects: dict[int, object] = {}
        self._ids: dict[int, int] = {}
        self._kinds: dict[type, int] = {}   # kept across probes: the other side caches which names are methods

    def export(self, obj) -> wire.Handle:
        number = self._ids.get(id(obj))
        if number is None:
            number = self._ids[id(obj)] = len(self._objects) + 1
            self._objects[number] = obj
        kind = self._kinds.setdefault(type(obj), len(self._kinds) + 1)
        return wire.Handle(self.side, number, kind)

    def get(self, handle: wire.Handle):
        if handle.side != self.side or handle.id not in self._objects:
            raise RemoteError("that object is not available here (it belonged to an earlier check)")
        return self._objects[handle.id]

    def clear(self) -> None:
        self._objects.clear()
        self._ids.clear()


def handle_of(value) -> wire.Handle | None:
    """The handle a proxy or stand-in stands for (None for an object of this side)."""
    try:
        handle = object.__getattribute__(value, "_nngrade_handle")
    except AttributeError:
        return None
    return handle if type(handle) is wire.Handle else None


def _plain_leaf(value) -> bool:
    if value is None or type(value) in (bool, int, float, str):
        return True
    if isinstance(value, (np.ndarray, np.generic)):
        return value.dtype.kind in wire.ALLOWED_KINDS and value.dtype.fields is None
    return False


def _tensor_data(value) -> wire.TensorData | wire.TorchConstant | None:
    """A torch tensor outside any autograd graph (data: images, labels) crosses by value, and so do a device and
    a dtype; a tensor that is part of a graph (parameters, outputs, losses) stays where its graph is (a handle)."""
    kind = type(value)
    if kind.__module__ == "torch" and kind.__name__ in ("device", "dtype"):
        return wire.TorchConstant(kind.__name__, str(value).removeprefix("torch."))
    if kind.__name__ != "Tensor" or kind.__module__ != "torch" or value.requires_grad:
        return None
    if value.device.type != "cpu":   # a GPU tensor stays a handle: the harness never touches the GPU itself
        return None
    try:
        array = value.detach().cpu().numpy()
    except (TypeError, RuntimeError):   # a dtype numpy lacks (bfloat16): keep it as a handle
        return None
    if array.dtype.kind not in wire.ALLOWED_KINDS:
        return None
    return wire.TensorData(array, str(value.device))


def _tensor(data):
    import torch  # only a torch assignment sends tensors, and both sides have torch then

    if type(data) is wire.TorchConstant:
        found = torch.device(data.name) if data.kind == "device" else getattr(torch, data.name, None)
        if data.kind == "dtype" and not isinstance(found, torch.dtype):
            raise RemoteError(f"no dtype {data.name!r}")
        return found
    if data.device != "cpu":
        raise RemoteError(f"only tensors on the cpu cross by value, not on {data.device!r}")
    return torch.from_numpy(np.array(data.array))


class Endpoint:
    """One side's end of the channel. ``exchange(message) -> reply`` sends a request to the other side and
    waits for its reply (answering the other side's nested requests meanwhile); ``fatal`` are exceptions that
    must stop everything (a timeout) instead of being reported to the other side."""

    fatal: tuple = ()

    def __init__(self, side: str, exchange=None):
        self.table = ObjectTable(side)
        self.exchange = exchange
        self.depth = 0
        self._proxies: dict[wire.Handle, object] = {}
        self.methods: set[tuple[int, str]] = set()   # (kind of the other side's object, name): a method, no need to ask

    # -- values ---------------------------------------------------------------
    def outgoing(self, value, depth: int = 0):
        if depth > wire.MAX_DEPTH - 4:
            raise RemoteError("value nested too deeply to pass to the stand-in")
        if _plain_leaf(value):
            return value
        data = _tensor_data(value)
        if data is not None:
            return data
        if type(value) in (list, tuple):
            return type(value)(self.outgoing(v, depth + 1) for v in value)
        if type(value) is dict and all(type(k) is str for k in value):
            return {k: self.outgoing(v, depth + 1) for k, v in value.items()}
        return handle_of(value) or self.table.export(value)

    def incoming(self, value):
        if type(value) is wire.Handle:
            return self.table.get(value) if value.side == self.table.side else self.proxy(value)
        if type(value) in (wire.TensorData, wire.TorchConstant):
            return _tensor(value)
        if type(value) in (list, tuple):
            return type(value)(self.incoming(v) for v in value)
        if type(value) is dict:
            return {k: self.incoming(v) for k, v in value.items()}
        return value

    def proxy(self, handle: wire.Handle):
        """The object standing for the other side's ``handle`` (the same one each time: ``is`` holds)."""
        if handle not in self._proxies:
            self._proxies[handle] = RemoteObject(self, handle)
        return self._proxies[handle]

    def bind(self, handle: wire.Handle, obj) -> None:
        self._proxies[handle] = obj

    def forget(self) -> None:
        """End of a probe: every handle either side holds becomes invalid."""
        self.table.clear()
        self._proxies.clear()

    # -- asking ---------------------------------------------------------------
    def request(self, action: str, target=None, name: str | None = None, args=(), kwargs=None, raw: bool = False):
        if self.exchange is None:
            raise RemoteError("the grader's stand-ins can only be used while a check runs")
        if self.depth >= MAX_NESTING:
            raise RemoteError("calls between your code and the grader's stand-ins nest too deeply")
        message = {"action": action, "args": self.outgoing(list(args)), "kwargs": self.outgoing(dict(kwargs or {}))}
        if target is not None:
            message["target"] = target
        if name is not None:
            message["name"] = name
        self.depth += 1
        try:
            reply = self.exchange(message)
        finally:
            self.depth -= 1
        if not isinstance(reply, dict):
            raise RemoteError("malformed reply")
        if reply.get("ok") is True:
            if action == "getattr" and type(reply.get("value")) is str and reply["value"] == IS_METHOD:
                self.methods.add((target.kind, name))
                return RemoteMethod(self, target, name)
            return reply.get("value") if raw else self.incoming(reply.get("value"))
        if reply.get("stop") is True:
            raise StopIteration
        raise REMOTE_EXCEPTIONS.get(reply.get("type"), RemoteError)(str(reply.get("error", "failed"))[:MAX_ERROR_CHARS])

    # -- answering ------------------------------------------------------------
    def answer(self, message: dict) -> dict:
        """The reply to one request of the other side (its exception, if any, as an error)."""
        try:
            value = self.perform(message)
            return {"op": "reply", "ok": True, "value": self.outgoing(value)}
        except StopIteration:
            return {"op": "reply", "ok": False, "stop": True}
        except self.fatal:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever it was, the asking side raises it as RemoteError
            return {"op": "reply", "ok": False, "error": _describe(exc), "type": _kept_type(exc)}

    def perform(self, message: dict):
        action = message.get("action")
        args = self.incoming(message.get("args") or [])
        kwargs = self.incoming(message.get("kwargs") or {})
        if type(args) is not list or type(kwargs) is not dict:
            raise RemoteError("malformed request")
        name = message.get("name")
        if action == "operator":
            if name not in OPERATORS:
                raise RemoteError(f"operator {name!r} is not available")
            return getattr(operator, name)(*args)
        target = self._target(message)
        simple = {"call": lambda: target(*args, **kwargs), "iter": lambda: iter(target), "next": lambda: next(target),
                  "len": lambda: len(target), "bool": lambda: bool(target), "float": lambda: float(target),
                  "int": lambda: int(target), "index": lambda: operator.index(target),
                  "array": lambda: self._array(target), "deepcopy": lambda: copy.deepcopy(target),
                  "copy": lambda: copy.copy(target)}
        if action in simple:
            return simple[action]()
        if action == "method":
            return self.attribute(target, name)(*args, **kwargs)
        if action == "getattr":
            value = self.attribute(target, name)
            return IS_METHOD if isinstance(value, _BOUND_METHODS) else value
        if action == "setattr":
            setattr(target, _public(name), args[0])
            return None
        raise RemoteError(f"unknown request {action!r}")

    def _target(self, message: dict):
        handle = message.get("target")
        if type(handle) is not wire.Handle:
            raise RemoteError("the request names no object")
        return self.table.get(handle)

    def attribute(self, target, name):
        return getattr(target, _public(name))

    @staticmethod
    def _array(target):
        array = np.asarray(target)
        if array.dtype.kind not in wire.ALLOWED_KINDS:
            raise TypeError(f"not a numeric array (dtype {array.dtype})")
        return array


#: the reply to ``getattr`` when the attribute is a bound method: the asker calls it by name from then on.
IS_METHOD = "\x00method"
_BOUND_METHODS = (types.MethodType, types.BuiltinMethodType, types.MethodWrapperType)


class RemoteMethod:
    """A method of an object of the other side: calling it is one request."""

    __slots__ = ("endpoint", "name", "target")

    def __init__(self, endpoint: Endpoint, target: wire.Handle, name: str):
        self.endpoint, self.target, self.name = endpoint, target, name

    def __call__(self, *args, **kwargs):
        return self.endpoint.request("method", self.target, self.name, args, kwargs)


def _public(name) -> str:
    if type(name) is not str or not name.isidentifier() or name.startswith("_"):
        raise RemoteError(f"attribute {name!r} is not available")
    return name


def _kept_type(exc: BaseException) -> str:
    return next((kept.__name__ for kept in _KEPT if type(exc) is kept or isinstance(exc, REMOTE_EXCEPTIONS[kept.__name__])),
                "")


def _describe(exc: BaseException) -> str:
    try:
        text = f"{type(exc).__name__}: {exc}"
    except Exception:  # noqa: BLE001 - a hostile __str__
        text = type(exc).__name__
    return text[:MAX_ERROR_CHARS]


def _ask(proxy, action: str, *args, name: str | None = None):
    endpoint = object.__getattribute__(proxy, "_nngrade_endpoint")
    return endpoint.request(action, object.__getattribute__(proxy, "_nngrade_handle"), name, args)


def _operator(name: str, reflected: bool = False):
    if reflected:
        return lambda self, other: _ask(self, "operator", other, self, name=name)
    return lambda self, *other: _ask(self, "operator", self, *other, name=name)


class RemoteObject:
    """An object of the other side: attribute reads, calls, iteration, arithmetic and comparisons go there."""

    __slots__ = ("__weakref__", "_nngrade_endpoint", "_nngrade_handle")

    def __init__(self, endpoint: Endpoint, handle: wire.Handle):
        object.__setattr__(self, "_nngrade_endpoint", endpoint)
        object.__setattr__(self, "_nngrade_handle", handle)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        endpoint = object.__getattribute__(self, "_nngrade_endpoint")
        handle = object.__getattribute__(self, "_nngrade_handle")
        if (handle.kind, name) in endpoint.methods:
            return RemoteMethod(endpoint, handle, name)
        return _ask(self, "getattr", name=name)

    def __setattr__(self, name, value):
        _ask(self, "setattr", value, name=name)

    def __call__(self, *args, **kwargs):
        endpoint = object.__getattribute__(self, "_nngrade_endpoint")
        return endpoint.request("call", object.__getattribute__(self, "_nngrade_handle"), None, args, kwargs)

    def __iter__(self):
        return _ask(self, "iter")

    def __next__(self):
        return _ask(self, "next")

    def __len__(self):
        return _ask(self, "len")

    def __bool__(self):
        return _ask(self, "bool")

    def __float__(self):
        return _ask(self, "float")

    def __int__(self):
        return _ask(self, "int")

    def __index__(self):
        return _ask(self, "index")

    def __array__(self, dtype=None, copy=None):
        array = _ask(self, "array")
        return array if dtype is None else array.astype(dtype)

    def __deepcopy__(self, memo):
        return _ask(self, "deepcopy")

    def __copy__(self):
        return _ask(self, "copy")

    def __repr__(self):
        return "<an object of the other side of the sandbox>"

    __hash__ = object.__hash__


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "lt", "le", "gt", "ge", "eq", "ne",
              "and", "or", "xor", "getitem", "setitem", "contains", "neg", "pos", "abs", "invert"):
    _function = _name + "_" if _name in ("and", "or") else _name
    setattr(RemoteObject, f"__{_name}__", _operator(_function))
    if _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or", "xor"):
        setattr(RemoteObject, f"__r{_name}__", _operator(_function, reflected=True))
