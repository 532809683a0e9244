"""Linux namespaces and mounts by hand, for the fork server where bubblewrap is not installed (level ``uid``).

Only the zygote (:mod:`grader.sandbox.zygote`) calls these, in its own process,
before it imports anything of the student's: an empty network namespace, and a
mount namespace in which the course's folders are covered and ``/tmp`` is private.
"""
from __future__ import annotations

import ctypes
import os

PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS = 1, 36, 38
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REC, MS_PRIVATE = 1, 2, 4, 0x4000, 1 << 18
CLONE_NEWNS = 0x00020000
MS_BIND, MS_REMOUNT = 0x1000, 0x20


def _bind_read_only(source: str, target: str) -> None:
    lib = libc()
    for flags in (MS_BIND | MS_REC, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV):
        if lib.mount(source.encode(), target.encode(), None, flags, None) != 0:
            raise OSError(ctypes.get_errno(), f"bind {target}: {os.strerror(ctypes.get_errno())}")


def _mount(target: str, options: str, flags: int = MS_NOSUID | MS_NODEV) -> None:
    if libc().mount(b"tmpfs", target.encode(), b"tmpfs", flags, options.encode()) != 0:
        raise OSError(ctypes.get_errno(), f"mount tmpfs on {target}: {os.strerror(ctypes.get_errno())}")


def private_namespaces(homes: str, hidden: list[str], homes_bytes: int, keep: list[str]) -> list[str]:
    """Without bubblewrap (level ``uid``): an empty network and a private file-system view, by hand.

    In a mount namespace of the zygote's own: an empty read-only tmpfs over
    every hidden folder (``reference/``), a private ``/tmp`` (with the workers'
    homes on a size-capped tmpfs inside it), and read-only empty ``/var/tmp``
    and ``/dev/shm``; the interpreter's folders (``keep``) that lie in them are
    bound back, read-only. The host sees none of it. Returns what could not be
    done (a container without CAP_SYS_ADMIN refuses namespaces), for the warning.
    """
    lib, missing = libc(), []
    if lib.unshare(CLONE_NEWNET) != 0:
        missing.append(f"network not isolated: {os.strerror(ctypes.get_errno())}")
    if lib.unshare(CLONE_NEWNS) != 0:
        return missing + [f"reference/ and /tmp not hidden: {os.strerror(ctypes.get_errno())}"]
    try:
        if lib.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
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
        os.makedirs(homes, mode=0o711)
        _mount(str(homes), f"size={homes_bytes},mode=0711")
    except OSError as exc:
        missing.append(f"file system only partly hidden: {exc}")
    return missing


def libc():
    return ctypes.CDLL(None, use_errno=True)


def prctl(option: int, value: int) -> None:
    if libc().prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl({option}) failed")
