"""How strongly this machine can isolate a worker, and the pieces that isolate it.

Levels, strongest first (``NNGRADE_SANDBOX`` may ask for one; then it is that one or an error):

``userns`` (the default)
    Unprivileged user namespaces, by hand (:mod:`grader.sandbox.userns`): needs
    no system package and no root, nor an interpreter other users can read.
    The fork server gets its own user, mount, pid, network, IPC and UTS
    namespaces and a root file system of the system folders, the interpreter
    and the distributions the assignment needs, read-only
    (:mod:`grader.sandbox.rootfs`); each worker gets a pid namespace, a
    network, a nested user namespace (an unprivileged uid, no capabilities,
    mounts locked read-only) and a size-capped private home, ``/tmp`` and
    ``/dev/shm`` of its own.
``bwrap+uid``
    The fork server runs inside bubblewrap: no network, its own pid, IPC and
    UTS namespaces, a file system made of the system and Python folders only
    (read-only; no course folder, no ``reference/``, no harness temp folders,
    a private ``/tmp``), and each worker runs under its own unprivileged uid in
    a size-capped tmpfs home, so ``RLIMIT_NPROC`` binds and everything the
    worker started can be killed by uid. Needs root and the ``bwrap`` binary.
``uid+ns`` (asked for as ``uid``)
    Root without bubblewrap (where the interpreter is readable by other users):
    own uid per worker, an empty network namespace and a mount namespace that
    hides ``reference/`` and gives a private ``/tmp`` and a size-capped home;
    other world-readable files of the host stay readable.
``uid``
    The same where the kernel refuses namespaces (a container without
    CAP_SYS_ADMIN): own uid only.
``rlimits-only``
    A normal user, or nothing else works: resource limits, a new session and
    process group, a scrubbed environment and a private working folder.

See ``docs/sandbox.md`` for what each level protects against.
"""
from __future__ import annotations

import itertools
import os
import shutil
import sys
from pathlib import Path

LEVELS = ("userns", "bwrap+uid", "uid", "rlimits-only")      # what NNGRADE_SANDBOX may ask for
#: What a worker reports it got: "uid" becomes "uid+ns" where the namespaces could be made too.
REPORTED_LEVELS = ("userns", "bwrap+uid", "uid+ns", "uid", "rlimits-only")
_ENV_LEVEL = "NNGRADE_SANDBOX"
#: Levels final grading accepts without --allow-weak-sandbox: the worker sees no course folder, no other home,
#: no network, and a process limit binds it.
STRONG_LEVELS = ("userns", "bwrap+uid")

#: Worker uids: far above any real account; one block of UID_SLOTS per harness process id.
UID_BASE = 1_000_000_000
UID_SLOTS = 64

#: Size of the tmpfs that holds the workers' homes inside bubblewrap (disk-fill cap).
HOMES_TMPFS_BYTES = 512 * 1024 * 1024

WARNINGS = {
    "userns": "",
    "bwrap+uid": "",
    "uid+ns": ("student code ran under its own user id without bubblewrap: reference/ and /tmp were hidden and the "
               "network cut, but it could read other world-readable files of this machine; "
               "allow unprivileged user namespaces (level userns) or install bubblewrap for full isolation"),
    "uid": ("student code ran under its own user id without bubblewrap, and the kernel refused the namespaces "
            "that hide reference/ and /tmp and cut the network: it could read world-readable files (reference/ "
            "too if its permissions allow), write to world-writable folders and reach the network; allow "
            "unprivileged user namespaces (level userns) or install bubblewrap for full isolation"),
    "rlimits-only": ("student code ran with resource limits only: it could read the files and reach the "
                     "network and processes of the user running the grader; grade on a Linux kernel that allows "
                     "user namespaces (level userns) for full isolation"),
}


class IsolationUnavailable(RuntimeError):
    """A level that cannot be set up on this machine (the next weaker one is tried)."""


class RequestedLevelUnavailable(RuntimeError):
    """``NNGRADE_SANDBOX`` asks for a level this machine cannot give: an error, never a quiet fallback."""


def is_strong(level: str) -> bool:
    return level in STRONG_LEVELS


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def userns_blockers() -> list[str]:
    """What on this machine forbids unprivileged user namespaces (for the warning), as far as it can be read."""
    if not sys.platform.startswith("linux"):
        return [f"user namespaces are a Linux feature (this is {sys.platform})"]
    found = []
    settings = {
        "/proc/sys/user/max_user_namespaces": ("0", "user namespaces are switched off (sysctl user.max_user_namespaces=0)"),
        "/proc/sys/kernel/unprivileged_userns_clone": ("0", "unprivileged user namespaces are switched off "
                                                             "(sysctl kernel.unprivileged_userns_clone=0)"),
        "/proc/sys/kernel/apparmor_restrict_unprivileged_userns": ("1", "AppArmor restricts unprivileged user "
                                                                        "namespaces (sysctl kernel.apparmor_restrict_unprivileged_userns=1)"),
    }
    for path, (bad, why) in settings.items():
        try:
            with open(path, encoding="ascii") as handle:
                if handle.read().strip() == bad:
                    found.append(why)
        except OSError:
            continue
    return found


def requested_level() -> str | None:
    """The level ``NNGRADE_SANDBOX`` asks for, or None for the strongest available."""
    value = os.environ.get(_ENV_LEVEL, "").strip()
    if value in ("", "auto"):
        return None
    if value not in LEVELS:
        raise ValueError(f"{_ENV_LEVEL}={value!r} is not a sandbox level; use one of: auto, {', '.join(LEVELS)}")
    return value


def candidate_levels() -> list[str]:
    """The levels to try on this machine, strongest first; only the requested one where NNGRADE_SANDBOX names one."""
    wanted = requested_level()
    if wanted is not None:
        return [wanted]
    levels = []
    if sys.platform.startswith("linux") and os.path.exists("/proc/self/ns/user"):
        levels.append("userns")
    if is_root() and bwrap_path():
        levels.append("bwrap+uid")
    if is_root():
        levels.append("uid")
    levels.append("rlimits-only")
    return levels


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def needs_root(level: str) -> str:
    """Why ``level`` cannot be had by this user ('' when it can, as far as root goes)."""
    if level in ("bwrap+uid", "uid") and not is_root():
        return f"level {level} needs root (a worker uid of its own); level userns does not"
    return ""


def uses_uid(level: str) -> bool:
    return level in ("bwrap+uid", "uid+ns", "uid")


_uid_counter = itertools.count(1)   # next() on it is atomic: threads never share a uid


def allocate_uid() -> int:
    """A uid no other worker of any harness process on this machine uses at the same time."""
    return UID_BASE + (os.getpid() % 4_000_000) * UID_SLOTS + next(_uid_counter) % UID_SLOTS


def worker_environment(home: Path) -> dict[str, str]:
    """A scrubbed environment: nothing of the grader's, math libraries single-threaded."""
    one = "1"
    return {
        "PATH": "/usr/bin:/bin", "HOME": str(home), "TMPDIR": str(home), "LANG": "C.UTF-8",
        "OMP_NUM_THREADS": one, "OPENBLAS_NUM_THREADS": one, "MKL_NUM_THREADS": one,
        "NUMEXPR_NUM_THREADS": one, "VECLIB_MAXIMUM_THREADS": one,
        "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
    }


def python_paths(grader_package: Path, preload: list[str]) -> list[Path]:
    """The folders the interpreter needs: its prefixes, its site-packages and where the preloads live.

    Not the rest of ``sys.path``: its first entry is the harness's script or
    current folder, which may be the course folder itself.
    """
    import importlib.util
    import site

    paths = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)}
    paths.add(Path(sys.executable).resolve().parent)
    paths.update(Path(p).resolve() for p in site.getsitepackages())
    for name in ["numpy", *preload]:
        spec = importlib.util.find_spec(name)
        for location in (spec.submodule_search_locations or []) if spec else []:
            paths.add(Path(location).resolve().parent)
    paths.add(grader_package.resolve())
    paths = {p for p in paths if p.exists()}
    # Bind the outermost folders only.
    kept: list[Path] = []
    for path in sorted(paths, key=lambda p: len(p.parts)):
        if not any(path == k or k in path.parents for k in kept):
            kept.append(path)
    return kept


def _mask_site_folders(args: list[str], bound: list[Path], grader_package: Path, distributions) -> None:
    from grader.sandbox.rootfs import distribution_entries, site_folders

    masked = [f for f in site_folders() if any(f == b or b in f.parents for b in bound)]
    grader_package = grader_package.resolve()
    for folder in masked:
        args += ["--tmpfs", str(folder)]
    for dist in distributions:
        for entry in distribution_entries(dist):
            if any(f in entry.parents for f in masked) and entry != grader_package:
                args += ["--ro-bind", str(entry), str(entry)]
    if grader_package.parent in masked:
        args += ["--ro-bind", str(grader_package), str(grader_package)]
    for folder in masked:
        args += ["--remount-ro", str(folder)]


def bwrap_command(homes: str, grader_package: Path, preload: list[str], hidden: list[Path],
                  distributions=()) -> list[str]:
    """The bubblewrap command line that wraps the fork server.

    The sandbox's root is an empty tmpfs; into it go the system folders and the
    Python folders, read-only, a private ``/tmp``, a fresh ``/proc`` and a
    minimal ``/dev``, and a size-capped tmpfs at ``homes`` for the workers;
    each of the ``hidden`` folders is covered by an empty one, and so is every
    site-packages folder, into which only ``distributions`` are bound back (as
    at level userns: no data set a check holds out).
    """
    bwrap = bwrap_path()
    if bwrap is None:
        raise IsolationUnavailable("bubblewrap (bwrap) is not installed")
    # No --die-with-parent: it fires when the harness *thread* that started bwrap ends; the fork server
    # exits when the harness closes its socket instead, and bwrap with it.
    args = [bwrap, "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--new-session", "--hostname", "nngrade-sandbox",
            "--cap-drop", "ALL"]
    for cap in ("CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER"):
        args += ["--cap-add", cap]
    bound: list[Path] = []
    for name in ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
            bound.append(path)
    args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    created: set[Path] = {Path("/"), Path("/tmp")}
    if "torch" in preload:
        # torch reads CPU topology from /sys; CUDA needs the driver's device nodes.
        args += ["--ro-bind", "/sys", "/sys"]
        for node in sorted(Path("/dev").glob("nvidia*")):
            args += ["--dev-bind", str(node), str(node)]

    def make_parents(path: Path) -> None:
        for parent in reversed(path.parents):
            if parent in created or any(parent == b or b in parent.parents for b in bound):
                continue
            args.extend(["--perms", "0755", "--dir", str(parent)])
            created.add(parent)

    for path in python_paths(grader_package, preload):
        if any(path == b or b in path.parents for b in bound):
            continue
        make_parents(path)
        args += ["--ro-bind", str(path), str(path)]
        bound.append(path)
    _mask_site_folders(args, bound, grader_package, distributions)
    for folder in hidden:
        if folder.is_dir() and any(folder == b or b in folder.parents for b in bound):
            args += ["--tmpfs", str(folder)]
    make_parents(Path(homes))
    args += ["--perms", "0711", "--size", str(HOMES_TMPFS_BYTES), "--tmpfs", homes, "--chdir", "/"]
    return args
