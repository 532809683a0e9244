"""``nngrade release``: the student bundle, generated from the reference (never edited by hand).

A solution region in a reference ``.py`` file::

        # <SOL> compute the output: input @ weights + biases
        ...the instructor's code...
        # </SOL>

becomes, in the student's file::

        # TODO: compute the output: input @ weights + biases
        raise NotImplementedError("DenseLayer.forward_propagation: compute the output: ...")

Notebooks (``.ipynb``) in the solution folder are released by
:func:`grader.notebook.release_notebook`: the same regions in code cells, plus
``# <FILL IN>`` one-line blanks, ``instructor``-tagged cells left out, outputs cleared.

The bundle holds the skeleton package, the public checks (a check file with a
``hidden`` marker anywhere stays behind), the probes, the reference's recorded
answers to the public checks (``checks/expected.json``) and the mistake titles.
"""
from __future__ import annotations

import ast
import json
import re
import shutil
from pathlib import Path

from grader.assignment import Assignment, AssignmentError

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


def is_hidden_check_file(path: Path) -> bool:
    """A check file that mentions the ``hidden`` marker is not released."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return any(isinstance(node, ast.Attribute) and node.attr == "hidden" and
               isinstance(node.value, ast.Attribute) and node.value.attr == "mark" for node in ast.walk(tree))


def _record_public_answers(assignment: Assignment) -> dict:
    """Run the public checks with the reference on both sides, keeping the reference's answers."""
    from grader.probing import RecordingRunner
    from grader.runner import GradingSession, reference_for, run_checks

    recorder = RecordingRunner(reference_for(assignment))
    session = GradingSession(assignment, reference_for(assignment), recorder)
    results, output = run_checks(session, public_only=True)
    failed = [r.name for r in results if not r.passed]
    if failed:
        raise ReleaseError("the reference fails public checks (fix them before releasing): " + "; ".join(failed)
                           + "\n" + output[-3000:])
    return dict(sorted(recorder.answers.items()))


def _public_mistakes(assignment: Assignment) -> str:
    """The catalogue without its edits (the edits quote the reference solution)."""
    from grader.mistakes import Catalogue

    lines = ["# Catalogued mistakes (titles and hints only), generated by `nngrade release`.\n"]
    for mistake in Catalogue(assignment):
        lines.append("[[mistake]]")
        for key, value in mistake.as_dict().items():
            lines.append(f"{key} = {json.dumps(value)}")
        lines.append("")
    return "\n".join(lines)


def release(assignment: Assignment, out: Path) -> Path:
    """Write the student bundle of ``assignment`` into ``out`` (replacing what was there)."""
    if not assignment.has_reference:
        raise ReleaseError(f"{assignment.root} has no reference solution to release from")
    staging = out.with_name(out.name + ".tmp-release")
    shutil.rmtree(staging, ignore_errors=True)
    package = staging / assignment.package
    package.mkdir(parents=True)
    for path in sorted(assignment.solution_dir.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        (package / path.name).write_text(strip_solutions(text, str(path)), encoding="utf-8")
    for path in sorted(assignment.solution_dir.glob("*.ipynb")):
        from grader.notebook import release_notebook

        (package / path.name).write_text(release_notebook(path), encoding="utf-8")
    checks = staging / "checks"
    checks.mkdir()
    for path in sorted(assignment.checks_dir.glob("*.py")):
        if path.name.startswith("test_") and is_hidden_check_file(path):
            continue
        shutil.copyfile(path, checks / path.name)
    answers = _record_public_answers(assignment)
    (checks / "expected.json").write_text(json.dumps(answers, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    config = (assignment.root / "assignment.toml").read_text(encoding="utf-8")
    config = re.sub(r'^solution\s*=.*\n', "", config, flags=re.M)
    (staging / "assignment.toml").write_text(config, encoding="utf-8")
    (staging / "mistakes.toml").write_text(_public_mistakes(assignment), encoding="utf-8")
    readme = assignment.root / "STUDENT_README.md"
    if readme.exists():
        shutil.copyfile(readme, staging / "README.md")
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)
    return out
