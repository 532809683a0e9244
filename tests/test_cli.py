"""The command line: exit statuses and files of CONTRACT §1."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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


# --- nngrade check: whole messages, mistakes and hints, wrapping, --json, the report's numbering ---

BOB = ROOT / "samples" / "numpy_nn" / "bob"
TRANSPOSED_MESSAGE = ("weight gradient handed to the optimizer (input.T @ output_error): shape (3, 4), expected "
                      "(4, 3); it equals the transpose of the expected value")


@pytest.fixture(scope="module")
def bob_checked():
    """`check --json` on bob, and the table `check` prints at 60 columns."""
    as_json = nngrade("check", "numpy_nn", str(BOB), "--json")
    narrow = subprocess.run([sys.executable, "-m", "grader", "check", "numpy_nn", str(BOB)], capture_output=True,
                            text=True, cwd=ROOT, timeout=300, env={**os.environ, "COLUMNS": "60"}, check=False)
    return as_json, narrow


def test_check_json_is_the_only_stdout_and_has_the_fields(bob_checked):
    as_json, _ = bob_checked
    assert as_json.returncode == 0, as_json.stderr
    document = json.loads(as_json.stdout)  # nothing but the document on stdout
    assert "sandbox" in as_json.stderr
    assert {"score", "max_score", "passed", "failed", "hidden", "tests"} <= set(document)
    failed = next(t for t in document["tests"] if t["number"] == "16")
    assert failed["status"] == "failed" and failed["message"] == TRANSPOSED_MESSAGE
    assert failed["misconceptions"][0]["id"] == "dense-weight-gradient-transposed"
    assert failed["misconceptions"][0]["hint"].startswith("Write the shapes down")
    assert document["hidden"]["checks"] > 0 and document["hidden"]["points"] > 0
    assert document["score"] == sum(t["score"] for t in document["tests"])


def test_check_numbers_are_the_final_reports(bob_checked, tmp_path):
    as_json, _ = bob_checked
    graded = nngrade("grade", "numpy_nn", str(BOB), "--out", str(tmp_path / "bob"), "--seed", "0")
    assert graded.returncode == 0, graded.stderr
    final = {t["name"]: t["number"] for t in json.loads((tmp_path / "bob" / "results.json").read_text())["tests"]}
    checked = {t["name"]: t["number"] for t in json.loads(as_json.stdout)["tests"]}
    assert checked and all(final[name] == number for name, number in checked.items())


def test_check_shows_whole_messages_wrapped_with_mistake_hint_and_hidden_points(bob_checked):
    _, narrow = bob_checked
    assert narrow.returncode == 0, narrow.stderr
    lines = narrow.stdout.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 60
    words = " ".join(" ".join(lines).split())
    assert TRANSPOSED_MESSAGE in words  # the whole message, not its first 100 characters
    assert "Likely mistake: Weight gradient transposed." in words and "Hint: Write the shapes down" in words
    assert words.index("FAILED 16") > words.index("passed 1 ")  # failures set apart, after the passed list
    assert "Weight gradient transposed (explained at check 16)" in words  # explained once
    hidden = json.loads(bob_checked[0].stdout)["hidden"]
    assert f"Final grading adds {hidden['checks']} hidden check(s) worth {hidden['points']:g} point(s)" in words
