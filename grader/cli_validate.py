"""What ``nngrade validate`` prints: its progress, mistake by mistake and variant by variant, and the table of proofs."""
from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from grader.authoring.validate import SKELETON_MAX_FRACTION, MistakeOutcome


def print_progress(console: Console, outcome) -> None:
    """One line per mistake or variant graded, as validate goes."""
    if isinstance(outcome, MistakeOutcome):
        mark = "[green]caught[/]" if outcome.caught else "[red]MISSED[/]"
        named = "named" if outcome.named else "not named"
        console.print(f"  {mark} ({named}) {outcome.id}: {escape(outcome.title)}")
        return
    mark = "[green]full marks[/]" if outcome.full_marks else "[red]CHARGED[/]"
    score = f"{outcome.score:g} / {outcome.max_score:g}"
    console.print(f"  {mark} {score} variant {outcome.id}: {escape(outcome.title)}")
    for failure in outcome.failed_checks:
        console.print(f"      [red]loses points in[/] {escape(failure.splitlines()[0])}")
    for mistake in outcome.named_mistakes:
        console.print(f"      [red]named as the mistake[/] {mistake}")


def validation_table(report) -> Table:
    """The proofs of ``validate``, each with what it requires and its verdict."""
    def verdict(good: bool) -> str:
        return "[green]ok[/]" if good else "[red]FAILS[/]"

    table = Table(title=f"validate {report.assignment}")
    for column in ("proof", "result", "required", "verdict"):
        table.add_column(column)
    top = max(report.max_score, 1e-9)
    table.add_row("reference", f"{report.reference_score:g} / {report.max_score:g}", "full marks, no mistake named",
                  verdict(report.reference_score == report.max_score and not report.reference_misconceptions))
    table.add_row("skeleton", f"{report.skeleton_score:g} / {report.max_score:g} "
                  f"({100 * report.skeleton_score / top:.1f}%)", f"<= {100 * SKELETON_MAX_FRACTION:g}%",
                  verdict(report.skeleton_score <= SKELETON_MAX_FRACTION * report.max_score))
    table.add_row("mistakes caught", f"{report.caught} / {len(report.mistakes)}", "all",
                  verdict(report.caught == len(report.mistakes)))
    table.add_row("mistakes named", f"{report.named} / {len(report.mistakes)}", "(feedback)", "")
    table.add_row("variants at full marks", f"{report.variants_full_marks} / {len(report.variants)}", "all",
                  verdict(report.variants_full_marks == len(report.variants)))
    table.add_row("solution leaks", str(len(report.leaks)), "0", verdict(not report.leaks))
    return table
