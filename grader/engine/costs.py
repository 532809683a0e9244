"""What each mistake cost: ``extra_data.misconceptions`` and ``extra_data.root_causes`` of results.json.

Built after one-mistake-charged-once (:mod:`grader.engine.cascade`) has
settled every check, from the final verdicts only: a check that passed with
stand-ins for a broken part costs nothing, and is listed under that part as
spared.
"""
from __future__ import annotations

from grader.checks.mistakes import Catalogue
from grader.core.types import CheckResult


def misconceptions(tests: list[dict], results: list[CheckResult], catalogue: Catalogue) -> list[dict]:
    """Each recognised mistake once: ``{"id", "title", "checks", "points_lost", "explanation", "hint"}``."""
    found: dict[str, dict] = {}
    for test, result in zip(tests, results):
        if result.passed:
            continue
        for mistake_id in result.misconceptions:
            mistake = catalogue.get(mistake_id)
            entry = found.setdefault(mistake_id, {
                "id": mistake_id, "title": mistake.title if mistake else mistake_id, "checks": [], "points_lost": 0.0,
                "explanation": mistake.explanation if mistake else "", "hint": mistake.hint if mistake else ""})
            if test["name"] not in entry["checks"]:
                entry["checks"].append(test["name"])
                entry["points_lost"] += test["max_score"] - test["score"]
    return list(found.values())


def root_causes(tests: list[dict], results: list[CheckResult]) -> list[dict]:
    """One entry per part that failed its own checks, costliest first: the checks and points it lost, the
    mistakes named there, the checks it spared (passed with its stand-in) and those that still failed with it.
    """
    causes: dict[str, dict] = {}

    def cause(part: str) -> dict:
        return causes.setdefault(part, {"part": part, "checks": [], "points_lost": 0.0, "misconceptions": [],
                                        "spared": [], "failed_with_it": []})

    for test, result in zip(tests, results):
        if not result.passed and result.kind != "grader":
            entry = cause(result.cls)
            entry["checks"].append(test["number"])
            entry["points_lost"] += test["max_score"] - test["score"]
            entry["misconceptions"] += [m for m in result.misconceptions if m not in entry["misconceptions"]]
    for test, result in zip(tests, results):
        for part in result.cascade.get("parts", []):
            if part in causes:
                cause(part)["spared" if result.passed else "failed_with_it"].append(test["number"])
    return sorted(causes.values(), key=lambda c: (-c["points_lost"], c["part"]))
