"""The untrusted side: a worker process that imports a student's code and runs probes.

Forked by the fork server (:mod:`grader.sandbox.forkserver`), or where there is
none started by :mod:`grader.sandbox.client` as ``python -I -c <bootstrap>
CONFIG_JSON``, with two pipe descriptors and its own empty home as working
folder; the ``init`` request brings the submission's files, which it writes there. It answers
each request with plain data (:mod:`grader.sandbox.wire`) and never sees the
reference solution, the checks or their expected values: a probe is a small
trusted function whose *source* arrives with the ``init`` request.
"""
from __future__ import annotations

import contextlib
import json
import linecache
import os
import resource
import signal
import sys
import traceback
import types
from pathlib import Path, PurePosixPath

from grader.sandbox import standins as standin_parts
from grader.sandbox import wire
from grader.sandbox.modules import CONTROL_CHARACTERS, ModuleLoadError, ModuleSet
from grader.sandbox.watchdog import Watchdog

MAX_MESSAGE_CHARS = 4000


class StudentAPI:
    """What a probe sees: ``api.DenseLayer`` is the student's class, found by name."""

    def __init__(self, modules: ModuleSet, homes: dict[str, str]):
        self._modules, self._homes = modules, homes

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        home = self._homes.get(name)
        if home is None:
            raise AttributeError(f"the assignment defines no {name!r} (probe bug)")
        return self._modules.find(name, home)

    def namespaces(self) -> list[dict]:
        """The globals of the student's modules (where a stand-in replaces a part for one probe)."""
        return [vars(module) for module in self._modules.modules.values()]

    def describe_error(self, exc: BaseException) -> str:
        """``ValueError: … (in CNN.__init__, model.py)``, for a probe that catches the student's exception to go on
        with its other cases (the check then reports the raise, not a wrong value). No line number nor folder: the
        text is part of the probe's answer, which must equal a catalogued mistake's answer to name it."""
        error = describe_exception(exc, self._modules)
        text = f"{error['type']}: {error['message']}"
        if error["frames"]:
            file, _, function, _ = error["frames"][-1]
            text += f" (in {function}, {PurePosixPath(file).name})"
        return text


def _address_space_in_use() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _tasks_of(uid: int) -> int:
    """Processes and threads the user ``uid`` runs now (what ``RLIMIT_NPROC`` counts)."""
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry}/task"))
            except OSError:
                continue
    return count


def apply_limits(limits: dict, own_uid: bool = False) -> None:
    """Resource limits that bind this process and everything it starts.

    ``memory_bytes`` is what the student's code may add to the address space
    already in use (the interpreter and the preloaded libraries).
    ``processes`` binds only a worker with its own uid exactly; as a normal
    user it is added to what the user already runs, and root ignores it.
    """
    values = dict(limits)
    if values.get("memory_bytes"):
        values["memory_bytes"] = int(values["memory_bytes"]) + _address_space_in_use()
    if values.get("processes") and not own_uid:
        uid = os.getuid()
        counted = uid != 0 and os.path.isdir("/proc")   # root ignores RLIMIT_NPROC; elsewhere count what runs
        values["processes"] = int(values["processes"]) + _tasks_of(uid) if counted else 0
    pairs = {
        "cpu_seconds": resource.RLIMIT_CPU,
        "memory_bytes": resource.RLIMIT_AS,
        "file_bytes": resource.RLIMIT_FSIZE,
        "open_files": resource.RLIMIT_NOFILE,
        "processes": resource.RLIMIT_NPROC,
    }
    for key, which in pairs.items():
        value = values.get(key)
        if value:
            soft, hard = resource.getrlimit(which)
            value = min(int(value), hard) if hard != resource.RLIM_INFINITY else int(value)
            # CPU: SIGXCPU (reported as such) at the soft limit, SIGKILL a second later if it is ignored.
            ceiling = value + 1 if which == resource.RLIMIT_CPU and (hard == resource.RLIM_INFINITY or value < hard) \
                else value
            try:
                resource.setrlimit(which, (value, ceiling))
            except (ValueError, OSError):
                pass
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # Writing past the file-size limit then fails with an error instead of killing us.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def _safe_text(producer) -> str:
    try:
        text = producer()
        text = text[:MAX_MESSAGE_CHARS].translate(CONTROL_CHARACTERS) if type(text) is str else "<unprintable>"
    except BaseException:  # a hostile __str__ must not take the worker down
        text = "<unprintable>"
    return text


def _qualified_name(code) -> str:
    """``SGD.update`` rather than ``update``: the class names the part a crash happened in."""
    return getattr(code, "co_qualname", code.co_name).replace("<locals>.", "")


#: More of the student's frames than this on the stack only comes from a raised recursion limit: whatever the
#: exception then says (CPython may raise SystemError or MemoryError from deep inside), the recursion exhausted it.
RUNAWAY_DEPTH = 5000


def describe_exception(exc: BaseException, modules: ModuleSet | None) -> dict:
    """Type, message and the student's own frames of an exception, as plain data."""
    student_files = {str(p): modules.display_names.get(stem, p.name) for stem, p in modules.files.items()} if modules else {}
    frames = []
    # walk_tb, not extract_tb: a student's sys.tracebacklimit must not hide the raising frame.
    for frame, line in traceback.walk_tb(exc.__traceback__):
        code = frame.f_code
        shown = student_files.get(code.co_filename)
        if shown:
            frames.append([shown, line or 0, _qualified_name(code)[:100],
                           linecache.getline(code.co_filename, line or 0).strip()[:200]])
    message = _safe_text(lambda: str(exc))
    if len(frames) > RUNAWAY_DEPTH and not isinstance(exc, RecursionError):
        message += f" (raised {len(frames)} calls deep: the recursion ran the interpreter out of memory or stack)"
    return {
        "type": _safe_text(lambda: type(exc).__name__),
        "message": message,
        "frames": frames[-6:],
        "load_error": isinstance(exc, ModuleLoadError),
    }


class Worker:
    def __init__(self, request_fd: int, response_fd: int):
        self.request_fd, self.response_fd = request_fd, response_fd
        self.modules: ModuleSet | None = None
        self.api: StudentAPI | None = None
        self.probes: dict[str, types.FunctionType] = {}
        self.standins: standin_parts.StandIns | None = None
        self.watchdog: Watchdog | None = None

    def handle_init(self, message: dict) -> dict:
        if message.get("kind") == "notebook":  # a notebook's cells instead of module files
            from grader.sandbox.notebook_worker import init_notebook

            return init_notebook(self, message)
        import numpy as np  # noqa: F401  (imported before student code, with thread limits in place)

        workdir = Path.cwd()
        write_sources(workdir, message.get("sources", {}))
        files = {name: workdir / rel for name, rel in message["files"].items()}
        homes = message["homes"]
        self.standins = standin_parts.install(self.request_fd, self.response_fd, message.get("standin_specs"), homes)
        self.modules = ModuleSet(message["package"], files, message.get("display_names"), replacement=lambda stem: (
            self.standins.module_replacement(stem, lambda s: [n for n, h in homes.items()
                                                               if self.modules.stem_of(h) == s])))
        self.modules.withheld = dict(message.get("withheld") or {})
        sys.path.insert(0, str(message.get("search_path", workdir)))
        namespace: dict = {"__name__": "nngrade_probes"}
        exec(compile(message["probes_source"], "<probes>", "exec"), namespace)
        self.probes = {k: v for k, v in namespace.items() if isinstance(v, types.FunctionType) and not k.startswith("_")}
        self.api = StudentAPI(self.modules, homes)
        self.standins.resolve = lambda name: getattr(self.api, name)
        errors = self.modules.load_all()
        self.watchdog = Watchdog(self.response_fd, {
            str(path): (stem, self.modules.display_names.get(stem, path.name))
            for stem, path in self.modules.files.items() if stem == self.modules._canonical[stem]})
        self.watchdog.poison(self.modules.modules, message.get("poisoned", []))
        return {"ok": True, "import_errors": errors}

    def handle_probe(self, message: dict) -> dict:
        import numpy as np

        probe = self.probes.get(message["probe"])
        if probe is None:
            return {"ok": False, "error": {"type": "ProbeMissing", "message": f"no probe {message['probe']!r}",
                                           "frames": [], "load_error": False}}
        np.random.seed(int(message.get("seed", 0)))
        scope = standin_parts.ProbeScope(self.standins, self.api, message.get("standins")) if self.standins else None
        api = scope.probe_api if scope else self.api
        if self.watchdog is not None:
            self.watchdog.arm(message.get("timeout"))
        try:
            with scope or contextlib.nullcontext():
                value = probe(api, **message.get("kwargs", {}))
            if self.watchdog is not None:
                self.watchdog.disarm()
            payload = wire.encode({"ok": True, "value": value, "used": getattr(api, "used", [])})
        except RecursionError as exc:
            return {"ok": False, "error": describe_exception(exc, self.modules), "used": getattr(api, "used", [])}
        except BaseException as exc:  # the student's exception is the check's result
            if isinstance(exc, KeyboardInterrupt):
                raise
            return {"ok": False, "error": describe_exception(exc, self.modules), "used": getattr(api, "used", [])}
        finally:
            if self.watchdog is not None:
                self.watchdog.disarm()   # before the reply: no report may follow it
            sys.stdout.flush()
            sys.stderr.flush()
        return payload

    def serve(self) -> None:
        while True:
            try:
                message = wire.receive(self.request_fd)
            except EOFError:
                return
            op = message.get("op")
            if op == "exit":
                return
            if op == "serve":  # a stand-in request that outlived its probe
                wire.send(self.response_fd, {"op": "reply", "ok": False, "error": "no check is running"})
                continue
            try:
                reply = self.handle_init(message) if op == "init" else self.handle_probe(message)
            except SystemExit as exc:
                reply = {"ok": False, "error": {"type": "SystemExit", "message": f"your code called exit({exc.code!r})",
                                                "frames": [], "load_error": False}}
            if isinstance(reply, bytes):
                _send_raw(self.response_fd, reply)
            else:
                wire.send(self.response_fd, reply)


def write_sources(home: Path, sources: dict) -> None:
    """Write the submission's files (relative path -> uint8 array) into the worker's own home."""
    for rel, data in sources.items():
        parts = PurePosixPath(rel).parts
        if not parts or PurePosixPath(rel).is_absolute() or ".." in parts:
            raise ValueError(f"refused source path {rel!r}")
        target = home.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(bytes(data))


def _send_raw(fd: int, payload: bytes) -> None:
    wire._write_all(fd, wire._HEADER.pack(len(payload)) + payload)


def serve_forever(request_fd: int, response_fd: int) -> None:
    """Answer requests until the harness says exit or closes the pipe, then end the process."""
    sys.dont_write_bytecode = True
    code = 0
    try:
        Worker(request_fd, response_fd).serve()
    except (MemoryError, RecursionError):  # the student's code left too little to even describe its failure
        code = wire.EXIT_EXHAUSTED
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def main(argv: list[str]) -> None:
    """Entry point of a spawned worker (when no fork server is available)."""
    import importlib

    config = json.loads(argv[1])
    apply_limits(config.get("limits", {}))
    for name in config.get("preload", []):
        importlib.import_module(name)
    serve_forever(config["request_fd"], config["response_fd"])


if __name__ == "__main__":
    main(sys.argv)
