"""Isolation layers, applied with what Linux gives (no external tools required).

Three places apply isolation:
* `isolate_server()` runs once in the fork server at start-up: a private network namespace
  (no interfaces but a downed loopback) and a private mount namespace whose root is a
  tmpfs holding read-only bind mounts of the system and Python directories only (no
  project tree, no datasets, no /proc, no /home); a seccomp filter that refuses the kernel
  keyring system calls (`block_keyrings`). Everything forked from the server inherits this.
* `world.JobWorld` gives every job its own IPC, network, mount and PID namespaces, a fresh
  tmpfs for /tmp, /dev/shm and its working directory, and a cgroup (see world.py).
* `enter_child()` runs in every sandboxed child right after fork: its own session and
  process group, resource limits, a scrubbed environment, PR_SET_NO_NEW_PRIVS, and — when
  the server runs as root — an unprivileged uid of its own per concurrent slot (so jobs
  cannot signal or read each other, the parent, or the server, and RLIMIT_NPROC caps a fork
  bomb per job).

As root (the default on these machines) all layers are on. As an ordinary user the server
tries an unprivileged user namespace for the namespace layers; the per-slot uid layer and the
cgroup need root (or a delegated cgroup). A missing layer is reported by `Executor.isolation`
and warned about loudly at start-up; it is never skipped silently.
"""

from __future__ import annotations

import ctypes
import os
import resource
import sys

__all__ = ["isolate_server", "enter_child", "block_keyrings", "CHILD_ENV", "LAYERS"]

_libc = ctypes.CDLL(None, use_errno=True)

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS, PR_SET_CHILD_SUBREAPER = 1, 4, 38, 36
PR_SET_NAME = 15
_SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}.get(os.uname().machine)
_SYS_CLOSE_RANGE = 436  # same number on x86_64 and aarch64 (Linux >= 5.9)


def close_fds_from(lowfd: int) -> None:
    """Close every descriptor >= lowfd. One syscall where close_range exists; os.closerange
    otherwise (which, without /proc in the private root, loops over the whole range)."""
    if _libc.syscall(_SYS_CLOSE_RANGE, ctypes.c_uint(lowfd), ctypes.c_uint(0xFFFFFFFF), ctypes.c_uint(0)) != 0:
        os.closerange(lowfd, resource.getrlimit(resource.RLIMIT_NOFILE)[0])

# The environment every sandboxed program sees: nothing inherited (no tokens, no keys).
CHILD_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "PYTHONHASHSEED": "0",
    "PYTHONIOENCODING": "utf-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "MPLBACKEND": "Agg",
}


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def unshare(flags: int) -> None:
    _check(_libc.unshare(flags), "unshare")


def setns(fd: int, nstype: int) -> None:
    _check(_libc.setns(fd, nstype), "setns")


def mount(src: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = lambda s: s.encode() if s is not None else None  # noqa: E731
    _check(_libc.mount(enc(src), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)), f"mount {target}")


def make_mounts_private() -> None:
    """In a fresh mount namespace: nothing mounted here propagates back to the host."""
    mount(None, "/", None, MS_REC | MS_PRIVATE)


def prctl(option: int, value: int) -> None:
    _check(_libc.prctl(option, ctypes.c_ulong(value), 0, 0, 0), "prctl")


def set_name(name: bytes) -> None:
    """The process's name as `ps`, `top` and `perf` show it (at most 15 bytes; a label only:
    a job can rename itself)."""
    _libc.prctl(PR_SET_NAME, ctypes.c_char_p(name[:15]), 0, 0, 0)


def _readonly_paths() -> list[str]:
    """Directories the sandbox may read: system dirs and the running Python's installation."""
    paths = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"]
    paths += [sys.base_prefix, sys.prefix]
    # site-packages living outside the prefixes (e.g. --user installs), never the project tree.
    for entry in sys.path:
        if entry.endswith(("site-packages", "dist-packages")) and os.path.isdir(entry):
            paths.append(entry)
    out: list[str] = []
    for p in paths:
        p = os.path.abspath(p)
        if (os.path.exists(p) or os.path.islink(p)) and not any(p == q or p.startswith(q + "/") for q in out):
            out.append(p)
    return out


def _under_tmp(path: str) -> bool:
    return path == "/tmp" or path.startswith("/tmp/")


def _build_root() -> list[tuple[str, str]]:
    """Pivot into a tmpfs root with read-only binds of `_readonly_paths()`. Returns (stash,
    path) for the read-only paths under /tmp, which are also bound at the stash: each job
    mounts a fresh tmpfs on /tmp and binds them again from there (`world.py`)."""
    if _SYS_PIVOT_ROOT is None:
        raise OSError(f"pivot_root syscall number unknown on {os.uname().machine}")
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    new_root = f"/tmp/recode-root-{os.urandom(8).hex()}"  # (tempfile.mkdtemp, without its 0.4 MB of imports)
    os.mkdir(new_root, 0o700)
    mount("tmpfs", new_root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64m")
    # Private scratch space first, so that read-only binds of paths that live under /tmp
    # (a venv in a CI checkout under /tmp, say) land on top of it rather than under it.
    for tmp in ("/tmp", "/dev/shm", "/var/tmp"):
        os.makedirs(new_root + tmp, exist_ok=True)
        mount("tmpfs", new_root + tmp, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
    tmp_binds = []
    for path in _readonly_paths():
        if os.path.islink(path) and os.path.dirname(path) == "/":
            os.symlink(os.readlink(path), new_root + path)  # merged-/usr: /bin -> usr/bin
            continue
        places = [path]
        if _under_tmp(path):
            tmp_binds.append((f"/.tmp-ro/{len(tmp_binds)}", path))
            places.append(tmp_binds[-1][0])
        for place in places:
            target = new_root + place
            os.makedirs(target, exist_ok=True)
            mount(path, target, None, MS_BIND | MS_REC)
            try:
                mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID)
            except OSError:
                # Inside a user namespace a locked mount may refuse the remount; it stays
                # effectively read-only for the sandbox uid through permissions.
                pass
    os.makedirs(new_root + "/dev", exist_ok=True)
    for dev in ("null", "zero", "full", "random", "urandom"):
        target = f"{new_root}/dev/{dev}"
        open(target, "w").close()
        mount(f"/dev/{dev}", target, None, MS_BIND)
    os.makedirs(new_root + "/proc", exist_ok=True)  # left empty on purpose: no /proc/<pid>
    old = new_root + "/.old-root"
    os.makedirs(old)
    _check(_libc.syscall(_SYS_PIVOT_ROOT, new_root.encode(), old.encode()), "pivot_root")
    os.chdir("/")
    _check(_libc.umount2(b"/.old-root", MNT_DETACH), "umount old root")
    os.rmdir("/.old-root")
    mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID)
    return tmp_binds


# Server-wide layers, then per-job ones (world.py), then per-child.
LAYERS = ("network", "filesystem", "keyring", "tmpfs", "ipc", "pid", "cgroup", "uid", "reaper")
# A directory fd on the host's /proc, opened before pivot_root: supervisors use it to find
# their children when the uid layer is off. Sandboxed children never inherit it (fds >= 4
# are closed before user code runs), and their root has no /proc.
PROC_FD: int | None = None


def child_pids() -> list[int]:
    """PIDs of the calling process's children (all threads), via PROC_FD or /proc."""
    pids: list[int] = []
    try:
        task = os.open("self/task", os.O_RDONLY | os.O_DIRECTORY, dir_fd=PROC_FD) if PROC_FD is not None \
            else os.open("/proc/self/task", os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return pids
    try:
        for tid in os.listdir(task):
            try:
                fd = os.open(f"{tid}/children", os.O_RDONLY, dir_fd=task)
            except OSError:
                continue
            try:
                pids += [int(x) for x in os.read(fd, 1 << 20).split()]
            finally:
                os.close(fd)
    finally:
        os.close(task)
    return pids


def isolate_server(disable: set[str] | frozenset[str] = frozenset()) -> tuple[dict[str, str], list | None]:
    """Enter private namespaces in the fork server. Returns (layer -> "on" | "off: <reason>"
    for the server-wide layers, the read-only paths under /tmp as `_build_root` returns them;
    None when some exist but there is no private root to stash them in).

    `disable` switches layers off on purpose (RECODE_SANDBOX_DISABLE=network,filesystem,uid,...
    in the parent's environment), e.g. on a kernel without namespaces; each is reported."""
    unknown = set(disable) - set(LAYERS)
    if unknown:
        raise ValueError(f"RECODE_SANDBOX_DISABLE: unknown layer(s) {sorted(unknown)}; choose from {LAYERS}")
    if "network" in disable and "filesystem" not in disable:
        disable = set(disable) | {"filesystem"}  # one namespace step provides both
    layers: dict[str, str] = {}
    is_root = os.geteuid() == 0 and "uid" not in disable
    flags = CLONE_NEWNET | CLONE_NEWNS
    try:
        if "network" in disable:
            raise OSError(0, "disabled by RECODE_SANDBOX_DISABLE")
        if os.geteuid() == 0:
            unshare(flags)
        else:
            uid, gid = os.getuid(), os.getgid()
            unshare(CLONE_NEWUSER | flags)
            with open("/proc/self/setgroups", "w") as f:
                f.write("deny")
            with open("/proc/self/uid_map", "w") as f:
                f.write(f"0 {uid} 1")
            with open("/proc/self/gid_map", "w") as f:
                f.write(f"0 {gid} 1")
        layers["network"] = "on"
        namespaces = True
    except OSError as exc:
        layers["network"] = f"off: cannot create a network namespace ({exc.strerror})"
        namespaces = False
    global PROC_FD
    try:
        PROC_FD = os.open("/proc", os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        PROC_FD = None
    tmp_binds = None if any(_under_tmp(p) for p in _readonly_paths()) else []
    if namespaces and "filesystem" in disable:
        layers["filesystem"] = "off: disabled by RECODE_SANDBOX_DISABLE"
    elif namespaces:
        try:
            tmp_binds = _build_root()
            layers["filesystem"] = "on"
        except OSError as exc:
            layers["filesystem"] = f"off: cannot build the private root ({exc})"
    else:
        layers["filesystem"] = "off: no mount namespace"
    if "keyring" in disable:
        layers["keyring"] = "off: disabled by RECODE_SANDBOX_DISABLE"
    else:
        try:
            block_keyrings()
            layers["keyring"] = "on"
        except OSError as exc:
            layers["keyring"] = f"off: cannot install the seccomp filter ({exc})"
    if "uid" in disable:
        layers["uid"] = "off: disabled by RECODE_SANDBOX_DISABLE"
    else:
        layers["uid"] = "on" if is_root else "off: needs root to give each job its own unprivileged uid"
    try:
        prctl(PR_SET_CHILD_SUBREAPER, 1)
        layers["reaper"] = "on"
    except OSError as exc:
        layers["reaper"] = f"off: {exc}"
    return layers, tmp_binds


# seccomp: refuse add_key, request_key and keyctl (EPERM). Keys outlive processes (a user
# keyring lives as long as the kernel), and named keyrings can be joined by any process that
# knows the name: a channel between jobs and from one job to the next. Programs never need
# them. A system call of another ABI (32-bit compat, x32) is refused whatever it is.
_SECCOMP_ARCH = {  # machine -> (AUDIT_ARCH_*, (add_key, request_key, keyctl))
    "x86_64": (0xC000003E, (248, 249, 250)),
    "aarch64": (0xC00000B7, (217, 218, 219)),
}
PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
_BPF_LD_W_ABS, _BPF_JEQ_K, _BPF_JGE_K, _BPF_RET_K = 0x20, 0x15, 0x35, 0x06
_RET_ALLOW, _RET_EPERM = 0x7FFF0000, 0x00050000 | 1


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def block_keyrings() -> None:
    """Install the keyring filter in this process (inherited by every later child). Raises OSError."""
    if os.uname().machine not in _SECCOMP_ARCH:
        raise OSError(0, f"no seccomp syscall table for {os.uname().machine}")
    arch, (add_key, request_key, keyctl) = _SECCOMP_ARCH[os.uname().machine]
    prog = [  # (code, jump if true, jump if false, k); jumps skip that many instructions
        (_BPF_LD_W_ABS, 0, 0, 4),            # 0: A = seccomp_data.arch
        (_BPF_JEQ_K, 0, 6, arch),            # 1: another ABI -> 8 (refuse)
        (_BPF_LD_W_ABS, 0, 0, 0),            # 2: A = seccomp_data.nr
        (_BPF_JGE_K, 4, 0, 0x40000000),      # 3: x32 system call numbers -> 8
        (_BPF_JEQ_K, 3, 0, add_key),         # 4
        (_BPF_JEQ_K, 2, 0, request_key),     # 5
        (_BPF_JEQ_K, 1, 0, keyctl),          # 6
        (_BPF_RET_K, 0, 0, _RET_ALLOW),      # 7
        (_BPF_RET_K, 0, 0, _RET_EPERM),      # 8
    ]
    filters = (_SockFilter * len(prog))(*[_SockFilter(*ins) for ins in prog])
    fprog = _SockFprog(len(prog), filters)
    prctl(PR_SET_NO_NEW_PRIVS, 1)  # required without CAP_SYS_ADMIN; harmless with it
    _check(_libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0), "seccomp")


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_capabilities() -> None:
    """Empty this process's effective, permitted and inheritable capability sets."""
    header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3: two data structs
    data = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), data), "capset")


def enter_child(*, workdir: str, uid: int | None, memory_mb: int, cpu_seconds: int,
                max_processes: int, max_file_mb: int, max_open_files: int) -> None:
    """Runs in the forked child before any user code. Raises on failure (child then exits)."""
    os.setsid()
    os.chdir(workdir)
    mb = 1 << 20
    limits = [
        (resource.RLIMIT_AS, memory_mb * mb),
        (resource.RLIMIT_CPU, cpu_seconds),
        (resource.RLIMIT_FSIZE, max_file_mb * mb),
        (resource.RLIMIT_NOFILE, max_open_files),
        (resource.RLIMIT_CORE, 0),
    ]
    if uid is not None:
        # Per-uid process cap: only meaningful when this job owns the uid.
        limits.append((resource.RLIMIT_NPROC, max_processes))
    for which, value in limits:
        resource.setrlimit(which, (value, value))
    if uid is not None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)  # from root to another uid: every capability goes
    else:
        # Without the uid layer the child keeps the server's (namespace-)root uid: drop its
        # capabilities, so that it cannot act on its slot's init (ptrace it, say).
        drop_capabilities()
    prctl(PR_SET_PDEATHSIG, 9)  # after setuid: a credential change clears it
    # (no_new_privs is inherited: the slot's init set it, see child_environment)
    if os.environ.get("HOME") != workdir:  # the init set them when every job has this workdir
        os.environ.update(HOME=workdir, TMPDIR=workdir, PWD=workdir)


def child_environment(workdir: str | None) -> None:
    """Once, in a slot's init: what every child it forks inherits. no_new_privs (no execve
    can gain privileges: set-uid binaries, file capabilities); the scrubbed environment, with
    HOME, TMPDIR and PWD at `workdir` when every job has that working directory. Each child
    then has only its own settings to make (`enter_child`)."""
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    if not set(os.environ) <= CHILD_ENV.keys() | {"HOME", "TMPDIR", "PWD"}:
        os.environ.clear()  # normally already scrubbed once by the server
        os.environ.update(CHILD_ENV)
    if workdir is not None:
        os.environ.update(HOME=workdir, TMPDIR=workdir, PWD=workdir)
