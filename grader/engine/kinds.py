"""One strategy per kind of assignment (``kind`` in assignment.toml): how its submissions are staged, how the
student's code and the reference answer probes, how a catalogued mutant runs, what grading adds to the results.

``modules``: the student submits Python files (``layers.py``…) that a worker imports.
``notebook``: the student submits a Jupyter notebook whose code cells a worker runs.
"""
from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from grader.checks.mistakes import Catalogue
from grader.checks.notebook_runner import NotebookTrustedRunner
from grader.checks.probing import RecordedRunner, TrustedRunner
from grader.core.assignment import Assignment, AssignmentError, NotebookSettings
from grader.core.types import Staged, StagedCode
from grader.engine.notebook_report import annotate_results
from grader.sandbox.client import SandboxClient
from grader.sandbox.notebook_client import NotebookSandboxClient
from grader.submissions.modules import stage_modules
from grader.submissions.notebooks import stage_notebook


class ModulesKind:
    """Module files, imported by the worker."""

    def __init__(self, assignment: Assignment):
        self.assignment = assignment

    def stage(self, submission: Path, into: Path) -> Staged:
        return stage_modules(Path(submission), list(self.assignment.modules), into)

    def student(self, staged: Staged, output_dir: Path) -> SandboxClient:
        a = self.assignment
        return SandboxClient(staged.code, a.package, a.homes, a.probes_source(), a.limits, output_dir=output_dir,
                             preload=a.preload, packages=a.packages)

    def reference(self):
        """The reference solution, or in a student bundle (no solution) its recorded answers."""
        if not self.assignment.has_reference:
            return RecordedRunner(self.assignment.expected_path)
        return self.trusted_reference()

    def trusted_reference(self) -> TrustedRunner:
        a = self.assignment
        return TrustedRunner(a.package, a.solution_files(), a.homes, a.probes_source())

    def mutant(self, folder: Path):
        a = self.assignment
        return TrustedRunner(a.package, {m: folder / f"{m}.py" for m in a.modules}, a.homes, a.probes_source(),
                             trusted=False)

    def reference_in_sandbox(self, workdir: Path) -> SandboxClient:
        """The reference solution as if a student had submitted it (a bare ``pytest`` on the checks)."""
        shutil.copytree(self.assignment.solution_dir, workdir / "work")
        code = StagedCode(workdir / "work", {m: f"{m}.py" for m in self.assignment.modules})
        return self.student(Staged(code), workdir)

    def annotate(self, results: dict, staged: Staged, student) -> None:
        """Nothing to add for module files."""


class NotebookKind(ModulesKind):
    """A notebook whose code cells the worker runs (see :mod:`grader.sandbox.notebook_worker`)."""

    def stage(self, submission: Path, into: Path) -> Staged:
        return stage_notebook(Path(submission), self.assignment, into)

    def student(self, staged: Staged, output_dir: Path) -> NotebookSandboxClient:
        return NotebookSandboxClient(staged, self.assignment, output_dir=output_dir)

    @property
    def reference_notebook(self) -> Path:
        return self.assignment.solution_dir / NotebookSettings.of(self.assignment).file

    def trusted_reference(self) -> NotebookTrustedRunner:
        return NotebookTrustedRunner(self.reference_notebook, self.assignment)

    def mutant(self, folder: Path):
        return NotebookTrustedRunner(folder / NotebookSettings.of(self.assignment).file, self.assignment, strict=False)

    def reference_in_sandbox(self, workdir: Path) -> NotebookSandboxClient:
        return self.student(self.stage(self.reference_notebook, workdir), workdir)

    def annotate(self, results: dict, staged: Staged, student) -> None:
        annotate_results(results, staged, student, self.assignment)


KINDS = {"modules": ModulesKind, "notebook": NotebookKind}


def kind_of(assignment: Assignment) -> ModulesKind:
    try:
        return KINDS[assignment.kind](assignment)
    except KeyError:
        raise AssignmentError(f"{assignment.root / 'assignment.toml'}: kind = {assignment.kind!r} is not a kind of "
                              f"assignment; use one of: {', '.join(KINDS)}") from None


def catalogue_for(assignment: Assignment) -> Catalogue:
    """The assignment's mistake catalogue, able to run its mutants (to diagnose a student's answers)."""
    return Catalogue(assignment, kind_of(assignment).mutant)


def temporary_folder(prefix: str) -> Path:
    """A folder removed when the process ends (for a bare ``pytest`` run's sandbox)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, folder, True)
    return folder
