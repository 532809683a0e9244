"""grade-batch on a REAL Dask distributed cluster (LocalCluster, worker processes): same results as the local pool."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

from class_fixtures import load_results, make_class, statuses  # noqa: E402

from grader.batch.cluster import ClusterError  # noqa: E402
from grader.batch.harness import grade_task  # noqa: E402
from grader.batch.run import grade_batch  # noqa: E402
from grader.batch.tasks import StartupFailure  # noqa: E402
from grader.core import assignment as assignments  # noqa: E402
from grader.core.assignment import Assignment  # noqa: E402

PROJECT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  worker_dashboard_address=None) as local:
        yield local


@pytest.fixture(scope="module")
def classroom(tmp_path_factory):
    """The class, graded once by the local pool: the reference the cluster's results must equal."""
    root = tmp_path_factory.mktemp("class")
    students = make_class(root / "subs")
    report = grade_batch(assignments.find_assignment("numpy_nn"), root / "subs", root / "local", workers=2)
    assert sorted(report.graded) == students
    return root, students


def where_task(task):
    """Task function: grade, and say which worker did it."""
    outcome = grade_task(task)
    outcome["summary"]["worker"] = distributed.get_worker().name
    return outcome


def broken_task(task):
    raise RuntimeError("no grader here")


@pytest.mark.parametrize("transfer", ["auto", "send"])
def test_cluster_results_equal_the_local_pool(cluster, classroom, transfer):
    """auto: the workers share this filesystem, so they read SUBMISSIONS and write OUT themselves."""
    root, students = classroom
    out = root / f"dask-{transfer}"
    report = grade_batch(assignments.find_assignment("numpy_nn"), root / "subs", out, scheduler=cluster.scheduler_address,
                         transfer=transfer)
    assert report.executor == "dask" and sorted(report.graded) == students
    mode = "on the shared filesystem" if transfer == "auto" else "sent with each task"
    assert any(mode in notice for notice in report.notices)
    for student in students:
        local, remote = load_results(root / "local", student), load_results(out, student)
        assert remote["score"] == local["score"], student
        assert statuses(remote) == statuses(local), student
        assert sorted(p.name for p in (out / student).iterdir()) == sorted(p.name for p in (root / "local" / student).iterdir())
    assert (out / "gradebook.csv").read_text() == (root / "local" / "gradebook.csv").read_text()

    again = grade_batch(assignments.find_assignment("numpy_nn"), root / "subs", out, scheduler=cluster.scheduler_address,
                        transfer=transfer)
    assert again.skipped == len(students) and not again.graded


def test_tasks_that_fail_before_any_success_stop_the_batch(cluster, classroom, tmp_path):
    root, _ = classroom
    with pytest.raises(StartupFailure, match="no grader here"):
        grade_batch(assignments.find_assignment("numpy_nn"), root / "subs", tmp_path / "out",
                    scheduler=cluster.scheduler_address, task_function="test_dask:broken_task")
    assert not list((tmp_path / "out").glob("*/results.json"))


@pytest.fixture
def gpu_assignment(tmp_path):
    source = assignments.find_assignment("numpy_nn")
    root = tmp_path / "numpy_nn_gpu"
    shutil.copytree(source.root, root, ignore=shutil.ignore_patterns("__pycache__"))
    config = root / "assignment.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n[resources]\ngpu = true\n", encoding="utf-8")
    return Assignment.from_dir(root, "numpy_nn")


def test_gpu_assignment_without_gpu_workers_is_refused(cluster, classroom, gpu_assignment, tmp_path):
    root, _ = classroom
    with pytest.raises(ClusterError, match="no worker of .* declares one.*--resources GPU=1"):
        grade_batch(gpu_assignment, root / "subs", tmp_path / "out", scheduler=cluster.scheduler_address)


def test_gpu_assignment_runs_only_on_gpu_workers(cluster, classroom, gpu_assignment, tmp_path):
    """A worker started the way an admin would (dask worker --resources GPU=1) takes every GPU task."""
    root, _ = classroom
    students = ["alice", "dave"]
    (tmp_path / "subs").mkdir()
    shutil.copytree(root / "subs" / "alice", tmp_path / "subs" / "alice")
    shutil.copy(root / "subs" / "dave.py", tmp_path / "subs")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(PROJECT), str(TESTS)]))
    worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", cluster.scheduler_address,
                               "--nthreads", "1", "--resources", "GPU=1", "--name", "gpu-worker",
                               "--no-dashboard"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        client = distributed.Client(cluster.scheduler_address, set_as_default=False)
        try:
            deadline = time.monotonic() + 60
            while len(client.scheduler_info()["workers"]) < 3:
                assert worker.poll() is None and time.monotonic() < deadline, "the GPU worker did not start"
                time.sleep(0.2)
        finally:
            client.close()
        report = grade_batch(gpu_assignment, tmp_path / "subs", tmp_path / "out",
                             scheduler=cluster.scheduler_address, task_function="test_dask:where_task")
        assert sorted(report.graded) == students
        assert {summary["worker"] for summary in report.graded.values()} == {"gpu-worker"}
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


def test_unreachable_scheduler_is_a_clear_error(classroom, tmp_path):
    root, _ = classroom
    run = subprocess.run([sys.executable, "-m", "grader", "grade-batch", "numpy_nn", str(root / "subs"), "--out",
                          str(tmp_path / "out"), "--scheduler", "tcp://127.0.0.1:9"], cwd=PROJECT,
                         capture_output=True, text=True, timeout=120, env=dict(os.environ, DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT="2s"))
    assert run.returncode == 1
    assert "could not connect to the Dask scheduler at tcp://127.0.0.1:9" in run.stderr
