"""results.json in Gradescope's autograder schema (CONTRACT §2), built by trusted code only."""
from __future__ import annotations

import json
import os
import platform
import tempfile
from pathlib import Path

from grader import __version__
from grader.assignment import Assignment
from grader.load import Staged
from grader.mistakes import Catalogue
from grader.plugin import CheckResult

MAX_OUTPUT_CHARS = 4000
KIND_LABELS = {"timeout": "timed out", "crash": "crashed", "memory": "ran out of memory",
               "import": "could not import your code", "grader": "grader error", "error": "your code raised an error"}


def misconception_lines(title: str, explanation: str, hint: str) -> list[str]:
    """How a recognised mistake reads in a test's output (the reports find and restyle exactly these lines)."""
    lines = [f"Likely mistake: {title}. {explanation}".rstrip()]
    if hint:
        lines.append(f"Hint: {hint}")
    return lines


def _test_entry(number: int, result: CheckResult, catalogue: Catalogue) -> dict:
    lines = [result.message] if result.message else []
    for mistake_id in result.misconceptions:
        mistake = catalogue.get(mistake_id)
        if mistake:
            lines += misconception_lines(mistake.title, mistake.explanation, mistake.hint)
    output = "\n".join(lines)
    if len(output) > MAX_OUTPUT_CHARS:
        output = output[:MAX_OUTPUT_CHARS] + "\n… (truncated)"
    return {
        "name": result.name,
        "number": str(number),
        "score": result.points if result.passed else 0.0,
        "max_score": result.points,
        "status": "passed" if result.passed else "failed",
        "output": output,
        "visibility": "after_published" if result.hidden else "visible",
        "tags": [result.cls] + ([result.kind] if result.kind else []),
    }


def build_results(assignment: Assignment, results: list[CheckResult], staged: Staged, timings: dict,
                  catalogue: Catalogue, output_tail: str = "", import_errors: dict | None = None,
                  grader_log: str = "") -> dict:
    tests = [_test_entry(i, r, catalogue) for i, r in enumerate(results, start=1)]
    misconceptions = []
    for test, result in zip(tests, results):
        for mistake_id in result.misconceptions:
            mistake = catalogue.get(mistake_id)
            misconceptions.append({"id": mistake_id, "title": mistake.title if mistake else mistake_id,
                                   "check": test["name"], "explanation": mistake.explanation if mistake else "",
                                   "hint": mistake.hint if mistake else ""})
    notes = list(staged.notes)
    if staged.fatal:
        notes.insert(0, staged.fatal)
    for module, message in sorted((import_errors or {}).items()):
        if message not in notes:
            notes.append(message)
    score = round(sum(t["score"] for t in tests), 4)
    max_score = sum(t["max_score"] for t in tests)
    summary = f"{assignment.title}: {score:g} / {max_score:g} points."
    output = "\n".join([summary] + [f"- {n}" for n in notes])
    return {
        "score": score,
        "execution_time": timings.get("total_seconds", 0.0),
        "output": output[:MAX_OUTPUT_CHARS],
        "tests": tests,
        "extra_data": {
            "assignment": assignment.name,
            "title": assignment.title,
            "max_score": max_score,
            "misconceptions": misconceptions,
            "notes": notes,
            "checks": [{"number": t["number"], "nodeid": r.nodeid, "kind": r.kind, "seconds": round(r.seconds, 3),
                        "hidden": r.hidden, "artifacts": r.artifacts} for t, r in zip(tests, results)],
            "timings": timings,
            "device": "cpu",
            "student_output": output_tail[-MAX_OUTPUT_CHARS:],
            "grader_log": grader_log[-MAX_OUTPUT_CHARS:],
            "nngrade_version": __version__,
            "python": platform.python_version(),
        },
    }


def write_json_atomic(path: Path, data: dict) -> None:
    """Write then rename, so a reader never sees half a results.json."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
