"""Warm workers: a fork server ("zygote") that has imported the heavy libraries once.

Importing torch costs seconds and numpy a quarter of one; paying that for every
submission would dominate grading. The harness therefore starts, once per
process and preload set, a zygote: a fresh interpreter (``python -I``, so it
shares none of the harness's memory: no reference code, no expected values, no
labels) that imports the preload libraries with single-threaded math and then
waits on a unix socket. For each worker the harness sends the pipe and output
descriptors (``SCM_RIGHTS``); the zygote forks a child that starts a new
session, drops to the worker's own uid where the level allows, applies the
limits and serves probes exactly like a spawned worker. The zygote reaps its
children (it is their sub-reaper, so daemonised grandchildren come back to it
too), reports exit statuses, and kills a worker's process group and everything
its uid still runs when asked.

Where the machine allows, the zygote itself runs in user namespaces of its
own (level ``userns``: :mod:`grader.sandbox.userns`) or inside bubblewrap
(:mod:`grader.sandbox.isolation`). Where ``fork`` or descriptor passing is
missing, :func:`server_for` returns None and the client spawns a fresh
interpreter per worker as before.
"""
from __future__ import annotations

import atexit
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from grader.sandbox import isolation, rootfs, userns
from grader.sandbox.zygote import MAX_MESSAGE

_GRADER_PARENT = str(Path(__file__).resolve().parents[2])
_BOOTSTRAP = (
    "import sys; sys.path.insert(0, {parent!r}); "
    "from grader.sandbox.zygote import zygote_main; sys.path.remove({parent!r}); zygote_main(sys.argv)"
)
_START_SECONDS = 120.0         # importing torch on a cold disk can take this long
_REPLY_SECONDS = 30.0
_BWRAP_HOMES = "/sandbox"


class ForkServerError(RuntimeError):
    """The zygote could not be started or stopped answering."""


class ForkedWorker:
    """A worker forked by the zygote; the same calls as :class:`subprocess.Popen` that the client uses."""

    def __init__(self, server: "ForkServer", pid: int):
        self.server, self.pid = server, pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            status = self.server.status(self.pid)
            if status is not None:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = time.monotonic() + (timeout if timeout is not None else 1e9)
        delay = 0.002
        while self.poll() is None:
            if time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout)
            time.sleep(delay)
            delay = min(delay * 2, 0.05)
        return self.returncode

    def kill(self) -> None:
        """Kill the worker's process group and every process of its uid; remove its home."""
        status = self.server.kill(self.pid)
        if status is not None and self.returncode is None:
            self.returncode = os.waitstatus_to_exitcode(status)


class ForkServer:
    """The harness's handle on one zygote (one preload set, one isolation level)."""

    def __init__(self, preload: tuple[str, ...], level: str, hidden: tuple[Path, ...] = (),
                 packages: tuple[str, ...] = ()):
        self.preload, self.level, self.hidden, self.packages = preload, level, list(hidden), packages
        self.warning = isolation.WARNINGS[level]
        self.owner_pid = os.getpid()
        self._lock = threading.Lock()
        self._log = tempfile.TemporaryFile()   # the zygote's own errors; no file left behind
        self._process: subprocess.Popen | None = None
        self._sock: socket.socket | None = None
        try:
            self._start()
        except BaseException:
            self.close()
            raise

    def _distributions(self) -> list:
        """The installed distributions a worker sees: what the assignment needs and what that requires."""
        return rootfs.distribution_closure([*self.preload, *self.packages, *rootfs.WORKER_NEEDS])

    def _userns_settings(self) -> dict:
        """What the zygote needs to build its namespaces and root (the plan is made here, with the full view)."""
        distributions = self._distributions()
        torch = any((d.metadata["Name"] or "").lower() == "torch" for d in distributions)
        plan = rootfs.plan(Path(_GRADER_PARENT) / "grader", distributions, self.hidden, sys_folder=torch)
        root = isolation.is_root()
        return {"plan": plan, "home_bytes": isolation.HOMES_TMPFS_BYTES,
                "worker_kuid": isolation.allocate_uid() if root else None,
                "outer_id": userns.WORKER_ID if root else 0}

    def _start(self) -> None:
        if isolation.needs_root(self.level):
            raise isolation.IsolationUnavailable(isolation.needs_root(self.level))
        if self.level == "bwrap+uid":
            homes = _BWRAP_HOMES
            prefix = isolation.bwrap_command(homes, Path(_GRADER_PARENT) / "grader", list(self.preload),
                                            self.hidden, self._distributions())
        elif self.level == "userns":
            homes, prefix = userns.HOME_ROOT, []
        else:
            # Made, and removed when it exits, by the zygote: it outlives nothing, whatever ends the harness.
            homes = os.path.join(tempfile.gettempdir(), f"nngrade-homes-{uuid.uuid4().hex[:12]}")
            prefix = []
        parent_sock, child_sock = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        config = {
            "socket_fd": child_sock.fileno(), "preload": list(self.preload), "homes": homes,
            "homes_mode": 0o711 if isolation.uses_uid(self.level) else 0o700,
            "remove_homes": not prefix and self.level != "userns",
            "test_uid": isolation.allocate_uid() if isolation.uses_uid(self.level) else None,
        }
        if self.level == "userns":
            config["userns"] = self._userns_settings()
        if self.level == "uid":  # what bubblewrap would do, done by hand where the kernel lets root
            config["private"] = {"hidden": [str(p) for p in self.hidden],
                                 "homes_bytes": isolation.HOMES_TMPFS_BYTES,
                                 "keep": [str(p) for p in isolation.python_paths(Path(_GRADER_PARENT) / "grader",
                                                                                 list(self.preload))]}
        try:
            self._process = subprocess.Popen(
                [*prefix, sys.executable, "-I", "-c", _BOOTSTRAP.format(parent=_GRADER_PARENT), json.dumps(config)],
                pass_fds=(child_sock.fileno(),), stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
                env=isolation.worker_environment(Path(homes)), cwd="/", start_new_session=True)
        finally:
            child_sock.close()
        self._sock = parent_sock
        ready = self._receive(_START_SECONDS)
        if not ready.get("ok"):
            error = ready.get("error") or "the fork server failed its self-test"
            if self.level == "userns" and isolation.userns_blockers():
                error += " (" + "; ".join(isolation.userns_blockers()) + ")"
            raise ForkServerError(error)
        if self.level == "uid":
            self.level = "uid" if ready.get("unprotected") else "uid+ns"
            self.warning = isolation.WARNINGS[self.level]
            if ready.get("unprotected"):
                self.warning += " (" + "; ".join(ready["unprotected"]) + ")"

    def log_tail(self, limit: int = 2000) -> str:
        size = self._log.seek(0, os.SEEK_END)
        self._log.seek(max(0, size - limit))
        return self._log.read().decode("utf-8", "replace")

    @property
    def alive(self) -> bool:
        return self._sock is not None and self._process is not None and self._process.poll() is None

    # -- requests -------------------------------------------------------------
    def _receive(self, timeout: float) -> dict:
        ready = select.select([self._sock], [], [], timeout)[0]
        if not ready:
            raise ForkServerError(f"the fork server did not answer within {timeout:g} s")
        data = self._sock.recv(MAX_MESSAGE)
        if not data:
            raise ForkServerError("the fork server exited: " + (self.log_tail() or "no output"))
        return json.loads(data)

    def _call(self, request: dict, fds: list[int] = (), timeout: float = _REPLY_SECONDS) -> dict:
        with self._lock:
            if self._sock is None:
                raise ForkServerError("the fork server is closed")
            try:
                socket.send_fds(self._sock, [json.dumps(request).encode()], list(fds))
                reply = self._receive(timeout)
            except (OSError, ValueError, ForkServerError) as exc:
                self._shutdown()
                raise ForkServerError(str(exc)) from None
        if "error" in reply:
            raise ForkServerError(reply["error"])
        return reply

    def spawn(self, limits: dict, fds: list[int]) -> tuple[ForkedWorker, str]:
        """Fork a worker that reads requests from ``fds[0]``, answers on ``fds[1]``, prints to ``fds[2:4]``.

        Returns the worker and its home (its working folder, as the worker sees it).
        """
        uid = isolation.allocate_uid() if isolation.uses_uid(self.level) else None
        reply = self._call({"op": "spawn", "uid": uid, "limits": limits}, fds)
        return ForkedWorker(self, reply["pid"]), reply["home"]

    def status(self, pid: int) -> int | None:
        return self._call({"op": "status", "pid": pid}).get("status")

    def kill(self, pid: int) -> int | None:
        try:
            return self._call({"op": "kill", "pid": pid}).get("status")
        except ForkServerError:
            return None  # the zygote is gone, and its workers with it (parent-death signal)

    # -- shutdown -------------------------------------------------------------
    def _shutdown(self) -> None:
        if self._sock is not None:
            self._sock.close()   # the zygote sees EOF, kills its workers and exits
            self._sock = None
        if self._process is not None:
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self._process.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                self._process.wait()
            self._process = None

    def close(self) -> None:
        with self._lock:
            if os.getpid() == self.owner_pid:
                self._shutdown()
            elif self._sock is not None:  # a forked copy of the harness: leave the parent's zygote alone
                os.close(self._sock.detach())
                self._sock = None
        self._log.close()


_servers: dict[tuple, ForkServer] = {}
_failures: dict[tuple[str, ...], str] = {}     # preload -> why no fork server could start
_registry_lock = threading.Lock()


def fork_available() -> bool:
    return (hasattr(os, "fork") and hasattr(socket, "send_fds") and hasattr(socket, "SOCK_SEQPACKET")
            and sys.platform.startswith("linux") and os.environ.get("NNGRADE_WORKER_START", "fork") != "spawn")


def server_for(preload: list[str] | tuple[str, ...], hidden: list[Path],
               packages: list[str] | tuple[str, ...] = ()) -> ForkServer | None:
    """The running zygote for ``preload`` (started on first use at the strongest level that works).

    ``packages``: the distributions workers may import beyond ``preload`` (level
    userns shows them no other). None where fork servers are unavailable; the
    client then spawns workers. A level NNGRADE_SANDBOX asks for that cannot be
    set up raises :class:`isolation.RequestedLevelUnavailable`.
    """
    if not fork_available():
        requested = isolation.requested_level()
        if requested not in (None, "rlimits-only"):
            raise isolation.RequestedLevelUnavailable(
                f"NNGRADE_SANDBOX={requested}: this machine cannot start a fork server (Linux, fork and descriptor "
                "passing are needed; NNGRADE_WORKER_START=spawn turns it off)")
        return None
    # The hidden folders are fixed when a zygote starts: another course folder needs another zygote.
    key = (tuple(preload), tuple(Path(p) for p in hidden), isolation.requested_level(), tuple(packages))
    with _registry_lock:
        server = _servers.get(key)
        if server is not None and server.alive and server.owner_pid == os.getpid():
            return server
        if server is not None:
            server.close()
            del _servers[key]
        reasons = []
        for level in isolation.candidate_levels():
            try:
                server = ForkServer(key[0], level, key[1], key[3])
            except (ForkServerError, isolation.IsolationUnavailable, OSError) as exc:
                reasons.append(f"{level}: {exc}")
                continue
            if reasons:
                server.warning = (server.warning + " (stronger levels failed: " + "; ".join(reasons) + ")").strip()
            _servers[key] = server
            return server
        if key[2] is not None:
            raise isolation.RequestedLevelUnavailable(
                f"NNGRADE_SANDBOX={key[2]} cannot be set up on this machine ({'; '.join(reasons)}); unset "
                "NNGRADE_SANDBOX to use the strongest level this machine offers")
        _failures[key[0]] = "; ".join(reasons)
        return None


def close_all() -> None:
    with _registry_lock:
        for server in _servers.values():
            server.close()
        _servers.clear()


def _forget_after_fork() -> None:
    # A forked copy of the harness (a process pool) must start its own zygotes.
    for server in _servers.values():
        if server._sock is not None:
            os.close(server._sock.detach())   # else the zygote never sees its harness end
            server._sock = None
        server._process = None
    _servers.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)

atexit.register(close_all)
