"""The command line's handling of paths: a wrong --out is named before any work (not after a grading), and the
course a command uses is handed to the processes it starts."""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

import click

from grader.core.paths import COURSE_FILE, COURSE_VARIABLE, WHEEL_COURSE, course_root


def _nearest_existing(path: Path) -> Path:
    for folder in (path, *path.parents):
        if folder.exists():
            return folder
    return Path("/")


def _writable_target(path: Path, kind: str) -> str | None:
    """Why ``path`` cannot become the ``kind`` ("folder" or "file") a command writes, or None when it can."""
    path = path.expanduser().absolute()
    if path.exists():
        if kind == "folder" and not path.is_dir():
            return f"{path} is a file, and this command writes a folder there; remove it or name another folder"
        if kind == "file" and path.is_dir():
            return f"{path} is a folder, and this command writes a file there; name a file, e.g. {path}/out.zip"
        where = path if kind == "folder" else path.parent
        if not os.access(where, os.W_OK | os.X_OK):
            return f"{where} is not writable for this user; name a folder you can write to"
        return None
    existing = _nearest_existing(path.parent)
    if not existing.is_dir():
        return f"{path} cannot be created: {existing} is a file, not a folder; name a path under a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"{path} cannot be created: {existing} is not writable for this user; name a folder you can write to"
    return None


def checked_out(kind: str):
    """A click callback for an ``--out`` option: stop with a usage error (exit 2) when ``--out`` cannot be written
    as a ``kind`` ("folder" or "file"), before the command does any work."""
    def check(ctx, param, value):
        if value is not None:
            problem = _writable_target(Path(value), kind)
            if problem:
                raise click.BadParameter(problem, ctx=ctx, param=param)
        return value
    return check


def checked_writable_folder(ctx, param, value):
    """A click callback for an existing folder the command writes into (``report FOLDER``)."""
    if value is not None and not os.access(value, os.W_OK | os.X_OK):
        raise click.BadParameter(f"{value} is not writable for this user, and this command writes its reports there",
                                 ctx=ctx, param=param)
    return value


@contextlib.contextmanager
def course_variable(root: Path):
    """``NNGRADE_COURSE`` names ``root`` while a command runs, so that harness processes and workers use the same
    course; the previous value comes back after (a command invoked in-process leaves the environment as it was)."""
    previous = os.environ.get(COURSE_VARIABLE)
    os.environ[COURSE_VARIABLE] = str(root)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(COURSE_VARIABLE, None)
        else:
            os.environ[COURSE_VARIABLE] = previous


def own_course() -> Path:
    """The course a command may write into: not the copy of nngrade's course inside an installed package."""
    root = course_root()
    if root == WHEEL_COURSE:
        raise click.UsageError(f"no course folder here ({COURSE_FILE} in this folder or above) and the built-in course "
                               f"is part of the installed package; make one with nngrade init DIR, then run this "
                               "command inside it (or name it with --course DIR)")
    return root
