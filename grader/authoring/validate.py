"""``nngrade validate``: prove an assignment's checks before students meet them.

The reference must earn every point, the released skeleton (almost) none,
every catalogued mistake, submitted alone, must lose points in a check of the
class that holds it (and, ideally, be named there), and every accepted variant
(``variants.toml``) must earn every point with no mistake named.
"""
from __future__ import annotations

import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from grader.authoring.leaks import Leak, find_leaks
from grader.authoring.release import release
from grader.authoring.variants import Variant, load_variants, write_variant
from grader.checks.inputs import new_grading_seed
from grader.checks.mistakes import Catalogue
from grader.core.assignment import Assignment
from grader.core.schema import SKELETON_MAX_FRACTION, full_output
from grader.core.types import check_class
from grader.engine.grade import grade


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
class VariantOutcome:
    id: str
    cls: str
    title: str
    score: float
    max_score: float
    failed_checks: list[str] = field(default_factory=list)   # "name: output" of every check it lost points in
    named_mistakes: list[str] = field(default_factory=list)  # a mistake named on a correct solution: a false alarm

    @property
    def full_marks(self) -> bool:
        return self.score == self.max_score and not self.failed_checks and not self.named_mistakes


@dataclass
class ValidationReport:
    assignment: str
    max_score: float
    reference_score: float
    skeleton_score: float
    reference_failures: list[str]
    reference_misconceptions: list[str]
    mistakes: list[MistakeOutcome]
    variants: list[VariantOutcome] = field(default_factory=list)
    leaks: list[Leak] = field(default_factory=list)  # bundle lines that repeat a solution line

    @property
    def variants_full_marks(self) -> int:
        return sum(v.full_marks for v in self.variants)

    @property
    def caught(self) -> int:
        return sum(m.caught for m in self.mistakes)

    @property
    def named(self) -> int:
        return sum(m.named for m in self.mistakes)

    @property
    def ok(self) -> bool:
        return (self.reference_score == self.max_score and not self.reference_misconceptions and not self.leaks
                and self.skeleton_score <= SKELETON_MAX_FRACTION * self.max_score
                and self.caught == len(self.mistakes) and self.variants_full_marks == len(self.variants))


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
    named = [check for m in results["extra_data"]["misconceptions"] if m["id"] == mistake.id
             for check in m["checks"] if check in failed]
    return MistakeOutcome(mistake.id, mistake.cls, mistake.title, bool(failed), bool(named), failed, named)


def _grade_variant(args) -> VariantOutcome:
    root, variant, seed = args
    assignment = Assignment.from_dir(Path(root))
    with tempfile.TemporaryDirectory(prefix="nngrade-variant-") as tmp:
        results = grade(assignment, write_variant(assignment, variant, Path(tmp) / assignment.package), seed=seed,
                        allow_weak_sandbox=True)
    failed = [f"{t['name']}: {full_output(results, t['number'])}" for t in results["tests"] if t["status"] != "passed"]
    named = sorted({m["id"] for m in results["extra_data"]["misconceptions"]})
    return VariantOutcome(variant.id, variant.cls, variant.title, results["score"],
                          results["extra_data"]["max_score"], failed, named)


def _run_jobs(function, jobs: list, workers: int, progress) -> list:
    outcomes = []
    with ProcessPoolExecutor(max_workers=max(1, workers)) as pool:
        for outcome in pool.map(function, jobs):
            outcomes.append(outcome)
            if progress:
                progress(outcome)
    return outcomes


def validate(assignment: Assignment, workers: int = 2, progress=None, seed: int | None = None) -> ValidationReport:
    """Every grading draws the checks' inputs with ``seed`` (a new one when None); only trusted code (the
    reference, its skeleton, mutants and variants) is graded, so any sandbox level will do."""
    variants: list[Variant] = load_variants(assignment)  # a broken variants file stops validate before grading
    seed = new_grading_seed() if seed is None else seed
    reference = grade(assignment, assignment.solution_dir, seed=seed, allow_weak_sandbox=True)
    with tempfile.TemporaryDirectory(prefix="nngrade-skeleton-") as tmp:
        bundle = release(assignment, Path(tmp) / "bundle")
        leaks = find_leaks(assignment, bundle)
        skeleton = grade(assignment, bundle / assignment.package, diagnose=False, seed=seed, allow_weak_sandbox=True)
    outcomes = _run_jobs(_grade_mistake, [(str(assignment.root), m.id, seed) for m in Catalogue(assignment)],
                         workers, progress)
    variant_outcomes = _run_jobs(_grade_variant, [(str(assignment.root), v, seed) for v in variants], workers,
                                 progress)
    return ValidationReport(
        assignment=assignment.name,
        max_score=reference["extra_data"]["max_score"],
        reference_score=reference["score"],
        skeleton_score=skeleton["score"],
        reference_failures=[f"{t['name']}: {full_output(reference, t['number'])}" for t in reference["tests"]
                            if t["status"] != "passed"],
        reference_misconceptions=[m["id"] for m in reference["extra_data"]["misconceptions"]],
        mistakes=outcomes,
        variants=variant_outcomes,
        leaks=leaks,
    )
