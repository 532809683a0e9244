"""The isolation level on screen and in every report; final grading below a strong level refused unless allowed."""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_gradescope import autograder_tree, run_autograder

from grader.authoring.gradescope import export
from grader.core import assignment as assignments
from grader.feedback.summary import gradebook_csv, load_batch, render_summary
from grader.sandbox import forkserver, isolation
from grader.sandbox.level import LevelUnavailable, current_level

ROOT = Path(__file__).resolve().parents[1]
ALICE = ROOT / "samples" / "numpy_nn" / "alice"
WEAK = {"NNGRADE_SANDBOX": "rlimits-only"}


def nngrade(*args, env=None):
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300, env={**os.environ, **(env or {})})


def test_grade_prints_the_level_first(tmp_path):
    result = nngrade("grade", "numpy_nn", str(ALICE), "--out", str(tmp_path / "out"))
    level = current_level()
    assert result.stdout.splitlines()[0].startswith(f"sandbox: {level['level']} ")
    assert result.returncode == (0 if level["strong"] else 1), result.stderr


def test_final_grading_below_a_strong_level_is_refused_with_the_fix(tmp_path):
    result = nngrade("grade", "numpy_nn", str(ALICE), "--out", str(tmp_path / "out"), env=WEAK)
    assert result.returncode == 1
    assert result.stdout.splitlines()[0].startswith("sandbox: rlimits-only (WEAK isolation)")
    assert "refusing to grade" in result.stderr and "'rlimits-only'" in result.stderr
    assert "--allow-weak-sandbox" in result.stderr and "bubblewrap" in result.stderr
    assert not (tmp_path / "out").exists()
    batch = nngrade("grade-batch", "numpy_nn", str(ALICE.parent), "--out", str(tmp_path / "batch"), env=WEAK)
    assert batch.returncode == 1 and "refusing to grade" in batch.stderr and not (tmp_path / "batch").exists()


@pytest.fixture(scope="module")
def weak_results(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("weak") / "alice"
    result = nngrade("grade", "numpy_nn", str(ALICE), "--out", str(out), "--allow-weak-sandbox", "--seed", "7",
                     env=WEAK)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[0].startswith("sandbox: rlimits-only (WEAK isolation, allowed by")
    assert "--seed 7" in result.stdout
    return out


def test_weak_grading_when_allowed_says_so_in_every_report(weak_results):
    results = json.loads((weak_results / "results.json").read_text(encoding="utf-8"))
    sandbox = results["extra_data"]["sandbox"]
    assert sandbox["level"] == "rlimits-only" and sandbox["strong"] is False and sandbox["allowed_weak"] is True
    assert sandbox["warning"] and results["extra_data"]["seed"] == 7
    assert "weak isolation (sandbox level rlimits-only)" in (weak_results / "report.md").read_text(encoding="utf-8")
    assert 'id="sandbox-warning"' in (weak_results / "report.html").read_text(encoding="utf-8")


def test_the_gradebook_and_summary_name_the_weakly_graded(weak_results, tmp_path):
    shutil.copytree(weak_results, tmp_path / "alice")
    strong = json.loads((weak_results / "results.json").read_text(encoding="utf-8"))
    strong["extra_data"]["sandbox"] = {"level": "bwrap+uid", "warning": "", "start": "fork", "strong": True}
    (tmp_path / "bob").mkdir()
    (tmp_path / "bob" / "results.json").write_text(json.dumps(strong), encoding="utf-8")
    batch = load_batch(tmp_path)
    rows = {row["student_id"]: row for row in csv.DictReader(io.StringIO(gradebook_csv(batch)))}
    assert rows["alice"]["sandbox"].startswith("graded with weak isolation (sandbox level rlimits-only)")
    assert rows["bob"]["sandbox"] == "strong"
    summary = render_summary(batch)
    assert 'id="sandbox-warning"' in summary and "1 submission(s) graded with weak isolation" in summary
    shutil.rmtree(tmp_path / "alice")
    assert "sandbox" not in gradebook_csv(load_batch(tmp_path)).splitlines()[0]   # unchanged when all were strong


def test_the_self_check_may_run_weak_with_one_line_saying_so(tmp_path):
    result = nngrade("check", "numpy_nn", str(ALICE), env=WEAK)
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith("sandbox: rlimits-only (weak isolation: fine for checking your own code")
    assert sum("sandbox:" in line for line in result.stdout.splitlines()) == 1


def test_a_requested_level_that_cannot_be_had_is_an_error(monkeypatch):
    if not forkserver.fork_available():
        pytest.skip("no fork server: every worker is spawned at rlimits-only")
    monkeypatch.setattr(isolation, "bwrap_path", lambda: None)
    monkeypatch.setenv("NNGRADE_SANDBOX", "bwrap+uid")
    with pytest.raises(LevelUnavailable, match="NNGRADE_SANDBOX=bwrap\\+uid cannot be set up on this machine"):
        current_level()


def test_strong_levels():
    assert isolation.STRONG_LEVELS == ("userns", "bwrap+uid")
    assert isolation.is_strong("bwrap+uid") and not isolation.is_strong("uid+ns")
    assert not isolation.is_strong("rlimits-only")


def test_the_gradescope_bundle_refuses_weak_isolation_unless_exported_to_allow_it(tmp_path, monkeypatch):
    monkeypatch.setenv("NNGRADE_SANDBOX", "rlimits-only")
    assignment = assignments.find_assignment("numpy_nn")
    for allowed in (False, True):
        export(assignment, tmp_path / f"bundle-{allowed}.zip", allow_weak_sandbox=allowed)
        root = autograder_tree(tmp_path / f"bundle-{allowed}.zip", tmp_path / f"autograder-{allowed}")
        for path in ALICE.glob("*.py"):
            shutil.copy(path, root / "submission")
        run = run_autograder(root)
        assert run.returncode == 0 and run.stdout.startswith("sandbox: rlimits-only"), run.stdout + run.stderr
        results = json.loads((root / "results" / "results.json").read_text())
        if allowed:
            assert results["score"] == results["extra_data"]["max_score"] > 0
            assert results["extra_data"]["sandbox"]["allowed_weak"] is True
        else:
            assert results["score"] == 0 and "refusing to grade" in results["output"]
            assert "not a verdict on your code" in results["output"]
