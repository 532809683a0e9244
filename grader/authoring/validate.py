"""``nngrade validate``: prove an assignment's checks before students meet them.

The reference must earn every point, the released skeleton (almost) none, and
every catalogued mistake, submitted alone, must lose points in a check of the
class that holds it (and, ideally, be named there).
"""
from __future__ import annotations

import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from grader.authoring.release import release
from grader.checks.inputs import new_grading_seed
from grader.checks.mistakes import Catalogue
from grader.core.assignment import Assignment
from grader.core.types import check_class
from grader.engine.grade import grade

SKELETON_MAX_FRACTION = 0.05


@dataclass
class MistakeOutcome:
    id: str
    cls: str
    title: str
    caught: bool                 # lost points in a check of its class
    named: bool                  # named in the feedback of a check of its class
    failed_checks: list[str] = field(default_factory=list)
    named_as: list[str] = field(default_factory=list)


@dataclass
class ValidationReport:
    assignment: str
    max_score: float
    reference_score: float
    skeleton_score: float
    reference_failures: list[str]
    reference_misconceptions: list[str]
    mistakes: list[MistakeOutcome]

    @property
    def caught(self) -> int:
        return sum(m.caught for m in self.mistakes)

    @property
    def named(self) -> int:
        return sum(m.named for m in self.mistakes)

    @property
    def ok(self) -> bool:
        return (self.reference_score == self.max_score and not self.reference_misconceptions
                and self.skeleton_score <= SKELETON_MAX_FRACTION * self.max_score
                and self.caught == len(self.mistakes))


def _grade_mistake(args) -> MistakeOutcome:
    root, mistake_id, seed = args
    assignment = Assignment.from_dir(Path(root))
    catalogue = Catalogue(assignment)
    mistake = catalogue.get(mistake_id)
    with tempfile.TemporaryDirectory(prefix="nngrade-mutant-") as tmp:
        folder = catalogue.write_mutant(mistake, Path(tmp) / assignment.package)
        results = grade(assignment, folder, seed=seed, allow_weak_sandbox=True)
    of_class = [t for t in results["tests"] if check_class(t["name"]) == mistake.cls]
    failed = [t["name"] for t in of_class if t["status"] == "failed"]
    named = [m["check"] for m in results["extra_data"]["misconceptions"]
             if m["id"] == mistake.id and m["check"] in failed]
    return MistakeOutcome(mistake.id, mistake.cls, mistake.title, bool(failed), bool(named), failed, named)


def validate(assignment: Assignment, workers: int = 2, progress=None, seed: int | None = None) -> ValidationReport:
    """Every grading draws the checks' inputs with ``seed`` (a new one when None); only trusted code (the
    reference, its skeleton and mutants) is graded, so any sandbox level will do."""
    seed = new_grading_seed() if seed is None else seed
    reference = grade(assignment, assignment.solution_dir, seed=seed, allow_weak_sandbox=True)
    with tempfile.TemporaryDirectory(prefix="nngrade-skeleton-") as tmp:
        bundle = release(assignment, Path(tmp) / "bundle")
        skeleton = grade(assignment, bundle / assignment.package, diagnose=False, seed=seed, allow_weak_sandbox=True)
    catalogue = Catalogue(assignment)
    jobs = [(str(assignment.root), m.id, seed) for m in catalogue]
    outcomes: list[MistakeOutcome] = []
    with ProcessPoolExecutor(max_workers=max(1, workers)) as pool:
        for outcome in pool.map(_grade_mistake, jobs):
            outcomes.append(outcome)
            if progress:
                progress(outcome)
    return ValidationReport(
        assignment=assignment.name,
        max_score=reference["extra_data"]["max_score"],
        reference_score=reference["score"],
        skeleton_score=skeleton["score"],
        reference_failures=[f"{t['name']}: {t['output']}" for t in reference["tests"] if t["status"] != "passed"],
        reference_misconceptions=[m["id"] for m in reference["extra_data"]["misconceptions"]],
        mistakes=outcomes,
    )
