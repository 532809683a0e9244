"""The worker's watchdog: which student function a probe is stuck in, and a short leash for it afterwards.

Runs in the worker (untrusted side). While a probe runs, a thread samples the
main thread's stack from half the probe's time limit on. A student function
that is the innermost student frame in every sample (the same call: it never
returned, and called no other student function that did) is stuck, not just
slow; shortly before the limit the watchdog reports it to the harness on the
reply pipe (``{"hang": …}``), and the harness names it in the timeout's
message and poisons it (:mod:`grader.sandbox.hangs`).

Every later worker of the submission gets the poisoned functions and wraps
them: a call that runs longer than :func:`leash` is reported at once
(``{"hang": …, "again": true}``) and the harness stops the worker, so one
infinite loop costs one time limit, not one per check that touches it. A
poisoned function that now returns in time is graded as usual.

A submission can silence its watchdog (it runs in the same process); then
its probes simply wait out their limits, as without one. It cannot gain from
forging a report: a report only ever turns a probe into a failure.
"""
from __future__ import annotations

import functools
import sys
import threading
import time
import types

from grader.sandbox import wire

#: The report comes this long before the harness's deadline (at most; a tenth of a short limit).
REPORT_MARGIN_SECONDS = 0.5
SAMPLE_SECONDS = 0.05
#: A poisoned function may run this long (or a tenth of the probe's limit, if longer) before it is stopped.
LEASH_SECONDS = 1.0


def leash(timeout: float) -> float:
    return min(timeout, max(LEASH_SECONDS, 0.1 * timeout))


class Watchdog:
    def __init__(self, response_fd: int, student_files: dict[str, tuple[str, str]]):
        """``student_files``: source path -> (module name, name shown to the student)."""
        self.response_fd, self.student_files = response_fd, student_files
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._armed_until: float | None = None     # the probe's deadline while one runs
        self._timeout = 0.0
        self._samples: list | None = None           # the stuck candidate: the innermost student frame, or None
        self._leashed: dict[int, tuple[float, dict]] = {}   # call id -> (started, where)
        self._reported = False
        self._main = threading.main_thread().ident
        self._thread: threading.Thread | None = None

    # -- the probe's side (main thread) -----------------------------------------------------------------------
    def arm(self, timeout: float | None) -> None:
        if not timeout:
            return
        with self._lock:
            self._timeout, self._armed_until = float(timeout), time.monotonic() + float(timeout)
            self._samples, self._reported = None, False
        if self._thread is None:
            thread = threading.Thread(target=self._watch, name="nngrade-watchdog", daemon=True)
            try:
                thread.start()
            except RuntimeError:   # the submission used up its threads: the probe waits out its limit instead
                return
            self._thread = thread
        self._wake.set()

    def disarm(self) -> None:
        """Called before the probe's reply is sent: no report can follow it on the pipe."""
        with self._lock:
            self._armed_until, self._samples = None, None   # drop the sampled frame (and the arrays it holds)
            self._leashed.clear()

    # -- poisoned functions -----------------------------------------------------------------------------------
    def poison(self, modules: dict[str, object], poisoned: list) -> None:
        """Wrap each poisoned ``{"module", "qualname", "label"}`` function of ``modules`` (name -> module)."""
        for entry in poisoned if isinstance(poisoned, list) else []:
            try:
                self._wrap(modules.get(entry["module"]), str(entry["qualname"]), dict(entry))
            except (KeyError, TypeError, AttributeError):
                continue  # the function is gone or not a plain one: nothing to leash

    def _wrap(self, module, qualname: str, where: dict) -> None:
        *path, name = qualname.split(".")
        owner = module
        for part in path:
            owner = getattr(owner, part)
        raw = vars(owner)[name]
        function = raw.__func__ if isinstance(raw, (staticmethod, classmethod)) else raw
        if not isinstance(function, types.FunctionType):
            return
        watchdog = self

        @functools.wraps(function)
        def leashed(*args, **kwargs):
            token = object()
            with watchdog._lock:
                watchdog._leashed[id(token)] = (time.monotonic(), where)
            try:
                return function(*args, **kwargs)
            finally:
                with watchdog._lock:
                    watchdog._leashed.pop(id(token), None)

        setattr(owner, name, type(raw)(leashed) if function is not raw else leashed)

    # -- the watchdog thread ----------------------------------------------------------------------------------
    def _watch(self) -> None:
        while True:
            self._wake.wait(SAMPLE_SECONDS)
            self._wake.clear()
            with self._lock:
                if self._armed_until is None or self._reported:
                    continue
                report = self._check(time.monotonic())
                if report is not None:
                    self._reported = True
                    try:
                        wire.send(self.response_fd, report)
                    except OSError:
                        return

    def _check(self, now: float) -> dict | None:
        limit = leash(self._timeout)
        for started, where in self._leashed.values():
            if now - started > limit:
                return {"hang": {**where, "seconds": round(limit, 3)}, "again": True}
        remaining = self._armed_until - now
        if remaining > self._timeout / 2:
            return None
        frame = self._innermost_student_frame()
        if self._samples is None:
            self._samples = [frame]
        elif self._samples[0] is not frame:
            self._samples[0] = False   # the innermost student call changed: slow, not stuck
        if remaining <= min(REPORT_MARGIN_SECONDS, self._timeout / 10) and self._samples[0]:
            return {"hang": self._describe(self._samples[0]), "again": False}
        return None

    def _innermost_student_frame(self):
        frame = sys._current_frames().get(self._main)
        while frame is not None and frame.f_code.co_filename not in self.student_files:
            frame = frame.f_back
        return frame

    def _describe(self, frame) -> dict:
        module, shown = self.student_files[frame.f_code.co_filename]
        qualname = frame.f_code.co_qualname.split(".<locals>")[0]   # a nested function: leash what defines it
        return {"module": module, "qualname": qualname, "file": shown, "line": frame.f_lineno}
