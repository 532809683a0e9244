"""HTML pages from the Jinja2 templates in ``templates/``: report.html (one submission) and summary.html (a class).

Autoescaping is always on and values from results.json are only ever passed to templates as data (never
compiled as template source), so ``<script>`` or ``{{ 7*7 }}`` in a student's output shows as text.
"""
from __future__ import annotations

import functools

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from grader.assignment import PROJECT_ROOT
from grader.plots import artifact_images, artifact_scalars
from grader.report import build_view, fmt_points

TEMPLATES = PROJECT_ROOT / "templates"


@functools.cache
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["points"] = fmt_points
    return env


def render_html(results: dict, student_view: bool = True) -> str:
    """report.html for one results dict; ``student_view`` hides hidden checks' details (see grader.report)."""
    view = build_view(results, student_view)
    figures = {c.number: artifact_images(c.artifacts) for c in view.checks}
    scalars = {c.number: artifact_scalars(c.artifacts) for c in view.checks}
    return environment().get_template("report.html.j2").render(view=view, figures=figures, scalars=scalars,
                                                               version=view.version)
