"""Layer 4, checks: the check author's library, what an assignment's ``checks/`` files import.

``from grader.checks import assert_close, fail`` in a check file; the fixtures
and hooks come with ``from grader.engine.pytest_plugin import *`` in its
``conftest.py``. The modules here: :mod:`~grader.checks.assertions` (failure
messages a student can act on), :mod:`~grader.checks.plugin` (checks as pytest
tests), :mod:`~grader.checks.probing` (probes on trusted code),
:mod:`~grader.checks.mistakes` (the catalogue of classic mistakes) and
:mod:`~grader.checks.datasets` (held-out image data) and :mod:`~grader.checks.inputs` (seeds that
draw fresh inputs at every final grading) and :mod:`~grader.checks.recording` (curves and gradients
recorded for the report's figures).
"""
from grader.checks.assertions import (
           CheckFailure,
           assert_close,
           assert_gradient,
           compare,
           fail,
           relative_error,
)
from grader.checks.inputs import fresh_seed, rng_for
from grader.checks.recording import gradient_record, training_record
from grader.core.types import ProbeFailure

__all__ = ["CheckFailure", "ProbeFailure", "assert_close", "assert_gradient", "compare", "fail", "relative_error",
           "fresh_seed", "rng_for", "gradient_record", "training_record"]
