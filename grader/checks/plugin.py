"""The pytest plugin: checks are plain pytest functions; this turns their outcomes into results.

An assignment's ``checks/conftest.py`` does ``from grader.engine.pytest_plugin import *``
(these fixtures and hooks, plus a grading session of the reference for a bare
``pytest``). A check then reads::

    @pytest.mark.check("DenseLayer.forward_propagation: output on given weights", points=2)
    def test_dense_forward(student, reference):
        args = dict(weights=W, biases=b, x=X)
        assert_close(student.run("dense_forward", args), reference.run("dense_forward", args))

Fixtures: ``student`` (the submission, in the sandbox), ``reference`` (the
reference in this process, or its recorded answers in a student bundle),
``thresholds`` (the assignment's ``[thresholds]`` table), ``assignment``,
``artifacts`` (plain data for the report) and ``checks_so_far`` (the results
recorded before this check). Visibility is the check file's
(:mod:`grader.core.visibility`). A check may not be skipped or xfailed.

The engine hands pytest its grading session as a plugin object
(:class:`SessionPlugin`); the hooks read it from the pytest config, so nothing
here is global and two gradings never share state.
"""
from __future__ import annotations

import time

import numpy as np
import pytest

from grader.checks.assertions import CheckFailure
from grader.checks.inputs import fresh_seed
from grader.core.types import CheckResult, GraderFault, ProbeFailure
from grader.core.visibility import VisibilityError, is_hidden_check_file
from grader.sandbox.keys import probe_name

__all__ = ["pytest_configure", "pytest_runtest_makereport", "pytest_collection_modifyitems", "pytest_pyfunc_call",
           "student", "reference", "thresholds", "assignment", "artifacts", "checks_so_far"]

#: The grading session of this pytest run (set by :class:`SessionPlugin`).
SESSION = pytest.StashKey[object]()
#: Under a bare ``pytest``: a function of a check's path that makes a session grading the reference.
BARE_SESSION_FACTORY = pytest.StashKey[object]()
_BARE_SESSION = pytest.StashKey[object]()
_RESULT = pytest.StashKey[CheckResult]()
_STARTED = pytest.StashKey[float]()
GRADER_FAILED = "the grader failed on this check, not your code ({}); your instructor has the log and can grade it again"
REFUSED_MARKS = ("skip", "skipif", "xfail")


class SessionPlugin:
    """Given to ``pytest.main(plugins=[...])`` by the engine: ``session`` is what this run grades."""

    def __init__(self, session):
        self.session = session

    def pytest_configure(self, config):
        config.stash[SESSION] = self.session


class RecordingClient:
    """The ``student``/``reference`` fixture: a runner that remembers the calls a check made."""

    def __init__(self, runner, calls: list | None, timeout: float | None = None, result: CheckResult | None = None):
        self._runner, self._calls, self._timeout, self._result = runner, calls, timeout, result

    def _note_parts(self) -> None:
        """The parts the probe looked up and those the grader's stand-ins played (for one mistake, charged once)."""
        if self._result is not None:
            self._result.uses += [n for n in getattr(self._runner, "last_used", []) if n not in self._result.uses]
            self._result.served |= set(getattr(self._runner, "last_served", ()))

    def run(self, probe, kwargs: dict | None = None, *, timeout: float | None = None, seed: int = 0):
        kwargs = dict(kwargs or {})
        seed = fresh_seed(seed)   # the probe's own randomness is drawn afresh at final grading too
        try:
            value = self._runner.run(probe_name(probe), kwargs, timeout=timeout or self._timeout, seed=seed)
        except ProbeFailure as failure:
            self._note_parts()
            if self._calls is not None:
                self._calls.append((probe_name(probe), kwargs, seed, failure))
            raise
        self._note_parts()
        if self._calls is not None:
            self._calls.append((probe_name(probe), kwargs, seed, value))
        return value

    @property
    def parts_used(self) -> list[str]:
        """The parts (classes, functions) this check's probes have looked up so far, in order."""
        return list(self._result.uses) if self._result is not None else []

    @property
    def import_errors(self) -> dict:
        return getattr(self._runner, "import_errors", {})


def pytest_configure(config):
    config.addinivalue_line("markers", "check(name, points=1, timeout=None): a graded check")
    config.addinivalue_line("markers", "hidden: a check students do not see before final grading")


def _graded(config):
    """The session this run grades for the engine, or None under a bare ``pytest``."""
    return config.stash.get(SESSION, None)


def _session(request):
    session = _graded(request.config)
    if session is not None:
        return session
    if _BARE_SESSION not in request.config.stash:  # bare pytest: grade the reference solution, through the sandbox
        factory = request.config.stash.get(BARE_SESSION_FACTORY, None)
        if factory is None:
            raise pytest.UsageError("no grading session: an assignment's checks/conftest.py loads the grader with "
                                    "`from grader.engine.pytest_plugin import *`")
        request.config.stash[_BARE_SESSION] = factory(request.path)
    return request.config.stash[_BARE_SESSION]


def _visibility(item) -> tuple[bool, str]:
    """(hidden, why the check cannot be graded as written: '' when it can)."""
    try:
        hidden = is_hidden_check_file(item.path)
    except VisibilityError as exc:
        return True, str(exc)
    if not hidden and item.get_closest_marker("hidden") is not None:
        return True, (f"{item.path.name} is a public check file but this check is marked hidden; move it into a "
                      "test_hidden_*.py file")
    refused = [name for name in REFUSED_MARKS if item.get_closest_marker(name) is not None]
    if refused:
        return hidden, f"a check cannot be marked {', '.join(refused)}: remove the mark (its points must count)"
    return hidden, ""


def _check_result(item) -> CheckResult:
    result = item.stash.get(_RESULT, None)
    if result is None:
        marker = item.get_closest_marker("check")
        if marker is None:
            raise pytest.UsageError(f"{item.nodeid}: a check needs @pytest.mark.check(\"Class.method: what\", points=N)")
        name = marker.args[0] if marker.args else marker.kwargs["name"]
        points = marker.kwargs.get("points", 1)
        session = _graded(item.config)
        if session is not None:
            points = session.assignment.points.get(item.originalname, points)
        hidden, _ = _visibility(item)
        result = CheckResult(item.nodeid, item.originalname, name, float(points), hidden=hidden)
        item.stash[_RESULT] = result
    return result


@pytest.fixture
def student(request):
    session = _session(request)
    marker = request.node.get_closest_marker("check")
    timeout = marker.kwargs.get("timeout") if marker else None
    note_check = getattr(session.student, "note_check", None)
    if callable(note_check):  # a function that hangs here is named with this check's number in later ones
        note_check(f"check {request.session.items.index(request.node) + 1}")
    result = _check_result(request.node)
    return RecordingClient(session.student, result.calls, float(timeout) if timeout else None, result)


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


@pytest.fixture
def checks_so_far(request) -> list[CheckResult]:
    """The results of the checks that ran before this one (to name a failing part as the likely cause)."""
    session = _graded(request.config)
    return [] if session is None else [r for r in session.results.values() if r.kind != "grader"]


def pytest_collection_modifyitems(session, config, items):
    graded = _graded(config)
    refused = []
    for item in items:
        result = _check_result(item)  # fails collection early for a check without its marker
        _, problem = _visibility(item)
        if problem:
            refused.append(item)
        if graded is not None:
            result.kind = "grader"
            result.message = problem or GRADER_FAILED.format("the check did not run to its end")
            graded.results.setdefault(result.nodeid, result)
    if refused:
        config.hook.pytest_deselected(items=refused)
        items[:] = [item for item in items if item not in refused]
        if graded is None:
            raise pytest.UsageError("; ".join(_visibility(item)[1] for item in refused))


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """Keep a way to run the check again with the same fixtures (the engine re-runs a failed integration check
    with stand-ins for parts that failed their own checks); pytest then calls it as usual."""
    if _graded(pyfuncitem.config) is not None:
        arguments = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
        _check_result(pyfuncitem).retry = _Retry(pyfuncitem.obj, arguments)


class _Retry:
    """Runs a check again on the inputs it drew the first time: random generators the check file keeps at module
    level are wound back to where they were, then forward again, so that the re-run leaves no trace."""

    def __init__(self, function, arguments: dict):
        self.function, self.arguments = function, arguments
        self.before = _random_states(function)

    def __call__(self):
        after = _random_states(self.function)
        _set_random_states(self.function, self.before)
        try:
            return self.function(**self.arguments)
        finally:
            _set_random_states(self.function, after)


def _random_states(function) -> dict:
    namespace = getattr(function, "__globals__", {})
    states = {name: value.bit_generator.state for name, value in namespace.items()
              if isinstance(value, np.random.Generator)}
    states.update({name: value.get_state() for name, value in namespace.items()
                   if isinstance(value, np.random.RandomState)})
    return {"modules": states, "global": np.random.get_state()}


def _set_random_states(function, states: dict) -> None:
    namespace = getattr(function, "__globals__", {})
    for name, state in states["modules"].items():
        value = namespace.get(name)
        if isinstance(value, np.random.Generator):
            value.bit_generator.state = state
        elif isinstance(value, np.random.RandomState):
            value.set_state(state)
    np.random.set_state(states["global"])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if call.when == "setup":
        item.stash[_STARTED] = time.perf_counter()
    graded = _graded(item.config)
    if graded is None or call.when == "teardown":
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
            if call.excinfo is not None and isinstance(call.excinfo.value, CheckFailure):
                result.artifacts.update(call.excinfo.value.artifacts)  # e.g. both gradients, for the figure
        graded.record(result)


def _explain(excinfo, report) -> tuple[str, str, str | None]:
    """(kind, student-facing message, catalogued mistake id) for a failed check."""
    if excinfo is None:
        return "grader", GRADER_FAILED.format("pytest reported a failure outside the check"), None
    exc = excinfo.value
    if isinstance(exc, ProbeFailure):
        return exc.kind, exc.message, None
    if isinstance(exc, CheckFailure):
        return "failed", exc.message, exc.misconception
    if isinstance(exc, GraderFault):
        return "grader", GRADER_FAILED.format(exc), None
    if isinstance(exc, AssertionError):
        text = str(exc).split("\nassert ")[0].strip() or "assertion failed"
        return "failed", text, None
    return "grader", GRADER_FAILED.format(f"{type(exc).__name__}: {exc}"), None
