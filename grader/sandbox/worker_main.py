"""The untrusted side: a worker process that imports a student's code and runs probes.

Started by :mod:`grader.sandbox.client` as
``python -I -c <bootstrap> CONFIG_JSON`` with two pipe descriptors. It answers
each request with plain data (:mod:`grader.sandbox.wire`) and never sees the
reference solution, the checks or their expected values: a probe is a small
trusted function whose *source* arrives with the ``init`` request.
"""
from __future__ import annotations

import json
import os
import resource
import signal
import sys
import traceback
import types
from pathlib import Path

from grader.sandbox import wire
from grader.sandbox.modules import ModuleLoadError, ModuleSet

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


def apply_limits(limits: dict) -> None:
    """Resource limits that bind this process and everything it starts."""
    pairs = {
        "cpu_seconds": resource.RLIMIT_CPU,
        "memory_bytes": resource.RLIMIT_AS,
        "file_bytes": resource.RLIMIT_FSIZE,
        "open_files": resource.RLIMIT_NOFILE,
        "processes": resource.RLIMIT_NPROC,
    }
    for key, which in pairs.items():
        value = limits.get(key)
        if value:
            soft, hard = resource.getrlimit(which)
            value = min(int(value), hard) if hard != resource.RLIM_INFINITY else int(value)
            try:
                resource.setrlimit(which, (value, value))
            except (ValueError, OSError):
                pass
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # Writing past the file-size limit then fails with an error instead of killing us.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def _safe_text(producer) -> str:
    try:
        text = producer()
        text = text if type(text) is str else "<unprintable>"
    except BaseException:  # a hostile __str__ must not take the worker down
        text = "<unprintable>"
    return text[:MAX_MESSAGE_CHARS]


def describe_exception(exc: BaseException, modules: ModuleSet | None) -> dict:
    """Type, message and the student's own frames of an exception, as plain data."""
    student_files = {str(p): modules.display_names.get(stem, p.name) for stem, p in modules.files.items()} if modules else {}
    frames = []
    for frame in traceback.extract_tb(exc.__traceback__):
        shown = student_files.get(frame.filename)
        if shown:
            frames.append([shown, frame.lineno or 0, frame.name, (frame.line or "")[:200]])
    return {
        "type": _safe_text(lambda: type(exc).__name__),
        "message": _safe_text(lambda: str(exc)),
        "frames": frames[-6:],
        "load_error": isinstance(exc, ModuleLoadError),
    }


class Worker:
    def __init__(self, request_fd: int, response_fd: int):
        self.request_fd, self.response_fd = request_fd, response_fd
        self.modules: ModuleSet | None = None
        self.api: StudentAPI | None = None
        self.probes: dict[str, types.FunctionType] = {}

    def handle_init(self, message: dict) -> dict:
        if message.get("kind") == "notebook":  # a notebook's cells instead of module files
            from grader.sandbox.notebook_worker import init_notebook

            return init_notebook(self, message)
        import numpy as np  # noqa: F401  (imported before student code, with thread limits in place)

        workdir = Path(message["workdir"])
        os.chdir(workdir)
        files = {name: workdir / rel for name, rel in message["files"].items()}
        self.modules = ModuleSet(message["package"], files, message.get("display_names"))
        sys.path.insert(0, str(message.get("search_path", workdir)))
        namespace: dict = {"__name__": "nngrade_probes"}
        exec(compile(message["probes_source"], "<probes>", "exec"), namespace)
        self.probes = {k: v for k, v in namespace.items() if isinstance(v, types.FunctionType) and not k.startswith("_")}
        self.api = StudentAPI(self.modules, message["homes"])
        errors = self.modules.load_all()
        return {"ok": True, "import_errors": errors}

    def handle_probe(self, message: dict) -> dict:
        import numpy as np

        probe = self.probes.get(message["probe"])
        if probe is None:
            return {"ok": False, "error": {"type": "ProbeMissing", "message": f"no probe {message['probe']!r}",
                                           "frames": [], "load_error": False}}
        np.random.seed(int(message.get("seed", 0)))
        try:
            value = probe(self.api, **message.get("kwargs", {}))
            payload = wire.encode({"ok": True, "value": value})
        except RecursionError as exc:
            return {"ok": False, "error": describe_exception(exc, self.modules)}
        except BaseException as exc:  # the student's exception is the check's result
            if isinstance(exc, KeyboardInterrupt):
                raise
            return {"ok": False, "error": describe_exception(exc, self.modules)}
        finally:
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
            try:
                reply = self.handle_init(message) if op == "init" else self.handle_probe(message)
            except SystemExit as exc:
                reply = {"ok": False, "error": {"type": "SystemExit", "message": f"your code called exit({exc.code!r})",
                                                "frames": [], "load_error": False}}
            if isinstance(reply, bytes):
                _send_raw(self.response_fd, reply)
            else:
                wire.send(self.response_fd, reply)


def _send_raw(fd: int, payload: bytes) -> None:
    wire._write_all(fd, wire._HEADER.pack(len(payload)) + payload)


def main(argv: list[str]) -> None:
    config = json.loads(argv[1])
    apply_limits(config.get("limits", {}))
    sys.dont_write_bytecode = True
    Worker(config["request_fd"], config["response_fd"]).serve()
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv)
