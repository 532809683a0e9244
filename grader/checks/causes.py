"""The likely cause of a failed whole-pipeline check (a training run, a whole-network gradient), named only where
the evidence points.

A crash is placed at the deepest frame in the student's own files (the worker records those frames, outermost
first, as ``[file, line, qualified function, source line]``; numpy's, torch's and the grader's frames are not
among them). The part (class or function) whose code raised is the likely cause when its own checks fail. When
they pass, what it was given came from its caller: the nearest caller that is a checked part is named when that
part's own checks fail. Otherwise nothing on the crash's path is accused, and the parts whose own checks fail are
named only as possible sources of the value.

``evidence`` maps each checked part to what its own checks found: ``""`` when they pass.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Frame:
    file: str
    line: int
    function: str          # qualified: ``SGD.update``, ``train_epoch``

    @property
    def part(self) -> str:
        """``SGD.update`` -> ``SGD``; ``train_epoch`` -> ``train_epoch``."""
        return self.function.split(".", 1)[0]

    @property
    def where(self) -> str:
        return f"{self.function} ({self.file} line {self.line})"


def crash_frames(error: dict | None) -> list[Frame]:
    """The student's frames of a probe's exception (``ProbeFailure.error``), outermost first."""
    frames = []
    for entry in (error or {}).get("frames") or []:
        try:
            file, line, function = str(entry[0]), int(entry[1]), str(entry[2])
        except (TypeError, ValueError, IndexError):
            continue
        frames.append(Frame(file, line, function))
    return frames


def _caller_part(frames: list[Frame], raising: Frame, evidence: dict[str, str]) -> Frame | None:
    """The nearest caller of the raising frame that belongs to another checked part (it handed over the value)."""
    for frame in reversed(frames[:-1]):
        if frame.part != raising.part and frame.part in evidence:
            return frame
    return None


def crash_cause(error: dict | None, evidence: dict[str, str], tests: str = "own checks") -> str:
    """The likely cause of a crash, as lines for the check's message; '' when no frame of the student's is known.
    ``tests`` names what the evidence comes from ("quick tests" run just before, or the part's "own checks")."""
    frames = crash_frames(error)
    if not frames:
        return ""
    raising = frames[-1]
    if evidence.get(raising.part):
        return (f"Likely cause: {raising.part}. The crash is in its own code, {raising.where}, and its {tests} "
                f"fail: {evidence[raising.part]}")
    checked = raising.part in evidence
    where = f"The crash is in {raising.where}" + (f", but {raising.part} passes its {tests}" if checked else "")
    caller = _caller_part(frames, raising, evidence)
    if caller is not None and evidence[caller.part]:
        return (f"Likely cause: {caller.part}. {where}: it was called from {caller.where} with values "
                f"{caller.part} computed, and {caller.part}'s {tests} fail: {evidence[caller.part]}")
    passing = [p for p in (raising.part, caller.part if caller else None) if p in evidence]
    text = where + "."
    if caller is not None:
        text += f" It was called from {caller.where}, and {caller.part} passes its {tests} too."
    elsewhere = [p for p, found in evidence.items() if found and p not in passing]
    if elsewhere:
        text += (f"\nParts whose {tests} fail and whose values may have reached it:" +
                 "".join(f"\n  - {p}: {evidence[p]}" for p in elsewhere))
    else:
        text += " Look at what the values passed in look like there (their shapes, first)."
    return text


def failed_checks_by_part(checks_so_far, parts=None) -> dict[str, list[str]]:
    """{part: names of its failed checks}, in the order the checks ran; only ``parts`` when given."""
    failed: dict[str, list[str]] = {}
    for result in checks_so_far:
        if not result.passed and (parts is None or result.cls in parts):
            failed.setdefault(result.cls, []).append(result.name)
    return failed


def describe_failed_checks(names: list[str]) -> str:
    """``check "train_epoch: gradients zeroed before every backward" (and 2 more)``."""
    more = f" (and {len(names) - 1} more)" if len(names) > 1 else ""
    return f"check \"{names[0]}\"{more}"


def evidence_from_checks(checks_so_far) -> dict[str, str]:
    """{part: its failed checks, as evidence for :func:`crash_cause`; '' when all of them passed}."""
    evidence = {result.cls: "" for result in checks_so_far}
    for part, names in failed_checks_by_part(checks_so_far).items():
        evidence[part] = describe_failed_checks(names)
    return evidence


def failing_parts(checks_so_far, parts_run: list[str], shown: int = 3) -> str:
    """The parts a check runs whose own checks failed, costliest first, one line each (or '' when none):
    ``  - train_epoch: 3 failed checks (5 points), first "train_epoch: gradients zeroed before every backward"``."""
    lost: dict[str, list] = {}
    for result in checks_so_far:
        if not result.passed and result.cls in parts_run:
            lost.setdefault(result.cls, []).append(result)
    ranked = sorted(lost, key=lambda part: (-sum(r.points for r in lost[part]), parts_run.index(part)))
    lines = []
    for part in ranked[:shown]:
        failed = lost[part]
        count = f"{len(failed)} failed check{'s' if len(failed) > 1 else ''}"
        points = sum(r.points for r in failed)
        lines.append(f"  - {part}: {count} ({points:g} point{'s' if points != 1 else ''}), "
                     f"{'first ' if len(failed) > 1 else ''}\"{failed[0].name}\"")
    if len(ranked) > shown:
        lines.append(f"  - and {len(ranked) - shown} more: {', '.join(ranked[shown:])}")
    return "\n".join(lines)
