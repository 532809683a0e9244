"""The harness's memory of where a submission hung, so one infinite loop is charged once.

The worker's watchdog (:mod:`grader.sandbox.watchdog`) reports, shortly before
a probe's deadline, the student function the probe is stuck in. When the
deadline passes, :class:`Hangs` names that function in the timeout's message
and adds it to the poisoned functions that every later worker of the
submission keeps on a short leash; a poisoned function that overruns its
leash ends the probe at once: "Adam.update hung in check 48 …".

Reports are the submission's own words (its code runs where the watchdog
does), so they are checked and capped here, and they can only ever fail a
probe, never pass one.
"""
from __future__ import annotations

import re

from grader.core.types import ProbeFailure

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_<][A-Za-z0-9_<>]*)*$")
_SHOWN = re.compile(r"[^\w .-]")
MAX_POISONED = 20


def _where(report) -> dict | None:
    """The checked ``{"module", "qualname", "file", "line"}`` of a watchdog report, or None."""
    hang = report.get("hang") if isinstance(report, dict) else None
    if not isinstance(hang, dict):
        return None
    module, qualname = hang.get("module"), hang.get("qualname")
    if not all(isinstance(v, str) and len(v) <= 200 and _NAME.match(v) for v in (module, qualname)):
        return None
    line = hang.get("line")
    return {"module": module, "qualname": qualname, "file": _SHOWN.sub("", str(hang.get("file", "")))[:100],
            "line": line if isinstance(line, int) and not isinstance(line, bool) else 0}


def _shown(where: dict) -> str:
    place = f" ({where['file']} line {where['line']})" if where.get("file") else ""
    return f"{where['qualname']}{place}"


class Hangs:
    """The functions a submission hung in, and the report of the probe now running."""

    def __init__(self):
        self.poisoned: list[dict] = []     # {"module", "qualname", "file", "line", "label"}, sent to every worker
        self.check_label = ""              # "check 12", set by the grading session as checks start
        self._pending: dict | None = None

    @staticmethod
    def is_report(reply) -> bool:
        return isinstance(reply, dict) and "hang" in reply

    def start_probe(self) -> None:
        self._pending = None

    def observe(self, report: dict) -> None:
        """A watchdog report; raises the probe's failure at once when a poisoned function overran its leash."""
        where = _where(report)
        if where is None:
            return
        if report.get("again") is True:
            known = next((p for p in self.poisoned if (p["module"], p["qualname"]) == (where["module"],
                                                                                        where["qualname"])), None)
            if known is not None:
                seconds = report["hang"].get("seconds")
                over = f"{seconds:g} s" if isinstance(seconds, (int, float)) and not isinstance(seconds, bool) else "a second"
                raise ProbeFailure("timeout", f"{_shown(known)} hung in {known['label']} and ran over {over} here "
                                              "too: stopped (fix that loop first; it is not waited for again)")
            return
        self._pending = where

    def timed_out(self, message: str) -> str:
        """The timeout's message, naming the stuck function (now poisoned) when the watchdog found it."""
        where, self._pending = self._pending, None
        if where is None:
            return message
        key = (where["module"], where["qualname"])
        if len(self.poisoned) < MAX_POISONED and key not in {(p["module"], p["qualname"]) for p in self.poisoned}:
            self.poisoned.append({**where, "label": self.check_label or "an earlier check"})
        return f"{message}; it was stuck in {_shown(where)}"
