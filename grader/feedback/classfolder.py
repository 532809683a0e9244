"""A graded class on disk: ``DIR/<student>/results.json``, one folder per student, read for the class outputs."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.feedback.view import ResultsError, load_results

RESULTS = "results.json"


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


def max_score_of(results: dict) -> float:
    extra = results.get("extra_data") or {}
    return float(extra.get("max_score", sum(float(t["max_score"]) for t in results["tests"])))
