"""Grade one submission: stage it, start its sandbox, run the checks with pytest, collect results.

Runs in the trusted process. The student's code only ever runs in the
sandbox worker that :class:`GradingSession` owns; the reference and the
mutants of the mistake catalogue run here.
"""
from __future__ import annotations

import atexit
import contextlib
import io
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pytest

from grader import plugin
from grader.assignment import Assignment
from grader.load import stage
from grader.mistakes import Catalogue
from grader.probing import RecordedRunner, TrustedRunner
from grader.sandbox.client import SandboxClient, StagedCode


class _FatalRunner:
    """Stands in for the sandbox when nothing gradable was submitted: every probe fails with the reason."""

    def __init__(self, reason: str):
        self.reason, self.import_errors = reason, {}

    def run(self, probe, kwargs=None, timeout=None, seed=0):
        from grader.sandbox.client import ProbeFailure

        raise ProbeFailure("import", self.reason)

    def close(self):
        pass


class GradingSession:
    """Everything one grading run of one submission needs; the plugin's fixtures read it."""

    def __init__(self, assignment: Assignment, student, reference, catalogue: Catalogue | None = None):
        self.assignment, self.student, self.reference = assignment, student, reference
        self.catalogue = catalogue
        self.results: dict[str, plugin.CheckResult] = {}

    def record(self, result: plugin.CheckResult) -> None:
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
        """Bare ``pytest`` on a checks folder: the reference solution plays the student."""
        root = next(p for p in Path(test_path).resolve().parents if (p / "assignment.toml").exists())
        assignment = Assignment.from_dir(root)
        reference = _reference_runner(assignment)
        if assignment.has_reference and assignment.kind == "notebook":
            from grader import notebook

            workdir = Path(tempfile.mkdtemp(prefix="nngrade-self-"))
            staged = notebook.stage(notebook.reference_notebook(assignment), assignment, workdir)
            student = notebook.NotebookSandboxClient(staged, assignment, workdir)
        elif assignment.has_reference:
            workdir = Path(tempfile.mkdtemp(prefix="nngrade-self-"))
            shutil.copytree(assignment.solution_dir, workdir / "work")
            code = StagedCode(workdir / "work", {m: f"{m}.py" for m in assignment.modules})
            student = SandboxClient(code, assignment.package, assignment.homes, assignment.probes_source(),
                                    assignment.limits, preload=assignment.preload)
            atexit.register(shutil.rmtree, workdir, True)
            atexit.register(student.close)
        else:
            student = reference
        return cls(assignment, student, reference)


def _reference_runner(assignment: Assignment):
    if assignment.has_reference and assignment.kind == "notebook":
        from grader.notebook import NotebookTrustedRunner, reference_notebook

        return NotebookTrustedRunner(reference_notebook(assignment), assignment)
    if assignment.has_reference:
        return TrustedRunner(assignment.package, assignment.solution_files(), assignment.homes,
                             assignment.probes_source())
    return RecordedRunner(assignment.expected_path)


_REFERENCE_CACHE: dict[Path, object] = {}


def reference_for(assignment: Assignment):
    """One reference runner per assignment per process: its answers are cached across submissions."""
    if assignment.root not in _REFERENCE_CACHE:
        _REFERENCE_CACHE[assignment.root] = _reference_runner(assignment)
    return _REFERENCE_CACHE[assignment.root]


_LAST_CHECKS_DIR: list[Path] = []


def _forget_other_checks(checks_dir: Path) -> None:
    """pytest caches imported check modules by file name: when another assignment's checks ran last in this
    process (test_public_training.py in both), drop them so this assignment's own files are imported."""
    if _LAST_CHECKS_DIR and _LAST_CHECKS_DIR[0] != checks_dir:
        stale = str(_LAST_CHECKS_DIR[0]) + os.sep
        for name, module in list(sys.modules.items()):
            if (getattr(module, "__file__", None) or "").startswith(stale):
                del sys.modules[name]
    _LAST_CHECKS_DIR[:] = [checks_dir]


def run_checks(session: GradingSession, public_only: bool = False) -> tuple[list[plugin.CheckResult], str]:
    """Run the assignment's checks under pytest with ``session`` active; (results in order, pytest's output)."""
    assignment = session.assignment
    files = [str(f) for f in assignment.check_files(public_only=public_only)]
    args = [*files, "-c", os.devnull, "--rootdir", str(assignment.checks_dir), "-p", "no:cacheprovider", "-p", "no:benchmark",
            # unraisableexception runs full gc sweeps after every session: ~1.5 s a submission once torch is loaded
            "-p", "no:unraisableexception", "--import-mode=importlib", "-q", "--no-header", "-rN", "--tb=short", "-W", "ignore"]
    _forget_other_checks(assignment.checks_dir)
    output = io.StringIO()
    previous, plugin.ACTIVE = plugin.ACTIVE, session
    dont_write = sys.dont_write_bytecode
    sys.dont_write_bytecode = True  # never leave __pycache__ in the course folders
    # Only our plugin: third-party ones write into the cwd (.benchmarks) or change outcomes.
    autoload = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            pytest.main(args)
    finally:
        plugin.ACTIVE = previous
        sys.dont_write_bytecode = dont_write
        if autoload is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = autoload
    # Registered at collection, so a check that never reported (a pytest internal error) still counts, as failed.
    return list(session.results.values()), output.getvalue()


def grade(assignment: Assignment, submission: Path, public_only: bool = False, diagnose: bool = True,
          reference=None, workdir: Path | None = None) -> dict:
    """Grade ``submission``; returns the results as a dict in Gradescope's schema (see :mod:`grader.results`)."""
    from grader.results import build_results

    started = time.perf_counter()
    own_tmp = workdir is None
    tmp = Path(tempfile.mkdtemp(prefix="nngrade-")) if own_tmp else Path(workdir)
    try:
        if assignment.kind == "notebook":
            from grader import notebook

            staged = notebook.stage(Path(submission), assignment, tmp)
        else:
            staged = stage(Path(submission), list(assignment.modules), tmp)
        staged_at = time.perf_counter()
        reference = reference or reference_for(assignment)
        if staged.fatal:
            student = _FatalRunner(staged.fatal)
        elif assignment.kind == "notebook":
            student = notebook.NotebookSandboxClient(staged, assignment, output_dir=tmp)
        else:
            student = SandboxClient(staged.code, assignment.package, assignment.homes, assignment.probes_source(),
                                    assignment.limits, output_dir=tmp, preload=assignment.preload)
        catalogue = Catalogue(assignment) if diagnose and assignment.has_reference else None
        session = GradingSession(assignment, student, reference, catalogue)
        try:
            results, pytest_output = run_checks(session, public_only)
        finally:
            student.close()
            if catalogue is not None:
                catalogue.close()
        output_tail = student.output_tail() if isinstance(student, SandboxClient) else ""
        timings = {"total_seconds": round(time.perf_counter() - started, 3),
                   "staging_seconds": round(staged_at - started, 3),
                   "checks_seconds": round(sum(r.seconds for r in results), 3),
                   "worker_starts": getattr(student, "starts", 0)}
        built = build_results(assignment, results, staged, timings, catalogue or Catalogue(assignment),
                              output_tail=output_tail, import_errors=getattr(student, "import_errors", {}),
                              grader_log=pytest_output if any(r.kind == "grader" for r in results) else "")
        built["extra_data"]["sandbox"] = getattr(student, "sandbox", None) or {}
        if assignment.kind == "notebook":
            notebook.annotate_results(built, staged, student, assignment)
        return built
    finally:
        if own_tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def count_points(assignment: Assignment) -> tuple[int, int, float]:
    """(public checks, hidden checks, total points), read from the check files without running them."""
    import ast

    from grader.release import is_hidden_check_file

    public = hidden = 0
    total = 0.0
    for path in assignment.check_files():
        file_hidden = is_hidden_check_file(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call) and getattr(decorator.func, "attr", "") == "check":
                    points = next((k.value.value for k in decorator.keywords if k.arg == "points"), 1)
                    total += float(assignment.points.get(node.name, points))
                    hidden += file_hidden
                    public += not file_hidden
    return public, hidden, total
