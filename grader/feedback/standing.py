"""What one graded submission amounts to in the class outputs: its status, its checks' outcomes, its mistakes.

Everything here is read from results.json, which trusted code wrote: a check's kind and tags, the grader's own
notes, the scores. The status (gradebook.csv ``status``) is the first of these that applies:

- ``grader error``: some check failed with kind ``grader`` (the grader broke, or the harness grading the
  submission died): the score is no verdict on the student; grade the submission again.
- ``not attempted``: the submission is the untouched skeleton, or holds nothing to grade (see below).
- ``import error``: some check failed with kind ``import``: a module of the submission did not import (a syntax
  error, a missing file or name), so the checks that need it scored 0 and the rest were graded.
- ``graded``: everything else, whatever the score.

Not attempted is one of two situations, which the summary names:

- *nothing to grade*: none of the student's code could be loaded: the results have no checks, or every check
  failed with kind ``import`` (none of the expected files or names was found, or every module fails to import:
  the summary gives the reason, e.g. "layers.py has a syntax error at line 3"). When some module loads and
  others do not, the status is import error.
- *submitted the skeleton*: it scores at most :data:`~grader.core.schema.SKELETON_MAX_FRACTION` of the points (``nngrade validate`` holds
  the released skeleton to the same share), and at least half the checks it fails raised ``NotImplementedError``,
  the placeholder of the released skeletons' functions (the other failures come from what calls them, or from
  placeholders such as a notebook's ``x = ...``: the released numpy_nn, cnn, backprop and torch_basics skeletons
  all pass this test). A submission whose own code is wrong more often than unwritten, or that scores more, is
  graded. Whether the files are byte for byte the released ones is not known from the results, and does not
  matter: a skeleton with a comment added is no more attempted.
"""
from __future__ import annotations

from dataclasses import dataclass

from grader.core.schema import KIND_LABELS, SKELETON_MAX_FRACTION
from grader.feedback.classfolder import max_score_of
from grader.feedback.view import clean_text

GRADED, IMPORT_ERROR, NOT_ATTEMPTED, GRADER_ERROR = "graded", "import error", "not attempted", "grader error"
STATUSES = (GRADED, IMPORT_ERROR, NOT_ATTEMPTED, GRADER_ERROR)
SKELETON, NOTHING = "submitted the skeleton", "nothing to grade"
PLACEHOLDER_ERROR = "NotImplementedError"
#: What a check's failure was, for the pass rates: passed, failed (its own fault), or a cascade (it failed only
#: because parts it uses failed their own checks: re-run with the grader's stand-ins for them, it passed).
PASSED, FAILED, CASCADE = "passed", "failed", "cascade"


@dataclass
class Standing:
    status: str           # one of STATUSES
    label: str            # what the summary shows: the status, or SKELETON / NOTHING for not attempted
    reason: str = ""      # why, in one line, for not attempted and import errors


@dataclass
class StudentMistake:
    id: str
    title: str
    explanation: str
    points_lost: float


def _check_entries(results: dict) -> dict[str, dict]:
    """extra_data.checks by check number."""
    return {str(c.get("number")): c for c in (results.get("extra_data") or {}).get("checks", []) if isinstance(c, dict)}


def _kinds(results: dict) -> list[str]:
    """Each check's kind: from extra_data.checks, else from the test's tags (results without extra_data)."""
    entries = _check_entries(results)
    return [str(entries.get(str(t.get("number")), {}).get("kind")
                or next((tag for tag in t.get("tags") or [] if tag in KIND_LABELS), "")) for t in results["tests"]]


def _failures(results: dict) -> list[tuple[str, str]]:
    """(kind, message) of every failed check."""
    return [(kind, str(test.get("output") or "")) for test, kind in zip(results["tests"], _kinds(results))
            if test["status"] != "passed"]


def _first_line(message: str) -> str:
    """A check's own message: integration checks add lines about the parts they use after it."""
    return message.strip().split("\n", 1)[0].strip()


def _nothing_found(results: dict, failures: list[tuple[str, str]]) -> bool:
    return len(failures) == len(results["tests"]) and all(kind == "import" for kind, _ in failures)


def _placeholders(failures: list[tuple[str, str]]) -> int:
    """How many of the failed checks raised the skeleton's placeholder error."""
    return sum(kind == "error" and PLACEHOLDER_ERROR in _first_line(message) for kind, message in failures)


def _is_skeleton(results: dict, failures: list[tuple[str, str]]) -> bool:
    return (bool(failures) and float(results["score"]) <= SKELETON_MAX_FRACTION * max_score_of(results)
            and 2 * _placeholders(failures) >= len(failures))


def standing_of(results: dict) -> Standing:
    """The submission's status (see the module docstring)."""
    failures = _failures(results)
    kinds = {kind for kind, _ in failures}
    if "grader" in kinds:
        return Standing(GRADER_ERROR, GRADER_ERROR, "the grader failed on some checks; grade this submission again")
    if _nothing_found(results, failures):
        reasons = (results.get("extra_data") or {}).get("notes") or [m for _, m in failures] or ["no checks ran"]
        return Standing(NOT_ATTEMPTED, NOTHING, clean_text(_first_line(str(reasons[0])), 300))
    if _is_skeleton(results, failures):
        return Standing(NOT_ATTEMPTED, SKELETON, f"{_placeholders(failures)} of the {len(failures)} failed checks "
                                                 f"raised {PLACEHOLDER_ERROR}")
    if "import" in kinds:
        first = next(message for kind, message in failures if kind == "import")
        return Standing(IMPORT_ERROR, IMPORT_ERROR, clean_text(_first_line(first), 300))
    return Standing(GRADED, GRADED)


def check_outcomes(results: dict) -> list[tuple[dict, str]]:
    """(test, PASSED / FAILED / CASCADE) for every check of the submission."""
    by_number = _check_entries(results)
    outcomes = []
    for test in results["tests"]:
        cascade = by_number.get(str(test.get("number")), {}).get("cascade") or {}
        if "charged-elsewhere" in (test.get("tags") or []) or (isinstance(cascade, dict) and cascade.get("passed")):
            outcomes.append((test, CASCADE))
        else:
            outcomes.append((test, PASSED if test["status"] == "passed" else FAILED))
    return outcomes


def _points(value) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def mistakes_of(results: dict) -> list[StudentMistake]:
    """The submission's recognised mistakes, one per id (results written before one-mistake-charged-once list a
    mistake once per check: their points add up), in the order results.json gives them."""
    mistakes: dict[str, StudentMistake] = {}
    for entry in (results.get("extra_data") or {}).get("misconceptions", []):
        if not isinstance(entry, dict) or "id" not in entry:
            continue
        key = clean_text(str(entry["id"]), 200)
        mistake = mistakes.setdefault(key, StudentMistake(
            key, clean_text(entry.get("title") or key, 300), clean_text(entry.get("explanation") or "", 2000), 0.0))
        mistake.points_lost += _points(entry.get("points_lost"))
    return list(mistakes.values())


def first_sentence(text: str, limit: int = 200) -> str:
    """The explanation's first sentence, for a one-line mention."""
    text = " ".join(text.split())
    end = text.find(". ")
    sentence = text if end < 0 else text[:end + 1]
    return sentence if len(sentence) <= limit else sentence[:limit - 1].rstrip() + "…"
