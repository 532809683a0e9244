"""Red team: the grader always answers, quickly, and a memorised answer table earns nothing.

These cases grade against a private copy of the red-team course (conftest's
RedTeam) whose public check draws its inputs with ``grader.checks.rng_for``, as
the real checks do, and which has two public checks of
``DenseLayer.forward_propagation`` (so a method that hangs in one is met again).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from grader.authoring.release import release
from grader.core.assignment import Assignment
from grader.core.paths import PACKAGE_PARENT
from grader.engine.grade import grade
from grader.sandbox import forkserver

from .conftest import BUGGY_FORWARD, RedTeam

PUBLIC_CHECKS = '''"""Public checks of the answers red-team copy: inputs drawn afresh at final grading."""
import pytest

from grader.checks import assert_close, rng_for

DENSE = dict(weights=rng_for(7).normal(size=(4, 3)), biases=rng_for(8).normal(size=(1, 3)),
             x=rng_for(9).normal(size=(5, 4)))
SECOND = dict(weights=rng_for(17).normal(size=(2, 3)), biases=rng_for(18).normal(size=(1, 3)),
              x=rng_for(19).normal(size=(6, 2)))


@pytest.mark.check("DenseLayer.forward_propagation: output on given weights", points=2)
def test_dense_forward(student, reference):
    assert_close(student.run("dense_forward", DENSE), reference.run("dense_forward", DENSE), "output")


@pytest.mark.check("DenseLayer.forward_propagation: output on a second layer", points=2)
def test_dense_forward_again(student, reference):
    assert_close(student.run("dense_forward", SECOND), reference.run("dense_forward", SECOND), "output")
'''

#: Looks the probe's inputs up in the bundle's checks/expected.json (embedded: the worker cannot read the bundle).
LOOKUP = '''
import inspect, json
from grader.sandbox import wire
from grader.sandbox.keys import probe_key
table = json.loads(<<TABLE>>)
frame = inspect.currentframe()
while frame is not None and frame.f_code.co_name != "dense_forward":
    frame = frame.f_back
self.input = input
self.output = np.zeros((input.shape[0], self.weights.shape[1]))
if frame is not None:
    inputs = {name: frame.f_locals[name] for name in ("weights", "biases", "x")}
    key = probe_key("dense_forward", inputs, 0)
    if key in table:
        self.output = np.asarray(wire.decode(table[key].encode("utf-8")))
'''


class AnswersTeam(RedTeam):
    """The red-team copy with PUBLIC_CHECKS instead of its one public check."""

    def __init__(self, root: Path):
        super().__init__(root)
        checks = self.assignment.checks_dir
        (checks / "test_public_redteam.py").write_text(PUBLIC_CHECKS, encoding="utf-8")
        self.assignment = Assignment.from_dir(self.assignment.root, "numpy_nn")

    def with_forward(self, folder: Path, code: str) -> Path:
        """The reference whose DenseLayer.forward_propagation runs ``code`` in place of its output line."""
        files = self.reference_files()
        body = textwrap.indent(textwrap.dedent(code).strip(), " " * 8)
        assert files["layers.py"].count(" " * 8 + BUGGY_FORWARD) == 1
        files["layers.py"] = files["layers.py"].replace(" " * 8 + BUGGY_FORWARD, body)
        for name, text in files.items():
            compile(text, name, "exec")
        return self.write(folder, files)


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    root = tmp_path_factory.mktemp("answers")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NNGRADE_COURSE", str(root / "course"))
        yield AnswersTeam(root)


def _by_name(graded, prefix: str) -> list[dict]:
    return [t for t in graded.results["tests"] if t["name"].startswith(prefix)]


def test_an_answer_table_pays_at_the_self_check_but_not_at_final_grading(team, tmp_path):
    bundle = release(team.assignment, tmp_path / "bundle")
    table = (bundle / "checks" / "expected.json").read_text(encoding="utf-8")
    submission = team.with_forward(tmp_path / "lookup", LOOKUP.replace("<<TABLE>>", repr(table)))

    self_check = grade(team.assignment, submission, public_only=True)
    forward = [t for t in self_check["tests"] if t["name"].startswith("DenseLayer.forward_propagation")]
    assert forward and all(t["status"] == "passed" for t in forward), "the lookup must work on the recorded inputs"
    assert self_check["extra_data"]["seed"] == 0

    graded = team.grade(submission)
    assert graded.results["extra_data"]["seed"] != 0
    assert all(t["score"] == 0 for t in _by_name(graded, "DenseLayer.forward_propagation"))
    assert graded.score <= team.honest_score("buggy")


def test_a_seed_reproduces_a_grading_and_another_draws_other_inputs(team, tmp_path):
    submission = team.write(tmp_path / "honest", team.reference_files())
    first, again = grade(team.assignment, submission, seed=1234), grade(team.assignment, submission, seed=1234)
    other = grade(team.assignment, submission, seed=4321)
    assert first["score"] == again["score"] == other["score"] == team.max_score
    assert first["extra_data"]["seed"] == again["extra_data"]["seed"] == 1234


def test_a_method_that_hangs_fails_fast_in_later_checks(team, tmp_path):
    graded = team.grade(team.with_forward(tmp_path / "loop", "while True:\n    pass"))
    first, second = _by_name(graded, "DenseLayer.forward_propagation")
    assert "did not finish within" in first["output"] and "DenseLayer.forward_propagation" in first["output"]
    assert "hung in check 1" in second["output"], second["output"]
    seconds = {c["number"]: c["seconds"] for c in graded.results["extra_data"]["checks"]}
    assert seconds[second["number"]] < 1.8, "the second check waited out its whole limit again"
    assert graded.score == team.honest_score("buggy")


@pytest.mark.parametrize("code, reason", [
    ("import signal, time\nfor s in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM):\n"
     "    signal.signal(s, signal.SIG_IGN)\ntime.sleep(1000)", r"hung in check 1"),
    ("import sys\nsys.exit(3)", r"SystemExit|exit"),
    ("import os, signal\nos.killpg(0, signal.SIGKILL)", r"was killed"),
])
def test_sleeping_exiting_and_killing_its_group_are_charged_and_bounded(team, tmp_path, code, reason):
    started = time.perf_counter()
    graded = team.grade(team.with_forward(tmp_path / "attack", code))
    assert time.perf_counter() - started < 8
    forward = _by_name(graded, "DenseLayer.forward_propagation")
    assert all(t["score"] == 0 for t in forward) and any(re.search(reason, t["output"]) for t in forward), forward
    assert graded.results["extra_data"]["grader_errors"] == 0
    assert graded.score == team.honest_score("buggy")


def test_an_infinite_loop_at_import_is_charged_once(team, tmp_path):
    files = team.buggy_files()
    files["layers.py"] += "\nwhile True:\n    pass\n"
    graded = team.grade(team.write(tmp_path / "import-loop", files))
    assert graded.score == 0 and graded.seconds < 3 + 4   # import_seconds = 3, and no wait per check


def test_a_fork_server_killed_by_the_submission_is_restarted(team, tmp_path, monkeypatch):
    """Only a weak level lets a worker signal the fork server; grading still answers, and goes on."""
    monkeypatch.setenv("NNGRADE_SANDBOX", "rlimits-only")
    submission = team.with_forward(tmp_path / "kill-server", "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)")
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "grader", "grade", str(team.assignment.root), str(submission),
                             "--out", str(out), "--allow-weak-sandbox"], capture_output=True, text=True,
                            cwd=team.cwd, timeout=120, env={**os.environ, "PYTHONPATH": str(PACKAGE_PARENT)})
    assert result.returncode == 0, result.stdout + result.stderr
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["extra_data"]["grader_errors"] == 0
    relu = [t for t in results["tests"] if t["name"].startswith("ReLUActivation")]
    forward = [t for t in results["tests"] if t["name"].startswith("DenseLayer.forward_propagation")]
    assert forward and any("stopped answering" in t["output"] for t in forward), [t["output"] for t in forward]
    assert relu and relu[0]["status"] == "passed", "the checks after the kill were not graded"


def test_a_fork_server_that_cannot_start_again_is_a_grader_error(team, tmp_path, monkeypatch):
    def broken(self, limits, fds):
        raise forkserver.ForkServerError("the fork server exited")

    if not forkserver.fork_available():
        pytest.skip("no fork server on this machine: workers are spawned")
    monkeypatch.setattr(forkserver.ForkServer, "spawn", broken)
    results = grade(team.assignment, team.write(tmp_path / "honest", team.reference_files()))
    assert {c["kind"] for c in results["extra_data"]["checks"]} == {"grader"}
    assert results["extra_data"]["grader_errors"] == len(results["tests"]) and results["score"] == 0
    assert "not your code" in results["tests"][0]["output"]

