"""What a report shows, built from results.json alone: :class:`ReportView`.

``report.md`` (:mod:`~grader.feedback.markdown`) and ``report.html`` (:mod:`~grader.feedback.html`) are both
built from one :class:`ReportView`, so they say the same things, most important first
(:mod:`~grader.feedback.findings`): the score, the recognised mistakes ranked by the points they cost, the
failed checks no mistake explains, the failed checks a mistake explains (referring back to it), the passed
checks, and a summary per class (the part of a check's name before the first '.' or ':').

``student_view`` (the default, and what ``report.md`` and ``report.html`` are: the files handed to students)
shows a hidden check's name, points, status and recognised mistake, and of its message only what
results.json's ``tests[].output`` gives students (:func:`grader.engine.results._outputs`: the mistake and
what the check concerns, never its inputs); results written before that rule show no message at all. It
leaves out hidden checks' artifacts and the submission's own printed output (student code can print the hidden
probes' inputs). The instructor view (``nngrade report DIR --instructor`` writes it as instructor-report.html)
shows everything, the whole message of hidden checks included.

Everything taken from results.json is treated as data: ANSI escapes and control characters are removed,
sizes are capped at a word boundary (:func:`clean_text`; results.json keeps the whole text), and the HTML
templates escape it.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from grader.core.schema import (
    HIDDEN_OUTPUTS,
    KIND_LABELS,
    STUDENT_SAFE,
    checks_of,
    full_output,
    misconception_lines,
    shorten,
    weak_sandbox_note,
)
from grader.core.types import check_class
from grader.feedback.findings import (
    Arrangement,
    CheckView,
    FailureGroup,
    Misconception,
    arrange,
)

__all__ = ["Arrangement", "CheckView", "ClassSummary", "FailureGroup", "Misconception", "ReportView", "ResultsError",
           "build_view", "clean_text", "fmt_points", "load_results"]

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
NAME_LIMIT = 300


class ResultsError(ValueError):
    """A results.json that cannot be read back (names the file and what is wrong)."""


def clean_text(text: str, limit: int = 4000) -> str:
    """Student-controlled text made safe to show: ANSI escapes and control characters removed, size capped at a
    word boundary."""
    return shorten(CONTROL.sub("", ANSI.sub("", str(text))), limit)


def fmt_points(value: float) -> str:
    return f"{float(value):g}"


@dataclass
class ClassSummary:
    name: str
    score: float
    max_score: float
    passed: int
    total: int

    @property
    def anchor(self) -> str:
        return "class-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", self.name).strip("-") or "x")


@dataclass
class ReportView:
    title: str
    score: float
    max_score: float
    student_view: bool
    notes: list[str]
    classes: list[ClassSummary]
    checks: list[CheckView]
    misconceptions: list[Misconception]
    student_output: str
    grader_log: str
    timings: dict
    version: str
    sandbox_warning: str = ""   # the weak isolation this was graded under ('' when strong)
    arranged: Arrangement = field(default_factory=lambda: Arrangement([], [], [], []))

    @property
    def passed_count(self) -> int:
        return sum(c.passed for c in self.checks)

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0

    @property
    def failed(self) -> list[CheckView]:
        return [c for c in self.checks if not c.passed]


def load_results(path: Path) -> dict:
    """Read a results.json back, with an error that names the file when it is not one nngrade wrote."""
    try:
        results = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read it ({exc.strerror})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsError(f"{path}: not valid JSON ({exc}); re-grade this submission") from None
    if not isinstance(results, dict) or not isinstance(results.get("tests"), list) or "score" not in results:
        raise ResultsError(f"{path}: not an nngrade results.json (no 'score' and 'tests'); re-grade this submission")
    for i, test in enumerate(results["tests"]):
        missing = [k for k in ("name", "score", "max_score", "status") if not isinstance(test, dict) or k not in test]
        if missing:
            raise ResultsError(f"{path}: tests[{i}] lacks {', '.join(missing)}; re-grade this submission")
    return results


def _strip_misconception_lines(output: str, found: list[Misconception]) -> str:
    """The check's own message: its output without the 'Likely mistake' and 'Hint' lines the report shows on
    their own, wherever they are (a notebook's "defined in cell N" line may follow them)."""
    if not found:
        return output
    shown = {line for m in found for line in misconception_lines(m.title, m.explanation, m.hint)}
    return "\n".join(line for line in output.split("\n") if line not in shown).strip("\n")


def _misconceptions(extra: dict) -> dict[str, Misconception]:
    """Each recognised mistake once (results written before one-mistake-charged-once list it once per check)."""
    misconceptions: dict[str, Misconception] = {}
    for entry in extra.get("misconceptions", []):
        if not isinstance(entry, dict) or "id" not in entry:
            continue
        mistake = misconceptions.setdefault(str(entry["id"]), Misconception(
            str(entry["id"]), clean_text(entry.get("title", entry["id"]), NAME_LIMIT),
            clean_text(entry.get("explanation", ""), 1000), clean_text(entry.get("hint", ""), 1000)))
        mistake.checks += [str(name) for name in checks_of(entry)]
        lost = entry.get("points_lost")
        if isinstance(lost, (int, float)) and not isinstance(lost, bool):
            mistake.points_lost = (mistake.points_lost or 0.0) + float(lost)
    return misconceptions


def _check_view(results: dict, test: dict, number: str, detail: dict, found: list[Misconception],
                student_view: bool) -> CheckView:
    name = clean_text(test["name"], NAME_LIMIT)
    passed = test["status"] == "passed"
    tags = test.get("tags") or []
    kind = "" if passed else str(detail.get("kind") or next((t for t in tags if t in KIND_LABELS), "failed"))
    hidden = test.get("visibility", "visible") != "visible"
    details_hidden = student_view and hidden
    artifacts = detail.get("artifacts") if isinstance(detail.get("artifacts"), dict) else {}
    if details_hidden and artifacts.get("student_visible") is not True:
        artifacts = {}
    safe = (results.get("extra_data") or {}).get(HIDDEN_OUTPUTS) == STUDENT_SAFE
    if details_hidden:      # what results.json gives students, or nothing where it predates that rule
        output = (test.get("output") or "") if safe else ""
    else:
        output = full_output(results, number) if hidden else test.get("output") or ""
    redacted = details_hidden and not passed and (not safe or "instructor_output" in detail)
    return CheckView(number, name, check_class(name), float(test["score"]), float(test["max_score"]), passed,
                     kind, KIND_LABELS.get(kind, kind), hidden, details_hidden, redacted,
                     clean_text(_strip_misconception_lines(output, found)), found, artifacts)


def build_view(results: dict, student_view: bool = True) -> ReportView:
    """Everything a report shows, cleaned, decided (what a student may see included) and ordered once."""
    extra = results.get("extra_data") or {}
    by_number = {str(c.get("number")): c for c in extra.get("checks", []) if isinstance(c, dict)}
    misconceptions = _misconceptions(extra)
    checks, classes = [], {}
    for test in results["tests"]:
        number = str(test.get("number", len(checks) + 1))
        found = [m for m in misconceptions.values() if test["name"] in m.checks]
        check = _check_view(results, test, number, by_number.get(number, {}), found, student_view)
        checks.append(check)
        summary = classes.setdefault(check.cls, ClassSummary(check.cls, 0.0, 0.0, 0, 0))
        summary.score += check.score
        summary.max_score += check.max_score
        summary.passed += check.passed
        summary.total += 1
    number_of = {c.name: c.number for c in checks}
    for mistake in misconceptions.values():
        mistake.checks = [number_of[n] for n in dict.fromkeys(mistake.checks) if n in number_of]
    max_score = extra.get("max_score", sum(c.max_score for c in checks))
    arranged = arrange(checks, list(misconceptions.values()))
    return ReportView(
        title=clean_text(extra.get("title") or extra.get("assignment") or "Assignment", NAME_LIMIT),
        score=float(results["score"]), max_score=float(max_score), student_view=student_view,
        notes=[clean_text(n, 1000) for n in extra.get("notes", [])],
        classes=list(classes.values()), checks=checks, misconceptions=arranged.mistakes,
        student_output="" if student_view else clean_text(extra.get("student_output", "")),
        grader_log="" if student_view else clean_text(extra.get("grader_log", "")),
        timings=extra.get("timings") if isinstance(extra.get("timings"), dict) else {},
        version=clean_text(extra.get("nngrade_version", ""), 40),
        sandbox_warning=clean_text(weak_sandbox_note(extra), 1500), arranged=arranged)
