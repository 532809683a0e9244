"""The pytest plugin: checks are plain pytest functions; this turns their outcomes into results.

An assignment's ``checks/conftest.py`` does ``from grader.plugin import *``.
A check then reads::

    @pytest.mark.check("DenseLayer.forward_propagation: output on given weights", points=2)
    def test_dense_forward(student, reference):
        args = dict(weights=W, biases=b, x=X)
        assert_close(student.run("dense_forward", args), reference.run("dense_forward", args))

Fixtures: ``student`` (the submission, in the sandbox), ``reference`` (the
reference in this process, or its recorded answers in a student bundle),
``thresholds`` (the assignment's ``[thresholds]`` table) and ``assignment``.
Visibility: a check is public unless marked ``@pytest.mark.hidden`` (a module
marks all its checks with ``pytestmark = pytest.mark.hidden``). Under a bare
``pytest`` the submission is the reference solution itself.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest

from grader.checks import CheckFailure
from grader.probing import probe_name
from grader.sandbox.client import ProbeFailure

__all__ = ["pytest_configure", "pytest_runtest_makereport", "pytest_collection_modifyitems",
           "student", "reference", "thresholds", "assignment", "artifacts"]

#: Set by :mod:`grader.runner` before it runs pytest; ``None`` under a bare ``pytest``.
ACTIVE = None


@dataclass
class CheckResult:
    nodeid: str
    function: str
    name: str
    points: float
    hidden: bool
    passed: bool = False
    message: str = ""
    kind: str = ""             # "" | "failed" | "error" | "timeout" | "crash" | "memory" | "import" | "grader"
    misconceptions: list[str] = field(default_factory=list)
    seconds: float = 0.0
    calls: list = field(default_factory=list)
    artifacts: dict = field(default_factory=dict)

    @property
    def cls(self) -> str:
        return self.name.split(".", 1)[0].split(":", 1)[0].strip()


class RecordingClient:
    """The ``student``/``reference`` fixture: a runner that remembers the calls a check made."""

    def __init__(self, runner, calls: list | None):
        self._runner, self._calls = runner, calls

    def run(self, probe, kwargs: dict | None = None, *, timeout: float | None = None, seed: int = 0):
        kwargs = dict(kwargs or {})
        try:
            value = self._runner.run(probe_name(probe), kwargs, timeout=timeout, seed=seed)
        except ProbeFailure as failure:
            if self._calls is not None:
                self._calls.append((probe_name(probe), kwargs, seed, failure))
            raise
        if self._calls is not None:
            self._calls.append((probe_name(probe), kwargs, seed, value))
        return value

    @property
    def import_errors(self) -> dict:
        return getattr(self._runner, "import_errors", {})


def pytest_configure(config):
    config.addinivalue_line("markers", "check(name, points=1, timeout=None): a graded check")
    config.addinivalue_line("markers", "hidden: a check students do not see before final grading")


def _session(request):
    global ACTIVE
    if ACTIVE is None:  # bare pytest: grade the reference solution, through the sandbox
        from grader.runner import GradingSession

        ACTIVE = GradingSession.for_reference(request.path)
    return ACTIVE


def _check_result(item) -> CheckResult:
    result = item.stash.get(_RESULT, None)
    if result is None:
        marker = item.get_closest_marker("check")
        if marker is None:
            raise pytest.UsageError(f"{item.nodeid}: a check needs @pytest.mark.check(\"Class.method: what\", points=N)")
        name = marker.args[0] if marker.args else marker.kwargs["name"]
        points = marker.kwargs.get("points", 1)
        session = ACTIVE
        if session is not None:
            points = session.assignment.points.get(item.originalname, points)
        result = CheckResult(item.nodeid, item.originalname, name, float(points),
                             hidden=item.get_closest_marker("hidden") is not None)
        item.stash[_RESULT] = result
    return result


_RESULT = pytest.StashKey[CheckResult]()


@pytest.fixture
def student(request):
    session = _session(request)
    result = _check_result(request.node)
    marker = request.node.get_closest_marker("check")
    client = RecordingClient(session.student, result.calls)
    timeout = marker.kwargs.get("timeout") if marker else None
    if timeout:
        client = _WithTimeout(client, float(timeout))
    return client


class _WithTimeout:
    def __init__(self, client: RecordingClient, timeout: float):
        self._client, self._timeout = client, timeout

    def run(self, probe, kwargs=None, *, timeout=None, seed=0):
        return self._client.run(probe, kwargs, timeout=timeout or self._timeout, seed=seed)

    @property
    def import_errors(self):
        return self._client.import_errors


@pytest.fixture
def reference(request):
    return RecordingClient(_session(request).reference, None)


@pytest.fixture
def thresholds(request):
    return _session(request).assignment.thresholds


@pytest.fixture
def assignment(request):
    return _session(request).assignment


@pytest.fixture
def artifacts(request):
    """A dict a check may fill with plain data for the report (e.g. ``{"history": [...]}``)."""
    return _check_result(request.node).artifacts


def pytest_collection_modifyitems(session, config, items):
    for item in items:
        result = _check_result(item)  # fails collection early for a check without its marker
        if ACTIVE is not None:
            result.kind, result.message = "grader", "this check did not run (a grader error); please tell your instructor"
            ACTIVE.results.setdefault(result.nodeid, result)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if call.when == "setup":
        item.stash[_STARTED] = time.perf_counter()
    if ACTIVE is None or call.when == "teardown":
        return
    result = _check_result(item)
    if call.when == "call" or report.failed:
        result.seconds = time.perf_counter() - item.stash.get(_STARTED, time.perf_counter())
        if report.passed and call.when == "call":
            result.passed, result.kind, result.message = True, "", ""
        elif report.failed:
            result.passed = False
            result.kind, result.message, mistake = _explain(call.excinfo, report)
            if mistake:
                result.misconceptions.append(mistake)
        ACTIVE.record(result)


_STARTED = pytest.StashKey[float]()


def _explain(excinfo, report) -> tuple[str, str, str | None]:
    """(kind, student-facing message, catalogued mistake id) for a failed check."""
    if excinfo is None:
        return "grader", report.longreprtext[-2000:], None
    exc = excinfo.value
    if isinstance(exc, ProbeFailure):
        return exc.kind, exc.message, None
    if isinstance(exc, CheckFailure):
        return "failed", exc.message, exc.misconception
    if isinstance(exc, AssertionError):
        text = str(exc).split("\nassert ")[0].strip() or "assertion failed"
        return "failed", text, None
    if isinstance(exc, LookupError) and "recorded reference answer" in str(exc):
        return "grader", str(exc), None
    return "grader", f"the check itself failed ({type(exc).__name__}: {exc}); please tell your instructor", None
