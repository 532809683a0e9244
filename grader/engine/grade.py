"""Grade one submission: stage it, start its sandbox, run the checks, build results.json (as a dict)."""
from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from grader.checks.inputs import drawing_inputs, new_grading_seed
from grader.checks.mistakes import Catalogue
from grader.core.assignment import Assignment
from grader.core.types import ProbeFailure, Staged, StagedCode
from grader.engine.cascade import attach_standins, charge_once
from grader.engine.kinds import catalogue_for, kind_of
from grader.engine.reference_curves import attach_reference_curves
from grader.engine.results import build_results
from grader.engine.sandbox_policy import require_strong
from grader.engine.session import GradingSession, reference_for, run_checks
from grader.sandbox.isolation import is_strong


class UnavailableStudent:
    """Stands in for the sandbox when there is no code to run: every probe fails with the reason."""

    def __init__(self, kind: str, reason: str):
        self.kind, self.reason, self.import_errors = kind, reason, {}

    def run(self, probe, kwargs=None, timeout=None, seed=0):
        raise ProbeFailure(self.kind, self.reason)

    def close(self):
        pass


def _sandbox_record(student, checked: dict | None) -> dict:
    """results.json's ``extra_data.sandbox``: what the worker got (or, when none started, what it would have)."""
    sandbox = dict(getattr(student, "sandbox", None) or checked or {})
    if sandbox.get("level"):
        sandbox["strong"] = is_strong(sandbox["level"])
        if not sandbox["strong"] and checked is not None:
            sandbox["allowed_weak"] = True   # final grading ran weak only because the instructor said so
    return sandbox


def grade(assignment: Assignment, submission: Path, public_only: bool = False, diagnose: bool = True,
          reference=None, workdir: Path | None = None, seed: int | None = None,
          allow_weak_sandbox: bool = False) -> dict:
    """Grade ``submission``; returns the results as a dict in Gradescope's schema (see :mod:`grader.engine.results`).

    Final grading (not ``public_only``) draws the checks' inputs with ``seed`` (a new random one when None)
    and refuses a weak sandbox unless ``allow_weak_sandbox`` (:mod:`grader.engine.sandbox_policy`); the
    self-check (and any grading in a student bundle) draws them with seed 0, the inputs its bundle recorded
    answers for.
    """
    started = time.perf_counter()
    checked = None if public_only else require_strong(assignment, allow_weak_sandbox)
    # A student bundle has the reference's answers for the self-check's inputs only.
    fixed = public_only or not assignment.has_reference
    seed = 0 if fixed else new_grading_seed() if seed is None else int(seed)
    kind = kind_of(assignment)
    tmp = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="nngrade-"))
    try:
        staged = kind.stage(Path(submission), tmp)
        staged_at = time.perf_counter()
        student = UnavailableStudent("import", staged.fatal) if staged.fatal else kind.student(staged, tmp)
        catalogue = catalogue_for(assignment) if diagnose and assignment.has_reference else None
        session = GradingSession(assignment, student, reference or reference_for(assignment), catalogue)
        attach_standins(assignment, student, session.reference)
        try:
            with drawing_inputs(seed):
                results, pytest_output = run_checks(session, public_only)
                charge_once(assignment, student, results)
            attach_reference_curves(assignment, results)
        finally:
            student.close()
            if catalogue is not None:
                catalogue.close()
        timings = {"total_seconds": round(time.perf_counter() - started, 3),
                   "staging_seconds": round(staged_at - started, 3),
                   "checks_seconds": round(sum(r.seconds for r in results), 3),
                   "worker_starts": getattr(student, "starts", 0)}
        output_tail = student.output_tail() if hasattr(student, "output_tail") else ""
        built = build_results(assignment, results, staged, timings, catalogue or Catalogue(assignment),
                              output_tail=output_tail, import_errors=getattr(student, "import_errors", {}),
                              grader_log=pytest_output if any(r.kind == "grader" for r in results) else "")
        built["extra_data"]["sandbox"] = _sandbox_record(student, checked)
        built["extra_data"]["seed"] = seed
        kind.annotate(built, staged, student)
        return built
    finally:
        if workdir is None:
            shutil.rmtree(tmp, ignore_errors=True)


def failure_results(assignment: Assignment, kind: str, reason: str, seconds: float = 0.0) -> dict:
    """A complete result (every check, failed with ``reason``) for a submission whose grading broke down."""
    session = GradingSession(assignment, UnavailableStudent(kind, reason), reference_for(assignment))
    checks, _ = run_checks(session)
    staged = Staged(StagedCode(Path(), {}), fatal=reason)
    timings = {"total_seconds": round(seconds, 3), "staging_seconds": 0.0, "checks_seconds": 0.0, "worker_starts": 0}
    results = build_results(assignment, checks, staged, timings, Catalogue(assignment))
    results["extra_data"]["batch_failure"] = {"kind": kind, "reason": reason}
    return results
