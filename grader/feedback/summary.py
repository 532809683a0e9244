"""Class outputs from a folder of graded results, ``DIR/<student>/results.json``: summary.html, gradebook.csv and
misconceptions.csv (the CSV files: :mod:`grader.feedback.gradebook`).

``write_class_outputs(batch_dir)`` is what the batch grader calls after a batch; ``rebuild(folder)`` is
``nngrade report DIR``: it re-renders every report from the stored results.json files, without re-grading.

summary.html (for instructors), most useful first: the class's recognised mistakes ranked by the students they
affect and the points they cost (in all, and per affected student), each with its title, one line of
explanation and the students, linked to their instructor reports (``<student>/instructor-report.html``, written
next to report.html); the score distribution; the checks sorted by pass rate, lowest first, with the failures that
are only cascades (the check passed once the grader's stand-ins replaced parts that failed their own checks)
counted apart from the check's own failures; the students who submitted the skeleton or nothing to grade (see
:mod:`grader.feedback.standing`); crashes and timeouts; grading time; a row per student. Pass rates and mistakes
count the students whose code was graded (status graded or import error), not those who submitted nothing, the
skeleton, or hit a grader error, who would only lower every rate alike.
"""
from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from grader.core.schema import KIND_LABELS, weak_sandbox_note
from grader.feedback.classfolder import (
    RESULTS,
    Batch,
    is_batch,
    load_batch,
    max_score_of,
)
from grader.feedback.files import INSTRUCTOR_REPORT, write_report_files
from grader.feedback.gradebook import gradebook_csv, misconceptions_csv
from grader.feedback.html import environment, render_html
from grader.feedback.plots import Image, score_histogram
from grader.feedback.standing import (
    CASCADE,
    FAILED,
    GRADED,
    IMPORT_ERROR,
    NOT_ATTEMPTED,
    PASSED,
    Standing,
    check_outcomes,
    first_sentence,
    mistakes_of,
    standing_of,
)
from grader.feedback.view import ResultsError, clean_text, load_results

GRADEBOOK = "gradebook.csv"
MISCONCEPTIONS = "misconceptions.csv"
SUMMARY = "summary.html"
FAILURE_KINDS = ("timeout", "crash", "memory", "import", "grader")
#: Statuses whose checks count in the pass rates and the mistakes (see the module docstring).
COUNTED = (GRADED, IMPORT_ERROR)


@dataclass
class CheckStat:
    name: str
    max_score: float
    hidden: bool
    passed: int = 0
    failed: int = 0      # failed through the check's own part
    cascade: int = 0     # failed only because parts it uses failed their own checks

    @property
    def graded(self) -> int:
        return self.passed + self.failed + self.cascade

    @property
    def pass_rate(self) -> float:
        return 100.0 * self.passed / self.graded if self.graded else 0.0


@dataclass
class MistakeStat:
    id: str
    title: str
    explanation: str                                              # its first sentence
    students: list[str] = field(default_factory=list)
    points_lost: float = 0.0     # over the class, each student's mistake charged once

    @property
    def mean_points_lost(self) -> float:
        return self.points_lost / len(self.students) if self.students else 0.0


@dataclass
class FailureStat:
    kind: str
    label: str
    cases: list[tuple[str, str]] = field(default_factory=list)  # (student, check name)

    @property
    def students(self) -> list[str]:
        return list(dict.fromkeys(s for s, _ in self.cases))


@dataclass
class StudentRow:
    student: str
    score: float
    max_score: float
    failed: int
    mistakes: int
    standing: Standing
    troubles: list[str]

    @property
    def link(self) -> str:
        return instructor_link(self.student)

    @property
    def counted(self) -> bool:
        """Whether the student's checks and mistakes count in the class's pass rates and mistakes."""
        return self.standing.status in COUNTED

    @property
    def percentage(self) -> float:
        return 100 * self.score / self.max_score if self.max_score else 0.0


@dataclass
class SummaryView:
    title: str
    students: list[StudentRow]
    histogram: Image | None
    checks: list[CheckStat]
    mistakes: list[MistakeStat]
    failures: list[FailureStat]
    timings: dict
    problems: list[str]
    version: str
    weak_sandbox: list[tuple[str, str]] = field(default_factory=list)   # (student, level and warning)

    @property
    def scores(self) -> list[float]:
        return [s.score for s in self.students]

    @property
    def not_attempted(self) -> list[StudentRow]:
        return [s for s in self.students if s.standing.status == NOT_ATTEMPTED]

    @property
    def counted(self) -> int:
        return sum(s.counted for s in self.students)


def instructor_link(student: str) -> str:
    return f"{quote(student)}/{INSTRUCTOR_REPORT}"


def _timing_stats(batch: Batch) -> dict:
    seconds = []
    for s in batch.submissions:
        value = ((s.results.get("extra_data") or {}).get("timings") or {}).get("total_seconds")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            seconds.append((float(value), s.student))
    if not seconds:
        return {}
    values = [v for v, _ in seconds]
    slowest = max(seconds)
    return {"count": len(values), "mean": statistics.fmean(values), "median": statistics.median(values),
            "max": slowest[0], "slowest": slowest[1], "total": sum(values)}


def _count_checks(checks: dict[str, CheckStat], results: dict) -> None:
    for test, outcome in check_outcomes(results):
        name = clean_text(test["name"], 300)
        stat = checks.setdefault(name, CheckStat(name, float(test["max_score"]),
                                                 test.get("visibility", "visible") != "visible"))
        stat.passed += outcome == PASSED
        stat.failed += outcome == FAILED
        stat.cascade += outcome == CASCADE


def _count_mistakes(mistakes: dict[str, MistakeStat], student: str, results: dict) -> int:
    found = mistakes_of(results)
    for mistake in found:
        stat = mistakes.setdefault(mistake.id, MistakeStat(mistake.id, mistake.title,
                                                           first_sentence(mistake.explanation)))
        stat.students.append(student)
        stat.points_lost += mistake.points_lost
    return len(found)


def _histogram(students: list[StudentRow]) -> Image | None:
    maxima = {s.max_score for s in students}
    if len(maxima) == 1:
        return score_histogram([s.score for s in students], maxima.pop(), "points")
    if students:
        return score_histogram([s.percentage for s in students], 100, "%")
    return None


def build_summary(batch: Batch) -> SummaryView:
    """Everything summary.html shows, computed from the batch's results."""
    checks: dict[str, CheckStat] = {}
    mistakes: dict[str, MistakeStat] = {}
    failures = {kind: FailureStat(kind, KIND_LABELS.get(kind, kind)) for kind in FAILURE_KINDS}
    students, titles, versions = [], Counter(), Counter()
    for submission in batch.submissions:
        results, student = submission.results, submission.student
        extra = results.get("extra_data") or {}
        titles[clean_text(extra.get("title") or extra.get("assignment") or "Assignment", 300)] += 1
        versions[clean_text(extra.get("nngrade_version", ""), 40)] += 1
        standing = standing_of(results)
        troubles = []
        for test in results["tests"]:
            for kind in FAILURE_KINDS:
                if kind in (test.get("tags") or []):
                    failures[kind].cases.append((student, clean_text(test["name"], 300)))
                    troubles.append(failures[kind].label)
        found = 0
        if standing.status in COUNTED:
            _count_checks(checks, results)
            found = _count_mistakes(mistakes, student, results)
        students.append(StudentRow(student, float(results["score"]), max_score_of(results),
                                   sum(t["status"] != "passed" for t in results["tests"]), found, standing,
                                   list(dict.fromkeys(troubles))))
    return SummaryView(
        title=titles.most_common(1)[0][0] if titles else "Assignment", students=students,
        histogram=_histogram(students),
        checks=sorted(checks.values(), key=lambda c: (c.pass_rate, -c.failed)),
        mistakes=sorted(mistakes.values(), key=lambda m: (-len(m.students), -m.points_lost, m.title)),
        failures=[f for f in failures.values() if f.cases], timings=_timing_stats(batch),
        problems=batch.problems, version=versions.most_common(1)[0][0] if versions else "",
        weak_sandbox=[(s.student, clean_text(note, 1500)) for s in batch.submissions
                      if (note := weak_sandbox_note(s.results.get("extra_data") or {}))])


def render_summary(batch: Batch) -> str:
    view = build_summary(batch)
    scores = view.scores
    stats = {"count": len(scores), "mean": round(statistics.fmean(scores), 2) if scores else 0.0,
             "median": statistics.median(scores) if scores else 0.0, "min": min(scores, default=0.0),
             "max": max(scores, default=0.0),
             "full": sum(1 for s in view.students if s.max_score and s.score >= s.max_score)}
    return environment().get_template("summary.html.j2").render(view=view, stats=stats, version=view.version)


def _write_instructor_reports(batch: Batch, missing_only: bool) -> None:
    """``<student>/instructor-report.html``, which the summary links to (grade-batch writes it with the student's
    other reports; here it is made for folders graded before it was, or rebuilt for all)."""
    for submission in batch.submissions:
        path = batch.folder / submission.student / INSTRUCTOR_REPORT
        if not (missing_only and path.is_file()):
            path.write_text(render_html(submission.results, student_view=False), encoding="utf-8")


def _write_class_files(batch: Batch) -> None:
    (batch.folder / GRADEBOOK).write_text(gradebook_csv(batch), encoding="utf-8")
    (batch.folder / MISCONCEPTIONS).write_text(misconceptions_csv(batch), encoding="utf-8")
    (batch.folder / SUMMARY).write_text(render_summary(batch), encoding="utf-8")


def write_class_outputs(batch_dir: Path) -> Batch:
    """gradebook.csv, misconceptions.csv and summary.html in ``batch_dir`` from its ``<student>/results.json``
    files, and any instructor report the summary links to that is missing."""
    batch = load_batch(Path(batch_dir))
    _write_instructor_reports(batch, missing_only=True)
    _write_class_files(batch)
    return batch


def rebuild(folder: Path, instructor: bool = False, all_plots: bool = False) -> Batch | None:
    """``nngrade report DIR``: re-render the reports from stored results (a batch: also the class outputs, and
    every student's instructor report, which the summary links to, whatever ``instructor`` says);
    ``all_plots`` draws the figures of passed checks too.

    Returns the batch, or ``None`` for a single submission's folder. Raises ResultsError when ``folder``
    holds neither ``results.json`` nor ``*/results.json``, or its one results.json is unreadable.
    """
    folder = Path(folder)
    if (folder / RESULTS).is_file():
        write_report_files(load_results(folder / RESULTS), folder, instructor, all_plots)
        return None
    if not folder.is_dir() or not is_batch(folder):
        raise ResultsError(f"{folder} holds no {RESULTS} (one graded submission) and no <student>/{RESULTS} "
                           "(a graded batch); give the --out folder of `nngrade grade` or `nngrade grade-batch`")
    batch = load_batch(folder)
    for submission in batch.submissions:
        write_report_files(submission.results, folder / submission.student, instructor=True, all_plots=all_plots)
    _write_class_files(batch)
    return batch
