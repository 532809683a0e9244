"""The harness's side of the stand-in channel (:mod:`grader.sandbox.remote`): the reference's behaviour, served.

A :class:`StandInService` belongs to one submission's client. It describes
the parts it can stand in for (names, base classes, method names: the public
API) for the worker's ``init``, and while a probe runs it answers the
worker's requests by running the reference's code here, in the harness. It
serves only the parts it was asked to stand in for in this probe, plus the
parts of modules that failed to import (their importers hold stand-ins); it
records which parts it served, so that a check never scores a part with the
grader's own stand-in for it.
"""
from __future__ import annotations

import abc
import os
import types

from grader.core.types import ProbeFailure
from grader.sandbox import remote

#: attributes never handed out: modules, classes and code are not objects of a check.
NOT_SERVED = (types.ModuleType, type, types.CodeType, types.FrameType, types.TracebackType)
_PLAIN_BASES = (object, abc.ABC)


def describe_parts(reference_api, homes: dict[str, str]) -> dict[str, dict]:
    """{name: spec} of the reference's classes and functions a stand-in can replace.

    A class qualifies when every base it has is another part (or ``object``):
    one built on a library class (a torch ``nn.Module``) cannot live across
    the boundary, so it is not offered.
    """
    found = {}
    for name in homes:
        try:
            obj = getattr(reference_api, name)
        except Exception:  # noqa: BLE001, S112 - the reference defines no such part
            continue
        if isinstance(obj, type):
            parts = {getattr(reference_api, n, None) for n in homes} - {None}
            if not all(base in parts or base in _PLAIN_BASES for base in obj.__mro__[1:]):
                continue
            base = next((b.__name__ for b in obj.__mro__[1:] if b in parts), None)
            methods = sorted(m for m in dir(obj) if not m.startswith("_") and callable(getattr(obj, m, None)))
            found[name] = {"kind": "class", "base": base, "methods": methods}
        elif isinstance(obj, types.FunctionType):
            found[name] = {"kind": "function"}
    return found


def _resident_bytes() -> int:
    """This process's resident memory (0 where /proc is missing: then nothing is bounded)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class HarnessEndpoint(remote.Endpoint):
    """Answers the worker: ``new`` and ``function`` run the reference's part; the rest act on objects made so."""

    fatal = (ProbeFailure,)

    def __init__(self, service: StandInService):
        super().__init__("h")
        self.service = service

    def perform(self, message: dict):
        action = message.get("action")
        if action not in ("new", "function"):
            return super().perform(message)
        name = message.get("name")
        part = self.service.part(name)
        if isinstance(part, type) != (action == "new"):
            raise remote.RemoteError(f"{name} cannot be used that way")
        args, kwargs = self.incoming(message.get("args") or []), self.incoming(message.get("kwargs") or {})
        if type(args) is not list or type(kwargs) is not dict:
            raise remote.RemoteError("malformed request")
        return part(*args, **kwargs)

    def outgoing(self, value, depth: int = 0):
        if isinstance(value, NOT_SERVED):
            raise remote.RemoteError(f"a {type(value).__name__} is not handed out")
        return super().outgoing(value, depth)


class StandInService:
    """The reference's parts, served to one submission's worker while its probes run."""

    def __init__(self, reference_api, homes: dict[str, str], memory_mb: int = 2048):
        self.reference_api, self.homes = reference_api, homes
        # The reference runs here on the worker's arguments: what it may hold while serving one probe.
        self.memory_bytes = max(int(memory_mb or 2048), 256) * 1024 * 1024
        self._baseline: int | None = None
        self.specs = describe_parts(reference_api, homes)
        self.names: tuple[str, ...] = ()      # the parts the current probe stands in for
        self.always: set[str] = set()         # parts of modules that failed to import
        self.served: set[str] = set()         # parts served since :meth:`reset_served`
        self.endpoint = HarnessEndpoint(self)

    def modules_failed(self, import_errors: dict) -> None:
        """The worker's modules that failed to import: their importers hold stand-ins for their parts."""
        failed = set(import_errors or {})
        self.always = {name for name, home in self.homes.items() if home in failed and name in self.specs}

    def part(self, name):
        if not isinstance(name, str) or name not in self.specs or name not in (set(self.names) | self.always):
            raise remote.RemoteError(f"the grader offers no stand-in for {name!r} here")
        self.served.add(name)
        return getattr(self.reference_api, name)

    def answer(self, message: dict, ask_worker) -> dict:
        """The reply to one request of the worker (``ask_worker`` carries the reference's requests back)."""
        self.endpoint.exchange = ask_worker
        if self._baseline is None:
            self._baseline = _resident_bytes()
        reply = self.endpoint.answer(message)
        if _resident_bytes() - self._baseline > self.memory_bytes:
            self.endpoint.forget()
            raise ProbeFailure("memory", "your code asked the grader's stand-ins for more memory than a check may use")
        return reply

    def end_probe(self) -> None:
        self.endpoint.forget()
        self._baseline = None

    def reset_served(self) -> set[str]:
        served, self.served = self.served, set()
        return served
