"""report.md: the report for an LMS comment box (plain Markdown tables and code blocks)."""
from __future__ import annotations

from grader.feedback.check_figures import figure_readings
from grader.feedback.plots import artifact_scalars
from grader.feedback.view import Misconception, build_view, clean_text, fmt_points


def _md_escape(text: str) -> str:
    return clean_text(text).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _md_block(text: str) -> list[str]:
    return ["```", text.replace("```", "ʼʼʼ"), "```"]


def _md_misconception(m: Misconception) -> list[str]:
    line = f"**Likely mistake: {_md_escape(m.title)}.**"
    if m.explanation:
        line += f" {_md_escape(m.explanation)}"
    return [line] + ([f"*Hint:* {_md_escape(m.hint)}"] if m.hint else [])


def render_markdown(results: dict, student_view: bool = True) -> str:
    """report.md: the report for an LMS comment box (plain Markdown tables and code blocks)."""
    view = build_view(results, student_view)
    lines = [f"# {_md_escape(view.title)}: {fmt_points(view.score)} / {fmt_points(view.max_score)}", "",
             f"{view.passed_count} of {len(view.checks)} checks passed.", ""]
    if view.sandbox_warning:
        lines += [f"**Isolation:** {_md_escape(view.sandbox_warning)}", ""]
    if view.notes:
        lines += ["**About your submission**", ""] + [f"- {_md_escape(n)}" for n in view.notes] + [""]
    lines += ["## By class", "", "| class | points | checks passed |", "|---|---|---|"]
    lines += [f"| {_md_escape(c.name)} | {fmt_points(c.score)} / {fmt_points(c.max_score)} | {c.passed} / {c.total} |"
              for c in view.classes]
    if view.misconceptions:
        lines += ["", "## Mistakes recognised", ""]
        for m in view.misconceptions:
            where = ", ".join(f"#{n}" for n in m.checks)
            cost = f", {fmt_points(m.points_lost)} points" if m.points_lost is not None else ""
            lines.append(f"- **{_md_escape(m.title)}** (check {where}{cost})" + (f": {_md_escape(m.explanation)}"
                                                                           if m.explanation else ""))
    lines += ["", "## Checks", "", "| # | check | points | status |", "|---|---|---|---|"]
    for c in view.checks:
        status = "✅ passed" if c.passed else f"❌ {c.kind_label}"
        hidden = " (hidden)" if c.hidden else ""
        lines.append(f"| {c.number} | {_md_escape(c.name)}{hidden} | {fmt_points(c.score)} / "
                     f"{fmt_points(c.max_score)} | {status} |")
    if view.failed:
        lines += ["", "## What went wrong", ""]
        for c in view.failed:
            lines += [f"### {c.number}. {_md_escape(c.name)} ({c.kind_label})", ""]
            if c.details_hidden:
                lines += ["*Hidden check: its details are not shown.*", ""]
            elif c.message:
                lines += _md_block(c.message) + [""]
            for m in c.misconceptions:
                lines += _md_misconception(m) + [""]
            values = artifact_scalars(c.artifacts)
            if values:
                lines += [" · ".join(f"{_md_escape(k)}: {_md_escape(v)}" for k, v in values), ""]
            lines += [x for text in figure_readings(c.artifacts) for x in (f"*{_md_escape(text)}*", "")]
    if view.student_output:
        lines += ["## Output of the submission", ""] + _md_block(view.student_output) + [""]
    if view.grader_log:
        lines += ["## Grader log", ""] + _md_block(view.grader_log) + [""]
    return "\n".join(lines).rstrip() + "\n"
