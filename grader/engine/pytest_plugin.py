"""What an assignment's ``checks/conftest.py`` loads: ``from grader.engine.pytest_plugin import *``.

The fixtures and hooks of :mod:`grader.checks.plugin`, plus, for a bare
``pytest reference/NAME/checks``, a grading session in which the reference
solution plays the student (through the sandbox, as a submission would).
"""
from grader.checks import plugin as _plugin
from grader.checks.plugin import (  # noqa: F401
    artifacts,
    assignment,
    checks_so_far,
    pytest_collection_modifyitems,
    pytest_pyfunc_call,
    pytest_runtest_makereport,
    reference,
    student,
    thresholds,
)
from grader.engine.session import GradingSession

__all__ = list(_plugin.__all__)


def pytest_configure(config):
    _plugin.pytest_configure(config)
    config.stash[_plugin.BARE_SESSION_FACTORY] = GradingSession.for_reference
