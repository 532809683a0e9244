"""The checks an assignment declares, read from its check files without running them.

What pytest reports is compared against this list: a declared check that never
reported (its file failed to import, pytest stopped early) is a grader error at
0 points, so the maximum score is always the assignment's declared points and
never shrinks with a broken check file.
"""
from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path

from grader.core.assignment import Assignment, AssignmentError
from grader.core.visibility import is_hidden_check_file


@dataclass(frozen=True)
class DeclaredCheck:
    file: str          # the check file's name
    function: str
    name: str
    points: float
    hidden: bool


def _check_marker(function: ast.FunctionDef) -> ast.Call | None:
    for decorator in function.decorator_list:
        if isinstance(decorator, ast.Call) and getattr(decorator.func, "attr", getattr(decorator.func, "id", "")) == "check":
            return decorator
    return None


def _literal(node: ast.expr | None, default, path: Path, function: str, what: str):
    if node is None:
        return default
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise AssignmentError(f"{path}: the {what} of check {function} must be written out as a literal "
                              "(the grader reads it without running the file)") from None


def _declared_in(path: Path, assignment: Assignment) -> list[DeclaredCheck]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    except SyntaxError as exc:
        raise AssignmentError(f"{path}: not valid Python (line {exc.lineno}: {exc.msg})") from None
    hidden = is_hidden_check_file(path)
    found = []
    for node in tree.body:
        marker = _check_marker(node) if isinstance(node, ast.FunctionDef) else None
        if marker is None:
            continue
        keywords = {k.arg: k.value for k in marker.keywords}
        name = _literal(marker.args[0] if marker.args else keywords.get("name"), node.name, path, node.name, "name")
        points = _literal(keywords.get("points"), 1, path, node.name, "points")
        points = assignment.points.get(node.name, points)
        found.append(DeclaredCheck(path.name, node.name, str(name), float(points), hidden))
    return found


def declared_checks(assignment: Assignment, files: list[Path] | None = None) -> list[DeclaredCheck]:
    """Every check of ``files`` (default: all the assignment's check files), in the order they run."""
    files = assignment.check_files() if files is None else files
    return [check for path in files for check in _declared_in(path, assignment)]


def count_points(assignment: Assignment) -> tuple[int, int, float]:
    """(public checks, hidden checks, total points)."""
    checks = declared_checks(assignment)
    hidden = sum(c.hidden for c in checks)
    return len(checks) - hidden, hidden, sum(c.points for c in checks)


#: In a student bundle (no hidden check files), what final grading adds: ``{"checks": N, "points": P}``,
#: written by ``nngrade release`` (counts only: no name, input or expected value of a hidden check).
HIDDEN_SUMMARY_FILE = "hidden_checks.json"


def hidden_checks_summary(assignment: Assignment) -> tuple[int, float] | None:
    """(hidden checks, their points): counted from the hidden check files where they are (the course's
    reference), else read from the bundle's ``checks/hidden_checks.json``; None when neither says."""
    checks = [c for c in declared_checks(assignment) if c.hidden]
    if checks:
        return len(checks), sum(c.points for c in checks)
    path = assignment.checks_dir / HIDDEN_SUMMARY_FILE
    if not path.is_file():
        return None
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
        return int(summary["checks"]), float(summary["points"])
    except (ValueError, KeyError, TypeError) as exc:
        raise AssignmentError(f"{path}: not a hidden-checks summary ({exc}); run `nngrade release` again "
                              "or delete the file") from None
