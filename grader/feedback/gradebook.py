"""gradebook.csv and misconceptions.csv: plain CSV (one header row, no formulas) for spreadsheets and LMS imports.

gradebook.csv, one row per student; its first columns are those of earlier versions, so imports keep working:
``student_id``, one per check (its name; a name that occurs twice in one submission gets `` (#number)`` added),
``total`` and ``max``; ``sandbox`` (the level and its warning, or ``strong``) when some submission was graded
with weak isolation. Then ``status`` (graded / import error / not attempted / grader error: see
:mod:`grader.feedback.standing`), ``percentage`` (total / max × 100, two decimals) and one column per mistake
recognised in the class, ``mistake: <id>`` (1 when the student made it, else 0), most frequent first. A check's
cell is empty when that submission has no such check.

misconceptions.csv, one row per (student, recognised mistake): ``student_id``, ``mistake_id``, ``title``,
``points_lost`` (what the mistake cost that student, charged once).

Student ids and names are student- or author-controlled: a text cell a spreadsheet would run as a formula
(starting with = + - @, a tab or a carriage return) gets a leading ``'``.
"""
from __future__ import annotations

import csv
import io
from collections import Counter

from grader.core.schema import weak_sandbox_note
from grader.feedback.classfolder import Batch, max_score_of
from grader.feedback.standing import mistakes_of, standing_of
from grader.feedback.view import clean_text, fmt_points

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SANDBOX_COLUMN = "sandbox"
MISTAKE_COLUMN = "mistake: "


def spreadsheet_safe(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


def _test_columns(results: dict) -> dict[str, float]:
    """{column name: score} for one submission, names made unique within it."""
    counts = Counter(t["name"] for t in results["tests"])
    return {(t["name"] if counts[t["name"]] == 1 else f"{t['name']} (#{t.get('number', i + 1)})"): float(t["score"])
            for i, t in enumerate(results["tests"])}


def percentage(score: float, max_score: float) -> str:
    return f"{100 * score / max_score:.2f}" if max_score else ""


def class_mistake_ids(batch: Batch) -> list[str]:
    """The ids of the mistakes recognised in the class, most students first (then by id)."""
    counts = Counter(m.id for s in batch.submissions for m in mistakes_of(s.results))
    return sorted(counts, key=lambda mistake_id: (-counts[mistake_id], mistake_id))


def gradebook_csv(batch: Batch) -> str:
    """The gradebook as CSV text (see the module docstring)."""
    rows = [(s.student, _test_columns(s.results), float(s.results["score"]), max_score_of(s.results), s.results)
            for s in batch.submissions]
    columns = list(dict.fromkeys(name for _, scores, _, _, _ in rows for name in scores))
    # A "sandbox" column only when some submission was graded weak, so a strong batch's gradebook is unchanged.
    weak = {s.student: weak_sandbox_note(s.results.get("extra_data") or {}) for s in batch.submissions}
    sandbox = [SANDBOX_COLUMN] if any(weak.values()) else []
    mistake_ids = class_mistake_ids(batch)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student_id"] + [spreadsheet_safe(clean_text(c, 300)) for c in columns] + ["total", "max"]
                    + sandbox + ["status", "percentage"]
                    + [MISTAKE_COLUMN + m for m in mistake_ids])
    for student, scores, total, max_score, results in rows:
        made = {m.id for m in mistakes_of(results)}
        writer.writerow([spreadsheet_safe(student)] + [fmt_points(scores[c]) if c in scores else "" for c in columns]
                        + [fmt_points(total), fmt_points(max_score)]
                        + ([spreadsheet_safe(clean_text(weak[student] or "strong", 1500))] if sandbox else [])
                        + [standing_of(results).status, percentage(total, max_score)]
                        + ["1" if m in made else "0" for m in mistake_ids])
    return out.getvalue()


def misconceptions_csv(batch: Batch) -> str:
    """misconceptions.csv as text (see the module docstring): by student, each student's costliest mistake first."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student_id", "mistake_id", "title", "points_lost"])
    for submission in batch.submissions:
        for mistake in sorted(mistakes_of(submission.results), key=lambda m: -m.points_lost):
            writer.writerow([spreadsheet_safe(submission.student), spreadsheet_safe(mistake.id),
                             spreadsheet_safe(mistake.title), fmt_points(mistake.points_lost)])
    return out.getvalue()
