"""Where things are: the package's own files, and the course folder the commands work on.

A course folder holds ``reference/`` (the instructor's solutions and checks),
``assignments/`` (the released bundles), ``samples/`` and, optionally,
``templates/`` (report templates that replace the packaged ones of the same
name). It is ``NNGRADE_COURSE`` (``nngrade --course DIR`` sets it), else the
source checkout the package runs from when that holds a course, else the
current folder.
"""
from __future__ import annotations

import os
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
#: The folder that holds the package: a source checkout (itself a course folder) or site-packages.
PACKAGE_PARENT = PACKAGE_ROOT.parent
COURSE_VARIABLE = "NNGRADE_COURSE"
COURSE_FOLDERS = ("reference", "assignments")


def is_course(folder: Path) -> bool:
    return any((folder / name).is_dir() for name in COURSE_FOLDERS)


def course_root() -> Path:
    """The course folder every command reads (see the module docstring)."""
    chosen = os.environ.get(COURSE_VARIABLE)
    if chosen:
        return Path(chosen).resolve()
    if is_course(PACKAGE_PARENT):
        return PACKAGE_PARENT
    return Path.cwd().resolve()


def reference_folders() -> list[Path]:
    """Every ``reference/`` folder the harness knows of: a worker must never see them."""
    return sorted({(root / "reference").resolve() for root in (PACKAGE_PARENT, course_root())})


def template_folders() -> list[Path]:
    """Where report templates are looked up, first match wins: the course's ``templates/``, then the package's."""
    return [course_root() / "templates", PACKAGE_ROOT / "feedback" / "templates"]
