"""Class outputs from a folder of graded results, ``DIR/<student>/results.json``: gradebook.csv and summary.html.

``write_class_outputs(batch_dir)`` is what the batch grader calls after a batch; ``rebuild(folder)`` is
``nngrade report DIR``: it re-renders every report from the stored results.json files, without re-grading.

gradebook.csv: one row per student; columns ``student_id``, one per check (its name; a name that occurs
twice in one submission gets `` (#number)`` added), ``total`` and ``max``; and ``sandbox`` (the level and its
warning, or ``strong``) when some submission was graded with weak isolation. A cell is empty when that
submission has no such check. Text cells that a spreadsheet would run as a formula (starting with = + - @)
are prefixed with ``'``.

summary.html (for instructors): the submissions graded with weak isolation (if any), the score distribution, the pass rate of every check, the most frequent
misconceptions with the students affected, the crashes and timeouts (tests tagged timeout, crash, memory,
import, or grader: a check that itself failed), the grading time per submission, and a row per student that
links to their report.
"""
from __future__ import annotations

import csv
import io
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from grader.core.schema import KIND_LABELS, checks_of, weak_sandbox_note
from grader.feedback.files import write_report_files
from grader.feedback.html import environment
from grader.feedback.plots import Image, score_histogram
from grader.feedback.view import ResultsError, build_view, clean_text, fmt_points, load_results

RESULTS = "results.json"
GRADEBOOK = "gradebook.csv"
SUMMARY = "summary.html"
FAILURE_KINDS = ("timeout", "crash", "memory", "import", "grader")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SANDBOX_COLUMN = "sandbox"


@dataclass
class Submission:
    student: str
    results: dict


@dataclass
class Batch:
    """The graded submissions found in a batch folder, and the result files that could not be read."""

    folder: Path
    submissions: list[Submission]
    problems: list[str]


def is_batch(folder: Path) -> bool:
    return any(p.is_dir() and (p / RESULTS).is_file() for p in Path(folder).iterdir() if not p.name.startswith("."))


def load_batch(folder: Path) -> Batch:
    """Every ``folder/<student>/results.json``, in student order; unreadable ones become problems, not errors."""
    submissions, problems = [], []
    for entry in sorted(Path(folder).iterdir()):
        path = entry / RESULTS
        if entry.name.startswith(".") or not path.is_file():
            continue
        try:
            submissions.append(Submission(entry.name, load_results(path)))
        except ResultsError as exc:
            problems.append(str(exc))
    return Batch(Path(folder), submissions, problems)


def _test_columns(results: dict) -> dict[str, float]:
    """{column name: score} for one submission, names made unique within it."""
    counts = Counter(t["name"] for t in results["tests"])
    return {(t["name"] if counts[t["name"]] == 1 else f"{t['name']} (#{t.get('number', i + 1)})"): float(t["score"])
            for i, t in enumerate(results["tests"])}


def _max_score(results: dict) -> float:
    extra = results.get("extra_data") or {}
    return float(extra.get("max_score", sum(float(t["max_score"]) for t in results["tests"])))


def _spreadsheet_safe(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


def gradebook_csv(batch: Batch) -> str:
    """The gradebook as CSV text (see the module docstring)."""
    rows = [(s.student, _test_columns(s.results), float(s.results["score"]), _max_score(s.results))
            for s in batch.submissions]
    columns = list(dict.fromkeys(name for _, scores, _, _ in rows for name in scores))
    # A "sandbox" column only when some submission was graded weak, so a strong batch's gradebook is unchanged.
    weak = {s.student: weak_sandbox_note(s.results.get("extra_data") or {}) for s in batch.submissions}
    sandbox = [SANDBOX_COLUMN] if any(weak.values()) else []
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student_id"] + [_spreadsheet_safe(clean_text(c, 300)) for c in columns] + ["total", "max"]
                    + sandbox)
    for student, scores, total, max_score in rows:
        writer.writerow([_spreadsheet_safe(student)] + [fmt_points(scores[c]) if c in scores else "" for c in columns]
                        + [fmt_points(total), fmt_points(max_score)]
                        + ([_spreadsheet_safe(clean_text(weak[student] or "strong", 1500))] if sandbox else []))
    return out.getvalue()


@dataclass
class CheckStat:
    name: str
    max_score: float
    hidden: bool
    passed: int = 0
    graded: int = 0

    @property
    def pass_rate(self) -> float:
        return 100.0 * self.passed / self.graded if self.graded else 0.0


@dataclass
class MistakeStat:
    id: str
    title: str
    students: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
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
    link: str
    score: float
    max_score: float
    failed: int
    mistakes: int
    troubles: list[str]


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
        troubles = []
        for test in results["tests"]:
            name = clean_text(test["name"], 300)
            stat = checks.setdefault(name, CheckStat(name, float(test["max_score"]),
                                                     test.get("visibility", "visible") != "visible"))
            stat.graded += 1
            stat.passed += test["status"] == "passed"
            for kind in FAILURE_KINDS:
                if kind in (test.get("tags") or []):
                    failures[kind].cases.append((student, name))
                    troubles.append(failures[kind].label)
        for entry in extra.get("misconceptions", []):
            if not isinstance(entry, dict) or "id" not in entry:
                continue
            stat = mistakes.setdefault(str(entry["id"]), MistakeStat(str(entry["id"]),
                                                                     clean_text(entry.get("title", entry["id"]), 300)))
            if student not in stat.students:
                stat.students.append(student)
            lost = entry.get("points_lost")
            if isinstance(lost, (int, float)) and not isinstance(lost, bool):
                stat.points_lost += float(lost)
            for check in (clean_text(str(name), 300) for name in checks_of(entry)):
                if check and check not in stat.checks:
                    stat.checks.append(check)
        view = build_view(results, student_view=False)
        students.append(StudentRow(student, quote(student) + "/report.html", view.score, view.max_score,
                                   len(view.failed), len(view.misconceptions), list(dict.fromkeys(troubles))))
    maxima = {s.max_score for s in students}
    if len(maxima) == 1:
        histogram = score_histogram([s.score for s in students], maxima.pop(), "points")
    elif students:
        histogram = score_histogram([100 * s.score / s.max_score if s.max_score else 0 for s in students], 100, "%")
    else:
        histogram = None
    return SummaryView(
        title=titles.most_common(1)[0][0] if titles else "Assignment", students=students, histogram=histogram,
        checks=list(checks.values()),
        mistakes=sorted(mistakes.values(), key=lambda m: -len(m.students)),
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


def _write_class_files(batch: Batch) -> None:
    (batch.folder / GRADEBOOK).write_text(gradebook_csv(batch), encoding="utf-8")
    (batch.folder / SUMMARY).write_text(render_summary(batch), encoding="utf-8")


def write_class_outputs(batch_dir: Path) -> Batch:
    """gradebook.csv and summary.html in ``batch_dir`` from its ``<student>/results.json`` files."""
    batch = load_batch(Path(batch_dir))
    _write_class_files(batch)
    return batch


def rebuild(folder: Path, instructor: bool = False, all_plots: bool = False) -> Batch | None:
    """``nngrade report DIR``: re-render the reports from stored results (a batch: also the class outputs);
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
        write_report_files(submission.results, folder / submission.student, instructor, all_plots)
    _write_class_files(batch)
    return batch
