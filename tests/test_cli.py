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
    """The command of this checkout, also when run from another folder (PYTHONPATH: not an installed copy)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("NNGRADE_COURSE", None)
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, cwd=cwd or ROOT,
                          timeout=300, env=env, check=False)


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


def test_an_unwritable_out_stops_every_command_before_any_work(tmp_path):
    taken = tmp_path / "taken.txt"
    taken.write_text("not a folder")
    under_a_file = taken / "out"
    runs = {
        "grade": nngrade("grade", "numpy_nn", str(ROOT / "samples" / "numpy_nn" / "dave.py"), "--out", str(taken)),
        "grade-batch": nngrade("grade-batch", "numpy_nn", str(ROOT / "samples" / "numpy_nn"), "--out",
                               str(under_a_file)),
        "release": nngrade("release", "numpy_nn", "--out", str(under_a_file)),
        "export-gradescope": nngrade("export-gradescope", "numpy_nn", "--out", str(under_a_file / "a.zip")),
        "demo": nngrade("demo", "--out", str(taken)),
    }
    for command, result in runs.items():
        assert result.returncode == 2, (command, result.stderr)
        assert "--out" in result.stderr and str(taken) in result.stderr.replace("\n", ""), (command, result.stderr)
        assert "Traceback" not in result.stderr and "sandbox" not in result.stdout, command  # stopped before work
    folder_for_zip = nngrade("export-gradescope", "numpy_nn", "--out", str(tmp_path))
    assert folder_for_zip.returncode == 2 and "is a folder" in folder_for_zip.stderr
    assert taken.read_text() == "not a folder" and sorted(p.name for p in tmp_path.iterdir()) == ["taken.txt"]


def test_init_new_and_the_course_line(tmp_path):
    course = tmp_path / "course"
    made = nngrade("init", str(course), "--empty", "--name", "Winter 2026", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert (course / "templates" / "README.md").is_file() and not list((course / "reference").iterdir())
    assert sorted(p.name for p in course.iterdir()) == ["assignments", "course.toml", "reference", "samples",
                                                       "templates"]
    again = nngrade("init", str(course), cwd=tmp_path)
    assert again.returncode == 2 and "not an empty folder" in again.stderr
    below = course / "work" / "deeper"
    below.mkdir(parents=True)
    scaffolded = nngrade("new", "relu_nb", "--kind", "notebook", cwd=below)
    assert scaffolded.returncode == 0, scaffolded.stderr
    assert f"course: Winter 2026, {course}" in scaffolded.stderr and "nearest course.toml" in scaffolded.stderr
    assert (course / "reference" / "relu_nb" / "relu_nb" / "relu_nb.ipynb").is_file()
    listed = nngrade("list", cwd=below)
    assert "relu_nb" in listed.stdout and "numpy_nn" not in listed.stdout
    assert "built in" in nngrade("list", cwd=tmp_path).stderr
    for bad in ("2fast", "class", "relu_nb"):
        refused = nngrade("new", bad, cwd=course)
        assert refused.returncode == 2 and bad in refused.stderr
