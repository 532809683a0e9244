"""``gradebook.csv`` for a batch folder: one row per student, one column per check, then the total.

Read from the stored ``OUT/<student>/results.json`` files only, so it can be
rebuilt at any time without grading. A check's column holds the points the
student earned on it; a student graded against an older set of checks has an
empty cell for a check they were not graded on.
"""
from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

GRADEBOOK = "gradebook.csv"


def stored_results(batch_dir: Path) -> dict[str, dict]:
    """student -> results, for every ``batch_dir/<student>/results.json`` (hidden folders skipped)."""
    found = {}
    for path in sorted(Path(batch_dir).glob("*/results.json")):
        if not path.parent.name.startswith("."):
            found[path.parent.name] = json.loads(path.read_text(encoding="utf-8"))
    return found


def write_gradebook(batch_dir: Path) -> list[Path]:
    """Write ``batch_dir/gradebook.csv`` (atomically); returns the files written."""
    batch_dir = Path(batch_dir)
    results = stored_results(batch_dir)
    checks: list[str] = []
    for student_results in results.values():
        for test in student_results.get("tests", []):
            if test["name"] not in checks:
                checks.append(test["name"])
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["student", *map(_cell, checks), "total", "max_score"])
    for student, student_results in results.items():
        earned = {t["name"]: t["score"] for t in student_results.get("tests", [])}
        max_score = student_results.get("extra_data", {}).get("max_score",
                                                              sum(t["max_score"] for t in student_results.get("tests", [])))
        writer.writerow([_cell(student), *(_number(earned.get(c)) for c in checks), _number(student_results["score"]),
                         _number(max_score)])
    target = batch_dir / GRADEBOOK
    fd, tmp = tempfile.mkstemp(dir=batch_dir, prefix=".tmp-", suffix=".csv")
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        handle.write(buffer.getvalue())
    os.replace(tmp, target)
    return [target]


def _cell(text: str) -> str:
    """Text a spreadsheet will not run as a formula (a student id comes from a file name)."""
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


def _number(value) -> str:
    return "" if value is None else f"{value:g}"
