"""``nngrade grade-batch``: grade a whole class, in parallel, resumably.

Every entry of the submissions folder (a sub-folder, ``.zip``, ``.py`` or
``.ipynb``; its name without the suffix is the student id) is graded into
``OUT/<student>/`` with the files ``nngrade grade`` writes, then the class
outputs (``gradebook.csv``, the summary) are written from the stored results.

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
import io
import json
import os
import shutil
import tempfile
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from grader.assignment import Assignment, AssignmentError
from grader.executors import (DEFAULT_TASK_FUNCTION, AssignmentSource, DaskExecutor, GradeTask, HarnessFailure,
                              LocalExecutor, pack_folder, stop_requested, unpacked_assignment)
from grader.results import write_json_atomic

SUBMISSION_SUFFIXES = (".zip", ".py", ".ipynb")
IGNORED_ENTRIES = {"__MACOSX", "__pycache__", ".ipynb_checkpoints"}
MANIFEST = ".nngrade-batch.json"
RESULTS = "results.json"
#: Kinds of failed checks that mean the submission (or the grading) broke, not just a wrong answer.
PROBLEM_KINDS = {"timeout": "timed out", "crash": "crashed", "memory": "ran out of memory",
                 "import": "could not be imported", "grader": "grader error"}
DEFAULT_SUBMISSION_SECONDS = 1800


class BatchError(Exception):
    """The batch cannot start as asked (a usage error: the message says what to change)."""


@dataclass(frozen=True)
class Entry:
    """One student's submission: ``path`` is the entry of SUBMISSIONS, ``student`` its name without suffix."""

    student: str
    path: Path


@dataclass
class BatchReport:
    """What a batch run did, for the command's closing lines and for the benchmarks."""

    total: int
    skipped: int                                  # already finished before this run
    graded: dict[str, dict] = field(default_factory=dict)   # student -> summary (see summarize)
    notices: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0
    executor: str = "local"
    class_outputs: list[Path] = field(default_factory=list)

    @property
    def problems(self) -> dict[str, str]:
        return {s: summary["problem"] for s, summary in self.graded.items() if summary["problem"]}


# -- the submissions folder ------------------------------------------------------------------------------------

def discover(submissions: Path, out: Path | None = None) -> tuple[list[Entry], list[str]]:
    """The entries of ``submissions`` (sorted by student) and notices about what was skipped."""
    submissions = Path(submissions)
    if not submissions.is_dir():
        raise BatchError(f"{submissions} is not a folder: SUBMISSIONS is a folder with one sub-folder, .zip, "
                         ".py or .ipynb per student")
    out_resolved = Path(out).resolve() if out is not None else None
    entries, notices = [], []
    for path in sorted(submissions.iterdir()):
        if path.name.startswith(".") or path.name in IGNORED_ENTRIES:
            continue
        if out_resolved is not None and path.resolve() == out_resolved:
            continue
        if path.is_dir():
            entries.append(Entry(path.name, path))
        elif path.is_file() and path.suffix.lower() in SUBMISSION_SUFFIXES:
            entries.append(Entry(path.name[: -len(path.suffix)], path))
        else:
            notices.append(f"{path.name}: not a folder, .zip, .py or .ipynb; skipped")
    by_id: dict[str, list[Entry]] = {}
    for entry in entries:
        by_id.setdefault(entry.student.casefold(), []).append(entry)
    clashes = [group for group in by_id.values() if len(group) > 1]
    if clashes:
        lines = [" and ".join(e.path.name + ("/" if e.path.is_dir() else "") for e in group) for group in clashes]
        raise BatchError(f"several entries of {submissions} belong to the same student: {'; '.join(lines)}. "
                         "Keep one entry per student (remove or rename the others) and run again")
    return entries, notices


# -- the output folder -----------------------------------------------------------------------------------------

def read_manifest(out: Path) -> dict:
    path = out / MANIFEST
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        raise BatchError(f"{path} is damaged; delete it (the stored results stay valid) and run again") from None


def is_finished(student_dir: Path, regrade_run: str | None) -> bool:
    """A finished result exists (and, during a regrade, was written by that regrade)."""
    path = student_dir / RESULTS
    if not path.is_file():
        return False
    if regrade_run is None:
        return True
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return False
    return results.get("extra_data", {}).get("batch", {}).get("run") == regrade_run


def store_results(student_dir: Path, results: dict) -> None:
    """Write the student's reports, then ``results.json`` last (by rename): its presence means finished."""
    from grader.report import write_reports

    student_dir.mkdir(parents=True, exist_ok=True)
    for leftover in student_dir.glob(".staging-*"):  # from a run killed while storing
        shutil.rmtree(leftover, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=student_dir))
    try:
        write_reports(results, staging)
        for item in sorted(staging.iterdir()):
            if item.name == RESULTS:
                continue
            target = student_dir / item.name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            os.replace(item, target)
        os.replace(staging / RESULTS, student_dir / RESULTS)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# -- results ---------------------------------------------------------------------------------------------------

class _Unavailable:
    """Stands in for the sandbox of a submission the batch could not grade: every probe fails with the reason."""

    def __init__(self, kind: str, reason: str):
        self.kind, self.reason, self.import_errors = kind, reason, {}

    def run(self, probe, kwargs=None, timeout=None, seed=0):
        from grader.sandbox.client import ProbeFailure

        raise ProbeFailure(self.kind, self.reason)

    def close(self):
        pass


def failure_results(assignment: Assignment, kind: str, reason: str, seconds: float = 0.0) -> dict:
    """A complete result (every check, failed with ``reason``) for a submission whose grading broke down."""
    from grader.load import Staged
    from grader.mistakes import Catalogue
    from grader.results import build_results
    from grader.runner import GradingSession, reference_for, run_checks
    from grader.sandbox.client import StagedCode

    session = GradingSession(assignment, _Unavailable(kind, reason), reference_for(assignment))
    checks, _ = run_checks(session)
    staged = Staged(StagedCode(Path(), {}), fatal=reason)
    timings = {"total_seconds": round(seconds, 3), "staging_seconds": 0.0, "checks_seconds": 0.0, "worker_starts": 0}
    results = build_results(assignment, checks, staged, timings, Catalogue(assignment))
    results["extra_data"]["batch_failure"] = {"kind": kind, "reason": reason}
    return results


def summarize(results: dict) -> dict:
    """The few numbers the batch shows and keeps per student (score, problem, timings)."""
    extra = results.get("extra_data", {})
    failure = extra.get("batch_failure")
    problem = failure["reason"] if failure else None
    if problem is None:
        kinds = [c.get("kind") for c in extra.get("checks", [])]
        for kind, label in PROBLEM_KINDS.items():
            if kind in kinds:
                problem = f"{label} in {kinds.count(kind)} check(s)"
                break
    if problem is None and extra.get("notes") and not results.get("tests"):
        problem = extra["notes"][0]
    timings = extra.get("timings", {})
    return {"score": results.get("score", 0.0), "max_score": extra.get("max_score", 0.0), "problem": problem,
            "seconds": timings.get("total_seconds", 0.0), "checks_seconds": timings.get("checks_seconds", 0.0)}


# -- one task, in a harness process ----------------------------------------------------------------------------

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
    import platform

    from grader.runner import grade

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
                results = grade(assignment, submission)
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


# -- the batch -------------------------------------------------------------------------------------------------

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
    """gradebook.csv and the class summary, from the stored results."""
    from grader.summary import write_class_outputs as write_all

    write_all(out)
    return [path for path in (out / "gradebook.csv", out / "summary.html") if path.exists()]


def grade_batch(assignment: Assignment, submissions: Path, out: Path, *, workers: int | None = None,
                scheduler: str | None = None, regrade: bool = False, transfer: str = "auto", progress=None,
                task_function: str = DEFAULT_TASK_FUNCTION) -> BatchReport:
    """Grade every entry of ``submissions`` into ``out`` (see the module's docstring)."""
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
            _run_on_dask(assignment, source, todo, out, run_id, scheduler, transfer, report, progress, task_function)
        else:
            executor = LocalExecutor(workers or default_workers(), submission_deadline(assignment), task_function)
            tasks = [GradeTask(e.student, source, submission=str(e.path.resolve()), out_dir=str(out.resolve()),
                               run_id=run_id) for e in todo]
            _collect(executor.run(tasks), assignment, out, report, progress)
    write_json_atomic(out / MANIFEST, {"assignment": assignment.name, "regrade_run": None})
    report.class_outputs = write_class_outputs(out)
    report.wall_seconds = time.perf_counter() - started
    return report


def _run_on_dask(assignment: Assignment, source: AssignmentSource, todo: list[Entry], out: Path, run_id: str,
                 scheduler: str, transfer: str, report: BatchReport, progress, task_function: str) -> None:
    import hashlib

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
                                    out_dir=str(out.resolve()), run_id=run_id)
                else:
                    yield _payload_task(entry, source, run_id)

        _collect(executor.run(tasks()), assignment, out, report, progress)


def _payload_task(entry: Entry, source: AssignmentSource, run_id: str) -> GradeTask:
    from grader.load import SKIPPED_PARTS

    if entry.path.is_dir():
        payload = pack_folder(entry.path, skip=lambda parts: any(p in SKIPPED_PARTS or p.startswith(".")
                                                                 for p in parts))
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


# -- progress --------------------------------------------------------------------------------------------------

class BatchProgress:
    """A rich progress bar (done/total, problems, ETA) on a terminal; one plain line per submission otherwise."""

    def __init__(self, console):
        self.console = console
        self.bar = None
        self.done = self.total = self.problems = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()

    def start(self, total: int, skipped: int, notices: list[str]) -> None:
        self.total, self.done = total, skipped
        self.notice(notices)
        if skipped:
            self.console.print(f"{skipped} of {total} already graded; grading the other {total - skipped} "
                               "(--regrade grades all again)")
        if self.console.is_terminal:
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                       TimeRemainingColumn)

            self.bar = Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(),
                                TextColumn("[red]{task.fields[problems]} problems[/]"), TimeElapsedColumn(),
                                TextColumn("ETA"), TimeRemainingColumn(), console=self.console)
            self._task = self.bar.add_task("grading", total=total - skipped, problems=0)
            self.bar.start()

    def notice(self, notices: list[str]) -> None:
        for notice in notices:
            self.console.print(f"note: {notice}")

    def update(self, student: str, summary: dict) -> None:
        self.done += 1
        self.problems += bool(summary["problem"])
        if self.bar is not None:
            self.bar.update(self._task, advance=1, problems=self.problems)
            if summary["problem"]:
                self.bar.console.print(f"{student}: {summary['problem']}", markup=False)
            return
        line = (f"[{self.done}/{self.total}] {student}: {summary['score']:g}/{summary['max_score']:g} "
                f"({summary['seconds']:.1f} s)")
        if summary["problem"]:
            line += f" - {summary['problem']}"
        self.console.print(line, markup=False, highlight=False, soft_wrap=True)
