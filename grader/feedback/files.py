"""Writing a graded submission's folder: results.json, report.md, report.html and any attachments."""
from __future__ import annotations

from pathlib import Path

from grader.core.schema import ATTACHMENTS, RESULTS_FILE, write_json_atomic
from grader.feedback.html import render_html
from grader.feedback.markdown import render_markdown

INSTRUCTOR_REPORT = "instructor-report.html"


def write_report_files(results: dict, out: Path, instructor: bool = False, all_plots: bool = False) -> None:
    """report.md and report.html (student view) from results already graded; with ``instructor``, also
    instructor-report.html (every detail of every check, and the submission's output); with ``all_plots``,
    figures for passed checks too (by default only failed checks get them)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.md").write_text(render_markdown(results), encoding="utf-8")
    (out / "report.html").write_text(render_html(results, all_plots=all_plots), encoding="utf-8")
    if instructor:
        (out / INSTRUCTOR_REPORT).write_text(render_html(results, student_view=False, all_plots=all_plots),
                                              encoding="utf-8")


def write_reports(results: dict, out: Path, instructor: bool = False) -> None:
    """results.json, report.md and report.html for one graded submission, plus its attachments (files such as
    notebook.html that grading made, kept out of results.json); with ``instructor``, also instructor-report.html."""
    out.mkdir(parents=True, exist_ok=True)
    attachments = results.get(ATTACHMENTS) or {}
    results = {key: value for key, value in results.items() if key != ATTACHMENTS}
    for name, text in attachments.items():
        (out / Path(name).name).write_text(text, encoding="utf-8")
    write_json_atomic(out / RESULTS_FILE, results)
    write_report_files(results, out, instructor)
