"""Notebook assignments (``kind = "notebook"`` in assignment.toml): release, staging, execution and report data.

The reference is a Jupyter notebook in the assignment's solution folder
(``reference/backprop/backprop/backprop.ipynb``), with solution regions marked
as in ``.py`` files plus one-line blanks::

    # <SOL> compute the gradients          (a region: replaced by a TODO that raises)
    ...
    # </SOL>
    y = torch.sqrt(x)  # <FILL IN>         (a blank: becomes ``y = ...  # <FILL IN>``)

A ``# <FILL IN>`` line must be an assignment or a ``return``; its expression
becomes ``...`` (Python's Ellipsis), so the released notebook is still valid
Python and the student replaces the dots. Cells tagged ``instructor`` (cell
metadata tags) are left out of the release; outputs and execution counts are
cleared; Markdown is kept.

A submission's notebook is read here, in the trusted harness (a notebook that
is not JSON, has no code or is for another language is a clear message and a
score of 0, never a crash), and its code cells are sent to a sandbox worker
that runs them (:mod:`grader.sandbox.notebook_worker` says how, and why in the
worker rather than in a Jupyter kernel). The report gets ``notebook.html``, a
rendering of the submitted notebook with an anchor per cell
(``notebook.html#cell-7``), and ``extra_data.notebook`` in results.json.

``[notebook]`` in assignment.toml::

    file = "backprop.ipynb"   # the notebook's name (default: the first [modules] entry + ".ipynb")
    cell_seconds = 30         # one cell's time limit
    total_seconds = 120       # the whole notebook's; later cells run for their definitions only

    [notebook.depends]        # a function -> the graded functions it calls: a failed check of it then
    train_logistic = ["forward", "backward"]   # names the failing dependency as the likely cause
"""
from __future__ import annotations

import ast
import copy
import json
import re
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.v4.rwbase import rejoin_lines
from threadpoolctl import threadpool_limits

from grader.assignment import Assignment, AssignmentError
from grader.load import Staged, _copy_tree, _extract_zip, _skipped
from grader.probing import TrustedRunner, load_probes, probe_key
from grader.sandbox import wire
from grader.sandbox.client import ProbeFailure, SandboxClient, StagedCode
from grader.sandbox.notebook_worker import NotebookAPI, NotebookExecutor, cell_problem, to_python

NOTEBOOK_MAX_BYTES = 64 * 1024 * 1024
CODE_MAX_BYTES = 5 * 1024 * 1024
HTML_IMAGES_MAX_BYTES = 20 * 1024 * 1024
INSTRUCTOR_TAG = "instructor"
FILL_IN = re.compile(r"#\s*<FILL IN>")
PYTHON_LANGUAGES = {"python", "python2", "python3", "ipython", "ipython3"}
HTML_FILE = "notebook.html"


class NotebookError(ValueError):
    """A notebook that cannot be read; the message names the file and says what to do."""


# -- settings --------------------------------------------------------------------------------------
@dataclass
class NotebookSettings:
    file: str
    cell_seconds: float = 30.0
    total_seconds: float = 120.0
    start_seconds: float = 30.0    # interpreter start and imports, on top of the notebook's own time
    depends: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, assignment: Assignment) -> "NotebookSettings":
        table = dict(assignment.config.get("notebook", {}))
        known = {"file", "cell_seconds", "total_seconds", "start_seconds", "depends"}
        if set(table) - known:
            raise AssignmentError(f"{assignment.root / 'assignment.toml'}: unknown key(s) in [notebook]: "
                                  f"{', '.join(sorted(set(table) - known))} (known: {', '.join(sorted(known))})")
        table.setdefault("file", f"{next(iter(assignment.modules))}.ipynb")
        return cls(**table)

    @property
    def init_seconds(self) -> float:
        """The harness's wall-clock bound on running the whole notebook (the worker's own limits come first)."""
        return self.total_seconds + self.cell_seconds + self.start_seconds


def reference_notebook(assignment: Assignment) -> Path:
    return assignment.solution_dir / NotebookSettings.of(assignment).file


# -- reading ---------------------------------------------------------------------------------------
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


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def code_cells(notebook: nbformat.NotebookNode) -> list[dict]:
    """``[{"cell": position (1 = the first cell, Markdown counted), "source": text}]`` for the code cells."""
    return [{"cell": number, "source": _source(cell)} for number, cell in enumerate(notebook.cells, start=1)
            if isinstance(cell, dict) and cell.get("cell_type") == "code"]


def _defined_names(notebook: nbformat.NotebookNode) -> set[str]:
    """Names a notebook's code cells define at top level (to pick the right one among several notebooks)."""
    pattern = re.compile(r"^(?:def|class)\s+(\w+)|^(\w+)\s*=", re.M)
    return {a or b for cell in code_cells(notebook) for a, b in pattern.findall(cell["source"])}


# -- staging a submission --------------------------------------------------------------------------
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


def stage(submission: Path, assignment: Assignment, into: Path) -> StagedNotebook:
    """Copy ``submission`` (a notebook, a folder or a zip) into ``into`` and read the notebook to grade."""
    settings = NotebookSettings.of(assignment)
    workdir, raw = into / "work", into / "raw"
    workdir.mkdir(parents=True, exist_ok=True)
    raw.mkdir(parents=True, exist_ok=True)
    staged = StagedNotebook(StagedCode(workdir=workdir, files={}), [])
    submission = Path(submission)
    try:
        if submission.is_dir():
            _copy_tree(submission, raw, staged.notes)
        elif submission.suffix.lower() == ".zip":
            _extract_zip(submission, raw, staged.notes)
        elif submission.is_file():
            shutil.copyfile(submission, raw / submission.name)
        else:
            staged.fatal = f"{submission} does not exist"
            return staged
    except (ValueError, OSError) as exc:
        staged.fatal = str(exc)
        return staged
    files = [p for p in sorted(raw.rglob("*")) if p.is_file() and not _skipped(p.relative_to(raw).parts[:-1])]
    notebooks = [p for p in files if p.suffix.lower() == ".ipynb"]
    if not notebooks:
        seen = ", ".join(str(p.relative_to(raw)) for p in files[:10]) or "nothing"
        staged.fatal = (f"no Jupyter notebook (.ipynb) in the submission (found: {seen}); this assignment is "
                        f"graded from your {settings.file}: submit the notebook itself")
        return staged
    chosen = _choose(notebooks, raw, settings.file, set(assignment.homes), staged.notes)
    staged.path = str(chosen.relative_to(raw))
    staged.code.files = {next(iter(assignment.modules)): staged.path}
    staged.code.display_names = {next(iter(assignment.modules)): staged.path}
    try:
        staged.notebook = read_notebook(chosen, staged.path)
    except NotebookError as exc:
        staged.fatal = str(exc)
        return staged
    language, kernel = notebook_language(staged.notebook)
    if language and language.lower() not in PYTHON_LANGUAGES:
        staged.fatal = (f"{staged.path} is a notebook for {language} (kernel '{kernel}'); this assignment is graded "
                        "in Python 3: do it in a Python 3 notebook (the one you were given)")
        return staged
    staged.cells = [c for c in code_cells(staged.notebook) if c["source"].strip()]
    if not staged.cells:
        staged.fatal = f"{staged.path} has no code in its code cells: there is nothing to grade"
        return staged
    if sum(len(c["source"]) for c in staged.cells) > CODE_MAX_BYTES:
        staged.fatal = f"{staged.path} holds more than {CODE_MAX_BYTES >> 20} MB of code; that is not a solution"
        return staged
    # Helper modules the notebook imports (utils.py beside it) go into the worker's folder.
    for path in files:
        if path.suffix == ".py" and chosen.parent in path.parents and path.stat().st_size <= CODE_MAX_BYTES:
            target = workdir / path.relative_to(chosen.parent)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    shutil.rmtree(raw, ignore_errors=True)
    return staged


# -- running: the student's side (sandbox) and the reference's (trusted, in-process) -----------------
class NotebookSandboxClient(SandboxClient):
    """A :class:`SandboxClient` whose worker runs a notebook's cells instead of importing module files.

    A cell that takes its worker down (``os._exit``, a segfault, memory, an
    interrupt it swallows) is found from the worker's progress file; the
    notebook is run again without it, so it costs only what depends on it.
    """

    MAX_RESTARTS = 3

    def __init__(self, staged: StagedNotebook, assignment: Assignment, output_dir: Path):
        super().__init__(staged.code, assignment.package, assignment.homes, assignment.probes_source(),
                         assignment.limits, output_dir=output_dir, preload=assignment.preload)
        self.cells = staged.cells
        self.settings = NotebookSettings.of(assignment)
        self.skip: dict[int, str] = {}    # cells run for their definitions only on the next start
        self.drop: dict[int, str] = {}    # cells not run at all
        self.record: dict | None = None   # what happened in the first complete run
        self.failure: ProbeFailure | None = None
        self._answers: dict[str, bytes | ProbeFailure] = {}
        self.progress_path = self.output_dir / "worker-stdout.txt"  # the worker marks its progress there
        self._progress_offset = 0

    def run(self, probe, kwargs: dict | None = None, timeout: float | None = None, seed: int = 0):
        """As :meth:`SandboxClient.run`; a probe asked again with the same inputs gets the first answer
        (several checks read one training run; a probe that timed out is not run again)."""
        key = probe_key(probe, kwargs or {}, seed)
        if key not in self._answers:
            try:
                if self.process is None:
                    self._start_notebook()
                self._answers[key] = wire.encode(super().run(probe, kwargs, timeout=timeout, seed=seed))
            except ProbeFailure as failure:
                self._answers[key] = failure
        answer = self._answers[key]
        if isinstance(answer, ProbeFailure):
            raise answer
        return wire.decode(answer)

    def _start_notebook(self) -> None:
        if self.failure is not None:
            raise self.failure
        for attempt in range(self.MAX_RESTARTS + 1):
            self._progress_offset = self.progress_path.stat().st_size if self.progress_path.exists() else 0
            try:
                self._start()
                return
            except ProbeFailure as failure:
                cell = self._stopped_in()
                if cell is None or attempt == self.MAX_RESTARTS or cell in self.drop:
                    self.failure = failure
                    raise
                reason = f"it stopped the process running your notebook ({failure.message})"
                if cell in self.skip:
                    self.drop[cell] = reason + ", even when run for its definitions only"
                else:
                    self.skip[cell] = reason + "; only its definitions (def, class, import) were loaded"

    def _stopped_in(self) -> int | None:
        from grader.sandbox.notebook_worker import PROGRESS_MARK

        try:
            with open(self.progress_path, "rb") as handle:
                handle.seek(self._progress_offset)
                text = handle.read().decode("utf-8", "replace")
        except OSError:
            return None
        # split("\n"), not splitlines(): the mark's \x1e is a line boundary for splitlines
        marks = [line[len(PROGRESS_MARK):].strip() for line in text.split("\n") if line.startswith(PROGRESS_MARK)]
        return int(marks[-1]) if marks and marks[-1].isdigit() else None

    def output_tail(self, limit: int = 2000) -> str:
        from grader.sandbox.notebook_worker import PROGRESS_MARK

        lines = super().output_tail(limit * 4).split("\n")
        return "\n".join(line for line in lines if not line.startswith(PROGRESS_MARK))[-limit:]

    def _request(self, message: dict, timeout: float, during: str):
        if message.get("op") != "init":
            return super()._request(message, timeout, during)
        message = {**message, "kind": "notebook", "cells": self.cells,
                   "cell_seconds": self.settings.cell_seconds, "total_seconds": self.settings.total_seconds,
                   "skip": {str(k): v for k, v in self.skip.items()}, "drop": {str(k): v for k, v in self.drop.items()},
                   "progress_path": "stdout"}
        reply = super()._request(message, self.settings.init_seconds, "running your notebook")
        if self.record is None and isinstance(reply, dict) and isinstance(reply.get("notebook"), dict):
            self.record = reply["notebook"]
        return reply


class NotebookTrustedRunner(TrustedRunner):
    """The reference notebook (or a catalogued mutant of it) run in this process, answering probes.

    ``strict``: every cell must run cleanly (the reference); a mutant's demo
    cells may fail, as a student's would. Math libraries run single-threaded,
    as in the worker: small matrices on many threads are slower, and results
    then match the worker's to the last bit.
    """

    def __init__(self, path: Path, assignment: Assignment, strict: bool = True):
        import matplotlib

        matplotlib.use("Agg")  # the reference's plots must never open a window
        try:
            notebook = read_notebook(path)
        except NotebookError as exc:
            raise AssignmentError(str(exc)) from None
        # Entered per cell, so that libraries an earlier cell loaded (torch's thread pool) are limited too.
        self.executor = NotebookExecutor(code_cells(notebook), module_name=f"nngrade_notebook_{uuid.uuid4().hex[:12]}",
                                         cell_context=lambda: threadpool_limits(limits=1), watch=assignment.homes)
        self.record = self.executor.run()
        self.executor.restore(assignment.homes)
        self.import_errors = self.executor.failure_notes()
        if strict and self.import_errors:
            raise AssignmentError(f"the reference notebook {path} does not run cleanly: "
                                  + "; ".join(self.import_errors.values()))
        self.modules = self.executor.sources
        self.api = NotebookAPI(self.executor, set(assignment.homes))
        self.probes = load_probes(assignment.probes_source())
        self._cache: dict[str, object] = {}

    def _run(self, name: str, kwargs: dict, seed: int):
        with threadpool_limits(limits=1):
            return super()._run(name, kwargs, seed)


# -- release ---------------------------------------------------------------------------------------
def blank_fill_ins(source: str, where: str) -> str:
    """``y = torch.sqrt(x)  # <FILL IN>`` -> ``y = ...  # <FILL IN>`` (assignments and returns only)."""
    from grader.release import ReleaseError

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
    from grader.release import ReleaseError

    try:
        ast.parse(to_python(source))
    except SyntaxError as exc:
        raise ReleaseError(f"{where}: the released cell is not valid Python (line {exc.lineno}: {exc.msg}); "
                           "a '# <SOL>' region must cover whole statements") from None


def student_notebook(notebook: nbformat.NotebookNode, filename: str) -> nbformat.NotebookNode:
    """The released version of a reference notebook (see the module docstring)."""
    from grader.release import strip_solutions

    released = copy.deepcopy(notebook)
    released.cells = [c for c in released.cells if INSTRUCTOR_TAG not in c.get("metadata", {}).get("tags", [])]
    for number, cell in enumerate(released.cells, start=1):
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        where = f"{filename} cell {number}"
        source = blank_fill_ins(strip_solutions(_source(cell), where, check_syntax=False), where)
        check_cell_syntax(source, where)
        cell.source, cell.outputs, cell.execution_count = source, [], None
    released.metadata = nbformat.NotebookNode({k: v for k, v in released.metadata.items()
                                               if k in ("kernelspec", "language_info")})
    nbformat.validate(released)
    return released


def release_notebook(path: Path) -> str:
    """The student's notebook (JSON text) made from the reference notebook at ``path``."""
    from grader.release import ReleaseError

    try:
        notebook = read_notebook(path)
    except NotebookError as exc:
        raise ReleaseError(str(exc)) from None
    return nbformat.writes(student_notebook(notebook, path.name)) + "\n"


def replace_in_code_cells(text: str, find: str, replace: str, where: str) -> str:
    """A mistake's edit on a notebook: ``find`` must occur exactly once in all code cells together."""
    notebook = nbformat.reads(text, as_version=4)
    hits = [c for c in notebook.cells if c.cell_type == "code" for _ in range(_source(c).count(find))]
    if len(hits) != 1:
        raise AssignmentError(f"{where}: {find!r} occurs {len(hits)} times in the notebook's code cells "
                              "(it must occur exactly once; quote more of the line)")
    hits[0].source = _source(hits[0]).replace(find, replace)
    return nbformat.writes(notebook) + "\n"


# -- the report's side -----------------------------------------------------------------------------
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


def annotate_results(results: dict, staged: StagedNotebook, student, assignment: Assignment) -> None:
    """Add the notebook's side of the results: where each failed function is defined, which failing function
    it depends on, cell problems, and ``notebook.html``."""
    depends = NotebookSettings.of(assignment).depends
    record = getattr(student, "record", None) or {}
    definitions = record.get("definitions", {})
    failed_cells = [c for c in record.get("cells", []) if c["status"] != "ok"]
    info = {"file": staged.path, "html": None, "cells": len(staged.notebook.cells) if staged.notebook else 0,
            "code_cells": len(staged.cells), "seconds": record.get("seconds"), "fatal": staged.fatal,
            "failed_cells": [{k: c[k] for k in ("cell", "status", "error", "seconds", "definitions_only")}
                             for c in failed_cells],
            "definitions": {**record.get("assigned", {}), **{name: cells[-1] for name, cells in definitions.items()}},
            "redefinitions": {name: cells for name, cells in sorted(definitions.items()) if len(cells) > 1},
            "notes": list(record.get("notes", [])), "checks": {}}
    problems: dict[int, list[str]] = {}
    infos: dict[int, list[str]] = {}
    for failed in failed_cells:
        problems.setdefault(failed["cell"], []).append(f"When graded, {cell_problem(failed)}")
    for note in info["notes"]:
        match = re.match(r"cell (\d+): (.*)", note)
        if match:
            infos.setdefault(int(match[1]), []).append(match[2])

    def function_of(test: dict) -> str:
        return test["tags"][0] if test.get("tags") else test["name"].split(":")[0].split(".")[0]

    failed_by_function: dict[str, list[str]] = {}
    for test in results["tests"]:
        if test["status"] != "passed":
            failed_by_function.setdefault(function_of(test), []).append(test["number"])
    for test in results["tests"]:
        function = function_of(test)
        if test["status"] == "passed":
            continue
        for dependency in depends.get(function, []):
            if failed_by_function.get(dependency):
                numbers = ", ".join(failed_by_function[dependency])
                test["output"] = (f"{test['output']}\n{function} uses your {dependency}, which fails its own "
                                  f"check(s) {numbers}: fix that first, this check may then pass too").strip()
        cell, all_cells = _cell_of(function, record)
        if cell is None:
            continue
        info["checks"][test["number"]] = {"function": function, "cell": cell, "anchor": f"cell-{cell}"}
        where = f"{function} is defined in cell {cell} of your notebook (see {HTML_FILE}#cell-{cell})"
        if len(all_cells) > 1:
            where += (f"; it is defined {len(all_cells)} times (cells {', '.join(map(str, all_cells))}) and the last "
                      "one is graded")
        test["output"] = f"{test['output']}\n{where}".strip()
        problems.setdefault(cell, []).append(f"Check {test['number']} failed: {test['name']}")
    notes = results["extra_data"].setdefault("notes", [])
    for note in info["notes"]:
        if note not in notes:
            notes.append(note)
            results["output"] = f"{results['output']}\n- {note}"
    if staged.notebook is not None:
        from grader.report import ATTACHMENTS

        try:
            results[ATTACHMENTS] = {HTML_FILE: render_html(staged.notebook, problems, infos)}
            info["html"] = HTML_FILE
        except Exception as exc:  # noqa: BLE001 (nbconvert on a damaged notebook; the grade stands without it)
            info["html_error"] = f"{type(exc).__name__}: {exc}"[:500]
    results["extra_data"]["notebook"] = info
