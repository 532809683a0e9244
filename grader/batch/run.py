"""``nngrade grade-batch``: grade a whole class, in parallel, resumably.

Every entry of the submissions folder (a sub-folder, ``.zip``, ``.py`` or
``.ipynb``; its name without the suffix is the student id) is graded into
``OUT/<student>/`` with the files ``nngrade grade`` writes, then the class
outputs (``gradebook.csv``, ``misconceptions.csv``, the summary) are written from the stored results.

Crash safety: a student's ``results.json`` is the last file written for them,
by an atomic rename, so its presence means "finished". A re-run grades only the
entries without one. ``--regrade`` starts a new run whose id is kept in
``OUT/.nngrade-batch.json`` until the run completes, so an interrupted regrade
is continued (not forgotten) by the next run, with or without ``--regrade``.

Every submission ends with a result: a submission that crashes or times out is
graded as such by the sandbox; when the harness grading it dies, hangs past the
batch's limit, or the cluster gives up on it, the batch records a result whose
every check failed with that reason.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import time
import uuid
from pathlib import Path

from grader.batch.cluster import DaskExecutor
from grader.batch.local import LocalExecutor
from grader.batch.store import (
    MANIFEST,
    BatchError,
    BatchReport,
    Entry,
    discover,
    is_finished,
    read_manifest,
    store_results,
    summarize,
)
from grader.batch.tasks import (
    DEFAULT_TASK_FUNCTION,
    AssignmentSource,
    GradeTask,
    HarnessFailure,
    pack_folder,
)
from grader.core.assignment import Assignment, AssignmentError
from grader.core.schema import write_json_atomic
from grader.engine.grade import failure_results
from grader.feedback.summary import GRADEBOOK, MISCONCEPTIONS, SUMMARY
from grader.feedback.summary import write_class_outputs as write_summary
from grader.submissions.files import skipped

DEFAULT_SUBMISSION_SECONDS = 1800


def wants_gpu(assignment: Assignment) -> bool:
    """``[resources] gpu = true`` in assignment.toml: tasks ask a cluster for a worker with ``GPU=1``."""
    value = assignment.config.get("resources", {}).get("gpu", False)
    if not isinstance(value, bool):
        raise AssignmentError(f"{assignment.root / 'assignment.toml'}: [resources] gpu must be true or false")
    return value


def submission_deadline(assignment: Assignment) -> float:
    """Seconds one submission may take in a local harness before it is stopped (``[batch] submission_seconds``)."""
    value = assignment.config.get("batch", {}).get("submission_seconds", DEFAULT_SUBMISSION_SECONDS)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
        raise AssignmentError(f"{assignment.root / 'assignment.toml'}: [batch] submission_seconds must be a "
                              "positive number of seconds")
    return float(value)


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS
        return os.cpu_count() or 1


def write_class_outputs(out: Path) -> list[Path]:
    """gradebook.csv, misconceptions.csv and the class summary, from the stored results."""
    write_summary(out)
    return [path for path in (out / GRADEBOOK, out / MISCONCEPTIONS, out / SUMMARY) if path.exists()]


def grade_batch(assignment: Assignment, submissions: Path, out: Path, *, workers: int | None = None,
                scheduler: str | None = None, regrade: bool = False, transfer: str = "auto", progress=None,
                task_function: str = DEFAULT_TASK_FUNCTION, allow_weak_sandbox: bool = False) -> BatchReport:
    """Grade every entry of ``submissions`` into ``out`` (see the module's docstring).

    Every grading draws its own seed for the checks' inputs (extra_data.seed), so a submission graded again
    (``--regrade``, or after a grader error) gets fresh inputs; ``nngrade grade --seed`` reproduces one."""
    options = {"allow_weak_sandbox": True} if allow_weak_sandbox else {}
    started = time.perf_counter()
    out = Path(out)
    entries, notices = discover(submissions, out)
    if not entries:
        raise BatchError(f"{submissions} holds no submissions (one sub-folder, .zip, .py or .ipynb per student)")
    manifest = read_manifest(out)
    if manifest.get("assignment") not in (None, assignment.name):
        raise BatchError(f"{out} holds results of assignment {manifest['assignment']!r}, not {assignment.name!r}; "
                         "choose another --out folder")
    if regrade:
        run_id = uuid.uuid4().hex[:12]
        regrade_run = run_id
    else:
        regrade_run = manifest.get("regrade_run")
        run_id = regrade_run or uuid.uuid4().hex[:12]
        if regrade_run:
            notices.append("continuing an interrupted --regrade")
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out / MANIFEST, {"assignment": assignment.name, "regrade_run": regrade_run})

    todo = [e for e in entries if regrade or not is_finished(out / e.student, regrade_run)]
    report = BatchReport(total=len(entries), skipped=len(entries) - len(todo), notices=notices)
    if progress is not None:
        progress.start(len(entries), report.skipped, notices)
    if todo:
        source = AssignmentSource(assignment.name, root=str(assignment.root))
        if scheduler:
            report.executor = "dask"
            _run_on_dask(assignment, source, todo, out, run_id, scheduler, transfer, report, progress, task_function,
                         options)
        else:
            executor = LocalExecutor(workers or default_workers(), submission_deadline(assignment), task_function)
            tasks = [GradeTask(e.student, source, submission=str(e.path.resolve()), out_dir=str(out.resolve()),
                               run_id=run_id, extra=dict(options)) for e in todo]
            _collect(executor.run(tasks), assignment, out, report, progress)
    write_json_atomic(out / MANIFEST, {"assignment": assignment.name, "regrade_run": None})
    report.class_outputs = write_class_outputs(out)
    report.wall_seconds = time.perf_counter() - started
    return report


def _run_on_dask(assignment: Assignment, source: AssignmentSource, todo: list[Entry], out: Path, run_id: str,
                 scheduler: str, transfer: str, report: BatchReport, progress, task_function: str,
                 options: dict) -> None:
    with DaskExecutor(scheduler, transfer=transfer, gpu=wants_gpu(assignment), task_function=task_function) as executor:
        submissions = {e.path.parent.resolve() for e in todo}
        notices = executor.prepare([*submissions, assignment.root], out.resolve())
        notices.append(f"Dask cluster {scheduler}: submissions and results "
                       + ("on the shared filesystem" if executor.mode == "shared" else "sent with each task"))
        if progress is not None:
            progress.notice(notices)
        report.notices += notices
        if executor.mode == "send":
            archive = pack_folder(assignment.root, skip=lambda parts: "__pycache__" in parts)
            source = AssignmentSource(assignment.name, archive=archive, digest=hashlib.sha256(archive).hexdigest())

        def tasks():
            for entry in todo:
                if executor.mode == "shared":
                    yield GradeTask(entry.student, source, submission=str(entry.path.resolve()),
                                    out_dir=str(out.resolve()), run_id=run_id, extra=dict(options))
                else:
                    task = _payload_task(entry, source, run_id)
                    task.extra.update(options)
                    yield task

        _collect(executor.run(tasks()), assignment, out, report, progress)


def _payload_task(entry: Entry, source: AssignmentSource, run_id: str) -> GradeTask:
    if entry.path.is_dir():
        payload = pack_folder(entry.path, skip=skipped)
        return GradeTask(entry.student, source, payload=payload, payload_name=entry.path.name, run_id=run_id,
                         extra={"folder": True})
    return GradeTask(entry.student, source, payload=entry.path.read_bytes(), payload_name=entry.path.name,
                     run_id=run_id)


def _collect(outcomes, assignment: Assignment, out: Path, report: BatchReport, progress) -> None:
    with contextlib.closing(outcomes):  # on Ctrl-C, stop the executor's processes now
        for task, outcome in outcomes:
            _record(task, outcome, assignment, out, report, progress)


def _record(task: GradeTask, outcome, assignment: Assignment, out: Path, report: BatchReport, progress) -> None:
    if isinstance(outcome, HarnessFailure):
        results = failure_results(assignment, "timeout" if outcome.kind == "deadline" else "grader",
                                  outcome.reason + ("" if outcome.kind == "deadline" else
                                                    "; this is not a verdict on your code: ask your instructor "
                                                    "to grade it again"))
        results["extra_data"]["batch"] = {"student": task.student, "run": task.run_id}
        store_results(out / task.student, results)
        summary = summarize(results)
    else:
        if "results" in outcome:  # sent back by a cluster worker: the client stores it
            store_results(out / task.student, outcome["results"])
        summary = outcome["summary"]
    report.graded[task.student] = summary
    if progress is not None:
        progress.update(task.student, summary)
