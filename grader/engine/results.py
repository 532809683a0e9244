"""results.json in Gradescope's autograder schema (CONTRACT §2), built by trusted code only."""
from __future__ import annotations

import platform

from grader import __version__
from grader.checks.mistakes import Catalogue
from grader.core.assignment import Assignment
from grader.core.schema import MAX_OUTPUT_CHARS, misconception_lines
from grader.core.types import CheckResult, Staged
from grader.engine import costs


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
        "tags": [result.cls] + ([result.kind] if result.kind else []) + (
            ["charged-elsewhere"] if result.cascade.get("passed") else []),
    }


def _check_entry(test: dict, result: CheckResult) -> dict:
    entry = {"number": test["number"], "nodeid": result.nodeid, "kind": result.kind,
             "seconds": round(result.seconds, 3), "hidden": result.hidden, "artifacts": result.artifacts}
    if result.cascade:   # one mistake, charged once: re-run (or, under charge-all, not) with stand-ins for these parts
        entry["cascade"] = dict(result.cascade)
    if result.served:
        entry["standins"] = sorted(result.served)
    return entry


def build_results(assignment: Assignment, results: list[CheckResult], staged: Staged, timings: dict,
                  catalogue: Catalogue, output_tail: str = "", import_errors: dict | None = None,
                  grader_log: str = "") -> dict:
    tests = [_test_entry(i, r, catalogue) for i, r in enumerate(results, start=1)]
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
            "grader_errors": sum(r.kind == "grader" for r in results),
            "misconceptions": costs.misconceptions(tests, results, catalogue),
            "root_causes": costs.root_causes(tests, results),
            "notes": notes,
            "checks": [_check_entry(t, r) for t, r in zip(tests, results)],
            "timings": timings,
            "device": "cpu",
            "student_output": output_tail[-MAX_OUTPUT_CHARS:],
            "grader_log": grader_log[-MAX_OUTPUT_CHARS:],
            "nngrade_version": __version__,
            "python": platform.python_version(),
        },
    }
