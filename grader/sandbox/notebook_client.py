"""The harness's client for a notebook submission: the worker runs the notebook's cells instead of importing modules."""
from __future__ import annotations

from pathlib import Path

from grader.core.assignment import Assignment, NotebookSettings
from grader.core.types import ProbeFailure
from grader.sandbox import wire
from grader.sandbox.client import SandboxClient
from grader.sandbox.keys import probe_key
from grader.sandbox.notebook_worker import PROGRESS_MARK
from grader.sandbox.rootfs import NOTEBOOK_WORKER_NEEDS


class NotebookSandboxClient(SandboxClient):
    """A :class:`SandboxClient` whose worker runs a notebook's cells instead of importing module files.

    A cell that takes its worker down (``os._exit``, a segfault, memory, an
    interrupt it swallows) is found from the worker's progress file; the
    notebook is run again without it, so it costs only what depends on it.
    """

    MAX_RESTARTS = 3

    def __init__(self, staged, assignment: Assignment, output_dir: Path, hidden: list[Path] | None = None):
        super().__init__(staged.code, assignment.package, assignment.homes, assignment.probes_source(),
                         assignment.limits, output_dir=output_dir, preload=assignment.preload, hidden=hidden,
                         packages=(*assignment.packages, *NOTEBOOK_WORKER_NEEDS))
        self.cells = staged.cells
        self.settings = NotebookSettings.of(assignment)
        self.skip: dict[int, str] = {}    # cells run for their definitions only on the next start
        self.drop: dict[int, str] = {}    # cells not run at all
        self.record: dict | None = None   # what happened in the first complete run
        self.failure: ProbeFailure | None = None
        self._answers: dict[str, bytes | ProbeFailure] = {}
        self.progress_path = self.output_dir / "worker-stdout.txt"  # the worker marks its progress there
        self._progress_offset = 0

    def run(self, probe, kwargs: dict | None = None, timeout: float | None = None, seed: int = 0):
        """As :meth:`SandboxClient.run`; a probe asked again with the same inputs gets the first answer
        (several checks read one training run; a probe that timed out is not run again)."""
        key = probe_key(probe, kwargs or {}, seed)
        if self.standin_service and self.standin_service.names:   # a re-run with stand-ins is another question
            key += "|with stand-ins for " + ",".join(self.standin_service.names)
        if key not in self._answers:
            try:
                if self.process is None:
                    self._start_notebook()
                self._answers[key] = wire.encode(super().run(probe, kwargs, timeout=timeout, seed=seed))
            except ProbeFailure as failure:
                self._answers[key] = failure
        answer = self._answers[key]
        if isinstance(answer, ProbeFailure):
            raise answer
        return wire.decode(answer)

    def _start_notebook(self) -> None:
        if self.failure is not None:
            raise self.failure
        for attempt in range(self.MAX_RESTARTS + 1):
            self._progress_offset = self.progress_path.stat().st_size if self.progress_path.exists() else 0
            try:
                self._start()
                return
            except ProbeFailure as failure:
                cell = self._stopped_in()
                if cell is None or attempt == self.MAX_RESTARTS or cell in self.drop:
                    self.failure = failure
                    raise
                reason = f"it stopped the process running your notebook ({failure.message})"
                if cell in self.skip:
                    self.drop[cell] = reason + ", even when run for its definitions only"
                else:
                    self.skip[cell] = reason + "; only its definitions (def, class, import) were loaded"

    def _stopped_in(self) -> int | None:
        try:
            with open(self.progress_path, "rb") as handle:
                handle.seek(self._progress_offset)
                text = handle.read().decode("utf-8", "replace")
        except OSError:
            return None
        # split("\n"), not splitlines(): the mark's \x1e is a line boundary for splitlines
        marks = [line[len(PROGRESS_MARK):].strip() for line in text.split("\n") if line.startswith(PROGRESS_MARK)]
        return int(marks[-1]) if marks and marks[-1].isdigit() else None

    def output_tail(self, limit: int = 2000) -> str:
        lines = super().output_tail(limit * 4).split("\n")
        return "\n".join(line for line in lines if not line.startswith(PROGRESS_MARK))[-limit:]

    def _request(self, message: dict, timeout: float, during: str):
        if message.get("op") != "init":
            return super()._request(message, timeout, during)
        message = {**message, "kind": "notebook", "cells": self.cells,
                   "cell_seconds": self.settings.cell_seconds, "total_seconds": self.settings.total_seconds,
                   "skip": {str(k): v for k, v in self.skip.items()}, "drop": {str(k): v for k, v in self.drop.items()},
                   "progress_path": "stdout"}
        reply = super()._request(message, self.settings.init_seconds, "running your notebook")
        if self.record is None and isinstance(reply, dict) and isinstance(reply.get("notebook"), dict):
            self.record = reply["notebook"]
        return reply
