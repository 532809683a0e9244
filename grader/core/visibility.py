"""Which check files are public: the one rule that release, the student's self-check and grading all use.

A check file is **public** only when it is named ``test_public_*.py`` and
nothing in it can mark a check hidden (no ``hidden`` attribute, name or string
in any spelling: ``pytest.mark.hidden``, ``mark.hidden``, ``getattr(mark,
"hidden")``). It is **hidden** when it is named ``test_hidden_*.py``, marked or
not. Anything else is ambiguous and stops with a message that says how to name
the file, so a hidden check can never ship to students by a spelling the
release did not expect.
"""
from __future__ import annotations

import ast
import functools
from pathlib import Path

PUBLIC_PREFIX = "test_public_"
HIDDEN_PREFIX = "test_hidden_"


class VisibilityError(ValueError):
    """A check file whose visibility is ambiguous (the message names the file and the fix)."""


def _mentions_hidden(tree: ast.AST) -> int | None:
    """The line of the first mention of ``hidden`` that could be a marker, or None (a dict key cannot be one)."""
    keys = {id(key) for node in ast.walk(tree) if isinstance(node, ast.Dict) for key in node.keys}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "hidden":
            return node.lineno
        if isinstance(node, ast.Name) and node.id == "hidden":
            return node.lineno
        if isinstance(node, ast.Constant) and node.value == "hidden" and id(node) not in keys:
            return node.lineno
        if isinstance(node, ast.alias) and "hidden" in (node.name, node.asname):
            return getattr(node, "lineno", 0)
    return None


def is_hidden_check_file(path: Path) -> bool:
    """True for a hidden check file, False for a public one; :class:`VisibilityError` when it is ambiguous."""
    path = Path(path)
    return _visibility(path, path.stat().st_mtime_ns if path.exists() else 0)


@functools.lru_cache(maxsize=256)
def _visibility(path: Path, mtime_ns: int) -> bool:
    """Each grading asks for every check, so a file is read once per version of it."""
    if path.name.startswith(HIDDEN_PREFIX):
        return True
    if not path.name.startswith(PUBLIC_PREFIX):
        raise VisibilityError(f"{path}: a check file is named {PUBLIC_PREFIX}*.py (students get it) or "
                              f"{HIDDEN_PREFIX}*.py (final grading only); rename it")
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    except SyntaxError as exc:
        raise VisibilityError(f"{path}: not valid Python (line {exc.lineno}: {exc.msg})") from None
    line = _mentions_hidden(tree)
    if line is not None:
        raise VisibilityError(f"{path} line {line}: a public check file mentions 'hidden'; move hidden checks "
                              f"into a {HIDDEN_PREFIX}*.py file (and rename anything else called 'hidden')")
    return False
