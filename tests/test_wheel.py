"""An installed wheel is the grader alone: it carries its templates, and grades a course named by --course."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUN_INSTALLED = "import sys, grader; print(grader.__file__); from grader.cli import main; sys.argv[0] = 'nngrade'; main()"


def test_a_built_wheel_grades_a_course_given_by_flag(tmp_path):
    dist, site, elsewhere = tmp_path / "dist", tmp_path / "site", tmp_path / "elsewhere"
    elsewhere.mkdir()
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist),
                    str(ROOT)], check=True, cwd=tmp_path)
    (wheel,) = dist.glob("nngrade-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "grader/feedback/templates/report.html.j2" in names and "grader/feedback/templates/style.css" in names
    assert not [n for n in names if n.startswith(("reference/", "assignments/", "samples/"))]
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
                   check=True, cwd=tmp_path)
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("NNGRADE_COURSE", None)
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-c", RUN_INSTALLED, "--course", str(ROOT), "grade", "numpy_nn",
                           str(ROOT / "samples" / "numpy_nn" / "dave.py"), "--out", str(out)],
                          cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert done.stdout.splitlines()[0].startswith(str(site)), "the installed copy, not the checkout, graded"
    assert "score: 142 / 142" in done.stdout
    assert "<html" in (out / "report.html").read_text(encoding="utf-8")
    assert list(elsewhere.iterdir()) == []
