"""Where things are: the package's own files, and the course folder the commands work on.

A course folder holds ``course.toml`` (see :mod:`grader.core.course`),
``reference/`` (the instructor's solutions and checks), ``assignments/`` (the
released bundles), ``samples/`` and, optionally, ``templates/`` (report
templates that replace the packaged ones of the same name). The course is, first
match wins (:func:`find_course`):

1. ``NNGRADE_COURSE`` (``nngrade --course DIR`` sets it);
2. the nearest folder holding a ``course.toml``: the current folder or one above it, as git finds ``.git``;
3. the built-in course: the source checkout the package runs from, or the copy of it an installed wheel carries
   in ``grader/builtin_course/``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
#: The folder that holds the package: a source checkout (itself a course folder) or site-packages.
PACKAGE_PARENT = PACKAGE_ROOT.parent
COURSE_VARIABLE = "NNGRADE_COURSE"
COURSE_FILE = "course.toml"
COURSE_FOLDERS = ("reference", "assignments")
#: Where a built wheel keeps its copy of the project's course (setup.py puts it there).
WHEEL_COURSE = PACKAGE_ROOT / "builtin_course"


class CourseChoice(NamedTuple):
    root: Path
    reason: str   # how it was found, for the "course: …" line every command prints


def is_course(folder: Path) -> bool:
    return (folder / COURSE_FILE).is_file() or any((folder / name).is_dir() for name in COURSE_FOLDERS)


def builtin_course() -> Path:
    """The course that ships with nngrade: the source checkout, else the wheel's copy."""
    return PACKAGE_PARENT if is_course(PACKAGE_PARENT) else WHEEL_COURSE


def find_course(start: Path | None = None) -> CourseChoice:
    """The course folder every command reads (see the module docstring)."""
    chosen = os.environ.get(COURSE_VARIABLE)
    if chosen:
        return CourseChoice(Path(chosen).resolve(), f"named by --course or {COURSE_VARIABLE}")
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / COURSE_FILE).is_file():
            return CourseChoice(folder, f"the nearest {COURSE_FILE}, from {here}")
    return CourseChoice(builtin_course(), f"built in: no {COURSE_FILE} in {here} or above it")


def course_root() -> Path:
    return find_course().root


def reference_folders() -> list[Path]:
    """Every ``reference/`` folder the harness knows of: a worker must never see them."""
    roots = (PACKAGE_PARENT, WHEEL_COURSE, course_root())
    return sorted({(root / "reference").resolve() for root in roots if (root / "reference").is_dir()})


def template_folders() -> list[Path]:
    """Where report templates are looked up, first match wins: the course's ``templates/``, then the package's."""
    return [course_root() / "templates", PACKAGE_ROOT / "feedback" / "templates"]
