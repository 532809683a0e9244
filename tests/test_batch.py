"""grade-batch on the local pool: discovery, every student graded once, resume, regrade, harness failures, SIGKILL."""
from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from class_fixtures import copy_reference, load_results, make_class, statuses

from grader.batch.harness import grade_task
from grader.batch.local import LocalExecutor
from grader.batch.run import grade_batch
from grader.batch.store import MANIFEST, BatchError, discover
from grader.batch.tasks import GradeTask, HarnessFailure, StartupFailure
from grader.core import assignment as assignments

PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def numpy_nn():
    return assignments.find_assignment("numpy_nn")


def gradebook_rows(out: Path) -> list[dict]:
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# -- discovery -------------------------------------------------------------------------------------------------

def test_discover_names_students_and_skips_the_rest(tmp_path):
    students = make_class(tmp_path / "subs")
    (tmp_path / "subs" / "roster.csv").write_text("x", encoding="utf-8")
    (tmp_path / "subs" / "__MACOSX").mkdir()
    (tmp_path / "subs" / "out").mkdir()
    entries, notices = discover(tmp_path / "subs", out=tmp_path / "subs" / "out")
    assert [e.student for e in entries] == students
    assert [e.path.name for e in entries if e.student == "carol"] == ["carol.zip"]
    assert notices == ["roster.csv: not a folder, .zip, .py or .ipynb; skipped"]


@pytest.mark.parametrize("first, second", [("alice.py", "alice.zip"), ("alice.py", "Alice")])
def test_two_entries_for_one_student_is_an_error(tmp_path, first, second):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / first).write_text("x = 1\n", encoding="utf-8")
    if "." in second:
        (subs / second).write_bytes(b"")
    else:
        (subs / second).mkdir()
    with pytest.raises(BatchError, match=r"same student: (alice\.py and alice\.zip|Alice/ and alice\.py)"):
        discover(subs)


def test_cli_reports_a_usage_error_for_duplicates(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "bob.py").write_text("x = 1\n", encoding="utf-8")
    (subs / "bob.ipynb").write_text("{}", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "grader", "grade-batch", "numpy_nn", str(subs), "--out",
                          str(tmp_path / "out")], cwd=PROJECT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "bob.ipynb and bob.py" in run.stderr
    assert not (tmp_path / "out").exists()


# -- a class, resumed, regraded ------------------------------------------------------------------------------------

def test_batch_grades_every_student_once_and_resumes(tmp_path, numpy_nn):
    students = make_class(tmp_path / "subs")
    out = tmp_path / "out"
    report = grade_batch(numpy_nn, tmp_path / "subs", out, workers=2)

    assert sorted(report.graded) == students and report.skipped == 0
    for student in students:
        files = sorted(p.name for p in (out / student).iterdir())
        assert "results.json" in files and "report.md" in files
        assert "instructor-report.html" in files                          # the summary links there
        assert not [f for f in files if f.startswith(".")]     # no staging leftovers
        results = load_results(out / "", student)
        assert results["extra_data"]["batch"]["student"] == student
    full = load_results(out, "alice")
    assert full["score"] == full["extra_data"]["max_score"] > 0
    assert load_results(out, "carol")["score"] == full["score"]
    assert load_results(out, "dave")["score"] == 0                         # a broken file is a score
    assert set(statuses(load_results(out, "bob")).values()) >= {"failed"}
    assert report.problems.keys() >= {"dave"}

    rows = gradebook_rows(out)
    assert [r["student_id"] for r in rows] == students
    for row in rows:
        assert float(row["total"]) == load_results(out, row["student_id"])["score"]
    status = {r["student_id"]: r["status"] for r in rows}
    assert status["alice"] == status["carol"] == "graded" and status["bob"] == "graded"
    assert status["dave"] == "not attempted"                              # nothing of his code loads
    assert {r["student_id"]: r["percentage"] for r in rows}["alice"] == "100.00"
    bob = next(r for r in rows if r["student_id"] == "bob")
    made = {m["id"] for m in load_results(out, "bob")["extra_data"]["misconceptions"]}
    assert {k.removeprefix("mistake: ") for k, v in bob.items() if k.startswith("mistake: ") and v == "1"} == made

    stamps = {s: (out / s / "results.json").stat().st_mtime_ns for s in students}
    again = grade_batch(numpy_nn, tmp_path / "subs", out, workers=2)
    assert again.skipped == len(students) and not again.graded
    assert {s: (out / s / "results.json").stat().st_mtime_ns for s in students} == stamps

    (out / "bob" / "results.json").unlink()                                # a missing result is graded again
    partial = grade_batch(numpy_nn, tmp_path / "subs", out, workers=2)
    assert list(partial.graded) == ["bob"]


def test_interrupted_regrade_is_continued_without_the_flag(tmp_path, numpy_nn):
    subs = tmp_path / "subs"
    copy_reference(subs / "ann")
    copy_reference(subs / "ben")
    out = tmp_path / "out"
    first = grade_batch(numpy_nn, subs, out, workers=2)
    assert sorted(first.graded) == ["ann", "ben"]
    old_run = load_results(out, "ann")["extra_data"]["batch"]["run"]
    # A --regrade that stored ann, then died: the manifest still names the regrade's run.
    ann = load_results(out, "ann")
    ann["extra_data"]["batch"]["run"] = "regrade-1"
    (out / "ann" / "results.json").write_text(json.dumps(ann), encoding="utf-8")
    (out / MANIFEST).write_text(json.dumps({"assignment": "numpy_nn", "regrade_run": "regrade-1"}), encoding="utf-8")

    resumed = grade_batch(numpy_nn, subs, out, workers=2)
    assert list(resumed.graded) == ["ben"] and resumed.skipped == 1
    assert "continuing an interrupted --regrade" in resumed.notices
    assert load_results(out, "ben")["extra_data"]["batch"]["run"] == "regrade-1" != old_run
    assert json.loads((out / MANIFEST).read_text())["regrade_run"] is None

    regraded = grade_batch(numpy_nn, subs, out, workers=2, regrade=True)
    assert sorted(regraded.graded) == ["ann", "ben"]


def test_a_folder_of_another_assignment_is_refused(tmp_path, numpy_nn):
    copy_reference(tmp_path / "subs" / "ann")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / MANIFEST).write_text(json.dumps({"assignment": "cnn", "regrade_run": None}))
    with pytest.raises(BatchError, match="results of assignment 'cnn'"):
        grade_batch(numpy_nn, tmp_path / "subs", tmp_path / "out", workers=1)


# -- harness processes that die or hang ----------------------------------------------------------------------------

def sleepy_task(task: GradeTask):
    """Task function for the pool tests: sleeps, kills its own process, or answers at once."""
    action = task.extra.get("action")
    if action == "sleep":
        time.sleep(60)
    elif action == "die":
        os.kill(os.getpid(), signal.SIGKILL)
    return {"student": task.student, "pid": os.getpid(), "threads": os.environ.get("OMP_NUM_THREADS")}


def dying_grade_task(task: GradeTask):
    """Task function for the batch test: the harness grading ``victim`` dies; the others grade normally."""
    if task.student == "victim":
        os.kill(os.getpid(), signal.SIGKILL)
    return grade_task(task)


def test_pool_records_a_dead_or_hung_harness_and_goes_on():
    tasks = [GradeTask("a"), GradeTask("slow", extra={"action": "sleep"}), GradeTask("dead", extra={"action": "die"}),
             GradeTask("b"), GradeTask("c")]
    # the deadline counts a new harness's start (its imports) too: 12 s leaves room for a loaded machine, and
    # "slow" sleeps far past it
    executor = LocalExecutor(workers=2, deadline=12, task_function="test_batch:sleepy_task")
    started = time.monotonic()
    outcomes = {task.student: outcome for task, outcome in executor.run(tasks)}
    assert time.monotonic() - started < 50
    assert sorted(outcomes) == ["a", "b", "c", "dead", "slow"]
    assert isinstance(outcomes["slow"], HarnessFailure) and outcomes["slow"].kind == "deadline"
    assert isinstance(outcomes["dead"], HarnessFailure) and outcomes["dead"].kind == "died"
    assert "SIGKILL" in outcomes["dead"].reason
    for student in "abc":
        assert outcomes[student]["threads"] == "1"          # math single-threaded in every harness


def test_a_harness_that_dies_on_one_submission_is_a_result_not_a_hole(tmp_path, numpy_nn):
    subs = tmp_path / "subs"
    copy_reference(subs / "ann")
    copy_reference(subs / "victim")
    out = tmp_path / "out"
    report = grade_batch(numpy_nn, subs, out, workers=2, task_function="test_batch:dying_grade_task")
    assert sorted(report.graded) == ["ann", "victim"]
    victim = load_results(out, "victim")
    assert victim["score"] == 0 and victim["tests"]
    assert victim["extra_data"]["batch_failure"]["kind"] == "grader"
    assert "died" in victim["output"] and "SIGKILL" in victim["output"]
    assert all(t["status"] == "failed" and "not a verdict" in t["output"] for t in victim["tests"])
    assert [t["name"] for t in victim["tests"]] == [t["name"] for t in load_results(out, "ann")["tests"]]
    assert [r["student_id"] for r in gradebook_rows(out)] == ["ann", "victim"]


def always_dying_task(task: GradeTask):
    os.kill(os.getpid(), signal.SIGKILL)


def test_grading_that_cannot_start_stops_the_batch_and_records_nothing(tmp_path, numpy_nn):
    copy_reference(tmp_path / "subs" / "ann")
    copy_reference(tmp_path / "subs" / "ben")
    out = tmp_path / "out"
    with pytest.raises(StartupFailure, match="2 times before any submission was graded.*SIGKILL"):
        grade_batch(numpy_nn, tmp_path / "subs", out, workers=2, task_function="test_batch:always_dying_task")
    assert not list(out.glob("*/results.json"))     # a setup problem is not a student's grade


# -- SIGKILL the whole command, then run it again ------------------------------------------------------------------

def test_sigkill_mid_batch_then_rerun_completes_the_class(tmp_path):
    students = make_class(tmp_path / "subs", extra_correct=5)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "grader", "grade-batch", "numpy_nn", str(tmp_path / "subs"), "--out", str(out),
               "--workers", "2"]
    process = subprocess.Popen(command, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)
    deadline = time.monotonic() + 60
    try:
        while len(list(out.glob("*/results.json"))) < 2:
            assert process.poll() is None, "the batch ended before it could be killed"
            assert time.monotonic() < deadline, "no results after 60 s"
            time.sleep(0.05)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    finished = {p.parent.name: p.read_bytes() for p in out.glob("*/results.json")}
    assert 2 <= len(finished) < len(students), "the kill came too late to test a resume"

    rerun = subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert f"{len(finished)} of {len(students)} already graded" in rerun.stdout
    for student in students:
        assert len(list((out / student).glob("results.json"))) == 1
        results = load_results(out, student)                   # complete, parseable
        assert results["tests"] and results["extra_data"]["batch"]["student"] == student
        assert not [p for p in (out / student).iterdir() if p.name.startswith(".")]
    for student, content in finished.items():                  # finished grades were kept, not redone
        assert (out / student / "results.json").read_bytes() == content
    assert sorted(r["student_id"] for r in gradebook_rows(out)) == students
