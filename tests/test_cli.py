"""The command line: exit statuses and files of CONTRACT §1."""
import json
import subprocess
import sys
from pathlib import Path

from grader.batch.store import discover

ROOT = Path(__file__).resolve().parents[1]


def nngrade(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, cwd=cwd or ROOT,
                          timeout=300)


def test_usage_errors_exit_2(tmp_path):
    assert nngrade("grade", "no_such_assignment", str(tmp_path), "--out", str(tmp_path / "o")).returncode == 2
    missing = nngrade("grade", "numpy_nn", str(tmp_path / "missing"), "--out", str(tmp_path / "o"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    assert nngrade("frobnicate").returncode == 2


def test_list_shows_assignments():
    result = nngrade("list")
    assert result.returncode == 0 and "numpy_nn" in result.stdout


def test_broken_submission_is_a_score_not_a_crash(tmp_path):
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"this is not a zip")
    out = tmp_path / "out"
    result = nngrade("grade", "numpy_nn", str(bad), "--out", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    results = json.loads((out / "results.json").read_text())
    assert results["score"] == 0 and "not a readable zip" in results["output"]
    assert all(t["status"] == "failed" for t in results["tests"])
    assert (out / "report.md").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.zip", "out"]  # nothing stray in the cwd


def test_demo_grades_the_sample_class(tmp_path):
    result = nngrade("demo", "--out", str(tmp_path / "demo"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    students = {"alice", "bob", "carol", "dave", "erin", "frank"}
    assert students <= {p.name for p in (tmp_path / "demo").iterdir()}
    assert all((tmp_path / "demo" / s / "report.html").exists() for s in students)
    assert (tmp_path / "demo" / "summary.html").exists() and "summary.html" in result.stdout
    rows = (tmp_path / "demo" / "gradebook.csv").read_text().splitlines()
    entries, _notices = discover(ROOT / "samples" / "numpy_nn")
    assert len(rows) == 1 + len(entries) and len(entries) >= len(students)


def test_a_folder_that_is_no_course_is_named_with_the_fix(tmp_path):
    listed = nngrade("--course", str(tmp_path), "list")
    assert listed.returncode == 0 and "is not a course folder" in listed.stdout and "--course" in listed.stdout
    graded = nngrade("--course", str(tmp_path), "grade", "numpy_nn", str(tmp_path), "--out", str(tmp_path / "o"))
    assert graded.returncode == 2 and "is not a course folder" in graded.stderr
    missing = nngrade("--course", str(tmp_path / "nowhere"), "list")
    assert missing.returncode == 2 and "does not exist" in missing.stderr
