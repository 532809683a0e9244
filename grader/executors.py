"""Where a batch's grading tasks run: a local pool of harness processes, or a Dask cluster.

Both executors take :class:`GradeTask` objects and yield ``(task, outcome)``
pairs as tasks finish, in completion order. An outcome is whatever the task
function returned (a plain dict, see :func:`grader.batch.grade_task`) or a
:class:`HarnessFailure` when the process grading the task died, hung past the
batch's deadline, or the cluster gave up on it. The batch turns a failure into
a graded result that says so: a submission is never a hole in the gradebook.

The harness processes are trusted (they run pytest, the reference and the
checks); the student's code still runs only in the sandbox workers each
harness starts through :class:`grader.sandbox.client.SandboxClient`.

This module imports no numpy at its top: a harness process sets its math
libraries to one thread before anything imports them.
"""
from __future__ import annotations

import dataclasses
import importlib
import io
import itertools
import multiprocessing
import os
import signal
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path
from typing import Callable, Iterable, Iterator

#: Environment that makes numpy/BLAS/OpenMP (and torch, which reads OMP_NUM_THREADS) use one thread.
SINGLE_THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                     "NUMEXPR_NUM_THREADS": "1", "VECLIB_MAXIMUM_THREADS": "1"}

DEFAULT_TASK_FUNCTION = "grader.batch:grade_task"
TERMINATE_GRACE_SECONDS = 5.0


@dataclass
class AssignmentSource:
    """How a harness finds the assignment: a folder it can read, or the folder's zipped bytes."""

    name: str
    root: str | None = None
    archive: bytes | None = None          # only with Dask "send": the assignment folder, zipped
    digest: str = ""                      # sha256 of ``archive``: names the unpacked copy on a worker


@dataclass
class GradeTask:
    """One submission to grade. Either ``submission`` (a path the harness can read) or ``payload`` is set."""

    student: str
    assignment: AssignmentSource | None = None
    submission: str | None = None
    payload: bytes | None = None          # the submission zipped (a folder) or its bytes (.zip/.py/.ipynb)
    payload_name: str = ""                # the entry's name in SUBMISSIONS (``alice.zip``, ``alice``)
    out_dir: str | None = None            # where the harness writes DIR/<student>; None: return the results
    run_id: str = ""
    extra: dict = field(default_factory=dict)


@dataclass
class HarnessFailure:
    """The task produced no result: ``kind`` is ``died``, ``deadline`` or ``cluster``."""

    kind: str
    reason: str


class StartupFailure(Exception):
    """Grading fails before any submission is graded: a setup problem, not a student's; nothing is recorded."""


class _EarlyFailures:
    """Until one task succeeds, a failed task goes back to the end of the queue (once) instead of becoming a
    result. ``limit`` such failures with no success mean the grading itself cannot run (a missing module, a
    broken assignment): that must stop the batch, not fill the gradebook with failures."""

    def __init__(self, limit: int):
        self.limit, self.count, self.succeeded = max(1, limit), 0, False
        self.retried: set[str] = set()

    def requeue(self, task: GradeTask, failure: HarnessFailure) -> bool:
        if self.succeeded or task.student in self.retried:
            return False
        self.retried.add(task.student)
        self.count += 1
        if self.count >= self.limit:
            raise StartupFailure(f"grading failed {self.count} times before any submission was graded; the last "
                                 f"time: {failure.reason}. Try one submission with 'nngrade grade' to see why")
        return True


def resolve(dotted: str) -> Callable:
    """``"package.module:function"`` -> the function (so a spawned harness imports it after setting threads)."""
    module, _, name = dotted.partition(":")
    return getattr(importlib.import_module(module), name)


def limit_threads() -> None:
    """One thread for the math libraries already loaded in this process (Dask workers load numpy early)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)


# -- the local pool ----------------------------------------------------------------------------------------------

_STOP_REQUESTED = False


def stop_requested() -> bool:
    """True in a harness told to stop (SIGTERM) while grading: its half-done result must not be stored."""
    return _STOP_REQUESTED


def _stop(signum, frame):
    global _STOP_REQUESTED
    _STOP_REQUESTED = True
    # Unwinds the grading: pytest ends its session and the runner closes the sandbox (killing the student's
    # worker) instead of leaving it running without a parent.
    raise KeyboardInterrupt


def _harness_main(connection, task_function: str) -> None:
    """A harness process: one thread for math, then grade tasks from ``connection`` until told to stop."""
    os.environ.update(SINGLE_THREAD_ENV)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it stops us
    signal.signal(signal.SIGTERM, _stop)
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
            if _STOP_REQUESTED:
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
        early = _EarlyFailures(min(self.workers + 2, len(pending)))
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
                        if outcome.kind == "died" and early.requeue(task, outcome):
                            pending.append(task)
                            continue
                    else:
                        early.succeeded = True
                        idle.append(harness)
                    yield task, outcome
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


# -- Dask distributed ------------------------------------------------------------------------------------------

#: One grading at a time per worker process: pytest, the plugin's session and stdout capture are process-global.
_GRADING_LOCK = threading.Lock()
_UNPACKED: dict[str, str] = {}


def pack_folder(folder: Path, skip: Callable[[tuple[str, ...]], bool] = lambda parts: False) -> bytes:
    """A folder as zip bytes (files only; ``skip(relative parts)`` leaves entries out)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(Path(folder).rglob("*")):
            relative = path.relative_to(folder)
            if path.is_file() and not path.is_symlink() and not skip(relative.parts):
                archive.write(path, relative.as_posix())
    return buffer.getvalue()


def unpacked_assignment(source: AssignmentSource) -> str:
    """The assignment folder on this worker: ``source.root``, or its archive unpacked once per process."""
    if source.archive is None:
        return str(source.root)
    if source.digest not in _UNPACKED:
        target = Path(tempfile.mkdtemp(prefix="nngrade-assignment-")) / source.name
        with zipfile.ZipFile(io.BytesIO(source.archive)) as archive:
            archive.extractall(target)
        _UNPACKED[source.digest] = str(target)
    return _UNPACKED[source.digest]


def dask_task(task: GradeTask, task_function: str = DEFAULT_TASK_FUNCTION, assignment: AssignmentSource | None = None):
    """What a Dask worker runs for one submission: the same task function as the local pool.

    ``assignment``: the assignment sent once to every worker (``send`` mode), not with each task.
    """
    if assignment is not None:
        task = dataclasses.replace(task, assignment=assignment)
    with _GRADING_LOCK:
        limit_threads()
        return resolve(task_function)(task)


def worker_report(paths: list[str], marker: str, marker_text: str) -> dict:
    """Run on every worker before a batch: its nngrade version and which of the batch's paths it sees."""
    import grader

    try:
        sees_out = Path(marker).read_text(encoding="utf-8") == marker_text
    except OSError:
        sees_out = False
    return {"version": grader.__version__, "sees_paths": all(Path(p).exists() for p in paths) and sees_out}


class ClusterError(Exception):
    """The Dask cluster cannot run this batch (unreachable, no workers, no GPU worker, other nngrade)."""


class DaskExecutor:
    """Runs each submission as one task on an existing Dask distributed cluster.

    ``transfer``: ``shared`` (workers read SUBMISSIONS and write DIR themselves:
    they share the client's filesystem), ``send`` (the submission's bytes travel
    with the task, the results come back and the client writes them), or
    ``auto`` (``shared`` when every worker sees the batch's folders, else
    ``send``). Tasks of an assignment that wants a GPU ask for the worker
    resource ``GPU=1``.
    """

    def __init__(self, address, transfer: str = "auto", gpu: bool = False, workers_seconds: float = 60,
                 task_function: str = DEFAULT_TASK_FUNCTION):
        self.address, self.transfer, self.gpu = address, transfer, gpu
        self.workers_seconds = workers_seconds
        self.task_function = task_function
        self.client = None
        self.mode = transfer

    def __enter__(self):
        try:
            from distributed import Client
        except ImportError:
            raise ClusterError("--scheduler needs Dask distributed: pip install 'nngrade[cluster]'") from None
        try:
            # Connect timeout: Dask's distributed.comm.timeouts.connect (env DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT)
            self.client = Client(self.address, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ClusterError(f"could not connect to the Dask scheduler at {self.address} ({exc}); "
                               "check the address (tcp://HOST:8786) and that the scheduler is running") from None
        return self

    def __exit__(self, *exc):
        if self.client is not None:
            self.client.close()

    def prepare(self, shared_paths: list[Path], out_dir: Path) -> list[str]:
        """Check the cluster can run the batch and settle the transfer mode; returns notices for the user."""
        import grader

        notices = []
        try:
            self.client.wait_for_workers(1, timeout=self.workers_seconds)
        except TimeoutError:
            raise ClusterError(f"the Dask cluster at {self.address} has no workers; start some with "
                               f"'dask worker {self.address} --nthreads 1'") from None
        workers = self.client.scheduler_info(n_workers=-1)["workers"]
        if self.gpu:
            check_gpu_workers(workers, self.address)
        if any(info.get("nthreads", 1) > 1 for info in workers.values()):
            notices.append("some Dask workers run several threads; nngrade grades one submission at a time per "
                           "worker process, so start workers with '--nthreads 1 --nworkers N' to use every core")
        out_dir.mkdir(parents=True, exist_ok=True)
        marker_text = f"nngrade {os.getpid()} {time.time()}"
        marker = out_dir / ".nngrade-shared-check"
        marker.write_text(marker_text, encoding="utf-8")
        try:
            reports = self.client.run(worker_report, [str(p) for p in shared_paths], str(marker), marker_text)
        finally:
            marker.unlink(missing_ok=True)
        versions = {r["version"] for r in reports.values()}
        if versions != {grader.__version__}:
            raise ClusterError(f"the Dask workers run nngrade {', '.join(sorted(versions))}, this client "
                               f"{grader.__version__}; install the same version on the workers")
        sees = all(r["sees_paths"] for r in reports.values())
        if self.transfer == "auto":
            self.mode = "shared" if sees else "send"
        elif self.transfer == "shared" and not sees:
            raise ClusterError("--transfer shared, but some Dask workers cannot see the submissions, the "
                               "assignment or the output folder at the same paths; use --transfer send")
        return notices

    def run(self, tasks: Iterable[GradeTask]) -> Iterator[tuple[GradeTask, object]]:
        from distributed import as_completed

        resources = {"GPU": 1} if self.gpu else None
        total_threads = sum(self.client.nthreads().values()) or 1
        window = 4 * total_threads  # enough queued to keep workers busy, not the whole class in memory
        pending = iter(tasks)
        by_key: dict[str, GradeTask] = {}
        broadcast: dict[str, object] = {}  # an assignment's archive goes to each worker once, not in every task

        def submit(task: GradeTask):
            source, sent, shipped = task.assignment, None, task
            if source is not None and source.archive is not None:
                if source.digest not in broadcast:
                    broadcast[source.digest] = self.client.scatter(source, broadcast=True, hash=False)
                sent, shipped = broadcast[source.digest], dataclasses.replace(task, assignment=None)
            future = self.client.submit(dask_task, shipped, self.task_function, sent, resources=resources,
                                        pure=False, key=f"nngrade-{task.student}-{uuid.uuid4().hex[:12]}")
            by_key[future.key] = task
            return future

        outstanding = [submit(t) for t in _take(pending, window)]
        completed = as_completed(outstanding, loop=self.client.loop)
        early = _EarlyFailures(min(total_threads + 2, len(outstanding)))
        try:
            for future in completed:
                task = by_key.pop(future.key)
                outstanding.remove(future)
                if future.status == "finished":
                    outcome = future.result()
                    early.succeeded = True
                else:
                    exc = future.exception()
                    kind = type(exc).__name__
                    reason = ("the Dask workers grading this submission died each time it was tried"
                              if kind == "KilledWorker" else
                              f"the cluster could not grade this submission ({kind}: {exc})")
                    outcome = HarnessFailure("cluster", reason)
                future.release()
                if isinstance(outcome, HarnessFailure) and early.requeue(task, outcome):
                    pending = itertools.chain(pending, [task])
                else:
                    yield task, outcome
                for task in _take(pending, 1):
                    outstanding.append(submit(task))
                    completed.add(outstanding[-1])
        finally:
            if outstanding:  # interrupted: queued tasks are dropped (running ones finish, atomically)
                self.client.cancel(outstanding)


def _take(iterator, n: int) -> list:
    items = []
    for item in iterator:
        items.append(item)
        if len(items) >= n:
            break
    return items


def check_gpu_workers(workers: dict, address: str) -> None:
    """A GPU assignment on a cluster where no worker declares a GPU would wait forever: say so instead."""
    if not any((info.get("resources") or {}).get("GPU", 0) >= 1 for info in workers.values()):
        raise ClusterError(f"this assignment wants a GPU ([resources] gpu = true in assignment.toml), but no "
                           f"worker of {address} declares one; start GPU workers with "
                           f"'dask worker {address} --nthreads 1 --resources GPU=1'")
