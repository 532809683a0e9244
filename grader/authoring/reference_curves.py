"""Record the reference's learning curves: ``python -m grader.authoring.reference_curves NAME [--seed N]``.

Grades the reference solution of assignment NAME (final grading: every check, hidden ones included, inputs
drawn with ``--seed``, default 0) and writes, for every check that recorded ``artifacts["training"]``, the
reference's loss and metric curves and final score to ``reference/NAME/checks/reference_curves.json``
(see :mod:`grader.engine.reference_curves`, which attaches them to the students' training figures).

Run it again after changing a training check, its task or the reference solution. The file stays on the
instructor's side (``release`` copies only ``.py`` files into the bundle's ``checks/``): hidden checks'
curves never reach students.
"""
from __future__ import annotations

import argparse
import json
import sys

from grader.core.assignment import Assignment, AssignmentError, find_assignment
from grader.engine.grade import grade
from grader.engine.reference_curves import CURVES_FILE

KEPT = ("loss", "val_loss", "metric", "final")


def reference_curves(assignment: Assignment, seed: int = 0) -> dict:
    """{check name: the reference's curves} from grading the reference solution with ``seed``."""
    if not assignment.has_reference:
        raise AssignmentError(f"{assignment.root} has no reference solution: record the curves in the reference "
                              "assignment (reference/NAME), not in a student bundle")
    results = grade(assignment, assignment.solution_dir, seed=seed, allow_weak_sandbox=True)
    curves = {}
    for test, check in zip(results["tests"], results["extra_data"]["checks"]):
        record = check.get("artifacts", {}).get("training")
        if isinstance(record, dict):
            curves[test["name"]] = {key: _rounded(record[key]) for key in KEPT if key in record}
    return curves


def _rounded(value):
    """Five significant digits: plenty for a figure, and the file's diffs stay readable."""
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return float(f"{value:.5g}") if isinstance(value, float) else value


def write_reference_curves(assignment: Assignment, seed: int = 0) -> int:
    """Write the curves file; returns how many checks it covers."""
    curves = reference_curves(assignment, seed)
    about = (f"The reference solution's learning curves, recorded with seed {seed} by "
             f"`python -m grader.authoring.reference_curves {assignment.name}`; do not edit by hand.")
    lines = [f" {json.dumps(name)}: {json.dumps(curve, sort_keys=True)}" for name, curve in sorted(curves.items())]
    text = (f'{{"about": {json.dumps(about)},\n "seed": {seed},\n "curves": {{\n' + ",\n".join(lines) + "\n}}\n")
    json.loads(text)  # one check per line keeps diffs small; make sure it is still JSON
    (assignment.checks_dir / CURVES_FILE).write_text(text, encoding="utf-8")
    return len(curves)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.authoring.reference_curves",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("assignment", help="the assignment's name (numpy_nn) or folder")
    parser.add_argument("--seed", type=int, default=0, help="the seed the reference's inputs are drawn with")
    args = parser.parse_args(argv)
    try:
        assignment = find_assignment(args.assignment)
        count = write_reference_curves(assignment, args.seed)
    except AssignmentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Recorded the reference's curves of {count} training checks in {assignment.checks_dir / CURVES_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
