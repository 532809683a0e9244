"""Releasing a notebook: the student's notebook made from the reference notebook.

The same ``# <SOL>`` regions as in ``.py`` files, plus one-line blanks::

    y = torch.sqrt(x)  # <FILL IN>         (becomes ``y = ...  # <FILL IN>``)

A ``# <FILL IN>`` line must be an assignment or a ``return``; its expression
becomes ``...`` (Python's Ellipsis), so the released notebook is still valid
Python and the student replaces the dots. Cells tagged ``instructor`` (cell
metadata tags) are left out; outputs and execution counts are cleared;
Markdown is kept.
"""
from __future__ import annotations

import ast
import copy
import re
from pathlib import Path

import nbformat

from grader.authoring.solutions import ReleaseError, strip_solutions
from grader.sandbox.ipython_shell import to_python
from grader.submissions.notebooks import NotebookError, cell_source, read_notebook

INSTRUCTOR_TAG = "instructor"
FILL_IN = re.compile(r"#\s*<FILL IN>")


def blank_fill_ins(source: str, where: str) -> str:
    """``y = torch.sqrt(x)  # <FILL IN>`` -> ``y = ...  # <FILL IN>`` (assignments and returns only)."""
    out = []
    for number, line in enumerate(source.split("\n"), start=1):
        marker = FILL_IN.search(line)
        if not marker:
            out.append(line)
            continue
        code, comment = line[:marker.start()].rstrip(), line[marker.start():]
        indent = code[:len(code) - len(code.lstrip())]
        try:
            statement = ast.parse(code.strip()).body[0]
        except (SyntaxError, IndexError):
            statement = None
        value = getattr(statement, "value", None)
        if not isinstance(statement, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return)) or value is None:
            raise ReleaseError(f"{where} line {number}: '# <FILL IN>' must end a one-line assignment or return "
                               f"(found {code.strip()!r}); use a '# <SOL>' region for anything else")
        out.append(f"{indent}{code.strip()[:value.col_offset]}...  {comment}")
    return "\n".join(out)


def check_cell_syntax(source: str, where: str) -> None:
    try:
        ast.parse(to_python(source))
    except SyntaxError as exc:
        raise ReleaseError(f"{where}: the released cell is not valid Python (line {exc.lineno}: {exc.msg}); "
                           "a '# <SOL>' region must cover whole statements") from None


def student_notebook(notebook: nbformat.NotebookNode, filename: str) -> nbformat.NotebookNode:
    """The released version of a reference notebook (see the module docstring)."""
    released = copy.deepcopy(notebook)
    released.cells = [c for c in released.cells if INSTRUCTOR_TAG not in c.get("metadata", {}).get("tags", [])]
    for number, cell in enumerate(released.cells, start=1):
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        where = f"{filename} cell {number}"
        source = blank_fill_ins(strip_solutions(cell_source(cell), where, check_syntax=False), where)
        check_cell_syntax(source, where)
        cell.source, cell.outputs, cell.execution_count = source, [], None
    released.metadata = nbformat.NotebookNode({k: v for k, v in released.metadata.items()
                                               if k in ("kernelspec", "language_info")})
    nbformat.validate(released)
    return released


def release_notebook(path: Path) -> str:
    """The student's notebook (JSON text) made from the reference notebook at ``path``."""
    try:
        notebook = read_notebook(path)
    except NotebookError as exc:
        raise ReleaseError(str(exc)) from None
    return nbformat.writes(student_notebook(notebook, path.name)) + "\n"
