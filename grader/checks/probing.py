"""Run probes on trusted code in the harness: the reference, a catalogued mutant, or recorded answers.

The student's side runs in :class:`grader.sandbox.client.SandboxClient`; these
runners give the same ``run(probe, kwargs, seed=...)`` interface for the code
the harness may run itself, and round-trip every value through the wire
encoding so both sides are compared as the same kind of plain data.

An exception in the reference is the grader's fault (:class:`GraderFault`):
the check it happens in is a grader error, never "your code raised". A
mutant of the reference is a stand-in for a student, so its exceptions are
:class:`ProbeFailure`, as a student's would be.
"""
from __future__ import annotations

import json
import traceback
import types
from collections import OrderedDict
from pathlib import Path

import numpy as np

from grader.core.types import GraderFault, ProbeFailure
from grader.sandbox import wire
from grader.sandbox.client import format_student_error
from grader.sandbox.keys import probe_key, probe_name
from grader.sandbox.modules import ModuleSet
from grader.sandbox.worker import StudentAPI, describe_exception

#: Bytes of encoded answers a trusted runner keeps (the hidden checks' answers, asked every grading, stay).
CACHE_BYTES = 64 * 1024 * 1024


class MissingAnswer(GraderFault, LookupError):
    """A student bundle has no recorded reference answer for these inputs (the bundle is older than its checks)."""


def load_probes(source: str) -> dict[str, types.FunctionType]:
    namespace: dict = {"__name__": "nngrade_probes"}
    exec(compile(source, "<probes>", "exec"), namespace)
    return {k: v for k, v in namespace.items() if isinstance(v, types.FunctionType) and not k.startswith("_")}


class TrustedRunner:
    """Probes on trusted code loaded in this process: the reference (``trusted``) or a mutant of it."""

    def __init__(self, package: str, files: dict[str, Path], homes: dict[str, str], probes_source: str,
                 trusted: bool = True):
        self.modules = ModuleSet(package, files)
        self.import_errors = self.modules.load_all()
        self.modules.detach()
        self.api = StudentAPI(self.modules, homes)
        self.probes = load_probes(probes_source)
        self.trusted = trusted
        self._cache: OrderedDict[str, object] = OrderedDict()
        self._cache_bytes = 0

    def run(self, probe, kwargs: dict | None = None, timeout: float | None = None, seed: int = 0):
        kwargs = kwargs or {}
        key = probe_key(probe, kwargs, seed)
        if key in self._cache:
            self._cache.move_to_end(key)
        else:
            self._remember(key, self._run(probe_name(probe), kwargs, seed))
        cached = self._cache[key]
        if isinstance(cached, Exception):
            raise cached
        return wire.decode(cached)

    def _remember(self, key: str, answer) -> None:
        """Cache an answer; the least recently used go first past CACHE_BYTES (each final grading draws new
        public inputs, so a harness grading a class would otherwise keep every grading's answers)."""
        self._cache[key] = answer
        self._cache_bytes += len(answer) if isinstance(answer, bytes) else 0
        while self._cache_bytes > CACHE_BYTES and len(self._cache) > 1:
            _, old = self._cache.popitem(last=False)
            self._cache_bytes -= len(old) if isinstance(old, bytes) else 0

    def _run(self, name: str, kwargs: dict, seed: int):
        np.random.seed(seed)
        try:
            return wire.encode(self.probes[name](self.api, **kwargs))
        except Exception as exc:
            if self.trusted:
                where = "".join(traceback.format_exception_only(type(exc), exc)).strip()
                return GraderFault(f"the reference solution failed in probe {name} ({where[:500]})")
            error = describe_exception(exc, self.modules)  # a mutant raises as a student's code would
            return ProbeFailure("error", format_student_error(error), error)


class RecordedRunner:
    """The reference's answers recorded at release time (a student bundle has no reference)."""

    def __init__(self, path: Path):
        self.path = path
        self.answers = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    def run(self, probe, kwargs: dict | None = None, timeout: float | None = None, seed: int = 0):
        key = probe_key(probe, kwargs or {}, seed)
        if key not in self.answers:
            raise MissingAnswer(f"no recorded reference answer for probe {probe_name(probe)} with these inputs; "
                                "this bundle is older than its checks: ask for the current release")
        return wire.decode(self.answers[key].encode("utf-8"))


class RecordingRunner:
    """Wraps a runner and keeps every answer, to write ``expected.json`` at release time."""

    def __init__(self, inner):
        self.inner, self.answers = inner, {}

    def run(self, probe, kwargs: dict | None = None, timeout: float | None = None, seed: int = 0):
        value = self.inner.run(probe, kwargs, timeout=timeout, seed=seed)
        self.answers[probe_key(probe, kwargs or {}, seed)] = wire.encode(value).decode("utf-8")
        return value
