"""The ``nngrade`` command (CONTRACT §1). Exit status: 0 when grading ran, 2 usage error, 1 grader failure."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from grader.cli_course import init, new
from grader.cli_options import (
    checked_out,
    checked_writable_folder,
    course_variable,
    own_course,
)
from grader.core import assignment as assignments
from grader.core.assignment import AssignmentError
from grader.core.course import CourseError, course_name
from grader.core.paths import COURSE_VARIABLE, course_root, find_course
from grader.core.schema import shorten

console = Console(highlight=False)


def _load(name: str):
    try:
        return assignments.find_assignment(name)
    except AssignmentError as exc:
        raise click.UsageError(str(exc)) from None


class _Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (AssignmentError, CourseError) as exc:  # a broken course file is the user's to fix
            raise click.UsageError(str(exc)) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nngrade")
@click.option("--course", type=click.Path(path_type=Path, exists=True, file_okay=False),
              help=f"The course folder (course.toml, reference/, assignments/, samples/, templates/) [default: "
                   f"${COURSE_VARIABLE}, else the nearest folder holding a course.toml, here or above, else the "
                   "built-in course].")
@click.pass_context
def main(ctx, course):
    """Exercises and trustworthy grading for a neural-networks course."""
    if ctx.invoked_subcommand == "init":  # it makes a course; it uses none
        return
    if course is not None:
        ctx.with_resource(course_variable(course.resolve()))
    choice = find_course()
    ctx.with_resource(course_variable(choice.root))
    click.echo(f"course: {course_name(choice.root)}, {choice.root} ({choice.reason})", err=True)


main.add_command(init)
main.add_command(new)


def _exit_on_grader_errors(results: dict) -> None:
    """Exit 1 when the grader itself failed on a check (CONTRACT §1): the results say so, a re-run may not."""
    errors = results["extra_data"].get("grader_errors", 0)
    if errors:
        console.print(f"[red]The grader failed on {errors} check(s)[/] (not the submission's fault); "
                      "results.json holds the log. Grade it again, or tell the course staff.")
        sys.exit(1)


_ALLOW_WEAK_HELP = ("Grade even where student code cannot be strongly isolated on this machine (it could read the "
                    "course and reach the network); the reports and the gradebook then say so.")


def _announce_sandbox(a, allow_weak: bool = False, self_check: bool = False, cheap: bool = False) -> None:
    """Print the isolation level first; stop when final grading would run below a strong level unless allowed."""
    from grader.engine.sandbox_policy import (
        WeakSandboxRefused,
        describe,
        refusal,
        sandbox_of,
    )

    try:
        sandbox = sandbox_of(a, cheap=cheap)
    except WeakSandboxRefused as exc:
        raise click.ClickException(str(exc)) from None
    console.print(describe(sandbox, self_check, allow_weak), style=None if sandbox["strong"] or self_check else "yellow",
                  markup=False, soft_wrap=True)
    if not (sandbox["strong"] or self_check or allow_weak):
        raise click.ClickException(refusal(sandbox))


@main.command("list")
def list_command():
    """The assignments available, with their points."""
    from grader.engine.declared import count_points

    names = assignments.available()
    if not names:
        console.print(f"No assignments: {course_root()} is not a course folder (it has no reference/ or "
                      f"assignments/). Name yours with --course DIR or {COURSE_VARIABLE}.", soft_wrap=True)
        return
    table = Table("assignment", "title", "points", "checks (public/hidden)")
    for name in names:
        a = assignments.find_assignment(name)
        public, hidden, points = count_points(a)
        table.add_row(name, a.title, f"{points:g}", f"{public}/{hidden}")
    console.print(table)


@main.command()
@click.argument("assignment")
@click.option("--out", type=click.Path(path_type=Path), callback=checked_out("folder"),
              help="Where to write the bundle (default assignments/NAME).")
def release(assignment, out):
    """Build the student bundle from reference/ASSIGNMENT."""
    from grader.authoring.release import release as do_release

    a = _load(assignment)
    target = out or own_course() / "assignments" / a.name
    do_release(a, target)
    console.print(f"Released {a.name} to {target}")


def _print_results(results: dict, show_hidden: bool) -> None:
    table = Table("#", "check", "points", "status", "message", show_lines=False)
    for test in results["tests"]:
        if not show_hidden and test["visibility"] != "visible":
            continue
        ok = test["status"] == "passed"
        # the first line, whole words only (the full text is in report.md); student text: no markup
        message = escape(shorten(test["output"].splitlines()[0], 160)) if test["output"] else ""
        table.add_row(test["number"], test["name"], f"{test['score']:g}/{test['max_score']:g}",
                      "[green]passed[/]" if ok else "[red]failed[/]", message)
    console.print(table)
    extra = results["extra_data"]
    for note in extra.get("notes", []):
        console.print(f"[yellow]note:[/] {escape(note)}")
    console.print(f"[bold]score: {results['score']:g} / {extra['max_score']:g}[/]")


@main.command()
@click.argument("assignment")
@click.argument("submission", required=False, type=click.Path(path_type=Path))
@click.option("--verbose", "-v", is_flag=True, help="Also show each failed check's evidence (arrays, values).")
@click.option("--json", "as_json", is_flag=True,
              help="Print the results as JSON for tools (see grader/feedback/terminal.py), and nothing else on stdout.")
def check(assignment, submission, verbose, as_json):
    """Student self-check: the public checks, failed ones with their whole message, likely mistake and hint."""
    import contextlib
    import json

    from grader.engine.declared import hidden_checks_summary
    from grader.engine.grade import grade
    from grader.feedback.terminal import HiddenChecks, print_check, results_for_tools

    a = _load(assignment)
    submission = submission or Path.cwd()
    if not submission.exists():
        raise click.UsageError(f"{submission} does not exist")
    counted = hidden_checks_summary(a)
    hidden = HiddenChecks(*counted) if counted else None
    # With --json, stdout carries the document only: the sandbox line and any error go to stderr.
    with contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext():
        _announce_sandbox(a, self_check=True)
        results = grade(a, submission, public_only=True)
        if not as_json:
            print_check(results, console, hidden, verbose=verbose)
    if as_json:
        click.echo(json.dumps(results_for_tools(results, hidden), indent=1))
    with contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext():
        _exit_on_grader_errors(results)


@main.command()
@click.argument("assignment")
@click.argument("submission", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), callback=checked_out("folder"),
              help="Folder for results.json and the reports.")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Draw the checks' inputs with this seed (the extra_data.seed of a results.json reproduces its "
                   "grading) [default: a new random one; 0 is the self-check's inputs].")
@click.option("--allow-weak-sandbox", is_flag=True, help=_ALLOW_WEAK_HELP)
def grade(assignment, submission, out, seed, allow_weak_sandbox):
    """Grade one submission into OUT."""
    from grader.engine.grade import grade as do_grade
    from grader.engine.sandbox_policy import WeakSandboxRefused
    from grader.feedback.files import write_reports

    a = _load(assignment)
    if not submission.exists():
        raise click.UsageError(f"{submission} does not exist")
    _announce_sandbox(a, allow_weak_sandbox)
    try:
        results = do_grade(a, submission, seed=seed, allow_weak_sandbox=allow_weak_sandbox)
    except WeakSandboxRefused as exc:
        raise click.ClickException(str(exc)) from None
    write_reports(results, out)
    _print_results(results, show_hidden=True)
    console.print(f"Results in {out}/results.json, report in {out}/report.md; inputs drawn with seed "
                  f"{results['extra_data']['seed']} (--seed {results['extra_data']['seed']} draws them again)")
    _exit_on_grader_errors(results)


@main.command("grade-batch")
@click.argument("assignment")
@click.argument("submissions", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--out", required=True, type=click.Path(path_type=Path), callback=checked_out("folder"),
              help="Folder for OUT/<student>/, gradebook.csv and the class summary.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Submissions graded at once on this machine [default: the number of cores].")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Run on an existing Dask distributed cluster (e.g. tcp://head:8786) instead of locally.")
@click.option("--transfer", type=click.Choice(["auto", "shared", "send"]), default="auto", show_default=True,
              help="With --scheduler: workers read and write the folders themselves (shared), or submissions and "
                   "results travel with the tasks (send); auto picks shared when every worker sees the folders.")
@click.option("--regrade", is_flag=True, help="Grade every submission again, also those already graded.")
@click.option("--allow-weak-sandbox", is_flag=True, help=_ALLOW_WEAK_HELP)
def grade_batch(assignment, submissions, out, workers, scheduler, transfer, regrade, allow_weak_sandbox):
    """Grade every submission in SUBMISSIONS into OUT (resumable: a re-run grades only what is missing)."""
    from grader.batch.cluster import ClusterError
    from grader.batch.progress import BatchProgress
    from grader.batch.run import grade_batch as do_grade_batch
    from grader.batch.store import BatchError
    from grader.batch.tasks import StartupFailure

    a = _load(assignment)
    if workers is not None and scheduler:
        raise click.UsageError("--workers is for the local pool; with --scheduler the cluster's workers grade")
    _announce_sandbox(a, allow_weak_sandbox, cheap=True)
    try:
        with BatchProgress(console) as progress:
            report = do_grade_batch(a, submissions, out, workers=workers, scheduler=scheduler, regrade=regrade,
                                    transfer=transfer, progress=progress, allow_weak_sandbox=allow_weak_sandbox)
    except BatchError as exc:
        raise click.UsageError(str(exc)) from None
    except (ClusterError, StartupFailure) as exc:
        raise click.ClickException(str(exc)) from None
    except KeyboardInterrupt:
        console.print(f"\nInterrupted: every finished grade is stored in {out}; run the same command again to "
                      "grade the rest.")
        sys.exit(130)
    graded = report.graded
    mean = sum(s["score"] for s in graded.values()) / len(graded) if graded else 0.0
    console.print(f"Graded {len(graded)} submission(s) in {report.wall_seconds:.1f} s"
                  + (f" ({report.skipped} already graded)" if report.skipped else "")
                  + (f"; mean score {mean:.2f}" if graded else ""))
    problems = report.problems
    if problems:
        console.print(f"{len(problems)} with problems (crashes, timeouts, grader errors):")
        for student, problem in sorted(problems.items())[:20]:
            console.print(f"  {student}: {problem}", markup=False)
        if len(problems) > 20:
            console.print(f"  … and {len(problems) - 20} more (see the summary)")
    for path in report.class_outputs:
        console.print(f"Wrote {path}")


@main.command("export-gradescope")
@click.argument("assignment")
@click.option("--out", required=True, type=click.Path(path_type=Path), callback=checked_out("file"),
              help="The autograder zip to write (e.g. autograder.zip).")
@click.option("--allow-weak-sandbox", is_flag=True,
              help="The autograder grades even where Gradescope's machine cannot isolate student code strongly "
                   "(the reports then say so); without it, such a machine fails the image build.")
def export_gradescope(assignment, out, allow_weak_sandbox):
    """Build the Gradescope autograder bundle (setup.sh, run_autograder) for ASSIGNMENT."""
    from grader.authoring.gradescope import GradescopeError, export

    a = _load(assignment)
    if out.suffix.lower() != ".zip":
        raise click.UsageError(f"--out {out}: Gradescope takes a .zip file; name it e.g. {out.with_suffix('.zip')}")
    try:
        info = export(a, out, allow_weak_sandbox=allow_weak_sandbox)
    except GradescopeError as exc:
        raise click.UsageError(str(exc)) from None
    console.print(f"Wrote {out} ({info['files']} files, {info['bytes'] / 1024:.0f} KiB). Upload it as the "
                  "autograder of a Gradescope programming assignment (Ubuntu base image).")
    if info["torch"]:
        console.print(f"setup.sh installs torch {info['torch']} (CPU build).")


@main.command()
@click.argument("assignment")
@click.option("--workers", default=2, show_default=True, help="Mistakes graded in parallel.")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Draw every grading's check inputs with this seed [default: a new random one, printed].")
def validate(assignment, workers, seed):
    """Instructor self-test: reference full marks, skeleton ~0, every catalogued mistake caught, every accepted
    variant (variants.toml) full marks."""
    from grader.authoring.validate import validate as do_validate
    from grader.cli_validate import print_progress, validation_table

    a = _load(assignment)
    started = time.perf_counter()

    from grader.checks.inputs import new_grading_seed

    seed = new_grading_seed() if seed is None else seed
    console.print(f"Validating {a.name} (check inputs drawn with seed {seed})…")
    try:
        report = do_validate(a, workers=workers, progress=lambda outcome: print_progress(console, outcome),
                             seed=seed)
    except AssignmentError as exc:
        raise click.UsageError(str(exc)) from None
    for failure in report.reference_failures:
        console.print(f"  [red]reference fails[/] {escape(failure)}")
    for mistake in report.reference_misconceptions:
        console.print(f"  [red]false alarm on the reference:[/] {mistake}")
    for leak in report.leaks:
        console.print(f"  [red]solution leak:[/] {escape(str(leak))}")
    console.print(validation_table(report))
    console.print(f"({time.perf_counter() - started:.1f} s)")
    console.print("[green]valid[/]" if report.ok else "[red]NOT valid[/]")
    sys.exit(0 if report.ok else 1)


@main.command()
@click.argument("folder", type=click.Path(path_type=Path, exists=True, file_okay=False),
                callback=checked_writable_folder)
@click.option("--instructor", is_flag=True,
              help="Also write instructor-report.html (hidden checks' details included) next to a single "
                   "submission's report; a batch always gets them, as its summary links to them.")
@click.option("--plots", type=click.Choice(["failed", "all"]), default="failed", show_default=True,
              help="Which checks get figures: the failed ones, or all (passed checks' learning curves too).")
def report(folder, instructor, plots):
    """Rebuild the reports in FOLDER from its stored results, without re-grading.

    FOLDER is the --out folder of `grade` (report.md, report.html) or of `grade-batch` (every student's
    reports and instructor-report.html, gradebook.csv, misconceptions.csv and summary.html).
    """
    from grader.feedback.summary import GRADEBOOK, MISCONCEPTIONS, SUMMARY, rebuild
    from grader.feedback.view import ResultsError

    started = time.perf_counter()
    try:
        batch = rebuild(folder, instructor=instructor, all_plots=plots == "all")
    except ResultsError as exc:
        raise click.UsageError(str(exc)) from None
    seconds = time.perf_counter() - started
    if batch is None:
        console.print(f"Rewrote {folder}/report.md and {folder}/report.html ({seconds:.1f} s)")
        return
    for problem in batch.problems:
        console.print(f"[yellow]skipped:[/] {problem}")
    console.print(f"Rewrote the reports of {len(batch.submissions)} submissions, {folder}/{GRADEBOOK}, "
                  f"{folder}/{MISCONCEPTIONS} and {folder}/{SUMMARY} ({seconds:.1f} s)")


@main.command()
@click.option("--assignment", "name", default="numpy_nn", show_default=True,
              help="Whose sample class to grade (samples/ASSIGNMENT).")
@click.option("--out", type=click.Path(path_type=Path), callback=checked_out("folder"),
              help="Output folder (default ./nngrade-demo/ASSIGNMENT).")
@click.option("--workers", type=int, help="Submissions graded in parallel (default: the core count).")
@click.option("--allow-weak-sandbox", is_flag=True, help=_ALLOW_WEAK_HELP)
def demo(name, out, workers, allow_weak_sandbox):
    """Grade the bundled sample submissions and say where the reports are."""
    from grader.batch.demo import run_demo

    _announce_sandbox(_load(name), allow_weak_sandbox, cheap=True)
    run_demo(console, name, out, workers, allow_weak_sandbox=allow_weak_sandbox)


if __name__ == "__main__":  # pragma: no cover
    main()
