"""The vocabulary of results.json (CONTRACT §2) that grading writes and the reports read."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

RESULTS_FILE = "results.json"
MAX_OUTPUT_CHARS = 4000
#: Why a failed check failed, as the reports say it.
KIND_LABELS = {"timeout": "timed out", "crash": "crashed", "memory": "ran out of memory",
               "import": "could not import your code", "grader": "grader error", "error": "your code raised an error"}
#: Key of a results dict that carries extra files for the report folder (``notebook.html``); never written to JSON.
ATTACHMENTS = "_attachments"


def weak_sandbox_note(extra: dict) -> str:
    """'' when the student code ran under strong isolation (or the results predate the level's record); else one
    line with the level and its warning, for every report and the gradebook."""
    sandbox = extra.get("sandbox") if isinstance(extra, dict) else None
    if not isinstance(sandbox, dict) or not sandbox.get("level") or sandbox.get("strong", True):
        return ""
    warning = str(sandbox.get("warning") or "").strip()
    return f"graded with weak isolation (sandbox level {sandbox['level']})" + (f": {warning}" if warning else "")


def misconception_lines(title: str, explanation: str, hint: str) -> list[str]:
    """How a recognised mistake reads in a test's output (the reports find and restyle exactly these lines)."""
    lines = [f"Likely mistake: {title}. {explanation}".rstrip()]
    if hint:
        lines.append(f"Hint: {hint}")
    return lines


def checks_of(misconception: dict) -> list:
    """The checks a results.json misconception entry showed in: ``checks`` (one entry per mistake, since
    one-mistake-charged-once), or ``check`` in results written before it (one entry per check)."""
    checks = misconception.get("checks")
    if isinstance(checks, list):
        return checks
    return [misconception["check"]] if misconception.get("check") else []


def write_json_atomic(path: Path, data: dict) -> None:
    """Write then rename, so a reader never sees half a results.json."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
