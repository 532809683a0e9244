"""What travels between a batch and the processes that grade it: tasks, their outcomes, and the few helpers
both executors use (:mod:`grader.batch.local`, :mod:`grader.batch.cluster`).

This module imports no numpy at its top: a harness process sets its math
libraries to one thread before anything imports them.
"""
from __future__ import annotations

import importlib
import io
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

#: Environment that makes numpy/BLAS/OpenMP (and torch, which reads OMP_NUM_THREADS) use one thread.
SINGLE_THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                     "NUMEXPR_NUM_THREADS": "1", "VECLIB_MAXIMUM_THREADS": "1"}

DEFAULT_TASK_FUNCTION = "grader.batch.harness:grade_task"
TERMINATE_GRACE_SECONDS = 5.0


@dataclass
class AssignmentSource:
    """How a harness finds the assignment: a folder it can read, or the folder's zipped bytes."""

    name: str
    root: str | None = None
    archive: bytes | None = None          # only with Dask "send": the assignment folder, zipped
    digest: str = ""                      # sha256 of ``archive``: names the unpacked copy on a worker


@dataclass
class GradeTask:
    """One submission to grade. Either ``submission`` (a path the harness can read) or ``payload`` is set."""

    student: str
    assignment: AssignmentSource | None = None
    submission: str | None = None
    payload: bytes | None = None          # the submission zipped (a folder) or its bytes (.zip/.py/.ipynb)
    payload_name: str = ""                # the entry's name in SUBMISSIONS (``alice.zip``, ``alice``)
    out_dir: str | None = None            # where the harness writes DIR/<student>; None: return the results
    run_id: str = ""
    extra: dict = field(default_factory=dict)


@dataclass
class HarnessFailure:
    """The task produced no result: ``kind`` is ``died``, ``deadline`` or ``cluster``."""

    kind: str
    reason: str


class StartupFailure(Exception):
    """Grading fails before any submission is graded: a setup problem, not a student's; nothing is recorded."""


class EarlyFailures:
    """Until one task succeeds, a failed task goes back to the end of the queue (once) instead of becoming a
    result. ``limit`` such failures with no success mean the grading itself cannot run (a missing module, a
    broken assignment): that must stop the batch, not fill the gradebook with failures. A second failure of a
    task before any success is held back, and becomes a result only once some task succeeds."""

    def __init__(self, limit: int):
        self.limit, self.count, self.succeeded = max(1, limit), 0, False
        self.retried: set[str] = set()
        self.held: list[tuple[GradeTask, HarnessFailure]] = []

    def on_failure(self, task: GradeTask, failure: HarnessFailure) -> str:
        """``"result"``: record it; ``"retry"``: queue the task again; ``"hold"``: wait for a success."""
        if self.succeeded:
            return "result"
        if task.student in self.retried:
            self.held.append((task, failure))
            return "hold"
        self.retried.add(task.student)
        self.count += 1
        if self.count >= self.limit:
            raise StartupFailure(f"grading failed {self.count} times before any submission was graded; the last "
                                 f"time: {failure.reason}. Try one submission with 'nngrade grade' to see why")
        return "retry"

    def on_success(self) -> list[tuple[GradeTask, HarnessFailure]]:
        """Grading works: the failures held back are results now."""
        self.succeeded = True
        return self.release()

    def release(self) -> list[tuple[GradeTask, HarnessFailure]]:
        """The failures held back (also at the end of a batch that never raised StartupFailure)."""
        held, self.held = self.held, []
        return held


def resolve(dotted: str) -> Callable:
    """``"package.module:function"`` -> the function (so a spawned harness imports it after setting threads)."""
    module, _, name = dotted.partition(":")
    return getattr(importlib.import_module(module), name)


def limit_threads() -> None:
    """One thread for the math libraries already loaded in this process (Dask workers load numpy early)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)


_STOP_REQUESTED = False


def stop_requested() -> bool:
    """True in a harness told to stop (SIGTERM) while grading: its half-done result must not be stored."""
    return _STOP_REQUESTED


def request_stop(signum, frame):
    global _STOP_REQUESTED
    _STOP_REQUESTED = True
    # Unwinds the grading: pytest ends its session and the runner closes the sandbox (killing the student's
    # worker) instead of leaving it running without a parent.
    raise KeyboardInterrupt


def pack_folder(folder: Path, skip: Callable[[tuple[str, ...]], bool] = lambda parts: False) -> bytes:
    """A folder as zip bytes (files only; ``skip(relative parts)`` leaves entries out)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(Path(folder).rglob("*")):
            relative = path.relative_to(folder)
            if path.is_file() and not path.is_symlink() and not skip(relative.parts):
                archive.write(path, relative.as_posix())
    return buffer.getvalue()


_UNPACKED: dict[str, str] = {}


def unpacked_assignment(source: AssignmentSource) -> str:
    """The assignment folder on this worker: ``source.root``, or its archive unpacked once per process."""
    if source.archive is None:
        return str(source.root)
    if source.digest not in _UNPACKED:
        target = Path(tempfile.mkdtemp(prefix="nngrade-assignment-")) / source.name
        with zipfile.ZipFile(io.BytesIO(source.archive)) as archive:
            archive.extractall(target)
        _UNPACKED[source.digest] = str(target)
    return _UNPACKED[source.digest]
