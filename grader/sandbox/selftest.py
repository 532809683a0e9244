"""The fork server's self-test: can a worker, as the level makes it, use the interpreter, the grader and its home?

Run once by the zygote (:mod:`grader.sandbox.zygote`) before it reports ready,
so that a level that cannot work here fails at start, with the reason, and the
next one is tried.
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from grader.sandbox import userns


def remove_tree(path: Path) -> None:
    def allow_and_retry(function, target, _exc):
        try:
            os.chmod(os.path.dirname(target), 0o700)
            function(target)
        except OSError:
            pass
    shutil.rmtree(path, onerror=allow_and_retry)


def self_test(zygote, uid: int | None) -> str:
    """Check that a worker (under ``uid``, or in its namespaces) can read the interpreter and the grader,
    and use its home; '' when it can."""
    import importlib.util

    if zygote.userns:
        home = Path(userns.HOME_ROOT) / "student"
    else:
        home = zygote.homes / "selftest"
        os.mkdir(home, 0o700)
        os.chown(home, uid, uid)
    read, write = os.pipe()
    status_read, status_write = os.pipe()
    pid = zygote.pid_namespaces.fork() if zygote.userns else os.fork()
    if pid == 0:
        os.close(read)
        os.close(status_read)
        message = b""
        try:
            if zygote.userns:
                userns.isolate_worker(zygote.userns["home_bytes"], status_write, zygote.userns["outer_id"])
            else:
                os.setgroups([])
                os.setgid(uid)
                os.setuid(uid)
            for module in ("colorsys", "json", "grader.sandbox.worker"):
                spec = importlib.util.find_spec(module)
                if spec is None or spec.origin is None:
                    raise PermissionError(f"it cannot find the module {module} (is a folder above {sys.base_prefix} "
                                          "unreadable by other users, e.g. a home folder?)")
                with open(spec.origin, "rb") as handle:
                    handle.read(1)
            for entry in sys.path:
                if os.path.isdir(entry):
                    os.listdir(entry)
            os.chdir(home)
            with open("probe.txt", "w") as handle:
                handle.write("ok")
        except BaseException as exc:
            message = f"a worker cannot use the interpreter or its home ({type(exc).__name__}: {exc})".encode()
        os.write(write, message[:2000])
        os._exit(0)
    for fd in (write, status_write):
        os.close(fd)
    chunks = []
    while chunk := os.read(read, 4096):
        chunks.append(chunk)
    for fd in (read, status_read):
        os.close(fd)
    os.waitpid(pid, 0)
    if not zygote.userns:
        remove_tree(home)
    return b"".join(chunks).decode("utf-8", "replace")
