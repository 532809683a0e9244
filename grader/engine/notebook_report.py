"""What grading adds for a notebook submission: ``notebook.html`` (the submitted notebook with an anchor per cell
and the grading notes) and ``extra_data.notebook`` (where each graded function is defined, failed cells)."""
from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING

from grader.core.assignment import Assignment, NotebookSettings
from grader.core.schema import ATTACHMENTS, misconception_lines
from grader.sandbox.notebook_worker import cell_problem

if TYPE_CHECKING:
    import nbformat

HTML_FILE = "notebook.html"
MISTAKE_PREFIX = misconception_lines("", "", "")[0].split(":")[0] + ":"
HTML_IMAGES_MAX_BYTES = 20 * 1024 * 1024
_TEMPLATE = r"""{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<style>
.nngrade-cell { position: relative; }
.nngrade-label { display: block; font: 12px monospace; color: #666; margin: 12px 0 0 8px; text-decoration: none; }
.nngrade-note { margin: 2px 0 4px 8px; padding: 4px 8px; border-left: 4px solid #d9534f; background: #fdf2f2;
                font: 13px sans-serif; white-space: pre-wrap; }
.nngrade-info { border-left-color: #5bc0de; background: #f2f9fc; }
</style>
{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{% block any_cell scoped %}
{%- set info = cell.metadata.get('nngrade', {}) -%}
<section class="nngrade-cell" id="cell-{{ info.number }}"><a class="nngrade-label" href="#cell-{{ info.number }}">cell {{ info.number }}</a>
{%- for note in info.problems %}<div class="nngrade-note">{{ note | escape_html }}</div>{% endfor -%}
{%- for note in info.infos %}<div class="nngrade-note nngrade-info">{{ note | escape_html }}</div>{% endfor -%}
{{ super() }}</section>
{% endblock any_cell %}
"""
#: outputs that only work with JavaScript (which the page never runs): left out of the rendering
_SCRIPT_OUTPUTS = ("application/javascript", "application/vnd.jupyter.widget-view+json",
                   "application/vnd.jupyter.widget-state+json")


def render_html(notebook: nbformat.NotebookNode, cell_problems: dict[int, list[str]],
                cell_infos: dict[int, list[str]]) -> str:
    """The submitted notebook as one self-contained HTML page: an anchor ``#cell-N`` and grading notes per cell.

    No network: no MathJax or require.js from a CDN, and a Content-Security-Policy
    that lets no script run and nothing load (a student's HTML stays inert).
    """
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    shown = copy.deepcopy(notebook)
    images_bytes = 0
    for number, cell in enumerate(shown.cells, start=1):
        cell.setdefault("metadata", {})["nngrade"] = {"number": number, "problems": cell_problems.get(number, []),
                                                      "infos": cell_infos.get(number, [])}
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            for mime in _SCRIPT_OUTPUTS:
                data.pop(mime, None)
            images_bytes += sum(len(str(v)) for k, v in data.items() if k.startswith("image/"))
    if images_bytes > HTML_IMAGES_MAX_BYTES:
        for cell in shown.cells:
            for output in cell.get("outputs", []):
                for mime in [k for k in output.get("data", {}) if k.startswith("image/")]:
                    output["data"].pop(mime)
    shown.metadata.pop("widgets", None)
    exporter = HTMLExporter(extra_loaders=[DictLoader({"nngrade_notebook.html.j2": _TEMPLATE})],
                            template_file="nngrade_notebook.html.j2", embed_images=True)
    body, _ = exporter.from_notebook_node(shown)
    return body


def _cell_of(name: str, record: dict) -> tuple[int | None, list[int]]:
    """(the cell that made what ``name`` grades, every cell with a def/class of it) from a run's record."""
    cells = record.get("definitions", {}).get(name, [])
    return (cells[-1] if cells else record.get("assigned", {}).get(name)), cells


def _notebook_info(staged, record: dict) -> dict:
    definitions = record.get("definitions", {})
    failed_cells = [c for c in record.get("cells", []) if c["status"] != "ok"]
    return {"file": staged.path, "html": None, "cells": len(staged.notebook.cells) if staged.notebook else 0,
            "code_cells": len(staged.cells), "seconds": record.get("seconds"), "fatal": staged.fatal,
            "failed_cells": [{k: c[k] for k in ("cell", "status", "error", "seconds", "definitions_only")}
                             for c in failed_cells],
            "definitions": {**record.get("assigned", {}), **{name: cells[-1] for name, cells in definitions.items()}},
            "redefinitions": {name: cells for name, cells in sorted(definitions.items()) if len(cells) > 1},
            "notes": list(record.get("notes", [])), "checks": {}}


def _function_of(test: dict) -> str:
    return test["tags"][0] if test.get("tags") else test["name"].split(":")[0].split(".")[0]


def _add_to_message(test: dict, line: str) -> None:
    """``line`` joins the check's own message, before its 'Likely mistake' lines (which the reports show apart,
    and only recognise at the end of the output)."""
    lines = test["output"].splitlines()
    at = next((i for i, text in enumerate(lines) if text.startswith(MISTAKE_PREFIX)), len(lines))
    test["output"] = "\n".join(lines[:at] + [line] + lines[at:]).strip()


def _locate_failed_checks(results: dict, record: dict, depends: dict, info: dict,
                          problems: dict[int, list[str]]) -> None:
    """Each failed check says where its function is defined, and which failing function it depends on."""
    failed_by_function: dict[str, list[str]] = {}
    for test in results["tests"]:
        if test["status"] != "passed":
            failed_by_function.setdefault(_function_of(test), []).append(test["number"])
    for test in results["tests"]:
        function = _function_of(test)
        if test["status"] == "passed":
            continue
        for dependency in depends.get(function, []):
            if failed_by_function.get(dependency):
                numbers = ", ".join(failed_by_function[dependency])
                _add_to_message(test, f"{function} uses your {dependency}, which fails its own check(s) {numbers}: "
                                      "fix that first, this check may then pass too")
        cell, all_cells = _cell_of(function, record)
        if cell is None:
            continue
        info["checks"][test["number"]] = {"function": function, "cell": cell, "anchor": f"cell-{cell}"}
        where = f"{function} is defined in cell {cell} of your notebook (see {HTML_FILE}#cell-{cell})"
        if len(all_cells) > 1:
            where += (f"; it is defined {len(all_cells)} times (cells {', '.join(map(str, all_cells))}) and the last "
                      "one is graded")
        _add_to_message(test, where)
        problems.setdefault(cell, []).append(f"Check {test['number']} failed: {test['name']}")


def annotate_results(results: dict, staged, student, assignment: Assignment) -> None:
    """Add the notebook's side of the results: where each failed function is defined, which failing function
    it depends on, cell problems, and ``notebook.html``."""
    record = getattr(student, "record", None) or {}
    info = _notebook_info(staged, record)
    problems: dict[int, list[str]] = {}
    infos: dict[int, list[str]] = {}
    for failed in info["failed_cells"]:
        problems.setdefault(failed["cell"], []).append(f"When graded, {cell_problem(failed)}")
    for note in info["notes"]:
        match = re.match(r"cell (\d+): (.*)", note)
        if match:
            infos.setdefault(int(match[1]), []).append(match[2])
    _locate_failed_checks(results, record, NotebookSettings.of(assignment).depends, info, problems)
    notes = results["extra_data"].setdefault("notes", [])
    for note in info["notes"]:
        if note not in notes:
            notes.append(note)
            results["output"] = f"{results['output']}\n- {note}"
    if staged.notebook is not None:
        try:
            results[ATTACHMENTS] = {HTML_FILE: render_html(staged.notebook, problems, infos)}
            info["html"] = HTML_FILE
        except Exception as exc:  # noqa: BLE001 (nbconvert on a damaged notebook; the grade stands without it)
            info["html_error"] = f"{type(exc).__name__}: {exc}"[:500]
    results["extra_data"]["notebook"] = info
