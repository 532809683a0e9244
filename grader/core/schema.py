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
#: Kinds of failure whose message is about the submission's files or the grader, never a check's inputs: a hidden
#: check of these kinds keeps its message in what students see.
HIDDEN_SAFE_KINDS = ("import", "grader")
#: extra_data key saying that every hidden check's tests[].output holds only what students may see (its full
#: message is then extra_data.checks[i].instructor_output); results without it predate that rule.
HIDDEN_OUTPUTS = "hidden_outputs"
STUDENT_SAFE = "student-safe"
#: The most the released skeleton may score, as a share of the points: ``nngrade validate`` holds the skeleton
#: to it, and the class summary reads a submission below it that fails on placeholders as the skeleton.
SKELETON_MAX_FRACTION = 0.05


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most about ``limit`` characters at a word boundary, marked with "…" when cut."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    cut = max(head.rfind(" "), head.rfind("\n"))
    if cut < limit * 0.8:       # one long word (a path, an array dump): cut inside it rather than lose a fifth
        cut = limit
    return head[:cut].rstrip() + " … (shortened)"


def check_target(name: str) -> str:
    """What a check is about, from its name: the class and method (``DenseLayer.backward_propagation``) or the
    function (``train_epoch``), i.e. the name up to its first ': '."""
    return name.split(":", 1)[0].strip() or name


def hidden_check_lines(name: str, kind: str) -> list[str]:
    """What a failed hidden check says besides its recognised mistakes: what it concerns, never its inputs."""
    return [f"This hidden check concerns {check_target(name)}" + (f" ({KIND_LABELS[kind]})." if kind in KIND_LABELS
                                                                   else "."),
            "Its inputs and expected values are not shown."]


def full_output(results: dict, number: str) -> str:
    """The whole message of check ``number``: tests[].output, or, for a hidden check whose output students see
    shortened, extra_data.checks[i].instructor_output (for instructors and authoring tools only)."""
    for check in (results.get("extra_data") or {}).get("checks", []):
        if isinstance(check, dict) and str(check.get("number")) == str(number) and "instructor_output" in check:
            return str(check["instructor_output"])
    test = next((t for t in results.get("tests", []) if str(t.get("number")) == str(number)), {})
    return str(test.get("output") or "")


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
