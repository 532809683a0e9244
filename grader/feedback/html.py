"""HTML pages from the Jinja2 templates: report.html (one submission) and summary.html (a class).

The templates ship in the package (``grader/feedback/templates``); a file of the same name in the course's
``templates/`` folder replaces the packaged one (see :func:`grader.core.paths.template_folders`).

Autoescaping is always on and values from results.json are only ever passed to templates as data (never
compiled as template source), so ``<script>`` or ``{{ 7*7 }}`` in a student's output shows as text.
"""
from __future__ import annotations

import functools

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from grader.core.paths import template_folders
from grader.feedback.findings import NOTEBOOK_CELL
from grader.feedback.plots import artifact_scalars, planned_images
from grader.feedback.view import build_view, fmt_points

#: At most this many pictures in one report: each costs ~40 ms to draw, and a report should stay quick to render.
MAX_IMAGES_PER_REPORT = 16


def linkify(text: str) -> Markup:
    """``text`` escaped, with each mention of a notebook cell ("notebook.html#cell-27") made a link to it."""
    return Markup(NOTEBOOK_CELL.sub(lambda m: f'<a href="{m[0]}">{m[0]}</a>', str(escape(text))))


def environment() -> Environment:
    """The Jinja2 environment of the current course's template folders."""
    return _environment(tuple(str(f) for f in template_folders()))


@functools.cache
def _environment(folders: tuple[str, ...]) -> Environment:
    env = Environment(loader=FileSystemLoader(list(folders)), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["points"] = fmt_points
    env.filters["linkify"] = linkify
    return env


def render_html(results: dict, student_view: bool = True) -> str:
    """report.html for one results dict; ``student_view`` hides hidden checks' details (see grader.feedback.view)."""
    view = build_view(results, student_view)
    figures, drawn, left_out = {}, 0, 0
    for check in view.checks:
        plan = planned_images(check.artifacts)
        figures[check.number] = [draw() for draw in plan[:max(MAX_IMAGES_PER_REPORT - drawn, 0)]]
        drawn += len(figures[check.number])
        left_out += len(plan) - len(figures[check.number])
    scalars = {c.number: artifact_scalars(c.artifacts) for c in view.checks}
    template = environment().get_template("report.html.j2")
    return template.render(view=view, figures=figures, scalars=scalars, images_left_out=left_out,
                           max_images=MAX_IMAGES_PER_REPORT, version=view.version)
