"""report.md: the report for an LMS comment box (plain Markdown), in report.html's order (most important first)."""
from __future__ import annotations

from grader.feedback.check_figures import figure_readings
from grader.feedback.findings import NOTEBOOK_CELL, FailureGroup, Misconception, Where
from grader.feedback.plots import artifact_scalars
from grader.feedback.view import (
    CheckView,
    ReportView,
    build_view,
    clean_text,
    fmt_points,
)


def _md_escape(text: str) -> str:
    return clean_text(text).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _md_text(text: str) -> str:
    """Escaped prose with each notebook cell it mentions made a link."""
    return NOTEBOOK_CELL.sub(lambda m: f"[{m[0]}]({m[0]})", _md_escape(text))


def _md_block(text: str) -> list[str]:
    return ["```", text.replace("```", "ʼʼʼ"), "```"]


def _md_where(where: Where, targets: bool = True) -> list[str]:
    parts = [f"`{_md_escape(p)}`" for p in (where.targets if targets else []) + where.files]
    parts += [f"[cell {c} of your notebook](notebook.html#cell-{c})" for c in where.cells]
    return [f"*Where:* {', '.join(parts)}", ""] if parts else []


def _md_mistake(m: Misconception) -> list[str]:
    unit = "point" if m.cost == 1 else "points"
    lines = [f"### {m.rank}. {_md_escape(m.title)} (−{fmt_points(m.cost)} {unit})", ""] + _md_where(m.where)
    if m.evidence:
        lines += [f"*What was seen* (check {m.evidence.number}):", ""] + _md_block(m.evidence.message) + [""]
    else:
        lines += ["*Seen in hidden checks only: their inputs and expected values are not shown.*", ""]
    if m.explanation:
        lines += [f"*Why it is wrong:* {_md_text(m.explanation)}", ""]
    if m.hint:
        lines += [f"*Hint:* {_md_text(m.hint)}", ""]
    return lines + [f"Failed checks: {', '.join(m.checks)}.", ""]


def _md_head(check: CheckView) -> str:
    hidden = " (hidden)" if check.hidden else ""
    return (f"#### {check.number}. {_md_escape(check.name)}{hidden}: {check.kind_label}, "
            f"{fmt_points(check.score)} / {fmt_points(check.max_score)}")


def _md_group(group: FailureGroup, explained: bool) -> list[str]:
    check = group.first
    evidence = check.misconceptions[0].evidence if explained else None
    lines = [_md_head(check), ""]
    if check.message and not (evidence and evidence.message == check.message):
        lines += _md_block(check.message) + [""]
    elif check.details_hidden and not check.message:
        lines += ["*Hidden check: its details are not shown.*", ""]
    if explained:
        shown_there = " (this check's message is shown there)" if evidence and evidence.message == check.message else ""
        lines += [f"Same mistake as above: **{_md_escape(m.title)}**{shown_there if i == 0 else ''}."
                  for i, m in enumerate(check.misconceptions)] + [""]
    else:
        lines += _md_where(group.where, targets=not group.others)
    values = artifact_scalars(check.artifacts)
    if values:
        lines += [" · ".join(f"{_md_escape(k)}: {_md_escape(v)}" for k, v in values), ""]
    lines += [x for text in figure_readings(check.artifacts) for x in (f"*{_md_escape(text)}*", "")]
    if group.others:
        numbers = ", ".join(c.number for c in group.others)
        lost = f"{fmt_points(group.points_lost)} of {fmt_points(group.max_score)} points lost in all"
        lines += [f"Also failed for the same reason: checks {numbers} ({lost}).", ""]
    return lines


def _md_sections(view: ReportView) -> list[str]:
    arranged, lines = view.arranged, []
    if arranged.mistakes:
        lines += ["## What to fix first", ""] + [line for m in arranged.mistakes for line in _md_mistake(m)]
    if arranged.unexplained or arranged.explained:
        lines += ["## Failed checks", ""]
        if arranged.unexplained and arranged.mistakes:
            lines += ["### Not explained by a recognised mistake", ""]
        lines += [line for g in arranged.unexplained for line in _md_group(g, False)]
        if arranged.explained and arranged.unexplained:
            lines += ["### Explained by a mistake above", ""]
        lines += [line for g in arranged.explained for line in _md_group(g, True)]
    if arranged.passed:
        lines += [f"## Passed checks ({len(arranged.passed)} of {len(view.checks)})", ""]
        lines += [f"- {c.number}. {_md_escape(c.name)}{' (hidden)' if c.hidden else ''}: "
                  f"{fmt_points(c.score)} / {fmt_points(c.max_score)}" for c in arranged.passed] + [""]
    lines += ["## Points by class", "", "| class | points | checks passed |", "|---|---|---|"]
    return lines + [f"| {_md_escape(c.name)} | {fmt_points(c.score)} / {fmt_points(c.max_score)} | "
                    f"{c.passed} / {c.total} |" for c in view.classes]


def render_markdown(results: dict, student_view: bool = True) -> str:
    """report.md: the report for an LMS comment box (plain Markdown), most important first."""
    view = build_view(results, student_view)
    lines = [f"# {_md_escape(view.title)}: {fmt_points(view.score)} / {fmt_points(view.max_score)}", "",
             f"{view.passed_count} of {len(view.checks)} checks passed.", ""]
    if view.sandbox_warning:
        lines += [f"**Isolation:** {_md_escape(view.sandbox_warning)}", ""]
    if view.notes:
        lines += ["**About your submission**", ""] + [f"- {_md_text(n)}" for n in view.notes] + [""]
    lines += _md_sections(view) + [""]
    if view.student_output:
        lines += ["## Output of the submission", ""] + _md_block(view.student_output) + [""]
    if view.grader_log:
        lines += ["## Grader log", ""] + _md_block(view.grader_log) + [""]
    return "\n".join(lines).rstrip() + "\n"
