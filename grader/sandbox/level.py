"""The isolation level this machine gives workers, found without grading anything.

The fork server finds the level when it starts (the strongest that works,
:mod:`grader.sandbox.isolation`); asking for it starts the same fork server a
grading would use (or reuses it), so it costs one start and is then free.
"""
from __future__ import annotations

from pathlib import Path

from grader.core.paths import reference_folders
from grader.sandbox import forkserver, isolation

DEFAULT_PRELOAD = ("numpy",)


#: ``NNGRADE_SANDBOX`` asked for a level this machine cannot give (never a silent fallback).
LevelUnavailable = isolation.RequestedLevelUnavailable


def spawn_sandbox(preload: tuple[str, ...]) -> dict:
    """What a spawned worker (no fork server) gets: resource limits only, with the reason."""
    reason = forkserver._failures.get(tuple(preload))
    warning = isolation.WARNINGS["rlimits-only"] + (f" (no fork server: {reason})" if reason else "")
    return {"level": "rlimits-only", "warning": warning, "start": "spawn"}


def current_level(preload=DEFAULT_PRELOAD, hidden: list[Path] | None = None, packages=()) -> dict:
    """``{"level", "warning", "start", "strong"}`` for workers of ``preload`` hiding ``hidden``.

    Raises :class:`LevelUnavailable` (from :func:`forkserver.server_for`) when ``NNGRADE_SANDBOX`` names a level
    that could not be had.
    """
    preload = tuple(preload) or DEFAULT_PRELOAD
    server = forkserver.server_for(preload, reference_folders() if hidden is None else list(hidden), tuple(packages))
    if server is not None:
        info = {"level": server.level, "warning": server.warning, "start": "fork"}
    else:
        info = spawn_sandbox(preload)
    info["strong"] = isolation.is_strong(info["level"])
    return info
