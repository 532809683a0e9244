"""Where a check's inputs come from: seeds mixed with the grading's own seed.

A public check's inputs are public (the bundle records the reference's answers
to them in ``checks/expected.json``), so at final grading they are drawn
afresh: each grading gets a seed of its own (recorded in results.json as
``extra_data.seed``; ``nngrade grade --seed N`` draws the same inputs again),
and every seed a check file writes down is mixed with it here. At grading
seed 0 (the student's self-check, and ``release`` recording expected.json)
every seed is itself, so the recorded answers match. Hidden checks keep their inputs: no one has their answers (a check file
is hidden by its name, :mod:`grader.core.visibility`; the nearest check file on the call stack decides).

Check files use :func:`rng_for` for arrays and :func:`fresh_seed` for a seed
they hand to a probe or a data split; the ``student``/``reference`` fixtures
mix the seed of every probe call themselves.
"""
from __future__ import annotations

import contextlib
import os
import secrets
import sys

import numpy as np

from grader.core.visibility import HIDDEN_PREFIX

#: The seed of the grading in progress in this process (one grading at a time per process).
_CURRENT = [0]


def grading_seed() -> int:
    return _CURRENT[0]


def new_grading_seed() -> int:
    """A random, non-zero seed for a final grading (0 is the self-check's)."""
    return 1 + secrets.randbelow(2**31 - 2)


@contextlib.contextmanager
def drawing_inputs(seed: int):
    """Check inputs drawn with grading seed ``seed`` while the block runs."""
    previous = _CURRENT[0]
    _CURRENT[0] = int(seed)
    try:
        yield
    finally:
        _CURRENT[0] = previous


def _for_a_hidden_check() -> bool:
    """True when the nearest check file on the call stack is a hidden one (its module code or a check in it)."""
    frame = sys._getframe(1)
    while frame is not None:
        name = os.path.basename(frame.f_code.co_filename)
        if name.startswith("test_"):
            return name.startswith(HIDDEN_PREFIX)
        frame = frame.f_back
    return False


def fresh_seed(seed: int) -> int:
    """``seed`` itself at grading seed 0 and in hidden checks (no one has their answers, and their inputs were
    chosen with care); otherwise a seed derived from both (a plain int below 2**31)."""
    if _CURRENT[0] == 0 or _for_a_hidden_check():
        return int(seed)
    return int(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, _CURRENT[0]]).generate_state(1)[0] >> 1)


def rng_for(seed: int) -> np.random.Generator:
    """The generator a check draws its inputs from: ``default_rng(seed)`` at grading seed 0."""
    return np.random.default_rng(fresh_seed(seed))
