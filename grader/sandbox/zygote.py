"""The fork server itself ("zygote"): a fresh interpreter that forks workers on request.

Started by :class:`grader.sandbox.forkserver.ForkServer` as ``python -I -c
<bootstrap> CONFIG``; it holds no reference code, expected values or labels.
It imports the preload libraries once, then for each request forks a worker
that starts a new session, drops to the worker's own uid where the level
allows, applies the limits and serves probes (:mod:`grader.sandbox.worker`).
It reaps its children (it is their sub-reaper, so daemonised grandchildren come
back to it too), reports exit statuses, and kills a worker's process group and
everything its uid still runs when asked.
"""
from __future__ import annotations

import json
import os
import select
import shutil
import signal
import socket
import sys
import time
from pathlib import Path

from grader.sandbox import userns
from grader.sandbox import worker as worker_process
from grader.sandbox.isolation import worker_environment
from grader.sandbox.namespaces import (
    PR_SET_CHILD_SUBREAPER,
    PR_SET_NO_NEW_PRIVS,
    PR_SET_PDEATHSIG,
    prctl,
    private_namespaces,
)
from grader.sandbox.selftest import remove_tree, self_test

MAX_MESSAGE = 1 << 16
#: Submodules a library imports lazily on first use; the zygote imports them so no worker pays for them.
_LAZY_SUBMODULES = {"numpy": ("numpy.random", "numpy.linalg", "numpy.fft")}


class Zygote:
    """Runs in the fork server: forks workers on request, reaps them, kills them, reports their status."""

    def __init__(self, sock: socket.socket, config: dict):
        self.sock = sock
        self.homes = Path(config["homes"])
        self.remove_homes = bool(config.get("remove_homes"))
        self.workers: dict[int, dict] = {}     # pid -> {"uid":, "home":} (userns: {"status_fd":})
        self.userns = config.get("userns")
        self.pid_namespaces = userns.PidNamespaces() if self.userns else None
        self.exited: dict[int, int] = {}       # pid -> wait status
        self.count = 0

    # -- helpers --------------------------------------------------------------
    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid in self.workers:
                status_fd = self.workers[pid].get("status_fd")
                if status_fd is not None:   # the worker's own status, reported by its reaper
                    reported = userns.read_status(status_fd)
                    status = reported if reported is not None else status
                self.exited[pid] = status

    def _wait_for(self, pid: int, seconds: float) -> int | None:
        deadline = time.monotonic() + seconds
        while True:
            self._reap()
            if pid in self.exited or time.monotonic() >= deadline:
                return self.exited.get(pid)
            time.sleep(0.002)

    def _reap_uid(self, uid: int, seconds: float) -> None:
        """Reap until no process (zombies included) of ``uid`` is left, so the uid is clean for reuse."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._reap()
            if not any(_owner(entry) == uid for entry in os.listdir("/proc") if entry.isdigit()):
                return
            time.sleep(0.002)

    def _as_uid(self, uid: int, action) -> None:
        """Run ``action`` in a short-lived child that has become ``uid`` (for kill(-1) and clean-up)."""
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                os.setgroups([])
                os.setgid(uid)
                os.setuid(uid)
                action()
                code = 0
            finally:
                os._exit(code)
        while True:
            try:
                os.waitpid(pid, 0)
                return
            except ChildProcessError:
                return
            except InterruptedError:
                continue

    def _sweep(self, uid: int) -> None:
        """SIGKILL every process of ``uid`` (daemonised grandchildren included)."""
        def kill_all():
            for _ in range(3):
                try:
                    os.kill(-1, signal.SIGKILL)
                except ProcessLookupError:
                    return
                time.sleep(0.001)
        self._as_uid(uid, kill_all)

    def _kill_orphans(self) -> None:
        """Without a uid per worker: kill the processes re-parented to us that are not live workers."""
        me = str(os.getpid())
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) in self.workers:
                continue
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    fields = handle.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            if fields[1].decode() == me:
                try:
                    os.kill(int(entry), signal.SIGKILL)
                except ProcessLookupError:
                    pass

    # -- operations -----------------------------------------------------------
    def spawn(self, request: dict, fds: list[int]) -> dict:
        if len(fds) != 4:
            for fd in fds:
                os.close(fd)
            return {"error": f"spawn needs 4 descriptors, got {len(fds)}"}
        if self.userns:
            return self._spawn_in_namespaces(request, fds)
        uid = request.get("uid")
        self.count += 1
        home = self.homes / (f"u{uid}" if uid is not None else f"w{self.count}")
        if uid is not None:
            self._sweep(uid)  # a stale process of a crashed earlier harness must not share this uid
        shutil.rmtree(home, ignore_errors=True)
        os.mkdir(home, 0o700)
        if uid is not None:
            os.chown(home, uid, uid)
        sys.stdout.flush()
        sys.stderr.flush()
        zygote_pid = os.getpid()
        pid = os.fork()
        if pid == 0:
            try:
                self._become_worker(request, fds, home, zygote_pid)
            finally:
                os._exit(70)
        for fd in fds:
            os.close(fd)
        self.workers[pid] = {"uid": uid, "home": str(home)}
        return {"pid": pid, "home": str(home)}

    def _spawn_in_namespaces(self, request: dict, fds: list[int]) -> dict:
        """Level ``userns``: the worker is pid 2 of a pid namespace whose pid 1, its reaper, is our child."""
        status_read, status_write = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = self.pid_namespaces.fork()
        if pid == 0:
            try:
                os.close(status_read)
                userns.isolate_worker(self.userns["home_bytes"], status_write, self.userns["outer_id"])
                self._become_worker(request, fds, Path(userns.HOME_ROOT) / "student", None)
            finally:
                os._exit(70)
        os.close(status_write)
        for fd in fds:
            os.close(fd)
        self.workers[pid] = {"uid": None, "home": None, "status_fd": status_read}
        return {"pid": pid, "home": f"{userns.HOME_ROOT}/student"}

    def _become_worker(self, request: dict, fds: list[int], home: Path, zygote_pid: int | None) -> None:
        request_fd, response_fd, stdout_fd, stderr_fd = fds
        os.close(self.sock.detach())
        os.setsid()
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(stdout_fd, 1)
        os.dup2(stderr_fd, 2)
        low = 3
        for keep in sorted((request_fd, response_fd)):
            os.closerange(low, keep)
            low = keep + 1
        os.closerange(low, 1 << 16)
        if zygote_pid is not None:   # (in a pid namespace of its own, the reaper's end ends the worker)
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            if os.getppid() != zygote_pid:  # the zygote died before the parent-death signal was armed
                os._exit(70)
        uid = request.get("uid")
        if uid is not None:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
        prctl(PR_SET_NO_NEW_PRIVS, 1)
        os.chdir(home)
        sys.argv = [""]
        os.environ.clear()
        os.environ.update(worker_environment(home))
        worker_process.apply_limits(request.get("limits", {}), own_uid=uid is not None or bool(self.userns))
        worker_process.serve_forever(request_fd, response_fd)

    def status(self, request: dict) -> dict:
        self._reap()
        return {"status": self.exited.get(int(request["pid"]))}

    def kill(self, request: dict) -> dict:
        pid = int(request["pid"])
        worker = self.workers.get(pid)
        if worker is None:
            return {"status": self.exited.get(pid)}
        if pid not in self.exited:
            try:   # userns: the reaper; as pid 1 of the worker's namespace, its end kills everything in it
                os.kill(pid, signal.SIGKILL) if self.userns else os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if worker["uid"] is not None:
            self._sweep(worker["uid"])
        elif not self.userns:
            self._kill_orphans()
        status = self._wait_for(pid, 5.0)
        if worker["uid"] is not None:
            self._reap_uid(worker["uid"], 2.0)
        if worker["home"] is not None:
            remove_tree(Path(worker["home"]))
        if worker.get("status_fd") is not None:
            os.close(worker["status_fd"])
        del self.workers[pid]
        self.exited.pop(pid, None)
        return {"status": status}

    def shutdown(self) -> None:
        for pid, worker in list(self.workers.items()):
            self.kill({"pid": pid})
        if self.remove_homes:
            remove_tree(self.homes)

    def serve(self) -> None:
        handlers = {"status": self.status, "kill": self.kill}
        while True:
            ready = select.select([self.sock], [], [], 0.2)[0]
            self._reap()
            if not ready:
                continue
            try:
                data, fds, _flags, _addr = socket.recv_fds(self.sock, MAX_MESSAGE, 8)
            except OSError:
                break
            if not data:
                break
            try:
                request = json.loads(data)
                op = request.get("op")
                if op == "spawn":
                    reply = self.spawn(request, fds)
                elif op in handlers:
                    for fd in fds:
                        os.close(fd)
                    reply = handlers[op](request)
                else:
                    reply = {"error": f"unknown request {op!r}"}
            except Exception as exc:  # a bad request must not take the zygote down
                reply = {"error": f"{type(exc).__name__}: {exc}"}
            try:
                self.sock.send(json.dumps(reply).encode())
            except OSError:
                break
        self.shutdown()


def _owner(pid: str) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


def _enter_namespaces(settings: dict) -> None:
    """Level ``userns``: new namespaces and the new root, before anything else is imported."""
    from grader.sandbox.rootfs import build_root

    userns.enter(settings["worker_kuid"])
    build_root(settings["plan"])
    userns.prctl(userns.PR_SET_DUMPABLE, 0)   # no worker may ptrace or read the fork server


def zygote_main(argv: list[str]) -> None:
    """Entry point of the fork server process (``python -I -c <bootstrap> CONFIG``)."""
    import importlib

    config = json.loads(argv[1])
    sock = socket.socket(fileno=config["socket_fd"])
    error, zygote = "", None
    unprotected: list[str] = []
    try:
        if config.get("userns"):
            _enter_namespaces(config["userns"])
        zygote = Zygote(sock, config)
        # No parent-death signal here: it would fire when the harness *thread* that started us ends.
        # The harness's end closes our socket instead, and then we kill every worker and exit.
        prctl(PR_SET_CHILD_SUBREAPER, 1)
        if config.get("private"):
            unprotected = private_namespaces(str(zygote.homes), **config["private"])
        if not zygote.homes.is_dir():
            os.makedirs(zygote.homes, mode=config.get("homes_mode", 0o700))
        for name in config.get("preload", []):
            importlib.import_module(name)
            for submodule in _LAZY_SUBMODULES.get(name, ()):
                importlib.import_module(submodule)
        if config.get("test_uid") is not None or config.get("userns"):
            error = self_test(zygote, config.get("test_uid"))
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
    sock.send(json.dumps({"ok": not error, "error": error, "unprotected": unprotected}).encode())
    if error:
        if zygote is not None and zygote.remove_homes:
            remove_tree(zygote.homes)
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in the terminal is the harness's to handle
    zygote.serve()
    os._exit(0)
