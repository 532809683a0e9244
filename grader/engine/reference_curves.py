"""Reference learning curves: what a training check's figure draws next to the student's run.

``checks/reference_curves.json`` (in the reference assignment, never in the student bundle: ``release``
copies only ``.py`` files into ``checks/``) holds, per training check name, the reference solution's loss
and metric curves and final score, recorded once by trusted code: ``python -m grader.authoring.reference_curves
NAME`` grades the reference through the same checks and probes and keeps what they recorded. Inputs are drawn
anew at every grading, so the report labels it "reference (typical run)".

:func:`attach_reference_curves` adds the matching entry to each check's ``artifacts["training"]`` after
the checks ran; a missing file means no reference curve (a student bundle, or curves not recorded yet).
"""
from __future__ import annotations

import json

from grader.core.assignment import Assignment, AssignmentError
from grader.core.types import CheckResult

CURVES_FILE = "reference_curves.json"
REGENERATE = "python -m grader.authoring.reference_curves {name}"


def load_reference_curves(assignment: Assignment) -> dict:
    """{check name: {"loss": [...], "metric": [...], "final": x}} from the assignment's curves file ({} if none)."""
    path = assignment.checks_dir / CURVES_FILE
    if not path.is_file():
        return {}
    fix = f"regenerate it with `{REGENERATE.format(name=assignment.name)}`"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AssignmentError(f"{path}: cannot read it ({exc}); {fix}") from None
    curves = data.get("curves") if isinstance(data, dict) else None
    if not isinstance(curves, dict) or not all(isinstance(c, dict) for c in curves.values()):
        raise AssignmentError(f"{path}: expected {{\"curves\": {{check name: {{...}}}}}}; {fix}")
    return curves


def attach_reference_curves(assignment: Assignment, results: list[CheckResult]) -> None:
    """Put the reference's recorded curves into each training check's ``artifacts["training"]["reference"]``."""
    curves = load_reference_curves(assignment)
    for result in results:
        record = result.artifacts.get("training")
        if isinstance(record, dict) and result.name in curves:
            record["reference"] = curves[result.name]
