"""The sandbox: warm workers from the fork server, exit statuses, isolation levels, the spawn fallback."""
from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

import numpy as np
import pytest

from grader.core.paths import PACKAGE_PARENT as PROJECT_ROOT
from grader.core.paths import reference_folders
from grader.core.types import Limits, ProbeFailure, StagedCode
from grader.sandbox import forkserver, isolation, rootfs, userns
from grader.sandbox.client import SandboxClient

PROBES = '''
import os, sys

def echo(api, value):
    return value

def constant(api):
    return api.VALUE

def identity(api):
    import socket, tempfile
    try:
        socket.create_connection(("1.1.1.1", 80), timeout=3).close()
        network = "open"
    except OSError as exc:
        network = type(exc).__name__
    try:
        with open("/tmp/nngrade-sandbox-test-probe", "w") as handle:
            handle.write("x")
        shared_tmp = True
    except OSError:
        shared_tmp = False
    return {"uid": os.getuid(), "gid": os.getgid(), "groups": [int(g) for g in os.getgroups()],
            "cwd": os.getcwd(), "home_files": sorted(os.listdir(".")), "root": sorted(os.listdir("/")),
            "env": dict(os.environ), "network": network, "shared_tmp": shared_tmp,
            "reference": [p for p in REFERENCE_PATHS if os.path.exists(p)], "pid": os.getpid(),
            "modules": sorted(m for m in sys.modules if m.startswith("_nngrade_")),
            "preloaded": sorted(m for m in ("numpy", "torch") if m in sys.modules)}

def set_global(api):
    import layers
    layers.STATE = "changed"
    return layers.STATE

def get_global(api):
    import layers
    return getattr(layers, "STATE", "fresh")

def segfault(api):
    import ctypes
    ctypes.string_at(0)

def exit_with(api, code):
    os._exit(code)

def burn_cpu(api):
    while True:
        pass

def kill_self(api):
    import signal
    os.kill(os.getpid(), signal.SIGKILL)

def escape_attempts(api, targets):
    import ctypes, importlib.util, resource, socket
    written = []
    for path in targets + [sys.executable, importlib.util.find_spec("numpy").origin, __file__ if "__file__" in globals() else "/usr/lib/os-release"]:
        try:
            with open(path, "a"):
                written.append(path)
        except OSError:
            pass
    libc = ctypes.CDLL(None, use_errno=True)
    remounted = [t for t in ("/", "/usr", os.path.dirname(sys.executable))
                 if libc.mount(None, t.encode(), None, 0x20 | 0x1000, None) == 0]
    pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
    resource.setrlimit(resource.RLIMIT_NPROC, (16, 16))
    children = []
    try:
        for _ in range(200):
            pid = os.fork()
            if pid == 0:
                import time
                time.sleep(30)
                os._exit(0)
            children.append(pid)
    except OSError:
        pass
    try:
        socket.create_connection(("1.1.1.1", 80), timeout=2).close()
        network = "open"
    except OSError as exc:
        network = type(exc).__name__
    import importlib.metadata
    distributions = sorted({d.metadata["Name"].lower() for d in importlib.metadata.distributions()})
    return {"written": written, "remounted": remounted, "pids": pids, "forked": len(children),
            "network": network, "distributions": distributions, "hostname": socket.gethostname(),
            "kill_host_init": _try_kill(1)}

def _try_kill(pid):
    import signal
    try:
        os.kill(pid, signal.SIGKILL)
        return "sent"
    except OSError as exc:
        return type(exc).__name__

def allocate(api, megabytes):
    import numpy as np
    return float(np.ones(megabytes * 131072).sum())
'''


@pytest.fixture
def staged(tmp_path: Path) -> StagedCode:
    work = tmp_path / "work"
    work.mkdir()
    (work / "layers.py").write_text("VALUE = 42\n", encoding="utf-8")
    return StagedCode(work, {"layers": "layers.py"})


def client(staged: StagedCode, limits: Limits | None = None, **kwargs) -> SandboxClient:
    # The course folders (and the rest of the checkout that holds the grader package).
    course = [PROJECT_ROOT / name for name in ("reference", "assignments", "samples", "tests", ".git")]
    source = PROBES.replace("REFERENCE_PATHS", repr([str(p) for p in course] +
                                                    [str(PROJECT_ROOT / "reference" / "numpy_nn")]))
    return SandboxClient(staged, "pkg", {"VALUE": "layers"}, source, limits or Limits(probe_seconds=5),
                         output_dir=staged.workdir.parent, **kwargs)


def best_level() -> str:
    server = forkserver.server_for(("numpy",), reference_folders())
    return server.level if server else "rlimits-only"


def test_probe_round_trip_through_the_fork_server(staged):
    with client(staged) as worker:
        assert worker.run("constant") == 42
        value = np.arange(6.0).reshape(2, 3)
        assert np.array_equal(worker.run("echo", {"value": value}), value)
        assert worker.sandbox["start"] == ("fork" if forkserver.fork_available() else "spawn")
        assert worker.sandbox["level"] in isolation.REPORTED_LEVELS


def test_the_fork_server_is_started_once_and_reused(staged):
    first = forkserver.server_for(("numpy",), reference_folders())
    with client(staged) as one:
        one.run("constant")
    with client(staged) as two:
        two.run("constant")
    assert forkserver.server_for(("numpy",), reference_folders()) is first


def test_every_client_gets_a_fresh_process(staged):
    with client(staged) as one:
        assert one.run("set_global") == "changed"
        first_pid = one.process.pid     # as the harness sees it (in a pid namespace of its own each is pid 2)
    with client(staged) as two:
        assert two.run("get_global") == "fresh"
        assert two.process.pid != first_pid


def test_the_worker_holds_no_harness_modules(staged):
    from grader.checks.probing import TrustedRunner
    from grader.core.assignment import find_assignment as load

    assignment = load("numpy_nn")
    TrustedRunner(assignment.package, assignment.solution_files(), assignment.homes, assignment.probes_source())
    with client(staged) as worker:
        seen = worker.run("identity")
    packages = {name.split(".")[0] for name in seen["modules"]}
    assert len(packages) == 1, f"the worker sees module sets other than its own submission's: {packages}"
    assert seen["preloaded"] == ["numpy"]


@pytest.mark.parametrize("probe, kwargs, kind, words, starts", [
    ("segfault", {}, "crash", "segmentation fault", 2),
    ("exit_with", {"code": 7}, "crash", "exited with status 7", 2),
    ("kill_self", {}, "memory", "was killed", 2),
    ("allocate", {"megabytes": 4096}, "memory", "MemoryError", 1),   # the worker survives its MemoryError
])
def test_the_exit_reason_reaches_the_harness(staged, probe, kwargs, kind, words, starts):
    with client(staged, Limits(probe_seconds=5, memory_mb=512)) as worker:
        with pytest.raises(ProbeFailure) as failure:
            worker.run(probe, kwargs)
        assert failure.value.kind == kind
        assert words in failure.value.message
        assert worker.run("constant") == 42, "the next probe must work"
        assert worker.starts == starts


def test_cpu_limit_is_reported(staged):
    with client(staged, Limits(probe_seconds=8, cpu_seconds=1)) as worker:
        started = time.monotonic()
        with pytest.raises(ProbeFailure) as failure:
            worker.run("burn_cpu")
        assert "ran out of CPU time" in failure.value.message
        assert time.monotonic() - started < 6


def test_a_timeout_kills_the_worker_and_the_next_probe_runs(staged):
    with client(staged, Limits(probe_seconds=0.5)) as worker:
        with pytest.raises(ProbeFailure) as failure:
            worker.run("burn_cpu")
        assert failure.value.kind == "timeout"
        assert worker.run("constant") == 42


def test_an_import_that_hangs_fails_every_probe_at_once(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    (work / "layers.py").write_text("import time\ntime.sleep(60)\n", encoding="utf-8")
    code = StagedCode(work, {"layers": "layers.py"})
    with client(code, Limits(probe_seconds=1, import_seconds=1)) as worker:
        with pytest.raises(ProbeFailure):
            worker.run("constant")
        started = time.monotonic()
        with pytest.raises(ProbeFailure) as again:
            worker.run("constant")
        assert again.value.kind == "timeout" and time.monotonic() - started < 0.5
        assert worker.starts == 1


def test_the_spawn_fallback_gives_the_same_answers(staged, monkeypatch):
    monkeypatch.setenv("NNGRADE_WORKER_START", "spawn")
    monkeypatch.delenv("NNGRADE_SANDBOX", raising=False)
    with client(staged) as worker:
        assert worker.run("constant") == 42
        assert worker.sandbox["start"] == "spawn" and worker.sandbox["level"] == "rlimits-only"
        assert "user namespaces" in worker.sandbox["warning"]
        with pytest.raises(ProbeFailure, match="exited with status 5"):
            worker.run("exit_with", {"code": 5})


def test_a_weaker_level_can_be_asked_for(staged, monkeypatch):
    monkeypatch.setenv("NNGRADE_SANDBOX", "rlimits-only")
    with client(staged) as worker:
        assert worker.run("constant") == 42
        assert worker.sandbox["level"] == "rlimits-only"
        assert worker.sandbox["warning"]


def test_a_strong_level_without_a_fork_server_is_an_error(staged, monkeypatch):
    monkeypatch.setenv("NNGRADE_WORKER_START", "spawn")
    monkeypatch.setenv("NNGRADE_SANDBOX", "userns")
    with pytest.raises(isolation.RequestedLevelUnavailable, match="NNGRADE_SANDBOX=userns"):
        with client(staged) as worker:
            worker.run("constant")


def test_an_unknown_level_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("NNGRADE_SANDBOX", "docker")
    with pytest.raises(ValueError, match="not a sandbox level"):
        isolation.candidate_levels()


def test_a_forked_harness_starts_its_own_fork_server(staged):
    with client(staged) as worker:
        worker.run("constant")
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:
        assert pool.apply(_grade_in_child, (str(staged.workdir),)) == 42
    with client(staged) as worker:  # the parent's zygote still answers
        assert worker.run("constant") == 42


def _grade_in_child(workdir: str) -> int:
    code = StagedCode(Path(workdir), {"layers": "layers.py"})
    with client(code) as worker:
        return worker.run("constant")


def _strong_levels() -> list:
    bwrap = pytest.mark.skipif(not (os.geteuid() == 0 and isolation.bwrap_path()), reason="needs root and bubblewrap")
    return ["userns", pytest.param("bwrap+uid", marks=bwrap)]


@pytest.mark.parametrize("level", _strong_levels())
def test_a_strong_level_worker_sees_only_its_own_world(staged, level, monkeypatch):
    monkeypatch.setenv("NNGRADE_SANDBOX", level)
    with client(staged) as worker:
        seen = worker.run("identity")
        assert worker.sandbox["level"] == level and worker.sandbox["warning"] == ""
    if level == "userns":
        assert seen["uid"] == seen["gid"] == userns.WORKER_ID and set(seen["groups"]) <= {65534}
        assert seen["cwd"] == f"{userns.HOME_ROOT}/student"
    else:
        assert seen["uid"] >= isolation.UID_BASE and seen["gid"] == seen["uid"] and seen["groups"] == []
    assert seen["network"] != "open"
    assert seen["reference"] == [], "the worker sees the course"
    assert not seen["shared_tmp"] or level == "userns"   # userns: /tmp is the worker's own
    assert seen["home_files"] == ["layers.py"]
    assert set(seen["env"]) >= {"HOME", "PATH"} and not any(k.startswith("NNGRADE") for k in seen["env"])


def test_a_userns_worker_cannot_write_remount_signal_or_fork_bomb(staged, monkeypatch):
    monkeypatch.setenv("NNGRADE_SANDBOX", "userns")
    targets = [str(PROJECT_ROOT / "grader" / "__init__.py"), "/etc/passwd", "/usr/bin/env",
               str(Path(np.__file__)), str(PROJECT_ROOT / "pyproject.toml")]
    with client(staged) as worker:
        seen = worker.run("escape_attempts", {"targets": targets})
        other = worker.run("identity")
    assert seen["written"] == [], "a worker wrote to a file outside its home"
    assert seen["remounted"] == [], "a worker remounted a read-only folder"
    assert seen["pids"] == [1, 2], f"a worker sees processes other than its reaper and itself: {seen['pids']}"
    assert seen["kill_host_init"] == "PermissionError" or seen["kill_host_init"] == "sent"  # pid 1 is its reaper
    assert 0 < seen["forked"] < 16, f"RLIMIT_NPROC did not bind: {seen['forked']} processes"
    assert seen["network"] != "open" and seen["hostname"] == "nngrade-sandbox"
    assert "numpy" in seen["distributions"]
    assert not {"scikit-learn", "mlxtend", "torch", "pytest", "nngrade"} & set(seen["distributions"])
    assert other["pid"] == 2


def test_a_requested_level_that_cannot_be_had_is_an_error(staged, monkeypatch):
    monkeypatch.setenv("NNGRADE_SANDBOX", "bwrap+uid")
    monkeypatch.setattr(isolation, "bwrap_path", lambda: None)
    forkserver.close_all()
    with pytest.raises(isolation.RequestedLevelUnavailable, match="NNGRADE_SANDBOX=bwrap"):
        with client(staged) as worker:
            worker.run("constant")


def test_where_userns_fails_the_next_level_says_why(staged, monkeypatch):
    monkeypatch.delenv("NNGRADE_SANDBOX", raising=False)
    monkeypatch.setattr(rootfs, "plan", lambda *args, **kwargs: [["bind", "/nonexistent-nngrade", "/x"]])
    forkserver.close_all()
    try:
        with client(staged) as worker:
            assert worker.run("constant") == 42
            assert worker.sandbox["level"] != "userns"
            assert "userns: " in worker.sandbox["warning"] and "nonexistent-nngrade" in worker.sandbox["warning"]
    finally:
        forkserver.close_all()


def test_strong_levels_are_named_for_the_reports():
    assert isolation.STRONG_LEVELS == ("userns", "bwrap+uid")
    assert all(isolation.is_strong(level) for level in isolation.STRONG_LEVELS)
    assert not any(isolation.is_strong(level) for level in ("uid+ns", "uid", "rlimits-only"))
    assert set(isolation.WARNINGS) == set(isolation.REPORTED_LEVELS)


def test_torch_preload_makes_torch_free_for_workers(staged):
    pytest.importorskip("torch")
    timings = []
    for _ in range(2):
        started = time.monotonic()
        with client(staged, preload=["numpy", "torch"]) as worker:
            assert worker.run("identity")["preloaded"] == ["numpy", "torch"]
        timings.append(time.monotonic() - started)
    assert timings[1] < 1.0, timings


@pytest.mark.skipif(not os.path.exists("/proc/self/ns/user"), reason="user namespaces are a Linux feature")
def test_the_default_level_is_userns_whoever_runs_the_grader(monkeypatch):
    monkeypatch.delenv("NNGRADE_SANDBOX", raising=False)
    server = forkserver.server_for(("numpy",), reference_folders())
    assert server is not None and server.level == "userns", (server.warning if server else forkserver._failures)
