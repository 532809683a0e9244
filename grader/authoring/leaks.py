"""Solution leaks: a line of the reference's solution regions repeated anywhere in the student bundle.

A TODO text, a hint, a public check, the README or a notebook's Markdown that
quotes a solution line hands the answer over. ``validate`` scans the bundle it
releases and fails on any such line; :func:`find_leaks` names the file, the line
and the solution line it repeats.

Lines are compared with all whitespace removed (``np.maximum(0,input)`` is
``np.maximum(0, input)``), a bundle line leaking when it contains a solution
line. Trivial solution lines are not searched for: comments, lines of fewer than
:data:`MIN_CHARS` non-space characters, ``self.x = x``, ``x = np.asarray(x)``, and lines that also
appear outside the solution regions (code the student is given anyway).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from grader.authoring.notebook_release import FILL_IN
from grader.authoring.solutions import BEGIN, END
from grader.core.assignment import Assignment
from grader.submissions.notebooks import NotebookError, cell_source, read_notebook

MIN_CHARS = 25
SELF_COPY = re.compile(r"^self\.(\w+)=\1$")           # self.x = x
CONVERSION = re.compile(r"^(\w+)=[\w.]+\(\1\)$")     # x = np.asarray(x)
TEXT_SUFFIXES = {".py", ".toml", ".md", ".txt", ".json", ".cfg", ".ini", ".yaml", ".yml", ".rst"}


@dataclass(frozen=True)
class Leak:
    file: str           # relative to the bundle; a notebook's cell is named ("x.ipynb cell 3")
    line: int
    text: str           # the bundle's line
    solution_line: str  # the reference's solution line it repeats

    def __str__(self) -> str:
        return f"{self.file} line {self.line} repeats the solution line {self.solution_line!r}: {self.text.strip()!r}"


def _squash(line: str) -> str:
    return re.sub(r"\s+", "", line)


def _split_regions(source: str) -> tuple[list[str], list[str]]:
    """(lines inside ``# <SOL>`` regions or before a ``# <FILL IN>`` marker, every other code line)."""
    inside, outside, in_region = [], [], False
    for line in source.splitlines():
        if BEGIN.match(line):
            in_region = True
        elif END.match(line):
            in_region = False
        elif in_region:
            inside.append(line)
        elif fill_in := FILL_IN.search(line):
            inside.append(line[:fill_in.start()])
        else:
            outside.append(line)
    return inside, outside


def _reference_sources(assignment: Assignment) -> list[str]:
    sources = [p.read_text(encoding="utf-8") for p in sorted(assignment.solution_dir.glob("*.py"))]
    for path in sorted(assignment.solution_dir.glob("*.ipynb")):
        try:
            notebook = read_notebook(path)
        except NotebookError:
            continue  # release reports an unreadable notebook itself
        sources += [cell_source(c) for c in notebook.cells if c.cell_type == "code"]
    return sources


def solution_lines(assignment: Assignment) -> dict[str, str]:
    """{squashed line: the line as written} of the reference's non-trivial solution lines."""
    inside, given = [], set()
    for source in _reference_sources(assignment):
        region, rest = _split_regions(source)
        inside += region
        given.update(_squash(line) for line in rest)
        given.update(_squash(line.split("#", 1)[0]) for line in rest)  # given code followed by a comment
    lines = {}
    for line in inside:
        squashed = _squash(line)
        trivial = squashed.startswith("#") or SELF_COPY.match(squashed) or CONVERSION.match(squashed)
        if len(squashed) < MIN_CHARS or trivial or squashed in given:
            continue
        lines.setdefault(squashed, line.strip())
    return lines


def _bundle_lines(path: Path, shown: str) -> list[tuple[str, int, str]]:
    """(where, line number, text) of every line a student reads in the bundle file ``path``."""
    if path.suffix == ".ipynb":
        try:
            notebook = read_notebook(path)
        except NotebookError:
            return []
        return [(f"{shown} cell {n}", i, line) for n, cell in enumerate(notebook.cells, start=1)
                for i, line in enumerate(cell_source(cell).splitlines(), start=1)]
    if path.suffix not in TEXT_SUFFIXES:
        return []
    text = path.read_text(encoding="utf-8", errors="replace")
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        out.append((shown, number, line))
        if "\\" in line:  # a TOML or JSON string: also read it unescaped, as the student sees it
            out.append((shown, number, line.replace('\\"', '"').replace("\\'", "'").replace("\\\\", "\\")))
    return out


def find_leaks(assignment: Assignment, bundle: Path) -> list[Leak]:
    """Every line of the student bundle in ``bundle`` that contains a solution line of ``assignment``'s reference."""
    wanted = solution_lines(assignment)
    leaks, seen = [], set()
    for path in sorted(p for p in bundle.rglob("*") if p.is_file()):
        if path.name == "expected.json":
            continue  # recorded numbers, never code
        for where, number, text in _bundle_lines(path, path.relative_to(bundle).as_posix()):
            squashed = _squash(text)
            for key, line in wanted.items():
                if key in squashed and (where, number, key) not in seen:
                    seen.add((where, number, key))
                    leaks.append(Leak(where, number, text, line))
    return leaks
