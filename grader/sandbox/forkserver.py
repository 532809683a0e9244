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

Where the machine allows, the zygote itself runs inside bubblewrap
(:mod:`grader.sandbox.isolation`). Where ``fork`` or descriptor passing is
missing, :func:`server_for` returns None and the client spawns a fresh
interpreter per worker as before.
"""
from __future__ import annotations

import ctypes
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

_GRADER_PARENT = str(Path(__file__).resolve().parents[2])
_BOOTSTRAP = (
    "import sys; sys.path.insert(0, {parent!r}); "
    "from grader.sandbox.forkserver import zygote_main; sys.path.remove({parent!r}); zygote_main(sys.argv)"
)
_MAX_MESSAGE = 1 << 16
_START_SECONDS = 120.0         # importing torch on a cold disk can take this long
_REPLY_SECONDS = 30.0
_BWRAP_HOMES = "/sandbox"
#: Submodules a library imports lazily on first use; the zygote imports them so no worker pays for them.
_LAZY_SUBMODULES = {"numpy": ("numpy.random", "numpy.linalg", "numpy.fft")}

PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS = 1, 36, 38
CLONE_NEWNET = 0x40000000


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _prctl(option: int, value: int) -> None:
    if _libc().prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl({option}) failed")


# ---------------------------------------------------------------------------
# Harness side
# ---------------------------------------------------------------------------

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

    def __init__(self, preload: tuple[str, ...], level: str):
        from grader.sandbox import isolation

        self.preload, self.level = preload, level
        self.warning = isolation.WARNINGS[level]
        self.owner_pid = os.getpid()
        self._lock = threading.Lock()
        self._log = tempfile.TemporaryFile()   # the zygote's own errors; no file left behind
        self._process: subprocess.Popen | None = None
        self._sock: socket.socket | None = None
        try:
            self._start(isolation)
        except BaseException:
            self.close()
            raise

    def _start(self, isolation) -> None:
        from grader.sandbox.client import worker_environment

        if self.level == "bwrap+uid":
            homes = _BWRAP_HOMES
            prefix = isolation.bwrap_command(homes, Path(_GRADER_PARENT) / "grader", list(self.preload))
        else:
            # Made, and removed when it exits, by the zygote: it outlives nothing, whatever ends the harness.
            homes = os.path.join(tempfile.gettempdir(), f"nngrade-homes-{uuid.uuid4().hex[:12]}")
            prefix = []
        parent_sock, child_sock = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        config = {
            "socket_fd": child_sock.fileno(), "preload": list(self.preload), "homes": homes,
            "homes_mode": 0o711 if isolation.uses_uid(self.level) else 0o700, "remove_homes": not prefix,
            "test_uid": isolation.allocate_uid() if isolation.uses_uid(self.level) else None,
        }
        if self.level == "uid":  # what bubblewrap would do, done by hand where the kernel lets root
            config["private"] = {"hidden": [str(p) for p in isolation.hidden_paths()],
                                 "homes_bytes": isolation.HOMES_TMPFS_BYTES,
                                 "keep": [str(p) for p in isolation.python_paths(Path(_GRADER_PARENT) / "grader",
                                                                                 list(self.preload))]}
        try:
            self._process = subprocess.Popen(
                [*prefix, sys.executable, "-I", "-c", _BOOTSTRAP.format(parent=_GRADER_PARENT), json.dumps(config)],
                pass_fds=(child_sock.fileno(),), stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
                env=worker_environment(Path(homes)), cwd="/", start_new_session=True)
        finally:
            child_sock.close()
        self._sock = parent_sock
        ready = self._receive(_START_SECONDS)
        if not ready.get("ok"):
            raise ForkServerError(ready.get("error") or "the fork server failed its self-test")
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
        data = self._sock.recv(_MAX_MESSAGE)
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
        from grader.sandbox import isolation

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


def server_for(preload: list[str] | tuple[str, ...]) -> ForkServer | None:
    """The running zygote for ``preload`` (started on first use at the strongest level that works).

    None where fork servers are unavailable; the client then spawns workers.
    """
    from grader.sandbox import isolation

    if not fork_available():
        return None
    # The hidden folders are fixed when a zygote starts: another course folder needs another zygote.
    key = (tuple(preload), tuple(str(p) for p in isolation.hidden_paths()), isolation.requested_level())
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
                server = ForkServer(key[0], level)
            except (ForkServerError, isolation.IsolationUnavailable, OSError) as exc:
                reasons.append(f"{level}: {exc}")
                continue
            if reasons:
                server.warning = (server.warning + " (stronger levels failed: " + "; ".join(reasons) + ")").strip()
            _servers[key] = server
            return server
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

import atexit  # noqa: E402  (registered after the functions it names)

atexit.register(close_all)


# ---------------------------------------------------------------------------
# Zygote side
# ---------------------------------------------------------------------------

class Zygote:
    """Runs in the fork server: forks workers on request, reaps them, kills them, reports their status."""

    def __init__(self, sock: socket.socket, config: dict):
        self.sock = sock
        self.homes = Path(config["homes"])
        self.remove_homes = bool(config.get("remove_homes"))
        self.workers: dict[int, dict] = {}     # pid -> {"uid":, "home":}
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

    def _become_worker(self, request: dict, fds: list[int], home: Path, zygote_pid: int) -> None:
        from grader.sandbox import worker_main

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
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != zygote_pid:  # the zygote died before the parent-death signal was armed
            os._exit(70)
        uid = request.get("uid")
        if uid is not None:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
        _prctl(PR_SET_NO_NEW_PRIVS, 1)
        os.chdir(home)
        sys.argv = [""]
        os.environ.clear()
        os.environ.update(worker_environment_for(home))
        worker_main.apply_limits(request.get("limits", {}), own_uid=uid is not None)
        worker_main.serve_forever(request_fd, response_fd)

    def status(self, request: dict) -> dict:
        self._reap()
        return {"status": self.exited.get(int(request["pid"]))}

    def kill(self, request: dict) -> dict:
        pid = int(request["pid"])
        worker = self.workers.get(pid)
        if worker is None:
            return {"status": self.exited.get(pid)}
        if pid not in self.exited:
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if worker["uid"] is not None:
            self._sweep(worker["uid"])
        else:
            self._kill_orphans()
        status = self._wait_for(pid, 5.0)
        if worker["uid"] is not None:
            self._reap_uid(worker["uid"], 2.0)
        _remove_tree(Path(worker["home"]))
        del self.workers[pid]
        self.exited.pop(pid, None)
        return {"status": status}

    def shutdown(self) -> None:
        for pid, worker in list(self.workers.items()):
            self.kill({"pid": pid})
        if self.remove_homes:
            _remove_tree(self.homes)

    def serve(self) -> None:
        handlers = {"status": self.status, "kill": self.kill}
        while True:
            ready = select.select([self.sock], [], [], 0.2)[0]
            self._reap()
            if not ready:
                continue
            try:
                data, fds, _flags, _addr = socket.recv_fds(self.sock, _MAX_MESSAGE, 8)
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


def worker_environment_for(home: Path) -> dict[str, str]:
    from grader.sandbox.client import worker_environment

    return worker_environment(home)


def _remove_tree(path: Path) -> None:
    def allow_and_retry(function, target, _exc):
        try:
            os.chmod(os.path.dirname(target), 0o700)
            function(target)
        except OSError:
            pass
    shutil.rmtree(path, onerror=allow_and_retry)


def _self_test(zygote: Zygote, uid: int) -> str:
    """Check that a worker uid can read the interpreter and the grader, and use its home; '' when it can."""
    import importlib.util

    home = zygote.homes / "selftest"
    os.mkdir(home, 0o700)
    os.chown(home, uid, uid)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        message = b""
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            for module in ("colorsys", "json", "grader.sandbox.worker_main"):
                spec = importlib.util.find_spec(module)
                with open(spec.origin, "rb") as handle:
                    handle.read(1)
            for entry in sys.path:
                if os.path.isdir(entry):
                    os.listdir(entry)
            os.chdir(home)
            with open("probe.txt", "w") as handle:
                handle.write("ok")
        except BaseException as exc:
            message = f"a worker uid cannot use the interpreter or its home ({type(exc).__name__}: {exc})".encode()
        os.write(write, message[:2000])
        os._exit(0)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 4096):
        chunks.append(chunk)
    os.close(read)
    os.waitpid(pid, 0)
    _remove_tree(home)
    return b"".join(chunks).decode("utf-8", "replace")


MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REC, MS_PRIVATE = 1, 2, 4, 0x4000, 1 << 18
CLONE_NEWNS = 0x00020000


MS_BIND, MS_REMOUNT = 0x1000, 0x20


def _bind_read_only(source: str, target: str) -> None:
    libc = _libc()
    for flags in (MS_BIND | MS_REC, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV):
        if libc.mount(source.encode(), target.encode(), None, flags, None) != 0:
            raise OSError(ctypes.get_errno(), f"bind {target}: {os.strerror(ctypes.get_errno())}")


def _mount(target: str, options: str, flags: int = MS_NOSUID | MS_NODEV) -> None:
    if _libc().mount(b"tmpfs", target.encode(), b"tmpfs", flags, options.encode()) != 0:
        raise OSError(ctypes.get_errno(), f"mount tmpfs on {target}: {os.strerror(ctypes.get_errno())}")


def _private_namespaces(zygote: Zygote, hidden: list[str], homes_bytes: int, keep: list[str]) -> list[str]:
    """Without bubblewrap (level ``uid``): an empty network and a private file-system view, by hand.

    In a mount namespace of the zygote's own: an empty read-only tmpfs over
    every hidden folder (``reference/``), a private ``/tmp`` (with the workers'
    homes on a size-capped tmpfs inside it), and read-only empty ``/var/tmp``
    and ``/dev/shm``; the interpreter's folders (``keep``) that lie in them are
    bound back, read-only. The host sees none of it. Returns what could not be
    done (a container without CAP_SYS_ADMIN refuses namespaces), for the warning.
    """
    libc, missing = _libc(), []
    if libc.unshare(CLONE_NEWNET) != 0:
        missing.append(f"network not isolated: {os.strerror(ctypes.get_errno())}")
    if libc.unshare(CLONE_NEWNS) != 0:
        return missing + [f"reference/ and /tmp not hidden: {os.strerror(ctypes.get_errno())}"]
    try:
        if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
            raise OSError(ctypes.get_errno(), "making / private")
        for path in hidden:
            if os.path.isdir(path):
                _mount(path, "size=4k,mode=0755", MS_RDONLY | MS_NOSUID | MS_NODEV)
        for shared in ("/tmp", "/var/tmp", "/dev/shm"):
            if not os.path.isdir(shared):
                continue
            inside = [p for p in keep if p.startswith(shared + "/")]
            old = os.open(shared, os.O_PATH | os.O_DIRECTORY)   # the old contents, for binding back
            try:
                _mount(shared, "size=1m,mode=0755")
                for path in inside:
                    os.makedirs(path, exist_ok=True)
                    _bind_read_only(f"/proc/self/fd/{old}/{os.path.relpath(path, shared)}", path)
            finally:
                os.close(old)
        os.makedirs(zygote.homes, mode=0o711)
        _mount(str(zygote.homes), f"size={homes_bytes},mode=0711")
    except OSError as exc:
        missing.append(f"file system only partly hidden: {exc}")
    return missing


def zygote_main(argv: list[str]) -> None:
    """Entry point of the fork server process (``python -I -c <bootstrap> CONFIG``)."""
    import importlib

    config = json.loads(argv[1])
    sock = socket.socket(fileno=config["socket_fd"])
    zygote = Zygote(sock, config)
    error = ""
    unprotected: list[str] = []
    try:
        # No parent-death signal here: it would fire when the harness *thread* that started us ends.
        # The harness's end closes our socket instead, and then we kill every worker and exit.
        _prctl(PR_SET_CHILD_SUBREAPER, 1)
        if config.get("private"):
            unprotected = _private_namespaces(zygote, **config["private"])
        if not zygote.homes.is_dir():
            os.makedirs(zygote.homes, mode=config.get("homes_mode", 0o700))
        from grader.sandbox import client, worker_main  # noqa: F401  (import numpy with the thread limits set)
        for name in config.get("preload", []):
            importlib.import_module(name)
            for submodule in _LAZY_SUBMODULES.get(name, ()):
                importlib.import_module(submodule)
        if config.get("test_uid") is not None:
            error = _self_test(zygote, int(config["test_uid"]))
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
    sock.send(json.dumps({"ok": not error, "error": error, "unprotected": unprotected}).encode())
    if error:
        if zygote.remove_homes:
            _remove_tree(zygote.homes)
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in the terminal is the harness's to handle
    zygote.serve()
    os._exit(0)

