"""Notebook submissions: read a ``.ipynb`` safely in the trusted harness, and stage one for a worker.

A notebook that is not JSON, has no code or is for another language is a clear
message and a score of 0, never a crash. The code cells go to a sandbox worker
that runs them (:mod:`grader.sandbox.notebook_worker`).
"""
from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from grader.core.assignment import Assignment, AssignmentError, NotebookSettings
from grader.core.types import Staged, StagedCode
from grader.submissions.files import capped, copy_in, skipped

if TYPE_CHECKING:
    import nbformat

NOTEBOOK_MAX_BYTES = 64 * 1024 * 1024
CODE_MAX_BYTES = 5 * 1024 * 1024
PYTHON_LANGUAGES = {"python", "python2", "python3", "ipython", "ipython3"}


class NotebookError(ValueError):
    """A notebook that cannot be read; the message names the file and says what to do."""


def _repair(data: dict) -> None:
    """Fill the keys Jupyter always writes but hand-edited or tool-made notebooks sometimes lack."""
    data.setdefault("metadata", {})
    data.setdefault("nbformat_minor", 4)
    for cell in data.get("cells", []):
        if not isinstance(cell, dict):
            continue
        cell.setdefault("metadata", {})
        cell.setdefault("source", "")
        if cell.get("cell_type") == "code":
            cell.setdefault("outputs", [])
            cell.setdefault("execution_count", None)
        if cell.get("cell_type") != "code":
            cell.pop("outputs", None)
            cell.pop("execution_count", None)


def read_notebook(path: Path, shown: str | None = None) -> nbformat.NotebookNode:
    """The notebook at ``path`` as nbformat 4, or :class:`NotebookError` with a message for its author."""
    import nbformat  # 70 ms to import: only where a notebook is read, never for module submissions
    from nbformat.v4.rwbase import rejoin_lines

    shown = shown or path.name
    if path.stat().st_size > NOTEBOOK_MAX_BYTES:
        raise NotebookError(f"{shown} is larger than {NOTEBOOK_MAX_BYTES >> 20} MB; clear its outputs "
                            "(Kernel > Restart & Clear Output) and save it again")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotebookError(f"{shown} is not UTF-8 text (byte {raw[exc.start]:#04x} at position {exc.start}): "
                            "it is not a saved Jupyter notebook") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError(f"{shown} is not valid notebook JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
                            "the file is damaged: open it in Jupyter and save it again, or submit an earlier copy "
                            "(File > Revert Notebook to Checkpoint)") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells", data.get("worksheets")), list):
        raise NotebookError(f"{shown} is JSON but not a Jupyter notebook (it has no list of cells)")
    try:
        if int(data.get("nbformat", 4)) >= 4:
            _repair(data)
        notebook = nbformat.from_dict(data)
        if int(data.get("nbformat", 4)) < 4:
            notebook = nbformat.convert(notebook, 4)
        notebook = rejoin_lines(notebook)  # sources and texts stored as lists of lines become strings
    except Exception as exc:  # noqa: BLE001 (nbformat raises jsonschema, KeyError, AttributeError… on odd files)
        raise NotebookError(f"{shown} is not a notebook nbformat can read ({type(exc).__name__}: "
                            f"{str(exc)[:200]}); open it in Jupyter and save it again") from None
    return notebook


def notebook_language(notebook: nbformat.NotebookNode) -> tuple[str, str]:
    """(language, kernel display name) from the notebook's metadata ('' when it does not say)."""
    spec = notebook.metadata.get("kernelspec") or {}
    info = notebook.metadata.get("language_info") or {}
    language = str(spec.get("language") or info.get("name") or "")
    return language, str(spec.get("display_name") or spec.get("name") or language)


def cell_source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def code_cells(notebook: nbformat.NotebookNode) -> list[dict]:
    """``[{"cell": position (1 = the first cell, Markdown counted), "source": text}]`` for the code cells."""
    return [{"cell": number, "source": cell_source(cell)} for number, cell in enumerate(notebook.cells, start=1)
            if isinstance(cell, dict) and cell.get("cell_type") == "code"]


def _defined_names(notebook: nbformat.NotebookNode) -> set[str]:
    """Names a notebook's code cells define at top level (to pick the right one among several notebooks)."""
    pattern = re.compile(r"^(?:def|class)\s+(\w+)|^(\w+)\s*=", re.M)
    return {a or b for cell in code_cells(notebook) for a, b in pattern.findall(cell["source"])}


@dataclass
class StagedNotebook(Staged):
    """A notebook submission: the parsed notebook and its code cells, ready for a worker."""

    notebook: nbformat.NotebookNode | None = None
    cells: list[dict] = field(default_factory=list)
    path: str = ""                  # the notebook's path inside the submission


def _choose(notebooks: list[Path], raw: Path, expected: str, names: set[str], notes: list[str]) -> Path:
    named = [p for p in notebooks if p.name.lower() == expected.lower()]
    if named:
        chosen = min(named, key=lambda p: (len(p.relative_to(raw).parts), str(p)))
    elif len(notebooks) == 1:
        chosen = notebooks[0]
    else:
        def score(path: Path) -> int:
            try:
                return len(_defined_names(read_notebook(path)) & names)
            except (NotebookError, OSError):
                return -1
        chosen = max(notebooks, key=lambda p: (score(p), -len(p.relative_to(raw).parts)))
    if len(notebooks) > 1:
        others = ", ".join(str(p.relative_to(raw)) for p in notebooks if p != chosen)
        notes.append(f"several notebooks; graded {chosen.relative_to(raw)} (ignored: {others})")
    return chosen


def _read_chosen(staged: StagedNotebook, chosen: Path) -> str | None:
    """Read the chosen notebook into ``staged``; the reason when it cannot be graded."""
    try:
        staged.notebook = read_notebook(chosen, staged.path)
    except NotebookError as exc:
        return str(exc)
    language, kernel = notebook_language(staged.notebook)
    if language and language.lower() not in PYTHON_LANGUAGES:
        return (f"{staged.path} is a notebook for {language} (kernel '{kernel}'); this assignment is graded "
                "in Python 3: do it in a Python 3 notebook (the one you were given)")
    staged.cells = [c for c in code_cells(staged.notebook) if c["source"].strip()]
    if not staged.cells:
        return f"{staged.path} has no code in its code cells: there is nothing to grade"
    if sum(len(c["source"]) for c in staged.cells) > CODE_MAX_BYTES:
        return f"{staged.path} holds more than {CODE_MAX_BYTES >> 20} MB of code; that is not a solution"
    return None


def stage_notebook(submission: Path, assignment: Assignment, into: Path) -> StagedNotebook:
    """Copy ``submission`` (a notebook, a folder or a zip) into ``into`` and read the notebook to grade."""
    settings = NotebookSettings.of(assignment)
    workdir, raw = into / "work", into / "raw"
    workdir.mkdir(parents=True, exist_ok=True)
    raw.mkdir(parents=True, exist_ok=True)
    staged = StagedNotebook(StagedCode(workdir=workdir, files={}), [])
    left_out: dict[str, str] = {}
    staged.fatal = copy_in(Path(submission), raw, staged.notes, left_out)
    if staged.fatal:
        return staged
    files = [p for p in sorted(raw.rglob("*")) if p.is_file() and not skipped(p.relative_to(raw).parts[:-1])]
    notebooks = [p for p in files if p.suffix.lower() == ".ipynb"]
    left_out_notebooks = [why for rel, why in left_out.items() if rel.lower().endswith(".ipynb")]
    if not notebooks and left_out_notebooks:  # the student did submit one: say why it was not graded
        staged.fatal = left_out_notebooks[0]
        return staged
    if not notebooks:
        seen = ", ".join(str(p.relative_to(raw)) for p in files[:10]) or "nothing"
        staged.fatal = (f"no Jupyter notebook (.ipynb) in the submission (found: {seen}); this assignment is "
                        f"graded from your {settings.file}: submit the notebook itself")
        return staged
    chosen = _choose(notebooks, raw, settings.file, set(assignment.homes), staged.notes)
    capped(staged.notes)
    staged.path = str(chosen.relative_to(raw))
    staged.code.files = {next(iter(assignment.modules)): staged.path}
    staged.code.display_names = {next(iter(assignment.modules)): staged.path}
    staged.fatal = _read_chosen(staged, chosen)
    if staged.fatal:
        return staged
    # Helper modules the notebook imports (utils.py beside it) go into the worker's folder.
    for path in files:
        if path.suffix == ".py" and chosen.parent in path.parents and path.stat().st_size <= CODE_MAX_BYTES:
            target = workdir / path.relative_to(chosen.parent)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    shutil.rmtree(raw, ignore_errors=True)
    return staged


def replace_in_code_cells(text: str, find: str, replace: str, where: str) -> str:
    """A mistake's edit on a notebook: ``find`` must occur exactly once in all code cells together."""
    import nbformat

    notebook = nbformat.reads(text, as_version=4)
    hits = [c for c in notebook.cells if c.cell_type == "code" for _ in range(cell_source(c).count(find))]
    if len(hits) != 1:
        raise AssignmentError(f"{where}: {find!r} occurs {len(hits)} times in the notebook's code cells "
                              "(it must occur exactly once; quote more of the line)")
    hits[0].source = cell_source(hits[0]).replace(find, replace)
    return nbformat.writes(notebook) + "\n"
