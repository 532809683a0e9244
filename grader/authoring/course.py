"""``nngrade init`` and ``nngrade new``: an instructor's course folder, and a new assignment in it.

``init DIR`` copies the built-in course (:func:`grader.core.paths.builtin_course`: its
``reference/``, ``assignments/``, ``samples/`` and ``templates/``) into a new folder and
writes its ``course.toml``; with ``empty=True`` only ``templates/`` (its README) is copied. ``new NAME``
writes ``reference/NAME`` from the templates in ``grader/authoring/scaffold/`` (see its
README.md): a complete assignment that ``nngrade validate NAME`` passes as it is.
"""
from __future__ import annotations

import keyword
import os
import shutil
import sys
from importlib.machinery import PathFinder
from pathlib import Path
from string import Template

from grader.core.assignment import AssignmentError
from grader.core.course import course_file_text
from grader.core.paths import COURSE_FILE, builtin_course

SCAFFOLD = Path(__file__).resolve().parent / "scaffold"
KINDS = ("modules", "notebook")
COURSE_PARTS = ("reference", "assignments", "samples", "templates")
ASSIGNMENT_PARTS = ("reference", "assignments", "samples")   # what --empty leaves empty; templates/ is copied
#: What a copied course leaves behind: caches, and the staging folders of an interrupted release.
_NOT_COPIED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".ipynb_checkpoints", "*.tmp-release")


class CourseFolderError(AssignmentError):
    """The course folder or the new assignment cannot be made as asked (the message says what to do)."""


def init_course(target: Path, name: str | None = None, empty: bool = False) -> list[str]:
    """Make ``target`` a course folder; return the assignments it starts with."""
    target = target.expanduser().absolute()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise CourseFolderError(f"{target} already exists and is not an empty folder; nngrade init makes a new "
                                "course folder: name a new or empty one")
    source = builtin_course()
    if not empty and not (source / "reference").is_dir():
        raise CourseFolderError(f"the built-in course is missing from {source} (this installation lacks its "
                                "package data); use nngrade init --empty, or reinstall nngrade from its wheel")
    target.mkdir(parents=True, exist_ok=True)
    for part in COURSE_PARTS:
        if (empty and part in ASSIGNMENT_PARTS) or not (source / part).is_dir():
            (target / part).mkdir()
        else:
            shutil.copytree(source / part, target / part, ignore=_NOT_COPIED)
    (target / COURSE_FILE).write_text(course_file_text(name or target.name), encoding="utf-8")
    return sorted(p.parent.name for p in (target / "reference").glob("*/assignment.toml"))


def _an_installed_module(name: str) -> bool:
    """Whether ``import name`` already means something here (the standard library, an installed package)."""
    if name in sys.stdlib_module_names or name == "grader":  # nngrade's own package, also when run from a checkout
        return True
    here = {"", os.getcwd()}  # the current folder does not count: that is where the course lives
    return PathFinder.find_spec(name, [p for p in sys.path if p not in here]) is not None


def _check_name(name: str, course: Path) -> None:
    if not name.isidentifier() or keyword.iskeyword(name) or not name.isascii():
        raise CourseFolderError(f"{name!r} cannot name an assignment: it is also the package students import, "
                                "so it must be a Python identifier, e.g. relu_basics")
    if _an_installed_module(name):
        raise CourseFolderError(f"{name!r} cannot name an assignment: `import {name}` already means a module of "
                                "Python or of an installed package, which the students' package would hide; "
                                f"choose another name, e.g. {name}_basics")
    for folder in ("reference", "assignments"):
        if (course / folder / name).exists():
            raise CourseFolderError(f"{course / folder / name} already exists; choose another name")


def new_assignment(course: Path, name: str, kind: str) -> Path:
    """Write ``course/reference/NAME`` from the scaffold of ``kind`` ("modules" or "notebook")."""
    if kind not in KINDS:
        raise CourseFolderError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    _check_name(name, course)
    mistake_file = f"{name}.ipynb" if kind == "notebook" else "ops.py"
    values = {"name": name, "mistake_file": mistake_file}
    target = course / "reference" / name
    staging = target.with_name(f".{name}.tmp-new")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        for part in ("common", kind):
            for template in sorted((SCAFFOLD / part).rglob("*.tmpl")):
                relative = template.relative_to(SCAFFOLD / part).with_suffix("")
                path = staging / Path(*(p.replace("__name__", name) for p in relative.parts))
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(Template(template.read_text(encoding="utf-8")).substitute(values), encoding="utf-8")
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target
