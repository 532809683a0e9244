"""An installed wheel is the grader and its built-in course: it grades a course named by --course, and it makes
an instructor's course folder and a new assignment without the source tree."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUN_INSTALLED = "import sys, grader; print(grader.__file__); from grader.cli import main; sys.argv[0] = 'nngrade'; main()"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(the wheel's file names, the folder it is installed in, the environment that runs the installed copy)."""
    work = tmp_path_factory.mktemp("wheel")
    dist, site = work / "dist", work / "site"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist),
                    str(ROOT)], check=True, cwd=work)
    (wheel,) = dist.glob("nngrade-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
                   check=True, cwd=work)
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("NNGRADE_COURSE", None)
    return names, site, env


def _nngrade(installed, *args, cwd):
    done = subprocess.run([sys.executable, "-c", RUN_INSTALLED, *args], cwd=cwd, env=installed[2],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert done.stdout.splitlines()[0].startswith(str(installed[1])), "the installed copy, not the checkout, ran"
    return done


def test_the_wheel_carries_its_templates_and_the_built_in_course(installed):
    names = installed[0]
    assert "grader/feedback/templates/report.html.j2" in names and "grader/feedback/templates/style.css" in names
    assert not [n for n in names if n.startswith(("reference/", "assignments/", "samples/"))]
    course = "grader/builtin_course/"
    for name in ("backprop", "cnn", "numpy_nn", "torch_basics"):
        assert f"{course}reference/{name}/assignment.toml" in names
        assert f"{course}assignments/{name}/checks/expected.json" in names
    assert f"{course}course.toml" in names and f"{course}samples/numpy_nn/dave.py" in names
    assert "grader/authoring/scaffold/notebook/__name__/__name__.ipynb.tmpl" in names
    assert not [n for n in names if "__pycache__" in n or "tmp-release" in n]


def test_a_built_wheel_grades_a_course_given_by_flag(installed, tmp_path):
    elsewhere, out = tmp_path / "elsewhere", tmp_path / "out"
    elsewhere.mkdir()
    done = _nngrade(installed, "--course", str(ROOT), "grade", "numpy_nn",
                    str(ROOT / "samples" / "numpy_nn" / "dave.py"), "--out", str(out), cwd=elsewhere)
    assert "score: 142 / 142" in done.stdout
    assert "<html" in (out / "report.html").read_text(encoding="utf-8")
    assert list(elsewhere.iterdir()) == []


def test_an_installed_wheel_makes_a_course_and_a_valid_new_assignment(installed, tmp_path):
    outside = subprocess.run([sys.executable, "-c", RUN_INSTALLED, "new", "demo_nb"], cwd=tmp_path, env=installed[2],
                             capture_output=True, text=True, timeout=300, check=False)
    assert outside.returncode == 2 and "nngrade init DIR" in outside.stderr, "never into the installed package"
    _nngrade(installed, "init", "course", cwd=tmp_path)
    course = tmp_path / "course"
    assert (course / "reference" / "numpy_nn" / "assignment.toml").is_file()
    made = _nngrade(installed, "new", "demo_nb", "--kind", "notebook", cwd=course)
    assert f"course: course, {course}" in made.stderr
    validated = _nngrade(installed, "validate", "demo_nb", cwd=course)
    assert "valid" in validated.stdout.splitlines()[-1] and "NOT" not in validated.stdout
    _nngrade(installed, "release", "demo_nb", cwd=course)
    assert (course / "assignments" / "demo_nb" / "checks" / "expected.json").is_file()
