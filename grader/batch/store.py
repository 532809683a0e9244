"""A batch's folders: the entries of SUBMISSIONS, and OUT with one finished folder per student.

Crash safety: a student's ``results.json`` is the last file written for them,
by an atomic rename, so its presence means "finished". A result with a grader
error is not finished: the next run grades that submission again.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from grader.core.schema import RESULTS_FILE
from grader.feedback.files import write_reports

SUBMISSION_SUFFIXES = (".zip", ".py", ".ipynb")
IGNORED_ENTRIES = {"__MACOSX", "__pycache__", ".ipynb_checkpoints"}
MANIFEST = ".nngrade-batch.json"
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
    """A finished result exists (and, during a regrade, was written by that regrade). A result with a grader
    error is not finished: the grader failed, not the student, so the next run grades it again."""
    path = student_dir / RESULTS_FILE
    if not path.is_file():
        return False
    try:
        extra = json.loads(path.read_text(encoding="utf-8")).get("extra_data", {})
    except (ValueError, AttributeError):
        return False
    if extra.get("grader_errors"):
        return False
    return regrade_run is None or extra.get("batch", {}).get("run") == regrade_run


def store_results(student_dir: Path, results: dict) -> None:
    """Write the student's reports (instructor-report.html included: the class summary links to it), then
    ``results.json`` last (by rename): its presence means finished."""
    student_dir.mkdir(parents=True, exist_ok=True)
    for leftover in student_dir.glob(".staging-*"):  # from a run killed while storing
        shutil.rmtree(leftover, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=student_dir))
    try:
        write_reports(results, staging, instructor=True)
        for item in sorted(staging.iterdir()):
            if item.name == RESULTS_FILE:
                continue
            target = student_dir / item.name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            os.replace(item, target)
        os.replace(staging / RESULTS_FILE, student_dir / RESULTS_FILE)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


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
