"""What grading adds for a notebook submission: ``notebook.html`` (the submitted notebook with an anchor per cell
and the grading notes) and ``extra_data.notebook`` (where each graded function is defined, failed cells)."""
from __future__ import annotations

import re

from grader.core.assignment import Assignment, NotebookSettings
from grader.core.schema import ATTACHMENTS, checks_of, misconception_lines
from grader.engine.notebook_html import render_html
from grader.sandbox.notebook_worker import cell_problem

HTML_FILE = "notebook.html"
MISTAKE_PREFIX = misconception_lines("", "", "")[0].split(":")[0] + ":"
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


def _check_note(test: dict, mistakes: list[dict]) -> dict:
    """What notebook.html says at a failed check's cell: its number, name, message (before the mistake lines;
    none for a hidden check: its message may quote its inputs) and the recognised mistakes."""
    hidden = test.get("visibility", "visible") != "visible"
    lines = test["output"].splitlines()
    message = "\n".join(lines[:next((i for i, t in enumerate(lines) if t.startswith(MISTAKE_PREFIX)), len(lines))])
    return {"number": test["number"], "name": test["name"], "message": "" if hidden else message.strip(),
            "mistakes": [{"title": m.get("title", m["id"]), "explanation": "" if hidden else m.get("explanation", ""),
                          "hint": m.get("hint", "")} for m in mistakes if test["name"] in checks_of(m)]}


def _locate_failed_checks(results: dict, record: dict, depends: dict, info: dict,
                          notes: dict[int, dict]) -> None:
    """Each failed check says where its function is defined, and which failing function it depends on."""
    mistakes = [m for m in results["extra_data"].get("misconceptions", []) if isinstance(m, dict) and "id" in m]
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
        notes.setdefault(cell, {}).setdefault("checks", []).append(_check_note(test, mistakes))
        _add_to_message(test, where)


def _cell_notes(info: dict, record: dict) -> dict[int, dict]:
    """Per cell: its failure when it ran, the notebook's notes about it, and what it printed when graded."""
    notes: dict[int, dict] = {}
    for failed in info["failed_cells"]:
        notes.setdefault(failed["cell"], {}).setdefault("problems", []).append(f"When graded, {cell_problem(failed)}")
    for note in info["notes"]:
        match = re.match(r"cell (\d+): (.*)", note)
        if match:
            notes.setdefault(int(match[1]), {}).setdefault("infos", []).append(match[2])
    for run in record.get("cells", []):
        if run.get("output_tail"):
            notes.setdefault(run["cell"], {})["printed"] = run["output_tail"]
    return notes


def _explain_once(notes: dict[int, dict]) -> None:
    """At one cell, a mistake shown by several checks is explained at the first; the others name it only."""
    for note in notes.values():
        first: dict[str, str] = {}
        for check in note.get("checks", []):
            for mistake in check["mistakes"]:
                if mistake["title"] in first:
                    mistake.update(explanation="", hint="", same_as=first[mistake["title"]])
                else:
                    first[mistake["title"]] = check["number"]


def annotate_results(results: dict, staged, student, assignment: Assignment) -> None:
    """Add the notebook's side of the results: where each failed function is defined, which failing function
    it depends on, cell problems, and ``notebook.html``."""
    record = getattr(student, "record", None) or {}
    info = _notebook_info(staged, record)
    notes = _cell_notes(info, record)
    _locate_failed_checks(results, record, NotebookSettings.of(assignment).depends, info, notes)
    _explain_once(notes)
    run_notes = results["extra_data"].setdefault("notes", [])
    for note in info["notes"]:
        if note not in run_notes:
            run_notes.append(note)
            results["output"] = f"{results['output']}\n- {note}"
    if staged.notebook is not None:
        try:
            results[ATTACHMENTS] = {HTML_FILE: render_html(staged.notebook, notes)}
            info["html"] = HTML_FILE
        except Exception as exc:  # noqa: BLE001 (nbconvert on a damaged notebook; the grade stands without it)
            info["html_error"] = f"{type(exc).__name__}: {exc}"[:500]
    results["extra_data"]["notebook"] = info
