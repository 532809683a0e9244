"""Support for the red-team suite: a private copy of numpy_nn with short limits, grading, and tamper checks.

The copy (``course/reference/numpy_nn``) has the real reference solution and
assignment.toml, but probe and import limits of a few seconds and a small
check set of its own (below; the names are CONTRACT §3's), so that an attack
that hangs costs seconds whatever the real checks grow to. One check is
hidden, like the real hidden checks, and the honest mistake the attacks hide
behind keeps the other's points, so "no more than the honest work" is a real
bound. ``NNGRADE_COURSE`` points at the copy, so the sandbox hides its
``reference/`` exactly as it hides the real one.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.core.assignment import Assignment
from grader.core.paths import PACKAGE_PARENT as PROJECT_ROOT
from grader.core.paths import reference_folders
from grader.engine.grade import grade
from grader.feedback.files import write_reports
from grader.sandbox import forkserver

# 256 MB: a memory bomb must reach the limit well within a 2 s probe on a busy machine (faulting in 512 MB
# took over 2 s under a load of 10 on 2 cores).
LIMITS = "[limits]\nprobe_seconds = 2\nimport_seconds = 3\nmemory_mb = 256\ncpu_seconds = 20\n"

BUGGY_FORWARD = "self.output = input @ self.weights + self.biases"

PROBES = '''"""Probes of the red-team copy of numpy_nn."""
import numpy as np


def dense_forward(api, weights, biases, x):
    layer = api.DenseLayer(weights.shape[1], input_shape=(weights.shape[0],))
    layer.initialize(api.SGD(learning_rate=0.0))
    layer.weights, layer.biases = weights.copy(), biases.copy()
    return layer.forward_propagation(x, training=True)


def relu_forward(api, x):
    return api.ReLUActivation().activation_function(x)
'''

_CHECKS_HEADER = '''"""Checks of the red-team copy of numpy_nn."""
import numpy as np
import pytest

from grader.checks import assert_close

RNG = np.random.default_rng(7)
'''
#: The copy's check files: one public check, one hidden.
CHECKS = {
    "test_public_redteam.py": _CHECKS_HEADER + '''DENSE = dict(weights=RNG.normal(size=(4, 3)), biases=RNG.normal(size=(1, 3)), x=RNG.normal(size=(5, 4)))


@pytest.mark.check("DenseLayer.forward_propagation: output on given weights", points=2)
def test_dense_forward(student, reference):
    assert_close(student.run("dense_forward", DENSE), reference.run("dense_forward", DENSE), "output")
''',
    "test_hidden_redteam.py": _CHECKS_HEADER + '''RELU = dict(x=RNG.normal(size=(6, 5)))
pytestmark = pytest.mark.hidden


@pytest.mark.check("ReLUActivation.activation_function: output", points=1)
def test_relu_forward(student, reference):
    assert_close(student.run("relu_forward", RELU), reference.run("relu_forward", RELU), "output")
''',
}


def _with_limits(toml: str) -> str:
    """The assignment's own assignment.toml with its [limits] table replaced by LIMITS."""
    text = re.sub(r"(?ms)^\[limits\]\n(?:(?!^\[).*\n?)*", "", toml)
    return text.rstrip() + "\n\n" + LIMITS


def tree_state(*roots: Path) -> dict[str, str]:
    """path -> sha256 of every file under ``roots`` (to prove nothing was changed)."""
    state = {}
    for root in roots:
        for path in sorted(root.rglob("*")):
            if "__pycache__" in path.parts:
                continue
            if path.is_file():
                state[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


@dataclass
class Graded:
    results: dict
    seconds: float
    out: Path

    @property
    def score(self) -> float:
        return self.results["score"]

    @property
    def text(self) -> str:
        """Everything a student reads about the grade: test outputs, notes, the summary."""
        extra = self.results["extra_data"]
        return "\n".join([self.results["output"], *extra["notes"], *(t["output"] for t in self.results["tests"])])


class RedTeam:
    """Grades submissions against the private copy and checks that nothing outside the worker changed."""

    def __init__(self, root: Path):
        self.root = root
        self.course = root / "course"
        source = PROJECT_ROOT / "reference" / "numpy_nn"
        target = self.course / "reference" / "numpy_nn"
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        toml = target / "assignment.toml"
        toml.write_text(_with_limits(toml.read_text(encoding="utf-8")), encoding="utf-8")
        checks = target / "checks"
        for path in checks.glob("*.py"):
            path.unlink()
        (checks / "conftest.py").write_text("from grader.engine.pytest_plugin import *  # noqa: F401,F403\n",
                                            encoding="utf-8")
        (checks / "probes.py").write_text(PROBES, encoding="utf-8")
        for name, text in CHECKS.items():
            (checks / name).write_text(text, encoding="utf-8")
        self.assignment = Assignment.from_dir(target, "numpy_nn")
        self.reference_layers = target / "numpy_nn" / "layers.py"
        self.cwd = root / "cwd"
        self.cwd.mkdir()
        self.markers = root / "markers"      # attacks try to write here: it must stay empty
        self.markers.mkdir()
        os.chmod(root, 0o755)
        os.chmod(self.markers, 0o777)
        self.tmp_marker = Path(tempfile.gettempdir()) / f"nngrade-redteam-{uuid.uuid4().hex[:12]}"
        self.guarded = [self.course, PROJECT_ROOT / "grader", PROJECT_ROOT / "reference"]
        self._honest: dict[str, float] = {}
        self._count = 0

    # -- submissions ----------------------------------------------------------
    def reference_files(self) -> dict[str, str]:
        folder = self.assignment.solution_dir
        return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.py"))}

    def buggy_files(self) -> dict[str, str]:
        """The reference with one honest mistake: DenseLayer forgets its biases."""
        files = self.reference_files()
        assert files["layers.py"].count(BUGGY_FORWARD) == 1
        files["layers.py"] = files["layers.py"].replace(BUGGY_FORWARD, "self.output = input @ self.weights")
        return files

    def write(self, folder: Path, files: dict[str, str | bytes]) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            data = content.encode("utf-8") if isinstance(content, str) else content
            path.write_bytes(data)
        return folder

    def fill(self, source: str) -> str:
        """Attack source with the paths a well-informed attacker would try."""
        return (source.replace("<<MARKERS>>", str(self.markers))
                .replace("<<COURSE>>", str(self.course))
                .replace("<<REFERENCE_LAYERS>>", str(self.reference_layers))
                .replace("<<PROJECT>>", str(PROJECT_ROOT))
                .replace("<<CWD>>", str(self.cwd))
                .replace("<<OUT>>", str(self.root / "outputs"))
                .replace("<<TMPMARK>>", str(self.tmp_marker)))

    # -- grading --------------------------------------------------------------
    def grade(self, submission: Path) -> Graded:
        self._count += 1
        out = self.root / "outputs" / f"run{self._count}"
        previous = Path.cwd()
        os.chdir(self.cwd)
        started = time.perf_counter()
        try:
            # The attacks are graded at whatever level this machine gives (test_sandbox_policy tests the refusal).
            results = grade(self.assignment, submission, allow_weak_sandbox=True)
            write_reports(results, out)
        finally:
            os.chdir(previous)
        return Graded(results, time.perf_counter() - started, out)

    def honest_score(self, kind: str) -> float:
        if kind not in self._honest:
            files = self.reference_files() if kind == "reference" else self.buggy_files()
            folder = self.write(self.root / "honest" / kind, files)
            self._honest[kind] = self.grade(folder).score
        return self._honest[kind]

    @property
    def max_score(self) -> float:
        return self.honest_score("reference")

    def level(self) -> str:
        server = forkserver.server_for(self.assignment.preload, reference_folders())
        return server.level if server is not None else "rlimits-only"


# Package scope: NNGRADE_COURSE points at the copy only while the red-team tests run.
@pytest.fixture(scope="package")
def redteam(tmp_path_factory):
    root = tmp_path_factory.mktemp("redteam")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NNGRADE_COURSE", str(root / "course"))
        team = RedTeam(root)
        assert 0 < team.honest_score("buggy") < team.max_score, "the honest mistake must cost some points, not all"
        yield team
