"""Linux user namespaces by hand: the ``userns`` level, which needs no system package and no root.

Only the zygote (:mod:`grader.sandbox.zygote`) runs this, in its own process.

:func:`enter` (once, at the zygote's start): a new user namespace whose root is
the harness's own user (so the interpreter is readable wherever it lives), with
new mount, network, IPC, UTS and pid namespaces; the process that goes on
serving is pid 1 of the new pid namespace, so when it ends every worker ends
with it. It builds a new root file system from a plan (:mod:`grader.sandbox.rootfs`)
on a tmpfs, pivots into it and makes it read-only.

:func:`isolate_worker` (in each forked worker): a pid namespace of its own whose
init is a small reaper (pid 1) and whose worker is pid 2, so killing the reaper
kills everything the worker started; a private size-capped tmpfs for home,
``/tmp`` and ``/dev/shm``; a fresh ``/proc``; then a nested user namespace in
which the worker is an unprivileged uid with no capabilities, so every mount is
locked as it is (read-only stays read-only) and ``RLIMIT_NPROC`` binds, counted
in that namespace, even where the harness runs as root.
"""
from __future__ import annotations

import ctypes
import os
import platform
import signal
import struct

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 0x20, 0x1000, 0x4000, 1 << 18
MNT_DETACH = 2
MOUNT_ATTR_RDONLY, MOUNT_ATTR_NOSUID, MOUNT_ATTR_NODEV = 0x1, 0x2, 0x4
AT_RECURSIVE, AT_EMPTY_PATH = 0x8000, 0x1000
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS = 1, 4, 38
_SYSCALLS = {"x86_64": {"pivot_root": 155, "mount_setattr": 442, "capset": 126},
             "aarch64": {"pivot_root": 41, "mount_setattr": 442, "capset": 91}}
#: The unprivileged uid and gid a worker has inside its own user namespace.
WORKER_ID = 1000
#: Where a worker's private tmpfs goes (a folder no interpreter lives in); its home is HOME_ROOT/student.
HOME_ROOT = "/sandbox"
HOSTNAME = b"nngrade-sandbox"


class _MountAttr(ctypes.Structure):
    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64),
                ("propagation", ctypes.c_uint64), ("userns_fd", ctypes.c_uint64)]


_libc = None


def libc():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def _check(result: int, what: str) -> int:
    if result < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")
    return result


def _syscall(name: str, *args) -> int:
    numbers = _SYSCALLS.get(platform.machine())
    if numbers is None:
        raise OSError(38, f"{name}: no system call number known for {platform.machine()}")
    return libc().syscall(numbers[name], *args)


def unshare(flags: int, what: str = "unshare") -> None:
    _check(libc().unshare(flags), what)


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = (lambda s: s.encode() if s is not None else None)
    _check(libc().mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
           f"mount {fstype or source} on {target}")


def read_only(target: str, recursive: bool = True) -> None:
    """Make ``target`` (and its submounts) read-only, nosuid and nodev (``mount_setattr``; kernel 5.12+)."""
    attr = _MountAttr(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0, 0, 0)
    flags = AT_RECURSIVE if recursive else 0
    if _syscall("mount_setattr", -100, target.encode(), flags, ctypes.byref(attr), ctypes.sizeof(attr)) == 0:
        return
    # Older kernels: the top mount only (a read-only bind of a tree without submounts is the common case).
    stat = os.statvfs(target)
    locked = stat.f_flag & (MS_NOSUID | MS_NODEV | MS_NOEXEC)
    mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | locked)


def write_maps(inside: int, outside_uid: int, outside_gid: int) -> None:
    """Map ``inside`` to the ids the process had in the parent namespace (the only mapping it may write itself)."""
    for name, text in (("setgroups", "deny"), ("uid_map", f"{inside} {outside_uid} 1\n"),
                       ("gid_map", f"{inside} {outside_gid} 1\n")):
        with open(f"/proc/self/{name}", "w", encoding="ascii") as handle:
            handle.write(text)


def prctl(option: int, value: int) -> None:
    _check(libc().prctl(option, value, 0, 0, 0), f"prctl({option})")


def drop_capabilities() -> None:
    """No capabilities at all, and none to be had again (``no_new_privs``)."""
    header = struct.pack("Ii", 0x20080522, 0)      # _LINUX_CAPABILITY_VERSION_3, this thread
    data = ctypes.create_string_buffer(24)          # two zeroed {effective, permitted, inheritable}
    _check(_syscall("capset", ctypes.c_char_p(header), data), "capset")
    prctl(PR_SET_NO_NEW_PRIVS, 1)


# -- the zygote's own namespaces ------------------------------------------------------------------

def enter(worker_kuid: int | None) -> None:
    """Move into new namespaces; returns only in the successor, pid 1 of a new pid namespace.

    Inside, uid 0 is the harness's own user (so the interpreter is readable
    wherever it lives). Where the harness is root, ``worker_kuid`` is an
    unprivileged uid of the host that becomes WORKER_ID inside: the kernel
    exempts uid 0 from ``RLIMIT_NPROC`` in every namespace, so workers must not
    be uid 0 on the host. The calling process stays outside as a relay: it
    waits for the successor and exits with its status. The successor then
    builds its root (:func:`grader.sandbox.rootfs.build_root`).
    """
    uid, gid = os.geteuid(), os.getegid()
    flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
    why = "user namespaces (the kernel or a container policy forbids them)"
    if worker_kuid is None:
        unshare(flags, why)
        write_maps(0, uid, gid)
    else:
        _unshare_with_helper(flags, why, f"0 {uid} 1\n{WORKER_ID} {worker_kuid} 1\n",
                             f"0 {gid} 1\n{WORKER_ID} {worker_kuid} 1\n")
    unshare(CLONE_NEWPID, "pid namespace")
    pid = os.fork()
    if pid:
        _relay(pid)
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    _check(libc().sethostname(HOSTNAME, len(HOSTNAME)), "sethostname")


def _unshare_with_helper(flags: int, why: str, uid_map: str, gid_map: str) -> None:
    """unshare, with maps of more than one id: only a process left outside (still root there) may write them."""
    read, write = os.pipe()
    helper = os.fork()
    if helper == 0:
        code = 1
        try:
            os.close(write)
            if os.read(read, 1) == b"u":
                target = os.getppid()
                for name, text in (("uid_map", uid_map), ("gid_map", gid_map)):
                    with open(f"/proc/{target}/{name}", "w", encoding="ascii") as handle:
                        handle.write(text)
                code = 0
        finally:
            os._exit(code)
    os.close(read)
    try:
        unshare(flags, why)
        os.write(write, b"u")
    finally:
        os.close(write)
        _, status = os.waitpid(helper, 0)
    if status != 0:
        raise OSError(1, "writing the user namespace's id maps failed")


def pivot_root() -> None:
    """Make the current folder the root; the old root is detached (nothing of it stays reachable)."""
    _check(_syscall("pivot_root", b".", b"."), "pivot_root")
    _check(libc().umount2(b".", MNT_DETACH), "detach the old root")
    os.chdir("/")


def _relay(pid: int) -> None:
    """The outer process: keep nothing open, wait for the fork server, end the same way."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    os.closerange(3, 1 << 16)
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


# -- one worker -----------------------------------------------------------------------------------

class PidNamespaces:
    """The zygote's side: fork each worker's reaper as pid 1 of a new pid namespace."""

    def __init__(self):
        self.own = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)

    def fork(self) -> int:
        unshare(CLONE_NEWPID, "pid namespace")
        try:
            pid = os.fork()
        except BaseException:
            self._restore()
            raise
        if pid:   # the child stays in the new namespace: it is its pid 1
            self._restore()
        return pid

    def _restore(self) -> None:
        _check(libc().setns(self.own, CLONE_NEWPID), "setns pid")


def isolate_worker(home_bytes: int, status_fd: int, outer_id: int) -> None:
    """In the reaper (pid 1 of the worker's pid namespace): private mounts, a nested user namespace,
    then fork the worker and return in it; the reaper itself never returns.

    ``outer_id``: the worker's id in the fork server's namespace (WORKER_ID
    where the harness is root, else 0). ``status_fd``: where the reaper writes
    the worker's wait status before it exits.
    """
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL)   # pid 1 with default actions: no signal from inside reaches it
    # Own network and IPC namespaces too: no abstract socket or shared memory between two workers.
    unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC, "worker namespaces")
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    mount("tmpfs", HOME_ROOT, "tmpfs", MS_NOSUID | MS_NODEV,
          f"size={home_bytes},mode=0755,uid={outer_id},gid={outer_id}")
    for name, target, mode in (("student", None, 0o700), ("tmp", "/tmp", 0o1777), ("shm", "/dev/shm", 0o1777)):
        os.mkdir(f"{HOME_ROOT}/{name}", mode)
        os.chown(f"{HOME_ROOT}/{name}", outer_id, outer_id)
        if target is not None and os.path.isdir(target) and not os.listdir(target):
            # (not over a /tmp that holds the interpreter: then TMPDIR, the home, is the only scratch space)
            mount(f"{HOME_ROOT}/{name}", target, None, MS_BIND)
    if outer_id:
        os.setgroups([])
        os.setresgid(outer_id, outer_id, outer_id)
        os.setresuid(outer_id, outer_id, outer_id)
    # The fork server is not dumpable (and a change of uid clears it): then /proc/self is not ours to write
    # the maps below; the reaper clears it again once the worker is forked.
    prctl(PR_SET_DUMPABLE, 1)
    unshare(CLONE_NEWUSER | CLONE_NEWNS, "nested user namespace")   # locks every mount as it is
    write_maps(WORKER_ID, outer_id, outer_id)
    pid = os.fork()
    if pid == 0:
        os.close(status_fd)
        drop_capabilities()
        return
    prctl(PR_SET_DUMPABLE, 0)   # the worker may not ptrace its reaper
    _reap_until(pid, status_fd)


def _reap_until(worker: int, status_fd: int) -> None:
    """Reap orphans until the worker ends; report its status; then exit, which kills the rest."""
    os.closerange(3, status_fd)
    os.closerange(status_fd + 1, 1 << 16)
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except InterruptedError:
            continue
        except ChildProcessError:
            os._exit(70)
        if pid == worker:
            os.write(status_fd, struct.pack("i", status))
            os._exit(0)


def read_status(fd: int) -> int | None:
    """The worker's wait status the reaper wrote, or None (the reaper was killed first)."""
    try:
        data = os.read(fd, 4)
    except OSError:
        return None
    return struct.unpack("i", data)[0] if len(data) == 4 else None
