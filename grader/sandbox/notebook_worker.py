"""Run a notebook's code cells in one namespace: in the sandbox worker for a student, in the harness for the reference.

Why the cells run here, in the worker's own interpreter, and not in a Jupyter
kernel through nbclient: the probes must call the functions the notebook
defines and get plain data back. In-process, a probe calls them directly and
the existing worker protocol, limits and error reports apply unchanged. A
kernel would be a second untrusted process (with its own ZMQ sockets, ~1 s
start, and a copy of every limit) and every probe would have to be shipped as
code into it and its results serialised back out: the worker protocol again,
over Jupyter messaging. The parts of IPython a notebook needs for grading are
small and handled here: ``%magics`` and ``!shell`` lines are rewritten by
IPython's own input transformer (only for cells that are not plain Python) and
answered by a small ``get_ipython()`` stand-in; plots go to the Agg backend.

Execution rules (the report and the assignment notebooks describe them):

- Code cells run top to bottom in one namespace, one top-level statement at a
  time, with stdout/stderr captured (warnings and stderr are never errors).
- A statement that raises, or a cell that runs past ``cell_seconds`` (stopped
  by SIGALRM), ends the normal run of its cell: the rest of that cell runs in
  *definitions-only* mode (``import``, ``def``, ``class`` and assignments of
  constants), so the functions it defines can still be graded. Later cells
  run normally. Once the notebook has used ``total_seconds``, every later cell
  runs in definitions-only mode.
- A name resolves to the object made by the last ``def``/``class`` statement
  of that name that ran; later plain rebinding (``forward = None``,
  ``loss = loss(y, q)``) does not change what is graded. A name never defined
  by ``def``/``class`` (a lambda, a named result such as ``x_block``) resolves
  to its value after the whole notebook ran. After the run, each graded name
  is set back to its last definition in the notebook's namespace too, so that
  graded functions calling each other (``train_logistic`` calling ``loss``)
  see the graded definitions.
- Cells are numbered by their position in the notebook, counting every cell
  (Markdown included) from 1, so "cell 7" is the seventh cell from the top.
"""
from __future__ import annotations

import ast
import contextlib
import io
import linecache
import os
import re
import signal
import sys
import time
import types
import warnings
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from grader.sandbox.ipython_shell import Shell, cell_filename, display, to_python
from grader.sandbox.modules import ModuleLoadError
from grader.sandbox.notebook_ast import RECORDER, RecordDefinitions, is_definition
from grader.sandbox.standins import install as install_standins

#: how often a cell past its deadline is interrupted again (if it swallowed the first interruption)
REPEAT_INTERRUPT_SECONDS = 0.5
OUTPUT_TAIL_CHARS = 2000
ERROR_CHARS = 600


class CellTimeout(BaseException):
    """Raised inside a cell that runs past its time limit (a BaseException, so ``except Exception`` lets it through)."""


@dataclass
class CellRun:
    """What happened to one code cell."""

    cell: int
    status: str = "ok"            # ok | error | timeout | syntax | not-run
    error: str = ""
    seconds: float = 0.0
    definitions_only: bool = False
    output_tail: str = ""

    def as_dict(self) -> dict:
        return {"cell": self.cell, "status": self.status, "error": self.error, "seconds": round(self.seconds, 3),
                "definitions_only": self.definitions_only, "output_tail": self.output_tail}


class _TailBuffer(io.TextIOBase):
    """A text stream that keeps only the last characters written (printing never fails, memory stays bounded)."""

    def __init__(self, limit: int = OUTPUT_TAIL_CHARS):
        self.limit, self.text = limit, ""

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        text = str(text)
        self.text = (self.text + text)[-self.limit:]
        return len(text)


class CellSources:
    """The notebook's cells as 'files' for :func:`grader.sandbox.worker.describe_exception` (``cell 7 line 3``)."""

    def __init__(self, cells: list[int]):
        self.files = {f"cell{n}": PurePosixPath(cell_filename(n)) for n in cells}
        self.display_names = {f"cell{n}": f"cell {n}" for n in cells}


def _describe_error(exc: BaseException, cell: int) -> str:
    """``NameError: name 'np' is not defined (line 3)``, with where in the notebook it happened."""
    try:
        text = f"{type(exc).__name__}: {exc}"
    except BaseException:  # a hostile __str__
        text = type(exc).__name__
    if isinstance(exc, SyntaxError):
        return f"SyntaxError at line {exc.lineno}: {exc.msg}"
    here, deepest = None, None
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename == cell_filename(cell):
            here = tb.tb_lineno
        if filename.startswith("<cell "):
            deepest = (filename[1:-1], tb.tb_lineno)
        tb = tb.tb_next
    if deepest and deepest[0] != f"cell {cell}":
        text += f" (in {deepest[0]} line {deepest[1]}" + (f", called from line {here})" if here else ")")
    elif here:
        text += f" (line {here})"
    return text[:ERROR_CHARS]


class NotebookExecutor:
    """Runs code cells ``[{"cell": position, "source": text}, …]`` and remembers what each defined."""

    def __init__(self, cells: list[dict], module_name: str = "__main__", cell_seconds: float | None = None,
                 total_seconds: float | None = None, skip: dict[int, str] | None = None,
                 drop: dict[int, str] | None = None, progress_path: str | None = None, cell_context=None,
                 watch=()):
        self.cells = [(int(c["cell"]), str(c["source"])) for c in cells]
        self.cell_seconds, self.total_seconds = cell_seconds, total_seconds
        # Cells that stopped an earlier worker: ``skip`` ones run for their definitions only, ``drop`` ones not at all.
        self.skip = {int(k): str(v) for k, v in (skip or {}).items()}
        self.drop = {int(k): str(v) for k, v in (drop or {}).items()}
        self.progress_path = progress_path
        self.cell_context = cell_context or contextlib.nullcontext   # entered around each cell
        self.module = types.ModuleType(module_name)
        self.namespace = self.module.__dict__
        self.namespace.update({RECORDER: self._record, "get_ipython": self._get_ipython, "display": display})
        self.definitions: dict[str, list[int]] = {}   # name -> cells whose def/class statement of it ran, in order
        self.watch = list(watch)                       # graded names: which cell last assigned each is recorded
        self.assigned: dict[str, int] = {}
        self._defined: dict[str, object] = {}          # name -> object made by the last such statement
        self.runs: list[CellRun] = []
        self.notes: list[str] = []
        self.current_cell: int | None = None
        self.sources = CellSources([n for n, _ in self.cells])
        self._shell = Shell(self)
        self._armed = False

    # -- hooks the cells call ---------------------------------------------------
    def _record(self, name: str) -> None:
        if name in self.namespace and self.current_cell is not None:
            self._defined[name] = self.namespace[name]
            self.definitions.setdefault(name, []).append(self.current_cell)

    def _get_ipython(self):
        return self._shell

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    # -- time limits ----------------------------------------------------------------
    def _interrupt(self, signum, frame):
        if self._armed:
            raise CellTimeout()

    def _arm(self) -> None:
        if self.cell_seconds:
            self._armed = True
            signal.setitimer(signal.ITIMER_REAL, self.cell_seconds, REPEAT_INTERRUPT_SECONDS)

    def _disarm(self) -> None:
        self._armed = False
        if self.cell_seconds:
            signal.setitimer(signal.ITIMER_REAL, 0)

    # -- running ----------------------------------------------------------------------
    def _parse(self, source: str, cell: int) -> list[ast.stmt]:
        python = to_python(source)
        filename = cell_filename(cell)
        linecache.cache[filename] = (len(python), None, python.splitlines(True), filename)
        tree = RecordDefinitions().visit(ast.parse(python, filename))
        return ast.fix_missing_locations(tree).body

    def exec_source(self, source: str, cell: int) -> None:
        """Run a whole piece of cell source (a ``%%time`` body) as one unit, recording its definitions."""
        module = ast.Module(body=self._parse(source, cell), type_ignores=[])
        exec(compile(module, cell_filename(cell), "exec"), self.namespace)

    def _progress(self, text: str) -> None:
        # Straight to the worker's stdout file, which the harness reads after a crash: the sandboxed worker
        # cannot write into the harness's folders.
        if self.progress_path:
            try:
                os.write(1, f"{PROGRESS_MARK}{text}\n".encode())
            except OSError:
                pass

    def run(self) -> dict:
        """Run every code cell; returns the record (plain data) of what happened."""
        previous_handler = signal.signal(signal.SIGALRM, self._interrupt) if self.cell_seconds else None
        # Registered so that classes the notebook defines resolve their module (dataclasses, pickling).
        sys.modules[self.module.__name__] = self.module
        started = time.monotonic()
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*non-interactive.*cannot be shown")
                for cell, source in self.cells:
                    over_budget = self.total_seconds is not None and time.monotonic() - started > self.total_seconds
                    self._progress(str(cell))
                    self.runs.append(self._run_cell(cell, source, over_budget))
            self._progress("done")
        finally:
            if self.cell_seconds:
                self._disarm()
                signal.signal(signal.SIGALRM, previous_handler)
            self.current_cell = None
        return self.record(time.monotonic() - started)

    def _statements(self, run: CellRun, source: str, over_budget: bool) -> list[ast.stmt] | None:
        """The cell's statements, with ``run`` saying how they run; None when the cell does not run at all."""
        cell = run.cell
        if cell in self.drop:
            run.status, run.error = "not-run", self.drop[cell]
            return None
        if cell in self.skip:
            run.status, run.error, run.definitions_only = "not-run", self.skip[cell], True
        elif over_budget:
            run.status, run.definitions_only = "not-run", True
            run.error = f"the notebook had used its {self.total_seconds:g} s; this cell ran for its definitions only"
        self.current_cell = cell
        try:
            return self._parse(source, cell)
        except SyntaxError as exc:
            run.status, run.error = "syntax", _describe_error(exc, cell)
        except Exception as exc:  # noqa: BLE001 (IPython's transformer on very odd input)
            run.status, run.error = "syntax", f"the cell could not be read ({type(exc).__name__}: {exc})"[:ERROR_CHARS]
        return None

    def _run_cell(self, cell: int, source: str, over_budget: bool) -> CellRun:
        run = CellRun(cell)
        statements = self._statements(run, source, over_budget)
        if statements is None:
            return run
        output = _TailBuffer()
        before = {name: id(self.namespace.get(name)) for name in self.watch}
        started = time.perf_counter()
        stdout, stderr = sys.stdout, sys.stderr
        index, definitions_only = 0, run.definitions_only
        try:
            with self.cell_context(), contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
                while index < len(statements):
                    try:
                        self._arm()
                        try:
                            while index < len(statements):
                                statement = statements[index]
                                index += 1
                                if definitions_only and not is_definition(statement):
                                    continue
                                exec(compile(ast.Module(body=[statement], type_ignores=[]), cell_filename(cell), "exec"),
                                     self.namespace)
                        finally:
                            self._disarm()
                    except CellTimeout:
                        self._disarm()
                        if run.status == "ok":
                            run.status = "timeout"
                            run.error = (f"the cell ran longer than {self.cell_seconds:g} s and was stopped at line "
                                         f"{statements[index - 1].lineno}")
                        definitions_only = True
                    except BaseException as exc:  # the student's error is this cell's result
                        self._disarm()
                        if run.status == "ok":
                            run.status = "error"
                            run.error = ("the cell called exit(); the grader went on" if isinstance(exc, SystemExit)
                                         else _describe_error(exc, cell))
                        definitions_only = True
        finally:
            sys.stdout, sys.stderr = stdout, stderr
            self._close_figures()
            self._note_assignments(cell, before)
        run.seconds = time.perf_counter() - started
        run.definitions_only = definitions_only and index > 0
        run.output_tail = output.text  # notebook.html shows what each cell printed when graded
        return run

    def _note_assignments(self, cell: int, before: dict[str, int]) -> None:
        for name, identity in before.items():
            if name in self.namespace and id(self.namespace[name]) != identity:
                self.assigned[name] = cell

    @staticmethod
    def _close_figures() -> None:
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is not None:
            try:
                pyplot.close("all")
            except Exception:  # noqa: BLE001 (a student may have replaced pyplot.close)
                pass

    # -- results ------------------------------------------------------------------------
    def record(self, seconds: float) -> dict:
        return {
            "cells": [r.as_dict() for r in self.runs],
            "definitions": {name: list(cells) for name, cells in self.definitions.items()},
            "assigned": dict(self.assigned),
            "notes": list(self.notes),
            "seconds": round(seconds, 3),
        }

    def failure_notes(self) -> dict[str, str]:
        """{"cell 7": student-facing line} for every cell that did not run cleanly."""
        return {f"cell {run.cell}": cell_problem(run.as_dict()) for run in self.runs if run.status != "ok"}

    def restore(self, names) -> None:
        """Set each of ``names`` that a def/class statement made back to that object (see the module docstring)."""
        for name in names:
            if name in self._defined:
                self.namespace[name] = self._defined[name]

    def resolve(self, name: str):
        """What a check grades under ``name`` (see the module docstring for the rule)."""
        if name in self._defined:
            return self._defined[name]
        if name in self.namespace and name not in (RECORDER, "get_ipython", "display"):
            return self.namespace[name]
        raise ModuleLoadError(self._missing(name))

    def _missing(self, name: str) -> str:
        defines = re.compile(rf"^[ \t]*(?:(?:async[ \t]+)?def[ \t]+|class[ \t]+){re.escape(name)}\b|"
                             rf"^[ \t]*{re.escape(name)}[ \t]*(?::[^=]*)?=(?!=)", re.M)
        sources = dict(self.cells)
        for run in self.runs:
            if run.status != "ok" and defines.search(sources.get(run.cell, "")):
                what = {"syntax": "could not run: it has a", "not-run": "was not run:"}.get(run.status, "stopped with")
                return f"{name} is defined in cell {run.cell}, which {what} {run.error}"
        return (f"your notebook does not define {name} (the grader looks for a def or class statement, or a variable, "
                f"with exactly this name; keep the names the assignment gives)")


def cell_problem(run: dict) -> str:
    """``cell 7 raised NameError: … (line 3); the rest of the notebook still ran``, from a cell's record."""
    what = {"error": "raised", "timeout": "was stopped:", "syntax": "has a", "not-run": "was not run:"}[run["status"]]
    tail = "; the rest of the notebook still ran" if run["status"] in ("error", "timeout") else ""
    return f"cell {run['cell']} {what} {run['error']}{tail}"


class NotebookAPI:
    """What a probe sees for a notebook: ``api.forward`` is the notebook's ``forward`` (by the rule above)."""

    def __init__(self, executor: NotebookExecutor, names: set[str] | None):
        self._executor, self._names = executor, names

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        if self._names is not None and name not in self._names:
            raise AttributeError(f"the assignment defines no {name!r} (probe bug)")
        return self._executor.resolve(name)

    def namespaces(self) -> list[dict]:
        """The notebook's globals (where a stand-in replaces a function for one probe)."""
        return [self._executor.namespace]


#: starts a progress line in the worker's stdout (cell numbers, then "done")
PROGRESS_MARK = "\x1enngrade-progress "


def init_notebook(worker, message: dict) -> dict:
    """The worker's ``init`` for ``kind = "notebook"``: run the cells, then serve probes against their namespace."""
    import numpy as np  # noqa: F401  (imported before student code, with thread limits in place)

    workdir = Path.cwd()  # the worker's own home
    sys.path.insert(0, str(workdir))
    probes: dict = {"__name__": "nngrade_probes"}
    exec(compile(message["probes_source"], "<probes>", "exec"), probes)
    worker.probes = {k: v for k, v in probes.items() if isinstance(v, types.FunctionType) and not k.startswith("_")}
    executor = NotebookExecutor(message["cells"], "__main__", message.get("cell_seconds"), message.get("total_seconds"),
                                message.get("skip"), message.get("drop"), message.get("progress_path"),
                                watch=message["homes"])
    record = executor.run()
    executor.restore(message["homes"])
    worker.modules = executor.sources
    worker.api = NotebookAPI(executor, set(message["homes"]))
    worker.standins = install_standins(worker.request_fd, worker.response_fd, message.get("standin_specs"),
                                       message["homes"])
    worker.standins.resolve = lambda name: getattr(worker.api, name)
    sys.stdout.flush()
    return {"ok": True, "import_errors": executor.failure_notes(), "notebook": record}
