"""One grading task, in a harness process (local pool or Dask worker): grade, then store or return the result."""
from __future__ import annotations

import io
import platform
import tempfile
import time
import zipfile
from pathlib import Path

from grader.batch.store import store_results, summarize
from grader.batch.tasks import (
    AssignmentSource,
    GradeTask,
    stop_requested,
    unpacked_assignment,
)
from grader.core.assignment import Assignment
from grader.engine.grade import failure_results, grade

_HARNESS_ASSIGNMENTS: dict[tuple[str, str], Assignment] = {}


def _harness_assignment(source: AssignmentSource) -> Assignment:
    root = unpacked_assignment(source)
    key = (source.name, root)
    if key not in _HARNESS_ASSIGNMENTS:  # one Assignment per process, so reference_for's cache holds
        _HARNESS_ASSIGNMENTS[key] = Assignment.from_dir(Path(root), source.name)
    return _HARNESS_ASSIGNMENTS[key]


def _unpack_payload(task: GradeTask, into: Path) -> Path:
    target = into / task.payload_name
    if task.extra.get("folder"):
        with zipfile.ZipFile(io.BytesIO(task.payload)) as archive:
            archive.extractall(target)  # made by the trusted client from a folder: relative paths only
    else:
        target.write_bytes(task.payload)
    return target


def grade_task(task: GradeTask) -> dict:
    """Grade one submission (in a harness process); store it when ``task.out_dir`` is set, else return it."""
    started = time.perf_counter()
    assignment = _harness_assignment(task.assignment)
    with tempfile.TemporaryDirectory(prefix="nngrade-batch-") as tmp:
        try:
            if task.payload is not None:
                submission = _unpack_payload(task, Path(tmp))
            else:
                submission = Path(task.submission)
            if not submission.exists():
                results = failure_results(assignment, "grader", f"the grading machine {platform.node()} could not "
                                          f"read the submission at {submission}; grade it again")
            else:
                results = grade(assignment, submission,
                                allow_weak_sandbox=bool(task.extra.get("allow_weak_sandbox")))
        except Exception as exc:  # a grader bug on one submission must not stop the class
            results = failure_results(assignment, "grader", f"the grader failed on this submission ({type(exc).__name__}: "
                                      f"{exc}); this is not a verdict on your code: ask your instructor to grade it again",
                                      time.perf_counter() - started)
    results["extra_data"]["batch"] = {"student": task.student, "run": task.run_id}
    outcome = {"student": task.student, "summary": summarize(results)}
    if stop_requested():  # interrupted half-way: this result is incomplete, never store it
        raise KeyboardInterrupt
    if task.out_dir is not None:
        store_results(Path(task.out_dir) / task.student, results)
    else:
        outcome["results"] = results
    return outcome
