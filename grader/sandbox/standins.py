"""The worker's side of the stand-in channel (:mod:`grader.sandbox.remote`): stand-ins served by the harness.

The harness describes, at ``init``, the parts it can stand in for (their
names, and for a class its base class and method names: the public API, no
code). A stand-in class is a subclass of the student's own base class where
one exists (so ``isinstance(layer, Layer)`` holds in the student's code);
each of its methods asks the harness, which runs the reference's. A probe
asks for stand-ins by name: during that probe ``api.NAME`` and every global
of the student's code bound to the student's ``NAME`` are the stand-in, and
the names the probe looked up are reported back (the parts a check uses).
A student module that fails to import is replaced by stand-ins, so the
modules that import it still load (their checks are not lost to it).
"""
from __future__ import annotations

from grader.sandbox import remote, wire

_ENDPOINT: list = []   # this worker's endpoint (one per worker process)


def _endpoint() -> WorkerEndpoint:
    if not _ENDPOINT:
        raise remote.RemoteError("the grader's stand-ins are not available here")
    return _ENDPOINT[0]


class WorkerEndpoint(remote.Endpoint):
    """The worker's end: requests go out on the reply pipe as ``callback`` messages; while it waits, the harness
    may ask it to act on the student's objects (``serve``)."""

    def __init__(self, request_fd: int, response_fd: int):
        super().__init__("w", self._exchange)
        self.request_fd, self.response_fd = request_fd, response_fd
        self.active = False

    def _exchange(self, message: dict) -> dict:
        if not self.active:
            raise remote.RemoteError("the grader's stand-ins can only be used while a check runs")
        wire.send(self.response_fd, {"op": "callback", **message})
        while True:
            incoming = wire.receive(self.request_fd)
            op = incoming.get("op") if isinstance(incoming, dict) else None
            if op == "reply":
                return incoming
            if op != "serve":
                raise remote.RemoteError("the grader sent an unexpected message")
            wire.send(self.response_fd, self.answer(incoming))

    def answer(self, message: dict) -> dict:
        try:
            return super().answer(message)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - SystemExit and the like in the student code: an error for the harness
            return {"op": "reply", "ok": False, "error": remote._describe(exc)}


class StandInInstance:
    """Mixed into every stand-in class: the object itself lives in the harness."""

    _nngrade_part = ""

    def __init__(self, *args, **kwargs):
        endpoint = _endpoint()
        handle = endpoint.request("new", name=type(self)._nngrade_part, args=args, kwargs=kwargs, raw=True)
        _attach(self, handle)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return _endpoint().request("getattr", remote.handle_of(self), name)

    def __setattr__(self, name, value):
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        else:
            _endpoint().request("setattr", remote.handle_of(self), name, (value,))

    def __deepcopy__(self, memo):
        return _copy_of(self, "deepcopy")

    def __copy__(self):
        return _copy_of(self, "copy")

    def __repr__(self):
        return f"<the grader's stand-in for {type(self)._nngrade_part}>"


def _attach(instance, handle) -> None:
    if type(handle) is not wire.Handle:
        raise remote.RemoteError("the grader could not make the stand-in")
    object.__setattr__(instance, "_nngrade_handle", handle)
    _endpoint().bind(handle, instance)


def _copy_of(instance, how: str):
    handle = _endpoint().request(how, remote.handle_of(instance), raw=True)
    twin = object.__new__(type(instance))
    _attach(twin, handle)
    return twin


def _forwarding_method(name: str):
    def method(self, *args, **kwargs):
        return _endpoint().request("method", remote.handle_of(self), name, args, kwargs)

    method.__name__ = method.__qualname__ = name
    return method


def _forwarding_function(part: str):
    def function(*args, **kwargs):
        return _endpoint().request("function", None, part, args, kwargs)

    function.__name__ = function.__qualname__ = part
    return function


class StandIns:
    """The stand-ins this worker can make, from the harness's description ``specs``; ``resolve(name)`` finds
    the student's own object (for a stand-in class's base)."""

    def __init__(self, endpoint: WorkerEndpoint, specs: dict, homes: dict[str, str]):
        self.endpoint, self.specs, self.homes = endpoint, specs if isinstance(specs, dict) else {}, homes
        self.resolve = None
        self._made: dict[str, object] = {}

    def available(self, name: str) -> bool:
        return isinstance(self.specs.get(name), dict)

    def get(self, name: str):
        if name not in self._made:
            spec = self.specs[name]
            self._made[name] = self._class(name, spec) if spec.get("kind") == "class" else _forwarding_function(name)
        return self._made[name]

    def _class(self, name: str, spec: dict) -> type:
        namespace = {"_nngrade_part": name, "__module__": "nngrade_standins", "__qualname__": name,
                     "__doc__": f"The grader's stand-in for {name}."}
        for method in spec.get("methods") or []:
            if isinstance(method, str) and method.isidentifier() and not method.startswith("_"):
                namespace[method] = _forwarding_method(method)
        base = self._base(spec.get("base"))
        try:
            made = type(name, (StandInInstance, base), namespace)
        except Exception:  # noqa: BLE001 - a student base that cannot be subclassed: the stand-in does without it
            made = type(name, (StandInInstance,), namespace)
        made.__abstractmethods__ = frozenset()   # the student's abstract base may name methods the course does not
        return made

    def _base(self, name) -> type:
        if not isinstance(name, str):
            return object
        try:
            found = self.resolve(name) if self.resolve else None
        except Exception:  # noqa: BLE001 - the student's base failed to load: use its stand-in
            found = None
        if isinstance(found, type):
            return found
        return self.get(name) if self.available(name) else object

    def module_replacement(self, stem: str, names_of) -> dict:
        """The stand-ins for the names a failed module should define (what its importers get instead)."""
        return {name: self.get(name) for name in names_of(stem) if self.available(name)}


class ProbeAPI:
    """What a probe sees: the student's API, with ``names`` replaced by stand-ins; records what it looked up."""

    def __init__(self, api, standins: StandIns, names: list[str]):
        self._api, self._standins, self._names = api, standins, set(names)
        self.used: list[str] = []

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self.used:
            self.used.append(name)
        if name in self._names:
            return self._standins.get(name)
        return getattr(self._api, name)

    def describe_error(self, exc: BaseException) -> str:
        return self._api.describe_error(exc)


class ProbeScope:
    """One probe's stand-ins: the student's globals bound to a stood-in part point at its stand-in until the
    probe ends; then every handle either side holds is forgotten."""

    def __init__(self, standins: StandIns, api, names):
        names = [n for n in (names if isinstance(names, list) else []) if isinstance(n, str) and standins.available(n)]
        self.standins, self.api, self.names = standins, api, names
        self.probe_api = ProbeAPI(api, standins, names)
        self._patched: list[tuple[dict, str, object]] = []

    def __enter__(self) -> ProbeAPI:
        namespaces = self.api.namespaces() if hasattr(self.api, "namespaces") else []
        for name in self.names:
            try:
                original = getattr(self.api, name)
            except Exception:  # noqa: BLE001 - the student's part failed or is missing
                original = None
            standin = self.standins.get(name)
            for namespace in namespaces:
                for key, value in list(namespace.items()):
                    if original is not None and value is original:
                        self._patch(namespace, key, standin)
                if original is None and name not in namespace:
                    self._patch(namespace, name, standin)
        self.standins.endpoint.active = True
        return self.probe_api

    def _patch(self, namespace: dict, key: str, value) -> None:
        self._patched.append((namespace, key, namespace.get(key, _MISSING)))
        namespace[key] = value

    def __exit__(self, *exc) -> None:
        self.standins.endpoint.active = False
        for namespace, key, value in reversed(self._patched):
            if value is _MISSING:
                namespace.pop(key, None)
            else:
                namespace[key] = value
        self.standins.endpoint.forget()


_MISSING = object()


def install(request_fd: int, response_fd: int, specs: dict, homes: dict[str, str]) -> StandIns:
    """This worker's stand-ins (once per worker, at ``init``)."""
    endpoint = WorkerEndpoint(request_fd, response_fd)
    _ENDPOINT[:] = [endpoint]
    return StandIns(endpoint, specs, homes)
