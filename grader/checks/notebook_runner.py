"""The reference notebook (or a catalogued mutant of it) run in the harness, answering probes."""
from __future__ import annotations

import uuid
from collections import OrderedDict
from pathlib import Path

from threadpoolctl import threadpool_limits

from grader.checks.probing import TrustedRunner, load_probes
from grader.core.assignment import Assignment, AssignmentError
from grader.sandbox.notebook_worker import NotebookAPI, NotebookExecutor
from grader.submissions.notebooks import NotebookError, code_cells, read_notebook


class NotebookTrustedRunner(TrustedRunner):
    """The reference notebook (or a catalogued mutant of it) run in this process, answering probes.

    ``strict``: every cell must run cleanly (the reference); a mutant's demo
    cells may fail, as a student's would. Math libraries run single-threaded,
    as in the worker: small matrices on many threads are slower, and results
    then match the worker's to the last bit.
    """

    def __init__(self, path: Path, assignment: Assignment, strict: bool = True):
        import matplotlib

        matplotlib.use("Agg")  # the reference's plots must never open a window
        try:
            notebook = read_notebook(path)
        except NotebookError as exc:
            raise AssignmentError(str(exc)) from None
        # Entered per cell, so that libraries an earlier cell loaded (torch's thread pool) are limited too.
        self.executor = NotebookExecutor(code_cells(notebook), module_name=f"nngrade_notebook_{uuid.uuid4().hex[:12]}",
                                         cell_context=lambda: threadpool_limits(limits=1), watch=assignment.homes)
        self.record = self.executor.run()
        self.executor.restore(assignment.homes)
        self.import_errors = self.executor.failure_notes()
        if strict and self.import_errors:
            raise AssignmentError(f"the reference notebook {path} does not run cleanly: "
                                  + "; ".join(self.import_errors.values()))
        self.modules = self.executor.sources
        self.api = NotebookAPI(self.executor, set(assignment.homes))
        self.probes = load_probes(assignment.probes_source())
        self.trusted = strict
        self._cache: OrderedDict[str, object] = OrderedDict()
        self._cache_bytes = 0

    def _run(self, name: str, kwargs: dict, seed: int):
        with threadpool_limits(limits=1):
            return super()._run(name, kwargs, seed)
