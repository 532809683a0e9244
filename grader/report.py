"""Per-submission reports: ``report.md`` (for an LMS comment box) written from results.json."""
from __future__ import annotations

import re
from pathlib import Path

from grader.results import write_json_atomic

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(text: str, limit: int = 4000) -> str:
    """Student-controlled text made safe to show: ANSI escapes and control characters removed, size capped."""
    text = CONTROL.sub("", ANSI.sub("", str(text)))
    return text if len(text) <= limit else text[:limit] + "… (truncated)"


def _md_escape(text: str) -> str:
    return clean_text(text).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def render_markdown(results: dict, student_view: bool = True) -> str:
    extra = results.get("extra_data", {})
    max_score = extra.get("max_score", sum(t["max_score"] for t in results["tests"]))
    lines = [f"# {extra.get('assignment', 'Assignment')}: {results['score']:g} / {max_score:g}", ""]
    notes = extra.get("notes", [])
    if notes:
        lines += ["**About your submission**", ""] + [f"- {_md_escape(n)}" for n in notes] + [""]
    lines += ["| # | check | points | status |", "|---|---|---|---|"]
    for test in results["tests"]:
        status = "✅ passed" if test["status"] == "passed" else "❌ failed"
        lines.append(f"| {test['number']} | {_md_escape(test['name'])} | {test['score']:g} / {test['max_score']:g} | {status} |")
    failed = [t for t in results["tests"] if t["status"] != "passed"]
    if failed:
        lines += ["", "## What went wrong", ""]
        for test in failed:
            lines += [f"### {test['number']}. {_md_escape(test['name'])}", "", "```",
                      clean_text(test["output"]).replace("```", "ʼʼʼ"), "```", ""]
    return "\n".join(lines).rstrip() + "\n"


#: results key for files written next to the report and kept out of results.json (``{"notebook.html": text}``)
ATTACHMENTS = "_attachments"


def write_reports(results: dict, out: Path) -> None:
    """results.json and report.md (report.html too, once the HTML templates are there), plus any attachments."""
    out.mkdir(parents=True, exist_ok=True)
    attachments = results.get(ATTACHMENTS) or {}
    results = {key: value for key, value in results.items() if key != ATTACHMENTS}
    for name, text in attachments.items():
        (out / Path(name).name).write_text(text, encoding="utf-8")
    write_json_atomic(out / "results.json", results)
    (out / "report.md").write_text(render_markdown(results), encoding="utf-8")
    try:
        from grader.html import write_html_report
    except ImportError:
        return
    write_html_report(results, out / "report.html")
