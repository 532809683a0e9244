"""Plain types shared by the layers: worker limits, a staged submission, a probe's failure, a check's result."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class Limits:
    """Resource limits of one worker (the assignment's ``[limits]`` table overrides them)."""

    probe_seconds: float = 10.0
    import_seconds: float = 20.0
    cpu_seconds: int = 600
    memory_mb: int = 2048
    file_mb: int = 16
    open_files: int = 256
    processes: int = 64  # processes and threads; binds exactly where each worker has its own uid

    @classmethod
    def from_table(cls, table: dict | None) -> "Limits":
        known = {k: v for k, v in (table or {}).items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def for_worker(self, address_space: bool = True) -> dict:
        return {
            "cpu_seconds": self.cpu_seconds,
            "memory_bytes": self.memory_mb * 1024 * 1024 if self.memory_mb and address_space else 0,
            "file_bytes": self.file_mb * 1024 * 1024,
            "open_files": self.open_files,
            "processes": self.processes,
        }


class ProbeFailure(Exception):
    """A probe on the student's code that did not return a value: their exception, a timeout or a crash."""

    def __init__(self, kind: str, message: str, error: dict | None = None):
        super().__init__(message)
        self.kind, self.message, self.error = kind, message, error or {}


class GraderFault(Exception):
    """Trusted code (the reference, a probe run on it, recorded answers) failed: the grader's fault, never the
    student's. A check that meets one scores 0 as a "grader error" and ``grade`` exits 1."""


@dataclass
class StagedCode:
    """A submission laid out for a worker: ``workdir`` holds the files named in ``files``."""

    workdir: Path
    files: dict[str, str]                 # module name -> path relative to workdir
    display_names: dict[str, str] = field(default_factory=dict)
    withheld: dict[str, str] = field(default_factory=dict)   # module name -> why its file was not graded

    def sources(self) -> dict[str, np.ndarray]:
        """Every regular file under ``workdir`` (relative POSIX path -> bytes as uint8), for the worker."""
        found = {}
        for path in sorted(self.workdir.rglob("*")):
            if path.is_file() and not path.is_symlink():
                found[path.relative_to(self.workdir).as_posix()] = np.frombuffer(path.read_bytes(), np.uint8)
        return found


@dataclass
class Staged:
    """A staged submission: its code, notes for the student, and why nothing is gradable (``fatal``)."""

    code: StagedCode
    notes: list[str] = field(default_factory=list)      # shown to the student
    fatal: str | None = None                            # nothing gradable was found


def check_class(name: str) -> str:
    """The class or function a check is about: its name up to the first '.' or ':' (CONTRACT §2)."""
    return name.split(".", 1)[0].split(":", 1)[0].strip() or name


@dataclass
class CheckResult:
    nodeid: str
    function: str
    name: str
    points: float
    hidden: bool
    passed: bool = False
    message: str = ""
    kind: str = ""             # "" | "failed" | "error" | "timeout" | "crash" | "memory" | "import" | "grader"
    misconceptions: list[str] = field(default_factory=list)
    seconds: float = 0.0
    calls: list = field(default_factory=list)
    artifacts: dict = field(default_factory=dict)
    uses: list[str] = field(default_factory=list)      # the parts (classes, functions) its probes looked up
    served: set[str] = field(default_factory=set)      # the parts the grader's stand-ins played in its probes
    retry: object = None                               # runs the check again (one mistake, charged once)
    cascade: dict = field(default_factory=dict)        # re-run with stand-ins: {"parts", "charged_in", "passed"}

    @property
    def cls(self) -> str:
        return check_class(self.name)
