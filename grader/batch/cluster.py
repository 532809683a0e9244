"""Grading a batch on an existing Dask distributed cluster: one task per submission, GPU workers as resources.

Outcomes are as in the local pool (:mod:`grader.batch.local`): the task function's
plain dict, or a :class:`~grader.batch.tasks.HarnessFailure` when the cluster gave up on a task.
"""
from __future__ import annotations

import dataclasses
import itertools
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Iterable, Iterator

from grader.batch.tasks import (
    DEFAULT_TASK_FUNCTION,
    AssignmentSource,
    EarlyFailures,
    GradeTask,
    HarnessFailure,
    limit_threads,
    resolve,
)

#: One grading at a time per worker process: pytest, the plugin's session and stdout capture are process-global.
_GRADING_LOCK = threading.Lock()


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
        early = EarlyFailures(min(total_threads + 2, len(outstanding)))
        try:
            for future in completed:
                task = by_key.pop(future.key)
                outstanding.remove(future)
                if future.status == "finished":
                    outcome = future.result()
                    yield from early.on_success()
                else:
                    exc = future.exception()
                    kind = type(exc).__name__
                    reason = ("the Dask workers grading this submission died each time it was tried"
                              if kind == "KilledWorker" else
                              f"the cluster could not grade this submission ({kind}: {exc})")
                    outcome = HarnessFailure("cluster", reason)
                future.release()
                decision = early.on_failure(task, outcome) if isinstance(outcome, HarnessFailure) else "result"
                if decision == "retry":
                    pending = itertools.chain(pending, [task])
                elif decision == "result":
                    yield task, outcome
                for task in _take(pending, 1):
                    outstanding.append(submit(task))
                    completed.add(outstanding[-1])
            yield from early.release()
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
