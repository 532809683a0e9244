"""The small part of IPython a graded notebook needs: ``get_ipython()``'s magics, ``display``, and magic lines
rewritten into calls by IPython's own input transformer.
"""
from __future__ import annotations

import ast
import re
import time
from pathlib import Path


def cell_filename(cell: int) -> str:
    return f"<cell {cell}>"


def to_python(source: str) -> str:
    """Cell source as plain Python: IPython's transformer rewrites ``%magic``/``!shell`` lines into calls."""
    try:
        ast.parse(source)
        return source
    except SyntaxError:
        pass
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


class Shell:
    """What ``get_ipython()`` returns inside a graded notebook: the magics that make sense when grading.

    ``%matplotlib`` and other display/configuration magics do nothing (plots go
    to the Agg backend); ``%time``/``%%time`` run their code once and print the
    time; ``%timeit``/``%%timeit`` run their code once; ``%%capture`` runs its
    cell; ``%%writefile`` writes inside the working folder. Shell escapes
    (``!pip install …``) and other magics are not run: a note says so.
    """

    QUIET = {"matplotlib", "config", "load_ext", "reload_ext", "unload_ext", "autoreload", "aimport", "precision",
             "pinfo", "pinfo2", "pdef", "pdoc", "psource", "who", "whos", "who_ls", "lsmagic", "xmode", "colors",
             "html", "markdown", "latex", "javascript", "js", "svg", "md"}

    def __init__(self, executor):
        self._executor = executor

    @property
    def user_ns(self) -> dict:
        return self._executor.namespace

    def _cell(self) -> int:
        return self._executor.current_cell or 0

    def run_line_magic(self, name: str, line: str, _stack_depth: int = 1):
        if name in self.QUIET:
            return None
        if name == "time":
            return self._time(line)
        if name == "timeit":
            return self._evaluate(re.sub(r"^\s*((-[nrp]\s*\d+|-[tcqo])\s*)*", "", line))
        if name == "pylab":
            self._executor.exec_source("import numpy\nimport matplotlib\nfrom matplotlib import pylab, mlab, pyplot\n"
                                       "np = numpy\nplt = pyplot\nfrom pylab import *\nfrom numpy import *\n",
                                       self._cell())
            return None
        self._executor.note(f"cell {self._cell()}: the magic %{name} is not run by the grader")
        return None

    def run_cell_magic(self, name: str, line: str, cell: str):
        if name in self.QUIET:
            return None
        if name in ("time", "capture"):
            started = time.perf_counter()
            self._executor.exec_source(cell, self._cell())
            if name == "time":
                print(f"Wall time: {time.perf_counter() - started:.3g} s")
            return None
        if name == "timeit":
            self._executor.exec_source(cell, self._cell())
            return None
        if name == "writefile":
            return self._writefile(line, cell)
        self._executor.note(f"cell {self._cell()}: the cell magic %%{name} is not run by the grader")
        return None

    def system(self, command: str):
        self._executor.note(f"cell {self._cell()}: the shell command !{command.strip()[:80]} was not run "
                            "(the grader runs no shell commands; everything the assignment needs is installed)")

    def getoutput(self, command: str, split: bool = True):
        self.system(command)
        return []

    def _evaluate(self, code: str):
        filename = cell_filename(self._cell())
        try:
            compiled = compile(code, filename, "eval")
        except SyntaxError:
            exec(compile(code, filename, "exec"), self._executor.namespace)
            return None
        return eval(compiled, self._executor.namespace)

    def _time(self, code: str):
        started = time.perf_counter()
        value = self._evaluate(code)
        print(f"Wall time: {time.perf_counter() - started:.3g} s")
        return value

    def _writefile(self, line: str, body: str):
        parts = line.split()
        append = "-a" in parts or "--append" in parts
        names = [p for p in parts if not p.startswith("-")]
        target = Path(names[0]) if names else None
        if target is None or target.is_absolute() or ".." in target.parts:
            self._executor.note(f"cell {self._cell()}: %%writefile {line.strip()} was not run "
                                "(only files inside the notebook's folder can be written)")
            return None
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "a" if append else "w", encoding="utf-8") as handle:
            handle.write(body)
        return None


def display(*objects, **_options):
    """Jupyter's ``display``: prints the repr (what a plain console shows)."""
    for item in objects:
        print(repr(item))
