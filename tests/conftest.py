"""What the whole suite shares: grading seeds pinned per test, and one line on what was skipped and why.

Final grading draws fresh check inputs at a random seed each time (grader/checks/inputs.py). In the suite that
would make a verdict near a threshold depend on the run, so each test gets its own fixed sequence of seeds,
derived from its node id: the same on every run, different between tests and between gradings within a test.
``NNGRADE_TEST_FRESH_SEEDS=1`` restores random seeds (to look for input-dependent verdicts).
"""
from __future__ import annotations

import itertools
import os
import shutil
import zlib

import pytest

FRESH_SEEDS = os.environ.get("NNGRADE_TEST_FRESH_SEEDS") == "1"


def pytest_report_header(config):
    return "grading seeds: " + ("fresh (NNGRADE_TEST_FRESH_SEEDS=1)" if FRESH_SEEDS else "pinned per test")


@pytest.fixture(autouse=True)
def _pinned_grading_seeds(request, monkeypatch):
    if FRESH_SEEDS:
        return
    from grader.authoring import validate
    from grader.engine import grade

    base = zlib.crc32(request.node.nodeid.encode()) % 1_000_000
    seeds = itertools.count(1 + base * 1000)
    for module in (grade, validate):
        monkeypatch.setattr(module, "new_grading_seed", lambda: next(seeds))


def pytest_terminal_summary(terminalreporter):
    """Browser tests skip without Chromium; say so once, with the fix, instead of leaving a bare count."""
    if shutil.which("chromium") or shutil.which("chromium-browser"):
        return
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if "test_browser" in r.nodeid]
    if skipped:
        terminalreporter.write_line(f"{len(skipped)} browser tests skipped: Chromium is not installed "
                                    "(apt-get install chromium chromium-driver to run them)")
