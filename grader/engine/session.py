"""A grading session: one submission's checks run under pytest, in the trusted process.

The student's code only ever runs in the sandbox worker the session's
``student`` client owns; the reference and the mutants of the mistake
catalogue run here. pytest gets the session as a plugin object
(:class:`grader.checks.plugin.SessionPlugin`), and its exit status is checked:
whatever pytest could not run is a grader error, never a missing check.
"""
from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path

import pytest

from grader.checks.inputs import grading_seed
from grader.checks.mistakes import Catalogue
from grader.checks.plugin import GRADER_FAILED, SessionPlugin
from grader.core.assignment import Assignment
from grader.core.types import CheckResult
from grader.engine.declared import DeclaredCheck, declared_checks
from grader.engine.kinds import kind_of, temporary_folder

#: pytest exit statuses after which every check that reported can be trusted (some may have failed).
_COMPLETE_RUNS = (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED)


class GradingSession:
    """Everything one grading run of one submission needs; the plugin's fixtures read it."""

    def __init__(self, assignment: Assignment, student, reference, catalogue: Catalogue | None = None):
        self.assignment, self.student, self.reference = assignment, student, reference
        self.catalogue = catalogue
        self.results: dict[str, CheckResult] = {}

    def record(self, result: CheckResult) -> None:
        if not result.passed and self.catalogue is not None and result.kind in ("failed", "error"):
            try:
                found = self.catalogue.diagnose(result.cls, result.calls, self.reference)
            except Exception:  # noqa: BLE001 - naming a mistake is a bonus; it must never stop the grading
                found = []
            for mistake in found:
                if mistake.id not in result.misconceptions:
                    result.misconceptions.append(mistake.id)
        self.results[result.nodeid] = result

    @classmethod
    def for_reference(cls, test_path: Path) -> "GradingSession":
        """Bare ``pytest`` on a checks folder: the reference solution plays the student, in the sandbox."""
        root = next(p for p in Path(test_path).resolve().parents if (p / "assignment.toml").exists())
        assignment = Assignment.from_dir(root)
        kind = kind_of(assignment)
        reference = reference_for(assignment)
        if not assignment.has_reference:
            return cls(assignment, reference, reference)
        return cls(assignment, kind.reference_in_sandbox(temporary_folder("nngrade-self-")), reference)


_REFERENCE_CACHE: dict[Path, object] = {}


def reference_for(assignment: Assignment):
    """One reference runner per assignment per process: its answers are cached across submissions."""
    if assignment.root not in _REFERENCE_CACHE:
        _REFERENCE_CACHE[assignment.root] = kind_of(assignment).reference()
    return _REFERENCE_CACHE[assignment.root]


_LAST_CHECKS: list[tuple[Path, int]] = []


def _forget_other_checks(checks_dir: Path) -> None:
    """pytest caches imported check modules by file name: when another assignment's checks ran last in this
    process (test_public_training.py in both), or the same ones under another grading seed (their inputs are
    drawn when they are imported), drop them so they are imported afresh."""
    current = (checks_dir, grading_seed())
    if _LAST_CHECKS and _LAST_CHECKS[0] != current:
        stale = str(_LAST_CHECKS[0][0]) + os.sep
        for name, module in list(sys.modules.items()):
            if (getattr(module, "__file__", None) or "").startswith(stale):
                del sys.modules[name]
    _LAST_CHECKS[:] = [current]


def _pytest_arguments(files: list[Path], checks_dir: Path) -> list[str]:
    return [*map(str, files), "-c", os.devnull, "--rootdir", str(checks_dir), "-p", "no:cacheprovider",
            "-p", "no:benchmark",
            # unraisableexception runs full gc sweeps after every session: ~1.5 s a submission once torch is loaded
            "-p", "no:unraisableexception", "--import-mode=importlib", "--continue-on-collection-errors",
            "-q", "--no-header", "-rN", "--tb=short", "-W", "ignore"]


@contextlib.contextmanager
def _quiet_isolated_pytest(output: io.StringIO):
    """pytest with only our plugin (third-party ones write into the cwd or change outcomes), its output
    captured, and no ``__pycache__`` left in the course folders."""
    dont_write, autoload = sys.dont_write_bytecode, os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    sys.dont_write_bytecode = True
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            yield
    finally:
        sys.dont_write_bytecode = dont_write
        if autoload is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = autoload


def _not_run(check: DeclaredCheck, why: str) -> CheckResult:
    return CheckResult(f"{check.file}::{check.function}", check.function, check.name, check.points, check.hidden,
                       kind="grader", message=GRADER_FAILED.format(why))


def _in_declared_order(declared: list[DeclaredCheck], reported: list[CheckResult], why: str) -> list[CheckResult]:
    """Every declared check once, in order: its reported result, or a grader error when it never reported."""
    by_check: dict[tuple[str, str], list[CheckResult]] = {}
    for result in reported:
        by_check.setdefault((Path(result.nodeid.split("::", 1)[0]).name, result.function), []).append(result)
    ordered = []
    for check in declared:
        ordered += by_check.pop((check.file, check.function), None) or [_not_run(check, why)]
    return ordered + [r for results in by_check.values() for r in results]


def run_checks(session: GradingSession, public_only: bool = False) -> tuple[list[CheckResult], str]:
    """Run the assignment's checks under pytest with ``session``; (every declared check's result, pytest's output)."""
    assignment = session.assignment
    files = assignment.check_files(public_only=public_only)
    declared = declared_checks(assignment, files)
    _forget_other_checks(assignment.checks_dir)
    output = io.StringIO()
    with _quiet_isolated_pytest(output):
        status = pytest.main(_pytest_arguments(files, assignment.checks_dir), plugins=[SessionPlugin(session)])
    why = ("this check did not run: pytest could not collect its file or stopped early"
           if status in _COMPLETE_RUNS else f"pytest ended with status {status!s}")
    return _in_declared_order(declared, list(session.results.values()), why), output.getvalue()
