"""One mistake, charged once: failed integration checks re-run with stand-ins for parts that failed their own.

A check is about one part (its class or function: ``NeuralNetwork.fit: …``
is about ``NeuralNetwork``) but may use others: the parts its probes looked
up in the student's code (recorded by the worker), plus those the assignment
declares it depends on (``[depends]``, or a notebook's ``[notebook.depends]``,
in assignment.toml: ``fit = ["train_epoch"]`` where the student's ``fit``
calls their ``train_epoch`` itself). When such a check fails and some of the
parts it uses failed their own checks, it runs again with the grader's
stand-ins for those parts (their behaviour served from the harness, see
:mod:`grader.sandbox.standin_service`). If it passes then, it scores as passed
and says which part to fix and in which check that part was charged.

The policy is ``cascade`` in assignment.toml: ``"charge-once"`` (the default)
or ``"charge-all"`` (no re-runs: every check that fails costs its points).
"""
from __future__ import annotations

import time

from grader.core.assignment import Assignment, AssignmentError
from grader.core.types import CheckResult
from grader.sandbox.standin_service import StandInService

POLICIES = ("charge-once", "charge-all")
#: re-runs of one check at most (each may find parts the previous one did not reach)
MAX_RERUNS = 3


def policy_of(assignment: Assignment) -> str:
    policy = assignment.config.get("cascade", "charge-once")
    if policy not in POLICIES:
        raise AssignmentError(f"{assignment.root / 'assignment.toml'}: cascade = {policy!r} is not a policy; use "
                              f"cascade = \"charge-once\" (a mistake costs only its own checks) or \"charge-all\"")
    return policy


def declared_depends(assignment: Assignment) -> dict[str, list[str]]:
    """``[depends]`` (and a notebook's ``[notebook.depends]``): part -> the parts it calls itself."""
    depends: dict[str, list[str]] = {}
    path = assignment.root / "assignment.toml"
    for table, where in ((assignment.config.get("depends", {}), "[depends]"),
                         (assignment.config.get("notebook", {}).get("depends", {}), "[notebook.depends]")):
        if not isinstance(table, dict):
            raise AssignmentError(f"{path}: {where} must be a table of part = [\"other part\", ...]")
        for part, uses in table.items():
            if not (isinstance(uses, list) and all(isinstance(u, str) for u in uses)):
                raise AssignmentError(f"{path}: {where} {part} must be a list of names, e.g. {part} = [\"forward\"]")
            depends.setdefault(part, []).extend(u for u in uses if u not in depends.get(part, []))
    return depends


def attach_standins(assignment: Assignment, student, reference) -> None:
    """Give the student's client the reference's parts to serve as stand-ins (where there is a reference in
    this process: a student bundle has only recorded answers, and then every check is charged)."""
    api = getattr(reference, "api", None)
    if api is None or not hasattr(student, "standin_service") or policy_of(assignment) != "charge-once":
        return
    student.standin_service = StandInService(api, assignment.homes, assignment.limits.memory_mb)


def _reached(result: CheckResult, depends: dict[str, list[str]]) -> list[str]:
    """The parts a check uses: those its probes looked up and what they (and its own part) call, transitively."""
    reached = list(dict.fromkeys([*result.uses, result.cls]))
    for part in reached:   # grows while it is walked
        reached += [d for d in depends.get(part, []) if d not in reached]
    return [p for p in reached if p != result.cls]


def _failed_parts(results: list[CheckResult]) -> dict[str, list[int]]:
    failed: dict[str, list[int]] = {}
    for number, result in enumerate(results, start=1):
        if not result.passed and result.kind != "grader":
            failed.setdefault(result.cls, []).append(number)
    return failed


def _charged_message(parts: list[str], charged_in: list[int]) -> str:
    names = " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)
    checks = " and ".join([", ".join(map(str, charged_in[:-1])), str(charged_in[-1])] if len(charged_in) > 1
                          else map(str, charged_in))
    verb = "is" if len(parts) == 1 else "are"
    return (f"passes once {names} {verb} fixed: charged in check{'s' if len(charged_in) > 1 else ''} {checks}. "
            f"(This check ran again with the grader's stand-in{'s' if len(parts) > 1 else ''} for "
            f"{names}, and your own code passed it.)")


def charge_once(assignment: Assignment, student, results: list[CheckResult]) -> None:
    """Re-run each failed check whose failure may be another part's (see the module docstring), in place."""
    _refuse_own_standins(results)
    service = getattr(student, "standin_service", None)
    failed = _failed_parts(results)
    depends = declared_depends(assignment)
    for result in results:
        if result.passed or result.kind == "grader" or result.retry is None:
            continue
        broken = [p for p in _reached(result, depends) if p in failed]
        if not broken:
            continue
        # A part the grader cannot stand in for (a torch nn.Module) keeps the student's own in the re-run.
        parts = [p for p in broken if service is not None and p in service.specs]
        result.cascade = {"parts": parts or broken, "rerun": False, "passed": False}
        if parts:
            _rerun(result, service, parts, failed, depends)
        parts = result.cascade["parts"]
        parts.sort(key=lambda p: failed[p][0])
        result.cascade["charged_in"] = [failed[p][0] for p in parts]
        if result.cascade["passed"]:
            result.passed, result.kind = True, ""
            result.misconceptions.clear()
            result.message = _charged_message(parts, result.cascade["charged_in"])


def _rerun(result: CheckResult, service, parts: list[str], failed: dict, depends: dict) -> None:
    """Re-run with stand-ins for ``parts``; a part the first run never reached (it stopped at an earlier one)
    may show up in the re-run: then again with it too, while the re-run finds new broken parts."""
    for _ in range(MAX_RERUNS):
        result.cascade["rerun"] = True
        if _passes_with_standins(result, service, parts):
            result.cascade["passed"] = True
            result.cascade.pop("failed_again", None)
            return
        more = [p for p in _reached(result, depends) if p in failed and p in service.specs and p not in parts]
        if not more:
            return
        parts += list(dict.fromkeys(more))


def _passes_with_standins(result: CheckResult, service: StandInService, parts: list[str]) -> bool:
    saved_calls, saved_artifacts = list(result.calls), dict(result.artifacts)
    result.calls.clear()
    result.artifacts.clear()
    served_before, result.served = result.served, set()
    service.names = tuple(parts)
    started = time.perf_counter()
    try:
        result.retry()
        passed = not (result.served - set(parts) - service.always) and result.cls not in result.served
    except Exception as exc:  # noqa: BLE001 - a check that fails again, however, keeps its first verdict
        result.cascade["failed_again"] = (getattr(exc, "message", None) or str(exc))[:500]
        passed = False
    finally:
        result.seconds += time.perf_counter() - started
        service.names = ()
        result.calls[:] = saved_calls      # the student's own answers: what names a mistake
        result.served |= served_before
        result.artifacts.clear()           # the student's own run: what the report's figures call "your run"
        result.artifacts.update(saved_artifacts)
    return passed


def _refuse_own_standins(results: list[CheckResult]) -> None:
    """A check never scores a part on the grader's own stand-in for it (a worker could ask for one)."""
    for result in results:
        if result.passed and result.cls in result.served:
            result.passed, result.kind = False, "failed"
            result.message = (f"{result.cls} could not be graded: the grader's stand-in for it answered instead of "
                              "your code (does another file import it while its own file fails to import?)")

