"""``course.toml``: the file that marks a folder as an nngrade course (``nngrade init`` writes it)::

    # nngrade uses this course in this folder and every folder below it.
    name = "Neural networks, winter 2026"   # shown on every command's "course:" line

The course's assignments are the folders under ``reference/`` (and ``assignments/``),
so the file names nothing else; see :mod:`grader.core.paths` for how a course is found.
"""
from __future__ import annotations

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from grader.core.paths import COURSE_FILE

KNOWN_KEYS = {"name"}


class CourseError(Exception):
    """A course folder's ``course.toml`` is wrong (a usage error: the message names the file and the fix)."""


def course_file_text(name: str) -> str:
    """A new ``course.toml`` for a course called ``name``."""
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    return ("# An nngrade course: every nngrade command run in this folder, or in a folder below it, uses it\n"
            "# (unless --course DIR or NNGRADE_COURSE names another). Its assignments are the folders in\n"
            "# reference/ (the instructor's) and assignments/ (the released student bundles).\n"
            f'name = "{quoted}"   # shown on the "course:" line each command prints\n')


def course_name(root: Path) -> str:
    """The ``name`` in ``root/course.toml`` (the folder's name when it has none or no such file)."""
    path = root / COURSE_FILE
    if not path.is_file():
        return root.name
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CourseError(f"{path} is not valid TOML ({exc}); fix it, or write just: name = \"My course\"") from None
    unknown = sorted(set(config) - KNOWN_KEYS)
    if unknown:
        raise CourseError(f"{path}: unknown key(s) {', '.join(unknown)}; a course.toml holds only "
                          f"{', '.join(sorted(KNOWN_KEYS))}")
    name = config.get("name", root.name)
    if not isinstance(name, str) or not name.strip():
        raise CourseError(f'{path}: name must be a non-empty string, e.g. name = "Neural networks 2026"')
    return name
