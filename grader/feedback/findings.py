"""The student report's order, most important first: :func:`arrange`.

1. The recognised mistakes, ranked by the points they cost, each with what was seen (the message of the first
   check that shows it and whose details the reader may see), why it is wrong, the hint and where.
2. The failed checks that no recognised mistake explains (crashes, import errors, unrecognised failures),
   ranked by the points they lost.
3. The failed checks a mistake of (1) explains: each refers back to it instead of repeating it.
4. The passed checks.

Checks that failed with the same message and for the same mistakes form one :class:`FailureGroup`, so a
message shared by many checks (a syntax error that fails every check of a file) is shown once, followed by
"also failed for the same reason".
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from grader.core.schema import check_target

#: "layers.py line 23", "activations.py has a syntax error at line 38", 'File "x.py", line 9', "x.py:9".
FILE_LINE = re.compile(r"\b([\w./-]*\w\.py)\b(?::(\d+)|[^\n.;]{0,40}?\bline (\d+))")
#: How a message names a notebook cell (grader.engine.notebook_report writes "see notebook.html#cell-27").
NOTEBOOK_CELL = re.compile(r"\bnotebook\.html#cell-(\d+)\b")


@dataclass
class Where:
    """Where to look: the classes and methods (or functions) concerned, file:line and notebook cells."""
    targets: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    cells: list[int] = field(default_factory=list)

    def add(self, check: CheckView) -> None:
        for value, into in [(check_target(check.name), self.targets)] + [
                (f"{m[1]}:{m[2] or m[3]}", self.files) for m in FILE_LINE.finditer(check.message)] + [
                (int(m[1]), self.cells) for m in NOTEBOOK_CELL.finditer(check.message)]:
            if value not in into:
                into.append(value)


@dataclass
class Misconception:
    id: str
    title: str
    explanation: str
    hint: str
    checks: list[str] = field(default_factory=list)  # numbers of the checks where it showed
    points_lost: float | None = None                 # what it cost, charged once (None in older results)
    rank: int = 0                                    # set by arrange(): 1 for the costliest
    cost: float = 0.0                                # points_lost, or (older results) what its checks lost
    evidence: CheckView | None = None                # the first check that shows it whose message may be shown
    where: Where = field(default_factory=Where)

    @property
    def anchor(self) -> str:
        return "mistake-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", self.id).strip("-") or str(self.rank))


@dataclass
class CheckView:
    number: str
    name: str
    cls: str
    score: float
    max_score: float
    passed: bool
    kind: str                 # "" when passed; "failed", "timeout", "crash", … otherwise
    kind_label: str           # the kind in words ("timed out")
    hidden: bool
    details_hidden: bool      # a hidden check in the student view: no artifacts, a message only if student-safe
    redacted: bool            # its message is what a hidden check may say (mistakes, target), not why it failed
    message: str
    misconceptions: list[Misconception]
    artifacts: dict

    @property
    def anchor(self) -> str:
        return f"check-{self.number}"


@dataclass
class FailureGroup:
    """Failed checks with one message and the same mistakes: the first is shown, the others listed."""
    checks: list[CheckView]
    where: Where = field(default_factory=Where)

    @property
    def first(self) -> CheckView:
        return self.checks[0]

    @property
    def others(self) -> list[CheckView]:
        return self.checks[1:]

    @property
    def points_lost(self) -> float:
        return sum(c.max_score - c.score for c in self.checks)

    @property
    def max_score(self) -> float:
        return sum(c.max_score for c in self.checks)


@dataclass
class Arrangement:
    mistakes: list[Misconception]          # ranked: the costliest first
    unexplained: list[FailureGroup]        # failed checks no recognised mistake explains, costliest first
    explained: list[FailureGroup]          # failed checks a mistake explains, in the mistakes' order
    passed: list[CheckView]


def group_failures(checks: list[CheckView]) -> list[FailureGroup]:
    """Checks with the same shown message and mistakes in one group, in the order of their first check. A
    check whose message was withheld (a hidden check) is grouped only with itself: its text says nothing
    about why it failed."""
    groups: dict[object, FailureGroup] = {}
    for check in checks:
        key = (check.message, tuple(m.id for m in check.misconceptions)) if check.message and not check.redacted \
            else check.number
        groups.setdefault(key, FailureGroup([])).checks.append(check)
    for group in groups.values():
        group.checks.sort(key=lambda c: c.details_hidden)     # one whose details the reader may see, shown first
        for check in group.checks:
            group.where.add(check)
    return list(groups.values())


def _rank_mistakes(mistakes: list[Misconception], by_number: dict[str, CheckView]) -> list[Misconception]:
    def cost(m: Misconception) -> float:
        if m.points_lost is not None:
            return m.points_lost
        return sum(by_number[n].max_score - by_number[n].score for n in m.checks if n in by_number)

    def first_check(m: Misconception) -> int:
        return min((int(n) for n in m.checks if n.isdigit()), default=0)

    ranked = sorted(mistakes, key=lambda m: (-cost(m), first_check(m)))
    for rank, mistake in enumerate(ranked, start=1):
        mistake.rank, mistake.cost = rank, cost(mistake)
        shown = [by_number[n] for n in mistake.checks if n in by_number]
        mistake.evidence = next((c for c in shown if c.message and not c.redacted), None)
        for check in shown:
            mistake.where.add(check)
    return ranked


def arrange(checks: list[CheckView], mistakes: list[Misconception]) -> Arrangement:
    """The student report's sections, most important first (see the module's docstring)."""
    ranked = _rank_mistakes(mistakes, {c.number: c for c in checks})
    rank_of = {m.id: m.rank for m in ranked}
    failed = [c for c in checks if not c.passed]
    for check in failed:
        check.misconceptions.sort(key=lambda m: rank_of.get(m.id, len(ranked) + 1))
    unexplained = group_failures([c for c in failed if not c.misconceptions])
    unexplained.sort(key=lambda g: (-g.points_lost, int(g.first.number) if g.first.number.isdigit() else 0))
    explained = group_failures(sorted((c for c in failed if c.misconceptions),
                               key=lambda c: (rank_of.get(c.misconceptions[0].id, 0),
                                              int(c.number) if c.number.isdigit() else 0)))
    return Arrangement(ranked, unexplained, explained, [c for c in checks if c.passed])
