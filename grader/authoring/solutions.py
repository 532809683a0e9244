"""Solution regions in reference files, and the TODOs that replace them in the student's version.

A solution region in a reference ``.py`` file (or a notebook's code cell)::

        # <SOL> compute the output: input @ weights + biases
        ...the instructor's code...
        # </SOL>

becomes, in the student's file::

        # TODO: compute the output: input @ weights + biases
        raise NotImplementedError("DenseLayer.forward_propagation: compute the output: ...")
"""
from __future__ import annotations

import ast
import re

from grader.core.assignment import AssignmentError

BEGIN = re.compile(r"^(?P<indent>[ \t]*)#\s*<SOL>\s*(?P<text>.*?)\s*$")
END = re.compile(r"^[ \t]*#\s*</SOL>\s*$")
DEF = re.compile(r"^(?P<indent>[ \t]*)(?:async\s+)?def\s+(?P<name>\w+)")
CLASS = re.compile(r"^(?P<indent>[ \t]*)class\s+(?P<name>\w+)")


class ReleaseError(AssignmentError):
    """A reference file whose solution regions cannot be stripped."""


def _enclosing(lines: list[str], index: int, indent: str) -> str:
    """``Class.method`` (or ``function``) that encloses line ``index``."""
    func, func_indent = None, None
    for line in reversed(lines[:index]):
        match = DEF.match(line)
        if match and func is None and len(match["indent"]) < len(indent):
            func, func_indent = match["name"], match["indent"]
            continue
        match = CLASS.match(line)
        if match and func is not None and len(match["indent"]) < len(func_indent):
            return f"{match['name']}.{func}"
    return func or "this part"


def strip_solutions(source: str, filename: str = "<source>", check_syntax: bool = True) -> str:
    """Replace every ``# <SOL>`` … ``# </SOL>`` region with a TODO that raises NotImplementedError.

    ``check_syntax=False`` leaves the check to the caller (a notebook cell may hold ``%magic`` lines).
    """
    lines = source.splitlines()
    out: list[str] = []
    index = 0
    while index < len(lines):
        match = BEGIN.match(lines[index])
        if END.match(lines[index]):
            raise ReleaseError(f"{filename}:{index + 1}: '# </SOL>' without an opening '# <SOL>'")
        if not match:
            out.append(lines[index])
            index += 1
            continue
        start = index
        index += 1
        while index < len(lines) and not END.match(lines[index]):
            if BEGIN.match(lines[index]):
                raise ReleaseError(f"{filename}:{index + 1}: '# <SOL>' inside the region opened at line {start + 1}")
            index += 1
        if index == len(lines):
            raise ReleaseError(f"{filename}:{start + 1}: '# <SOL>' is never closed by '# </SOL>'")
        indent, text = match["indent"], match["text"] or "implement this part"
        where = _enclosing(lines, start, indent)
        out.append(f"{indent}# TODO: {text}")
        out.append(f"{indent}raise NotImplementedError({f'{where}: {text}'!r})")
        index += 1
    result = "\n".join(out) + ("\n" if source.endswith("\n") else "")
    if not check_syntax:
        return result
    try:
        ast.parse(result, filename)
    except SyntaxError as exc:
        raise ReleaseError(f"{filename}: the stripped file is not valid Python (line {exc.lineno}: {exc.msg}); "
                           "a region must cover whole statements") from None
    return result
