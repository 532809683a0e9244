"""export-gradescope: the bundle's layout, and run_autograder end to end in a fake /autograder tree."""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from class_fixtures import reference_dir

from grader.authoring.gradescope import export, requirements
from grader.core import assignment as assignments

PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("export") / "autograder.zip"
    run = subprocess.run([sys.executable, "-m", "grader", "export-gradescope", "numpy_nn", "--out", str(out)],
                         cwd=PROJECT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    return out


def autograder_tree(bundle: Path, root: Path) -> Path:
    """What Gradescope builds: the bundle in source/, run_autograder copied to the root, a submission folder."""
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
    for name in ("setup.sh", "run_autograder"):  # zipfile drops the mode bits; Gradescope keeps them
        path = root / "source" / name
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    return root


def run_autograder(root: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, NNGRADE_AUTOGRADER_ROOT=str(root), NNGRADE_PYTHON=sys.executable)
    env.pop("PYTHONPATH", None)
    return subprocess.run([str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True,
                          timeout=120)


def test_bundle_layout(bundle):
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
    assert {"setup.sh", "run_autograder", "requirements.txt"} <= names
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert "nngrade/grader/engine/grade.py" in names and "nngrade/grader/sandbox/worker.py" in names
    assert "nngrade/grader/feedback/templates/report.html.j2" in names
    hidden_and_reference = {"nngrade/reference/numpy_nn/assignment.toml", "nngrade/reference/numpy_nn/checks/probes.py",
                            "nngrade/reference/numpy_nn/numpy_nn/layers.py"}
    assert hidden_and_reference <= names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_scripts_parse_and_install_the_requirements(bundle, tmp_path):
    root = autograder_tree(bundle, tmp_path / "autograder")
    for script in ("setup.sh", "run_autograder"):
        assert subprocess.run(["bash", "-n", str(root / "source" / script)]).returncode == 0
    setup = (root / "source" / "setup.sh").read_text()
    assert "pip install --no-cache-dir -r \"$SOURCE/requirements.txt\"" in setup
    assert "grader.authoring.gradescope selftest numpy_nn" in setup
    required = (root / "source" / "requirements.txt").read_text().split()
    assert "numpy>=1.24" in required and "pytest>=8.0" in required


def test_torch_assignments_pin_the_cpu_build(tmp_path):
    pytest.importorskip("torch")
    import torch

    root = tmp_path / "torchy"
    shutil.copytree(assignments.find_assignment("numpy_nn").root, root, ignore=shutil.ignore_patterns("__pycache__"))
    (root / "checks" / "test_torch_extra.py").write_text("import torch\n", encoding="utf-8")
    assignment = assignments.Assignment.from_dir(root, "torchy")
    _, torch_pins = requirements(assignment)
    assert torch_pins == [f"torch=={torch.__version__.split('+')[0]}"]
    export(assignment, tmp_path / "torchy.zip")
    with zipfile.ZipFile(tmp_path / "torchy.zip") as archive:
        setup = archive.read("setup.sh").decode()
    assert f"torch=={torch.__version__.split('+')[0]} --index-url https://download.pytorch.org/whl/cpu" in setup


def test_run_autograder_grades_a_submission_end_to_end(bundle, tmp_path):
    root = autograder_tree(bundle, tmp_path / "autograder")
    # Mark the bundle's own grader, to prove run_autograder grades with it and not with an installed one.
    init = root / "source" / "nngrade" / "grader" / "__init__.py"
    init.write_text(init.read_text().replace('__version__ = "', '__version__ = "bundle-'), encoding="utf-8")
    for path in reference_dir().glob("*.py"):
        shutil.copy(path, root / "submission")

    run = run_autograder(root)
    assert run.returncode == 0, run.stdout + run.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["extra_data"]["nngrade_version"].startswith("bundle-")
    assert results["tests"] and results["score"] == results["extra_data"]["max_score"] > 0
    for test in results["tests"]:
        assert set(test) >= {"name", "score", "max_score", "status", "output", "visibility"}
        assert test["visibility"] in ("visible", "after_published")
    # grading wrote nothing into the assignment's folders (the course material in the bundle)
    assert not [p for p in (root / "source" / "nngrade" / "reference").rglob("*") if p.name == "__pycache__"]
    assert sorted(p.name for p in root.iterdir()) == ["results", "run_autograder", "source", "submission"]


def test_run_autograder_on_a_broken_submission_still_writes_results(bundle, tmp_path):
    root = autograder_tree(bundle, tmp_path / "autograder")
    (root / "submission" / "layers.py").write_text("def broken(:\n", encoding="utf-8")
    run = run_autograder(root)
    assert run.returncode == 0, run.stdout + run.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 0 and results["tests"]
    assert all(t["status"] == "failed" for t in results["tests"])


def test_run_autograder_writes_results_when_python_is_missing(bundle, tmp_path):
    root = autograder_tree(bundle, tmp_path / "autograder")
    env = dict(os.environ, NNGRADE_AUTOGRADER_ROOT=str(root), NNGRADE_PYTHON=str(tmp_path / "no-python"))
    subprocess.run([str(root / "run_autograder")], cwd=root, env=env, capture_output=True, timeout=60)
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 0 and "could not run" in results["output"]


def test_student_bundles_cannot_be_exported(tmp_path):
    source = assignments.find_assignment("numpy_nn")
    root = tmp_path / "student"
    shutil.copytree(source.root, root, ignore=shutil.ignore_patterns(source.solution, "__pycache__"))
    run = subprocess.run([sys.executable, "-m", "grader", "export-gradescope", str(root), "--out",
                          str(tmp_path / "x.zip")], cwd=PROJECT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "student bundle" in run.stderr


def test_results_name_the_device_the_training_ran_on():
    from grader.core.types import CheckResult
    from grader.engine.results import device_used

    def trained_on(device):
        return CheckResult(nodeid="x", function="test_x", name="CNN on MNIST: accuracy", points=1.0, hidden=False,
                           passed=True, artifacts={"device": device} if device else {})

    assert device_used([trained_on(None), trained_on("cuda")]) == "cuda"
    assert device_used([trained_on("cpu"), trained_on(None)]) == "cpu"
    assert device_used([]) == "cpu"
