"""Faults land on the right side: what trusted code gets wrong is a grader error, never the student's, and a
broken or ambiguous check file can neither shrink the maximum score nor ship a hidden check to students.

Each test builds a tiny course (one module, ``calc.add``) so that a grading takes well under a second.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from grader.authoring.release import release
from grader.batch.run import grade_batch
from grader.core.assignment import Assignment, AssignmentError
from grader.core.visibility import VisibilityError, is_hidden_check_file
from grader.engine.declared import count_points
from grader.engine.grade import grade

ROOT = Path(__file__).resolve().parents[1]
CONFIG = 'title = "mini"\npackage = "mini"\nsolution = "mini"\n\n[modules]\ncalc = ["add"]\n\n[limits]\nprobe_seconds = 5\n'
PROBES = '''def add(api, a, b):
    return api.add(a, b)


def add_in_reference_only(api, a, b):
    if api.add(a, b) == a + b:  # the reference: a bug of the probe, in trusted code
        raise KeyError("missing_key")
    return api.add(a, b)
'''
PUBLIC = '''import pytest

from grader.checks import assert_close


@pytest.mark.check("add: small numbers", points=2)
def test_add_small(student, reference):
    assert_close(student.run("add", {"a": 1, "b": 2}), reference.run("add", {"a": 1, "b": 2}), "sum")


@pytest.mark.check("add: negative numbers", points=3)
def test_add_negative(student, reference):
    assert_close(student.run("add", {"a": -1, "b": -2}), reference.run("add", {"a": -1, "b": -2}), "sum")
'''
HIDDEN = '''import pytest

from grader.checks import assert_close

pytestmark = pytest.mark.hidden


@pytest.mark.check("add: large numbers", points=5)
def test_add_large(student, reference):
    assert_close(student.run("add", {"a": 1e9, "b": 2}), reference.run("add", {"a": 1e9, "b": 2}), "sum")
'''

REFERENCE_BUG = '''

@pytest.mark.check("add: probe that fails on the reference", points=4)
def test_add_reference_bug(student, reference):
    assert_close(student.run("add", {"a": 2, "b": 2}), reference.run("add_in_reference_only", {"a": 2, "b": 2}))
'''


def make_course(root: Path, checks: dict[str, str], solution: str = "def add(a, b):\n    return a + b\n") -> Assignment:
    folder = root / "reference" / "mini"
    (folder / "mini").mkdir(parents=True)
    (folder / "checks").mkdir()
    (folder / "assignment.toml").write_text(CONFIG, encoding="utf-8")
    (folder / "mini" / "calc.py").write_text(solution, encoding="utf-8")
    (folder / "checks" / "conftest.py").write_text("from grader.engine.pytest_plugin import *  # noqa: F401,F403\n",
                                                   encoding="utf-8")
    (folder / "checks" / "probes.py").write_text(PROBES, encoding="utf-8")
    for name, text in checks.items():
        (folder / "checks" / name).write_text(text, encoding="utf-8")
    return Assignment.from_dir(folder)


def submission(root: Path, body: str = "def add(a, b):\n    return a + b\n") -> Path:
    path = root / "submitted" / "calc.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body, encoding="utf-8")
    return path.parent


def by_name(results: dict) -> dict[str, dict]:
    return {t["name"]: t for t in results["tests"]}


def test_a_correct_submission_earns_the_declared_points(tmp_path):
    mini = make_course(tmp_path, {"test_public_add.py": PUBLIC, "test_hidden_add.py": HIDDEN})
    results = grade(mini, submission(tmp_path))
    assert results["score"] == results["extra_data"]["max_score"] == 10
    assert results["extra_data"]["grader_errors"] == 0
    assert [t["name"] for t in results["tests"]][:2] == ["add: small numbers", "add: negative numbers"]  # public first
    assert by_name(results)["add: large numbers"]["visibility"] == "after_published"
    assert count_points(mini) == (2, 1, 10.0)


def test_an_exception_in_the_reference_is_a_grader_error_not_the_students(tmp_path):
    check = PUBLIC + REFERENCE_BUG
    mini = make_course(tmp_path, {"test_public_add.py": check})
    results = grade(mini, submission(tmp_path))
    broken = by_name(results)["add: probe that fails on the reference"]
    assert broken["score"] == 0 and "grader" in broken["tags"]
    assert "the grader failed on this check, not your code" in broken["output"]
    assert "KeyError" in broken["output"] and "your code raised" not in broken["output"]
    assert results["extra_data"]["grader_errors"] == 1 and "KeyError" in results["extra_data"]["grader_log"]
    assert results["score"] == 5 and results["extra_data"]["max_score"] == 9


def test_a_check_file_that_does_not_import_keeps_the_maximum_score(tmp_path):
    mini = make_course(tmp_path, {"test_public_add.py": PUBLIC,
                                  "test_hidden_add.py": HIDDEN.replace("import pytest", "import pytest\nimport no_such_module")})
    results = grade(mini, submission(tmp_path))
    assert results["extra_data"]["max_score"] == 10 and results["score"] == 5
    large = by_name(results)["add: large numbers"]
    assert large["score"] == 0 and "grader" in large["tags"] and "did not run" in large["output"]
    assert results["extra_data"]["grader_errors"] == 1


@pytest.mark.parametrize("mark", ["pytest.mark.skip", "pytest.mark.xfail", "pytest.mark.skipif(True, reason='x')"])
def test_a_check_cannot_be_skipped_or_xfailed(tmp_path, mark):
    check = PUBLIC.replace('@pytest.mark.check("add: small numbers"', f'@{mark}\n@pytest.mark.check("add: small numbers"')
    mini = make_course(tmp_path, {"test_public_add.py": check})
    results = grade(mini, submission(tmp_path))
    small = by_name(results)["add: small numbers"]
    assert small["score"] == 0 and "grader" in small["tags"] and "cannot be marked" in small["output"]
    assert results["extra_data"]["max_score"] == 5


def test_a_wrong_submission_is_the_students_and_not_a_grader_error(tmp_path):
    mini = make_course(tmp_path, {"test_public_add.py": PUBLIC})
    results = grade(mini, submission(tmp_path, "def add(a, b):\n    return {}['nothing']\n"))
    assert results["score"] == 0 and results["extra_data"]["grader_errors"] == 0
    assert all("your code raised KeyError" in t["output"] for t in results["tests"])


@pytest.mark.parametrize("text", [
    "import pytest\npytestmark = pytest.mark.hidden\n",
    "from pytest import mark\npytestmark = mark.hidden\n",
    "import pytest\nfrom pytest import mark as m\nh = getattr(m, 'hidden')\n",
    "from pytest.mark import hidden\n",
])
def test_a_public_file_that_mentions_hidden_in_any_spelling_stops_the_release(tmp_path, text):
    mini = make_course(tmp_path, {"test_public_add.py": text + PUBLIC})
    with pytest.raises(VisibilityError, match="mentions 'hidden'"):
        is_hidden_check_file(mini.checks_dir / "test_public_add.py")
    with pytest.raises(AssignmentError, match="test_public_add.py line"):
        release(mini, tmp_path / "bundle")
    assert not (tmp_path / "bundle").exists()


def test_a_check_file_of_neither_name_stops_the_release_and_the_grading(tmp_path):
    mini = make_course(tmp_path, {"test_add.py": PUBLIC})
    with pytest.raises(AssignmentError, match="test_public_"):
        release(mini, tmp_path / "bundle")
    with pytest.raises(AssignmentError, match="rename it"):
        grade(mini, submission(tmp_path))


def test_a_hidden_file_is_hidden_by_its_name_and_never_released(tmp_path):
    mini = make_course(tmp_path, {"test_public_add.py": PUBLIC, "test_hidden_add.py": HIDDEN.replace(
        "pytestmark = pytest.mark.hidden\n", "")})
    bundle = release(mini, tmp_path / "bundle")
    assert sorted(p.name for p in (bundle / "checks").glob("test_*.py")) == ["test_public_add.py"]
    results = grade(mini, submission(tmp_path))
    assert by_name(results)["add: large numbers"]["visibility"] == "after_published"


def test_grade_exits_1_on_a_grader_error_and_a_batch_grades_it_again(tmp_path):
    check = PUBLIC + REFERENCE_BUG
    mini = make_course(tmp_path, {"test_public_add.py": check})
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "grader", "grade", str(mini.root), str(submission(tmp_path)),
                           "--out", str(out)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 1 and "grader failed on 1 check" in done.stdout
    assert json.loads((out / "results.json").read_text())["extra_data"]["grader_errors"] == 1
    submissions = tmp_path / "class"
    submissions.mkdir()
    (submissions / "ann.py").write_text("def add(a, b):\n    return a + b\n", encoding="utf-8")
    first = grade_batch(mini, submissions, tmp_path / "batch", workers=1)
    again = grade_batch(mini, submissions, tmp_path / "batch", workers=1)
    assert first.skipped == 0 and again.skipped == 0 and "ann" in again.graded
