"""``nngrade demo``: grade the sample class shipped in ``samples/`` and say where the reports are."""
from __future__ import annotations

from pathlib import Path

from grader.batch.progress import BatchProgress
from grader.batch.run import grade_batch
from grader.core import assignment as assignments
from grader.core.paths import course_root


def samples_dir(name: str) -> Path:
    return course_root() / "samples" / name


def run_demo(console, name: str = "numpy_nn", out: Path | None = None, workers: int | None = None,
             allow_weak_sandbox: bool = False) -> Path:
    assignment = assignments.find_assignment(name)
    submissions = samples_dir(name)
    if not submissions.is_dir():
        raise assignments.AssignmentError(f"{submissions} not found: the demo needs the sample submissions of {name}")
    out = Path(out or Path.cwd() / "nngrade-demo" / name).resolve()
    console.print(f"Grading the sample class of [bold]{name}[/] ({submissions}) into {out}")
    with BatchProgress(console) as progress:
        report = grade_batch(assignment, submissions, out, workers=workers, regrade=True, progress=progress,
                             allow_weak_sandbox=allow_weak_sandbox)
    for student, summary in sorted(report.graded.items()):
        console.print(f"  {student:12} {summary['score']:g} / {summary['max_score']:g}"
                      + (f"  ({summary['problem']})" if summary.get("problem") else ""))
    console.print(f"Student reports: {out}/<student>/report.html (and report.md, results.json)")
    console.print(f"Your view:       {out}/<student>/instructor-report.html (hidden checks' details included)")
    console.print(f"Class summary:   {out}/summary.html")
    console.print(f"Gradebook:       {out}/gradebook.csv (and misconceptions.csv)")
    return out
