"""The trusted side of the sandbox: start a worker, send it probes, read plain data back.

A :class:`SandboxClient` owns at most one live worker process for one staged
submission. Every probe has a wall-clock limit; a probe that raises comes back
as :class:`ProbeFailure` of kind ``error``; one that hangs, exhausts a limit or
kills its worker comes back as ``timeout``/``crash``/``memory``, the worker and
everything it started are killed, and the next probe starts a fresh worker.

Workers are forked by a warm fork server (:mod:`grader.sandbox.forkserver`)
that has already imported the assignment's ``preload`` libraries, at the
strongest isolation level the machine offers (:mod:`grader.sandbox.isolation`);
where there is none, each worker is a freshly spawned interpreter.
"""
from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader.core.paths import reference_folders
from grader.core.types import GraderFault, Limits, ProbeFailure, StagedCode
from grader.sandbox import forkserver, isolation, wire
from grader.sandbox.hangs import Hangs
from grader.sandbox.level import spawn_sandbox
from grader.sandbox.modules import CONTROL_CHARACTERS

GRADER_PARENT = str(Path(__file__).resolve().parents[2])
_BOOTSTRAP = (
    "import sys; sys.path.insert(0, {parent!r}); "
    "from grader.sandbox.worker import main; sys.path.remove({parent!r}); main(sys.argv)"
)


DEFAULT_PRELOAD = ("numpy",)


class SpawnedWorker:
    """A worker started as a fresh interpreter (no fork server); the calls the client uses."""

    def __init__(self, process: subprocess.Popen, home: Path):
        self.process, self.home, self.pid = process, home, process.pid

    @property
    def returncode(self):
        return self.process.returncode

    def wait(self, timeout: float | None = None) -> int:
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.process.wait()
        shutil.rmtree(self.home, ignore_errors=True)


class SandboxClient:
    """Runs probes on one submission in an isolated worker process.

    ``preload``: the libraries the worker needs imported before the student's
    code (default numpy; add ``"torch"`` for PyTorch assignments), imported
    once per harness process by the fork server. ``sandbox`` tells the level
    of isolation the worker got and, below the strongest, a warning.
    ``hidden``: folders the worker must not see (default: every ``reference/``
    the harness knows of). ``packages``: distributions the student's code may
    import beyond ``preload`` (at level userns no other installed one is visible).
    """

    def __init__(self, code: StagedCode, package: str, homes: dict[str, str], probes_source: str,
                 limits: Limits | None = None, output_dir: Path | None = None, preload=None,
                 hidden: list[Path] | None = None, packages=()):
        self.code, self.package, self.homes = code, package, homes
        self.hidden = list(hidden) if hidden is not None else reference_folders()
        self.probes_source = probes_source
        self.limits = limits or Limits()
        self.output_dir = Path(output_dir or code.workdir.parent)
        self.preload = tuple(preload) if preload else DEFAULT_PRELOAD
        self.packages = tuple(packages)
        self.process: ForkedWorker | SpawnedWorker | None = None
        self.import_errors: dict[str, str] = {}
        self.starts = 0
        self.sandbox: dict = {}
        self._sources: dict | None = None
        self._import_failure: ProbeFailure | None = None
        self._to_worker = self._from_worker = None
        self._timeout = self.limits.probe_seconds
        #: serves the grader's stand-ins to the worker (:mod:`grader.sandbox.standin_service`); None: no stand-ins
        self.standin_service = None
        self.last_used: list[str] = []   # the names the last probe looked up (the parts a check uses)
        self.last_served: set[str] = set()   # the parts the grader's stand-ins played in the last probe
        self._deadline = 0.0
        self.hangs = Hangs()

    def note_check(self, label: str) -> None:
        """The check now running ("check 12"), for the message of a function that hangs in it."""
        self.hangs.check_label = label

    # -- life cycle -----------------------------------------------------------
    def _start(self) -> None:
        if self._sources is None:
            self._sources = self.code.sources()
        to_worker_r, to_worker_w = os.pipe()
        from_worker_r, from_worker_w = os.pipe()
        # CUDA reserves far more address space than it uses: no RLIMIT_AS where torch may use a GPU.
        limits = self.limits.for_worker(address_space=not ("torch" in self.preload and _has_gpu()))
        self.starts += 1
        stdout = open(self.output_dir / "worker-stdout.txt", "ab")
        stderr = open(self.output_dir / "worker-stderr.txt", "ab")
        try:
            self.process = self._fork_or_spawn(limits, [to_worker_r, from_worker_w, stdout, stderr])
        except forkserver.ForkServerError as exc:
            os.close(to_worker_w)
            os.close(from_worker_r)
            raise GraderFault(f"the grader could not start a worker for your code ({exc})") from None
        finally:
            stdout.close()
            stderr.close()
            os.close(to_worker_r)
            os.close(from_worker_w)
        self._to_worker, self._from_worker = to_worker_w, from_worker_r
        reply = self._request({
            "op": "init", "files": self.code.files, "sources": self._sources,
            "display_names": self.code.display_names, "package": self.package, "homes": self.homes,
            "withheld": self.code.withheld,
            "probes_source": self.probes_source, "poisoned": self.hangs.poisoned,
            "standin_specs": self.standin_service.specs if self.standin_service else {},
        }, self.limits.import_seconds, during="importing your code")
        self.import_errors = reply.get("import_errors", {}) if isinstance(reply, dict) else {}
        if self.standin_service:
            self.standin_service.modules_failed(self.import_errors)

    def _fork_or_spawn(self, limits: dict, fds: list) -> "ForkedWorker | SpawnedWorker":
        """A worker from the fork server; one that died (a submission at a weak level can kill it) is started
        again once before the grader gives up (ForkServerError: the grader's failure, not the student's)."""
        try:
            return self._fork(limits, fds)
        except forkserver.ForkServerError:
            return self._fork(limits, fds)   # server_for starts a new fork server in place of the dead one

    def _fork(self, limits: dict, fds: list) -> "ForkedWorker | SpawnedWorker":
        request_fd, response_fd, stdout, stderr = fds
        server = forkserver.server_for(self.preload, self.hidden, self.packages)
        if server is None:
            return self._spawn(limits, request_fd, response_fd, stdout, stderr)
        process, _home = server.spawn(limits, [request_fd, response_fd, stdout.fileno(), stderr.fileno()])
        self.sandbox = {"level": server.level, "warning": server.warning, "start": "fork"}
        return process

    def _spawn(self, limits: dict, request_fd: int, response_fd: int, stdout, stderr) -> SpawnedWorker:
        home = Path(tempfile.mkdtemp(prefix="nngrade-worker-"))
        config = {"request_fd": request_fd, "response_fd": response_fd, "limits": limits,
                  "preload": list(self.preload)}
        process = subprocess.Popen(
            [sys.executable, "-I", "-c", _BOOTSTRAP.format(parent=GRADER_PARENT), json.dumps(config)],
            pass_fds=(request_fd, response_fd), cwd=home, stdin=subprocess.DEVNULL,
            stdout=stdout, stderr=stderr, env=isolation.worker_environment(home), start_new_session=True)
        self.sandbox = spawn_sandbox(self.preload)
        return SpawnedWorker(process, home)

    def close(self) -> None:
        if self.process is None:
            return
        try:
            wire.send(self._to_worker, {"op": "exit"})
        except OSError:
            pass
        try:
            self.process.wait(timeout=2)
        except (subprocess.TimeoutExpired, forkserver.ForkServerError):
            pass
        self._kill()

    def _kill(self) -> None:
        if self.process is not None:
            self.process.kill()
        for fd in (self._to_worker, self._from_worker):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.process = None
        self._to_worker = self._from_worker = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- probes ---------------------------------------------------------------
    def run(self, probe: str, kwargs: dict | None = None, timeout: float | None = None, seed: int = 0):
        """The probe's return value as plain data, or :class:`ProbeFailure`."""
        if self._import_failure is not None:
            # Importing the student's code hung or killed its worker: it would again, for every probe.
            # A new exception each time: re-raising one object grows its traceback with every check.
            failure = self._import_failure
            raise ProbeFailure(failure.kind, failure.message, failure.error)
        if self.process is None:
            try:
                self._start()
            except ProbeFailure as failure:
                self._import_failure = failure
                raise
        timeout = timeout or self.limits.probe_seconds
        self.hangs.start_probe()
        service = self.standin_service
        self.last_used, self.last_served = [], set()
        try:
            reply = self._request({"op": "probe", "probe": probe, "kwargs": kwargs or {}, "seed": seed,
                                   "timeout": timeout, "standins": list(service.names) if service else []},
                                  timeout, during=f"probe {probe}")
        finally:
            if service:
                service.end_probe()
                self.last_served = service.reset_served()
        if not isinstance(reply, dict) or "ok" not in reply:
            raise ProbeFailure("crash", "the worker sent a malformed reply")
        used = reply.get("used")
        self.last_used = [n for n in used if type(n) is str][:200] if type(used) is list else []
        if reply["ok"]:
            return reply.get("value")
        error = reply.get("error") if isinstance(reply.get("error"), dict) else {}
        kind = "import" if error.get("load_error") else "memory" if error.get("type") == "MemoryError" else "error"
        raise ProbeFailure(kind, format_student_error(error), error)

    def _request(self, message: dict, timeout: float, during: str):
        try:
            self._timeout = timeout
            wire.send(self._to_worker, message)
            return self._receive(time.monotonic() + timeout)
        except ProbeFailure as failure:
            self._kill()
            raise failure
        except (OSError, EOFError) as exc:
            failure = self._death_reason(during, exc)
            self._kill()
            raise failure from None
        except wire.WireError as exc:
            self._kill()
            raise ProbeFailure("crash", f"the worker sent data that is not plain data ({exc})") from None

    def _receive(self, deadline: float):
        """The worker's reply, answering the stand-in requests it makes meanwhile."""
        self._deadline = deadline
        while True:
            message = self._receive_one(deadline)
            if Hangs.is_report(message):
                self.hangs.observe(message)   # where the probe is stuck; the reply may still come before the deadline
                continue
            if not (isinstance(message, dict) and message.get("op") == "callback"):
                return message
            self._answer_callback(message)

    def _answer_callback(self, message: dict) -> None:
        if self.standin_service is None:
            raise ProbeFailure("crash", "the worker asked for stand-ins the grader did not offer")
        wire.send(self._to_worker, self.standin_service.answer(message, self._ask_worker))

    def _ask_worker(self, message: dict) -> dict:
        """A stand-in acts on one of the student's objects: ask the worker, answering its own requests meanwhile."""
        wire.send(self._to_worker, {"op": "serve", **message})
        reply = self._receive(self._deadline)
        if not (isinstance(reply, dict) and reply.get("op") == "reply"):
            raise ProbeFailure("crash", "the worker broke the stand-in protocol")
        return reply

    def _receive_one(self, deadline: float):
        header = self._read(wire._HEADER.size, deadline)
        (length,) = wire._HEADER.unpack(header)
        if length > wire.MAX_MESSAGE_BYTES:
            raise wire.WireError(f"reply of {length} bytes is over the limit")
        return wire.decode(self._read(length, deadline))

    def _read(self, n: int, deadline: float) -> bytes:
        chunks, remaining = [], n
        while remaining:
            left = deadline - time.monotonic()
            ready = select.select([self._from_worker], [], [], max(left, 0))[0] if left > 0 else []
            if not ready:
                raise ProbeFailure("timeout", self.hangs.timed_out(
                    f"your code did not finish within {self._timeout:g} s (an infinite loop, or far too slow?)"))
            chunk = os.read(self._from_worker, min(remaining, 1 << 20))
            if not chunk:
                raise EOFError("worker closed its pipe")
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def _death_reason(self, during: str, exc: BaseException) -> ProbeFailure:
        code = None
        if self.process is not None:
            try:
                code = self.process.wait(timeout=2)
            except (subprocess.TimeoutExpired, forkserver.ForkServerError):
                code = None   # still running, or the fork server that could say is gone
        if code is not None and code < 0:
            sig = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
            what = {
                "SIGSEGV": "crashed with a segmentation fault", "SIGABRT": "aborted",
                "SIGXCPU": "ran out of CPU time", "SIGKILL": "was killed (out of memory?)",
                "SIGBUS": "crashed with a bus error",
            }.get(sig, f"was killed by {sig}")
            kind = "memory" if sig == "SIGKILL" else "crash"
            return ProbeFailure(kind, f"the process running your code {what} during {during}")
        if code == wire.EXIT_EXHAUSTED:
            return ProbeFailure("memory", f"the process running your code ran out of memory or stack during {during} "
                                          "(a recursion too deep, or arrays too large?)")
        if code is not None:
            return ProbeFailure("crash", f"the process running your code exited with status {code} during {during} "
                                         "(did your code call exit()?)")
        return ProbeFailure("crash", f"the process running your code stopped answering during {during}")

    def output_tail(self, limit: int = 2000) -> str:
        """The end of what the student's code printed (capped, control characters removed; for the report)."""
        parts = []
        for name in ("worker-stdout.txt", "worker-stderr.txt"):
            path = self.output_dir / name
            if path.exists():
                size = path.stat().st_size
                with open(path, "rb") as handle:
                    handle.seek(max(0, size - limit))
                    parts.append(handle.read().decode("utf-8", "replace"))
        return "".join(parts)[-limit:].translate(CONTROL_CHARACTERS)


def _has_gpu() -> bool:
    return os.path.exists("/dev/nvidiactl")


ForkedWorker = forkserver.ForkedWorker


def format_student_error(error: dict) -> str:
    """``ValueError: shapes (4,3) and (2,2) not aligned (in DenseLayer.backward_propagation, layers.py line 40)``."""
    if error.get("load_error"):
        return str(error.get("message", ""))
    text = f"your code raised {error.get('type', 'an exception')}: {error.get('message', '')}".rstrip(": ")
    frames = error.get("frames") or []
    if frames:
        file, line, func, _ = frames[-1]
        text += f" (in {func}, {file} line {line})"
    return text
