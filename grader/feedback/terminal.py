"""What ``nngrade check`` prints: the student's self-check in the terminal, or as JSON for tools.

Built from the results dict alone (through :func:`grader.feedback.view.build_view`, so the terminal says what
the reports say): the passed checks one line each, then the failed checks set apart, each with its whole
message, the recognised mistake's explanation and hint (explained once; a later check refers back to it), then
a summary line and what final grading adds (the hidden checks' count and points, never their names).
Rich wraps every line to the terminal's width (``COLUMNS`` where there is no terminal).

Check numbers are the results' own ``number``: public check files run first at final grading too
(:meth:`grader.core.assignment.Assignment.check_files`), so "check 16" here is check 16 of the final report.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from rich.console import Console, Group
from rich.padding import Padding
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from grader.feedback.findings import group_failures
from grader.feedback.view import CheckView, build_view, clean_text, fmt_points

#: artifact keys that steer the report's pictures, not evidence a student reads
_LAYOUT_KEYS = {"student_visible", "class_names", "extent", "point_labels"}
EVIDENCE_CHARS = 600
INDENT = 5


@dataclass(frozen=True)
class HiddenChecks:
    """What final grading adds to the self-check: how many hidden checks and their points (no names)."""

    checks: int
    points: float


def _rounded(value):
    """Numbers to 4 significant digits, in nested lists and dicts too (evidence is read, not computed with)."""
    if isinstance(value, float):
        return float(f"{value:.4g}")
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def evidence_lines(artifacts: dict) -> list[str]:
    """``name: value`` per artifact (numbers, text, arrays written out and shortened), for ``--verbose``."""
    lines = []
    for key, value in (artifacts or {}).items():
        if key in _LAYOUT_KEYS:
            continue
        text = value if isinstance(value, str) else json.dumps(_rounded(value), separators=(", ", ": "), default=str)
        lines.append(f"{clean_text(key, 100)}: {clean_text(text, EVIDENCE_CHARS)}")
    return lines


def results_for_tools(results: dict, hidden: HiddenChecks | None) -> dict:
    """The ``--json`` document: the public checks as in results.json (number, name, score, max_score, status),
    plus ``kind``, the ``message`` without the mistake lines, the recognised ``misconceptions`` (id, title,
    explanation, hint) and ``artifacts``; ``score``/``max_score`` of the public checks, and ``hidden``
    (``{"checks", "points"}`` final grading adds, or null when unknown)."""
    view = build_view(results)
    by_number = {str(t.get("number")): t for t in results["tests"]}
    tests = []
    for check in view.checks:
        if check.hidden:
            continue
        tests.append({"number": check.number, "name": check.name, "score": check.score,
                      "max_score": check.max_score, "status": by_number[check.number]["status"],
                      "kind": check.kind, "message": check.message,
                      "misconceptions": [{"id": m.id, "title": m.title, "explanation": m.explanation, "hint": m.hint}
                                         for m in check.misconceptions],
                      "artifacts": check.artifacts})
    extra = results.get("extra_data") or {}
    return {"assignment": extra.get("assignment"), "title": view.title, "score": sum(t["score"] for t in tests),
            "max_score": sum(t["max_score"] for t in tests), "passed": sum(t["status"] == "passed" for t in tests),
            "failed": sum(t["status"] != "passed" for t in tests), "notes": view.notes,
            "hidden": None if hidden is None else {"checks": hidden.checks, "points": hidden.points},
            "tests": tests}


def _headings(checks: list[CheckView]) -> Table:
    """One row per check: status, number, name (wrapped under itself), points."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(justify="right", no_wrap=True)
    grid.add_column(ratio=1)
    grid.add_column(no_wrap=True)
    for check in checks:
        mark = Text("passed", "green") if check.passed else Text("FAILED", "bold red")
        name = Text(check.name)
        if check.kind and check.kind != "failed":
            name.append(f" ({check.kind_label})", style="red")
        grid.add_row(mark, Text(check.number, "bold"), name,
                     Text(f"{fmt_points(check.score)}/{fmt_points(check.max_score)}", "bold"))
    return grid


def _failure(checks: list[CheckView], seen_messages: dict[str, str], explained: dict[str, str],
             verbose: bool) -> Group:
    """Failed checks with one message: their names, the message (or a pointer to the check with the same one),
    mistakes and hints (explained once), and with ``verbose`` each check's evidence."""
    first, body = checks[0], []
    if first.message and first.message in seen_messages:
        body.append(Text(f"The same message as check {seen_messages[first.message]}.", style="dim"))
    elif first.message:
        seen_messages[first.message] = first.number
        body.append(Text(first.message))
    for mistake in first.misconceptions:
        if mistake.id in explained:
            body.append(Text.assemble(("Likely mistake: ", "bold yellow"), mistake.title,
                                      (f" (explained at check {explained[mistake.id]})", "dim")))
            continue
        explained[mistake.id] = first.number
        body.append(Text.assemble(("Likely mistake: ", "bold yellow"), (mistake.title, "bold"), ". ",
                                  mistake.explanation))
        if mistake.hint:
            body.append(Text.assemble(("Hint: ", "bold cyan"), mistake.hint))
    for check in checks if verbose else []:
        evidence = evidence_lines(check.artifacts)
        if evidence:
            body += [Text(f"Evidence (check {check.number}):", style="bold")]
            body += [Text(line, style="dim") for line in evidence]
    return Group(_headings(checks), Padding(Group(*body), (0, 0, 1, INDENT), expand=False))


def _summary(view_checks: list[CheckView], hidden: HiddenChecks | None) -> list[Text]:
    score = sum(c.score for c in view_checks)
    top = sum(c.max_score for c in view_checks)
    failed = sum(not c.passed for c in view_checks)
    lines = [Text(f"Score on the public checks: {fmt_points(score)} / {fmt_points(top)} "
                  f"({len(view_checks) - failed} passed, {failed} failed).", style="bold")]
    if hidden is None:
        lines.append(Text("Final grading may add hidden checks, not run here."))
    elif hidden.checks:
        lines.append(Text(f"Final grading adds {hidden.checks} hidden check(s) worth {fmt_points(hidden.points)} "
                          f"point(s) (not run here), and draws fresh inputs for these public checks."))
    return lines


def print_check(results: dict, console: Console, hidden: HiddenChecks | None, verbose: bool = False) -> None:
    """The self-check in the terminal: passed checks one line each, failed checks with their whole message,
    mistake and hint (and with ``verbose`` the evidence), notes, then the summary."""
    view = build_view(results)
    checks = [c for c in view.checks if not c.hidden]
    passed = [c for c in checks if c.passed]
    failed = [c for c in checks if not c.passed]
    if passed:
        console.print(Rule(f"Passed ({len(passed)})", align="left", style="green"))
        console.print(_headings(passed))
        for check in passed:
            if check.message:  # passed thanks to the grader's stand-ins: where it was charged instead
                console.print(Padding(Text(f"check {check.number}: {check.message}", "dim"), (0, 0, 0, INDENT),
                                      expand=False))
    if failed:
        console.print(Rule(f"Failed ({len(failed)}): fix these", align="left", style="red"))
        seen_messages: dict[str, str] = {}
        explained: dict[str, str] = {}
        for group in group_failures(failed):   # as the report groups them: one message, printed once
            console.print(_failure(group.checks, seen_messages, explained, verbose))
    for note in view.notes:
        console.print(Text.assemble(("Note: ", "yellow"), note))
    console.print(Rule(style="dim"))
    for line in _summary(checks, hidden):
        console.print(line)
