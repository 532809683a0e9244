"""The local pool: a batch's grading tasks run in harness processes on this machine.

The executor (like :class:`grader.batch.cluster.DaskExecutor`) takes :class:`GradeTask` objects and yields ``(task, outcome)`` pairs as tasks finish, in completion order. An outcome is whatever the task
function returned (a plain dict, see :func:`grader.batch.harness.grade_task`) or a
:class:`HarnessFailure` when the process grading the task died, hung past the
batch's deadline, or the cluster gave up on it. The batch turns a failure into
a graded result that says so: a submission is never a hole in the gradebook.

The harness processes are trusted (they run pytest, the reference and the
checks); the student's code still runs only in the sandbox workers each
harness starts through :class:`grader.sandbox.client.SandboxClient`.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections import deque
from multiprocessing.connection import wait
from typing import Iterable, Iterator

from grader.batch.tasks import (
    DEFAULT_TASK_FUNCTION,
    SINGLE_THREAD_ENV,
    TERMINATE_GRACE_SECONDS,
    EarlyFailures,
    GradeTask,
    HarnessFailure,
    limit_threads,
    request_stop,
    resolve,
    stop_requested,
)


def _harness_main(connection, task_function: str) -> None:
    """A harness process: one thread for math, then grade tasks from ``connection`` until told to stop."""
    os.environ.update(SINGLE_THREAD_ENV)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it stops us
    signal.signal(signal.SIGTERM, request_stop)
    function = resolve(task_function)
    limit_threads()
    try:
        while True:
            try:
                task = connection.recv()
            except EOFError:
                return
            if task is None:
                return
            outcome = function(task)
            if stop_requested():
                return
            connection.send(outcome)
    except KeyboardInterrupt:
        return


class _Harness:
    def __init__(self, context, task_function: str):
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_harness_main, args=(child, task_function), daemon=True,
                                       name="nngrade-harness")
        self.process.start()
        child.close()
        self.task: GradeTask | None = None
        self.started = 0.0

    def give(self, task: GradeTask) -> None:
        self.task, self.started = task, time.monotonic()
        self.connection.send(task)

    def stop(self) -> None:
        """An idle harness: ask it to exit."""
        try:
            self.connection.send(None)
        except OSError:
            pass
        self.process.join(timeout=5)
        self.kill()

    def terminate(self) -> None:
        """A busy harness: SIGTERM lets it close its sandbox; SIGKILL if it has not exited in a few seconds."""
        if self.process.is_alive():
            self.process.terminate()

    def kill(self, grace: float = 0.0) -> None:
        self.process.join(timeout=grace)
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.connection.close()

    def death(self) -> str:
        code = self.process.exitcode
        if code is not None and code < 0:
            try:
                return f"it was killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"it was killed by signal {-code}"
        return f"it exited with status {code}"


class LocalExecutor:
    """A pool of ``workers`` long-lived harness processes on this machine (the default, no setup).

    Each harness grades one submission at a time and keeps its reference
    runner cached across submissions. The pool knows which harness holds which
    task, so a harness that dies (or runs past ``deadline`` seconds on one
    submission, and is killed) costs exactly that submission a
    :class:`HarnessFailure` and is replaced.
    """

    def __init__(self, workers: int, deadline: float | None = None, task_function: str = DEFAULT_TASK_FUNCTION):
        self.workers = max(1, int(workers))
        self.deadline = deadline
        self.task_function = task_function
        self._context = multiprocessing.get_context("spawn")  # no inherited threads, locks or state

    def run(self, tasks: Iterable[GradeTask]) -> Iterator[tuple[GradeTask, object]]:
        pending = deque(tasks)
        idle: list[_Harness] = []
        busy: list[_Harness] = []
        started = 0
        early = EarlyFailures(min(self.workers + 2, len(pending)))
        try:
            while pending or busy:
                while pending and (idle or started < self.workers):
                    if not idle:
                        idle.append(_Harness(self._context, self.task_function))
                        started += 1
                    harness = idle.pop()
                    harness.give(pending.popleft())
                    busy.append(harness)
                waits = [h.connection for h in busy] + [h.process.sentinel for h in busy]
                wait(waits, timeout=self._next_timeout(busy))
                for harness in list(busy):
                    outcome = self._collect(harness)
                    if outcome is None:
                        continue
                    busy.remove(harness)
                    task, harness.task = harness.task, None
                    if isinstance(outcome, HarnessFailure):
                        harness.terminate()
                        harness.kill(grace=TERMINATE_GRACE_SECONDS)
                        started -= 1
                        decision = early.on_failure(task, outcome) if outcome.kind == "died" else "result"
                        if decision == "retry":
                            pending.append(task)
                        if decision != "result":
                            continue
                    else:
                        yield from early.on_success()
                        idle.append(harness)
                    yield task, outcome
            yield from early.release()
        finally:
            for harness in busy:
                harness.terminate()
            for harness in busy:
                harness.kill(grace=TERMINATE_GRACE_SECONDS)
            for harness in idle:
                harness.stop()

    def _next_timeout(self, busy: list[_Harness]) -> float | None:
        if self.deadline is None:
            return None
        now = time.monotonic()
        return max(0.0, min(h.started + self.deadline - now for h in busy)) + 0.01

    def _collect(self, harness: _Harness):
        """The harness's outcome if it has one now, else None."""
        try:
            if harness.connection.poll():
                return harness.connection.recv()
        except (EOFError, OSError):
            pass
        if not harness.process.is_alive():
            return HarnessFailure("died", f"the grading process died while grading this submission "
                                          f"({harness.death()})")
        if self.deadline is not None and time.monotonic() - harness.started > self.deadline:
            return HarnessFailure("deadline", f"grading this submission took longer than {self.deadline:g} s, "
                                              "the batch's limit for one submission; it was stopped")
        return None
