"""Progress of a batch on the terminal: a rich bar, or one plain line per submission when not on a terminal."""
from __future__ import annotations


class BatchProgress:
    """A rich progress bar (done/total, problems, ETA) on a terminal; one plain line per submission otherwise."""

    def __init__(self, console):
        self.console = console
        self.bar = None
        self.done = self.total = self.problems = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()

    def start(self, total: int, skipped: int, notices: list[str]) -> None:
        self.total, self.done = total, skipped
        self.notice(notices)
        if skipped:
            self.console.print(f"{skipped} of {total} already graded; grading the other {total - skipped} "
                               "(--regrade grades all again)")
        if self.console.is_terminal:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(),
                                TextColumn("[red]{task.fields[problems]} problems[/]"), TimeElapsedColumn(),
                                TextColumn("ETA"), TimeRemainingColumn(), console=self.console)
            self._task = self.bar.add_task("grading", total=total - skipped, problems=0)
            self.bar.start()

    def notice(self, notices: list[str]) -> None:
        for notice in notices:
            self.console.print(f"note: {notice}")

    def update(self, student: str, summary: dict) -> None:
        self.done += 1
        self.problems += bool(summary["problem"])
        if self.bar is not None:
            self.bar.update(self._task, advance=1, problems=self.problems)
            if summary["problem"]:
                self.bar.console.print(f"{student}: {summary['problem']}", markup=False)
            return
        line = (f"[{self.done}/{self.total}] {student}: {summary['score']:g}/{summary['max_score']:g} "
                f"({summary['seconds']:.1f} s)")
        if summary["problem"]:
            line += f" - {summary['problem']}"
        self.console.print(line, markup=False, highlight=False, soft_wrap=True)
