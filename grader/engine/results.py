"""results.json in Gradescope's autograder schema (CONTRACT §2), built by trusted code only.

A failed hidden check's ``tests[].output`` holds only what its students may see (Gradescope shows it once grades
are published): its recognised mistakes and what it concerns. Its whole message is kept for instructors in
``extra_data.checks[i].instructor_output`` (see :func:`grader.core.schema.full_output`)."""
from __future__ import annotations

import platform

from grader import __version__
from grader.checks.mistakes import Catalogue
from grader.core.assignment import Assignment
from grader.core.schema import (
    HIDDEN_OUTPUTS,
    HIDDEN_SAFE_KINDS,
    MAX_OUTPUT_CHARS,
    STUDENT_SAFE,
    hidden_check_lines,
    misconception_lines,
    shorten,
)
from grader.core.types import CheckResult, Staged
from grader.engine import costs


def _outputs(result: CheckResult, catalogue: Catalogue) -> tuple[str, str]:
    """(what students see, the whole message): the same text, except for a failed hidden check, whose students
    see only its recognised mistakes and what it concerns (its message would show its inputs and expected
    values), unless it failed for a reason that is about the submission's files or the grader."""
    mistakes = []
    for mistake_id in result.misconceptions:
        mistake = catalogue.get(mistake_id)
        if mistake:
            mistakes += misconception_lines(mistake.title, mistake.explanation, mistake.hint)
    message = shorten(result.message, max(MAX_OUTPUT_CHARS - sum(len(line) + 1 for line in mistakes), 500))
    full = "\n".join(([message] if message else []) + mistakes)
    if not result.hidden or result.passed or result.kind in HIDDEN_SAFE_KINDS:
        return full, full
    return "\n".join(mistakes + hidden_check_lines(result.name, result.kind)), full


def _test_entry(number: int, result: CheckResult, catalogue: Catalogue) -> tuple[dict, str]:
    output, full = _outputs(result, catalogue)
    entry = {
        "name": result.name,
        "number": str(number),
        "score": result.points if result.passed else 0.0,
        "max_score": result.points,
        "status": "passed" if result.passed else "failed",
        "output": output,
        "visibility": "after_published" if result.hidden else "visible",
        "tags": [result.cls] + ([result.kind] if result.kind else []) + (
            ["charged-elsewhere"] if result.cascade.get("passed") else []),
    }
    return entry, full


def _check_entry(test: dict, full_output: str, result: CheckResult) -> dict:
    entry = {"number": test["number"], "nodeid": result.nodeid, "kind": result.kind,
             "seconds": round(result.seconds, 3), "hidden": result.hidden, "artifacts": result.artifacts}
    if full_output != test["output"]:   # instructors only: what a hidden check's output leaves out
        entry["instructor_output"] = full_output
    if result.cascade:   # one mistake, charged once: re-run (or, under charge-all, not) with stand-ins for these parts
        entry["cascade"] = dict(result.cascade)
    if result.served:
        entry["standins"] = sorted(result.served)
    return entry


def device_used(results: list[CheckResult]) -> str:
    """Where the student's code ran its training: the device a check recorded (cnn's training checks record the
    one torch chose), "cuda" when any check trained there, else "cpu"."""
    recorded = [r.artifacts.get("device") for r in results if isinstance(r.artifacts, dict)]
    return "cuda" if any(str(device).startswith("cuda") for device in recorded if device) else "cpu"


def build_results(assignment: Assignment, results: list[CheckResult], staged: Staged, timings: dict,
                  catalogue: Catalogue, output_tail: str = "", import_errors: dict | None = None,
                  grader_log: str = "") -> dict:
    entries = [_test_entry(i, r, catalogue) for i, r in enumerate(results, start=1)]
    tests = [test for test, _ in entries]
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
        "output": shorten(output, MAX_OUTPUT_CHARS),
        "tests": tests,
        "extra_data": {
            "assignment": assignment.name,
            "title": assignment.title,
            "max_score": max_score,
            "grader_errors": sum(r.kind == "grader" for r in results),
            "misconceptions": costs.misconceptions(tests, results, catalogue),
            "root_causes": costs.root_causes(tests, results),
            "notes": notes,
            "checks": [_check_entry(t, full, r) for (t, full), r in zip(entries, results)],
            HIDDEN_OUTPUTS: STUDENT_SAFE,
            "timings": timings,
            "device": device_used(results),
            "student_output": output_tail[-MAX_OUTPUT_CHARS:],
            "grader_log": grader_log[-MAX_OUTPUT_CHARS:],
            "nngrade_version": __version__,
            "python": platform.python_version(),
        },
    }
