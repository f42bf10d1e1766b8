"""Per-job cgroups: a memory limit that counts what RLIMIT_AS does not, and a process cap.

RLIMIT_AS bounds one process's address space. Shared memory that is not mapped (a memfd or a
file in tmpfs written with write(2), a SysV segment after shmdt) is outside it, and so are the
other processes of the job. A memory cgroup counts all of it, for the whole job: every page
the job's processes allocate, including shmem and tmpfs pages. The pids controller caps the
job's process count (fork bombs) whatever the uid.

Where available, cgroup v2 (`memory.max`, `memory.swap.max`, `pids.max`, `cgroup.kill`,
`memory.events`); else cgroup v1 (`memory.limit_in_bytes`, `memory.memsw.limit_in_bytes`,
`pids.max`, `memory.oom_control`). Job cgroups live under one base directory per fork
server, `recode-exec-<server pid>`, created inside the cgroup the server was started in (so
the job's memory still counts toward whatever limit its caller runs under). The server calls
`CgroupTree.setup()` before it pivots into its private root: from then on the hierarchies are
reached only through the directory descriptors opened here. When neither version is writable
(not root, no delegated v2 subtree) `setup` says why and the executor reports the layer off:
jobs then keep RLIMIT_AS per process and RLIMIT_NPROC per uid, and the job's tmpfs is bounded
by its size (see docs/executor.md).
"""

from __future__ import annotations

import os
import signal
import time

__all__ = ["CgroupTree", "JobCgroup", "KERNEL_SHARE_MB"]

_PREFIX = "recode-exec-"
# The cgroup limit is the job's memory_mb plus this: a cgroup also counts what the kernel
# keeps for the job (page tables, page cache, tmpfs inodes). Without the margin a process
# growing toward RLIMIT_AS would first make the kernel reclaim page cache over and over (the
# job crawls into a timeout) instead of failing its allocation (a clean MemoryError).
KERNEL_SHARE_MB = 128


def _read(dir_fd: int, path: str) -> str:
    fd = os.open(path, os.O_RDONLY, dir_fd=dir_fd)
    try:
        return os.read(fd, 1 << 16).decode()
    finally:
        os.close(fd)


def _write(dir_fd: int, path: str, value: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC, dir_fd=dir_fd)  # (as the shell's `>`)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


def _mounts() -> list[tuple[str, str, str, str]]:
    """(mount point, root within the hierarchy, fstype, super options) of every cgroup mount."""
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            fields, rest = left.split(), right.split()
            if len(fields) >= 5 and len(rest) >= 3 and rest[0] in ("cgroup", "cgroup2"):
                out.append((fields[4], fields[3], rest[0], rest[2]))
    return out


def _own_paths() -> dict[str, str]:
    """controller (or "" for v2) -> this process's cgroup path, from /proc/self/cgroup."""
    out = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            for c in controllers.split(",") if controllers else [""]:
                out[c] = path
    return out


def _dir_of(mount: str, root: str, path: str) -> str | None:
    """The directory of cgroup `path` under a mount of the hierarchy's `root`."""
    if root != "/" and not (path == root or path.startswith(root + "/")):
        return None
    rel = path[len(root):] if root != "/" else path
    return os.path.join(mount, rel.lstrip("/"))


def _sweep_stale(parent: str) -> None:
    """Remove base directories left by fork servers that no longer run (SIGKILLed, say)."""
    try:
        names = os.listdir(parent)
    except OSError:
        return
    for name in names:
        if not name.startswith(_PREFIX) or not name[len(_PREFIX):].isdigit():
            continue
        if os.path.exists(f"/proc/{name[len(_PREFIX):]}"):
            continue
        base = os.path.join(parent, name)
        for sub in _subdirs(base):
            _rmdir(os.path.join(base, sub))
        _rmdir(base)


def _subdirs(path: str) -> list[str]:
    try:
        return [e.name for e in os.scandir(path) if e.is_dir(follow_symlinks=False)]
    except OSError:
        return []


def _subdirs_fd(dir_fd: int) -> list[str]:
    """Subdirectories (child cgroups) of the directory open as `dir_fd`."""
    return [e.name for e in os.scandir(dir_fd) if e.is_dir(follow_symlinks=False)]


def _rmdir(path: str, dir_fd: int | None = None) -> bool:
    try:
        os.rmdir(path, dir_fd=dir_fd)
        return True
    except FileNotFoundError:
        return True
    except OSError:
        return False


class CgroupTree:
    """This fork server's base directories: {"unified": fd} (v2) or {"memory": fd, "pids": fd} (v1)."""

    def __init__(self, version: int, bases: dict[str, int]) -> None:
        self.version = version
        self.bases = bases

    def describe(self) -> str:
        if self.version == 2:
            return "on (cgroup v2: memory.max, pids.max, cgroup.kill)"
        return "on (cgroup v1: " + ", ".join(sorted(self.bases)) + ")"

    @classmethod
    def setup(cls) -> tuple["CgroupTree | None", str]:
        """Create this server's base directories. Returns (tree, "on ...") or (None, "off: why")."""
        try:
            mounts, own = _mounts(), _own_paths()
        except OSError as exc:
            return None, f"off: cannot read /proc/self/cgroup or mountinfo ({exc.strerror})"
        name = f"{_PREFIX}{os.getpid()}"
        why = []
        for mount, root, fstype, _ in mounts:
            if fstype != "cgroup2" or "" not in own:
                continue
            parent = _dir_of(mount, root, own[""])
            tree, reason = cls._setup_v2(parent, name) if parent else (None, "not below its mount")
            if tree:
                return tree, tree.describe()
            why.append(f"v2 at {mount}: {reason}")
        bases: dict[str, int] = {}
        for controller in ("memory", "pids"):
            for mount, root, fstype, opts in mounts:
                if fstype != "cgroup" or controller not in opts.split(",") or controller not in own:
                    continue
                parent = _dir_of(mount, root, own[controller])
                if parent is None:
                    continue
                _sweep_stale(parent)
                try:
                    os.makedirs(os.path.join(parent, name), exist_ok=True)
                    bases[controller] = os.open(os.path.join(parent, name), os.O_RDONLY | os.O_DIRECTORY)
                except OSError as exc:
                    why.append(f"v1 {controller} at {parent}: {exc.strerror}")
                break
        if "memory" in bases:
            tree = cls(1, bases)
            return tree, tree.describe()
        for fd in bases.values():
            os.close(fd)
        return None, "off: no writable memory cgroup (" + ("; ".join(why) or "no cgroup mount") + ")"

    @classmethod
    def _setup_v2(cls, parent: str, name: str) -> tuple["CgroupTree | None", str]:
        # What the kernel lets the base use: the controllers its parent enables for children
        # (never enabled here: that cgroup is not ours, and holds our caller).
        try:
            with open(os.path.join(parent, "cgroup.subtree_control")) as f:
                available = f.read().split()
        except OSError as exc:
            return None, exc.strerror
        if "memory" not in available:
            return None, "the memory controller is not delegated to this cgroup's children"
        _sweep_stale(parent)
        base = os.path.join(parent, name)
        try:
            os.makedirs(base, exist_ok=True)
            fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as exc:
            return None, exc.strerror
        try:
            _write(fd, "cgroup.subtree_control", " ".join(f"+{c}" for c in ("memory", "pids") if c in available))
        except OSError as exc:
            os.close(fd)
            _rmdir(base)
            return None, f"cannot enable controllers ({exc.strerror})"
        return cls(2, {"unified": fd}), "on"

    def new_job(self, name: str) -> "JobCgroup":
        """Create the job's cgroup (in every hierarchy of the tree). Raises OSError."""
        made: list[str] = []
        try:
            for h, fd in self.bases.items():
                os.mkdir(name, 0o755, dir_fd=fd)
                made.append(h)
        except OSError:
            for h in made:
                _rmdir(name, self.bases[h])
            raise
        return JobCgroup(self, name)

    def close(self, timeout: float = 2.0) -> None:
        """Server exit: remove the slots' cgroups left (their processes are being killed) and the base."""
        end = time.monotonic() + timeout
        for fd in self.bases.values():
            while True:
                left = [n for n in _subdirs_fd(fd) if not _rmdir(n, fd)]
                if not left or time.monotonic() > end:
                    break
                time.sleep(0.01)
        for fd in self.bases.values():
            _rmdir(f"../{_PREFIX}{os.getpid()}", fd)
            os.close(fd)
        self.bases = {}


class JobCgroup:
    """One job's cgroup. Limits are set per job by its supervisor; every sandboxed child joins
    it right after fork (through `open_procs`), before it drops root."""

    def __init__(self, tree: CgroupTree, name: str) -> None:
        self.tree, self.name = tree, name
        self.v2 = tree.version == 2
        self._mem = tree.bases["unified" if self.v2 else "memory"]
        self._oom_seen = 0

    def _file(self, controller: str, leaf: str) -> tuple[int, str]:
        return (self.tree.bases["unified" if self.v2 else controller], f"{self.name}/{leaf}")

    def set_limits(self, memory_mb: int, max_processes: int) -> None:
        limit = str((memory_mb + KERNEL_SHARE_MB) << 20)
        if self.v2:
            _write(*self._file("memory", "memory.max"), limit)
            try:
                _write(*self._file("memory", "memory.swap.max"), "0")
            except FileNotFoundError:
                pass  # no swap accounting: nothing to limit
            try:
                _write(*self._file("pids", "pids.max"), str(max_processes))
            except FileNotFoundError:
                pass  # pids controller not available: RLIMIT_NPROC still caps the uid
        else:
            # memory + swap must stay >= memory: raise it first, lower it last.
            order = ["memory.limit_in_bytes", "memory.memsw.limit_in_bytes"]
            if int(_read(*self._file("memory", "memory.limit_in_bytes"))) < int(limit):
                order.reverse()
            for leaf in order:
                try:
                    _write(*self._file("memory", leaf), limit)
                except FileNotFoundError:
                    pass  # no swap accounting
            if "pids" in self.tree.bases:
                _write(*self._file("pids", "pids.max"), str(max_processes))

    def open_procs(self) -> list[int]:
        """Descriptors of the job cgroup's cgroup.procs, one per hierarchy: a freshly forked
        child joins with one write(2) of "0" to each, before it drops root."""
        return [os.open(f"{self.name}/cgroup.procs", os.O_WRONLY | os.O_CLOEXEC, dir_fd=fd)
                for fd in self.tree.bases.values()]

    def _oom_kills(self) -> int:
        text = _read(self._mem, f"{self.name}/{'memory.events' if self.v2 else 'memory.oom_control'}")
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
        return 0

    def oom_killed(self, wait: float = 0.02) -> bool:
        """True if the memory limit killed a process of the job since the last call. The kernel
        counts the kill just after sending SIGKILL, so a reaped victim may be seen a moment
        before its count: look again for up to `wait` seconds."""
        end = time.monotonic() + wait
        while True:
            try:
                n = self._oom_kills()
            except OSError:
                return False
            if n > self._oom_seen:
                self._oom_seen = n
                return True
            if time.monotonic() >= end:
                return False
            time.sleep(0.002)

    def drained(self, deadline: float) -> bool:
        """Wait until no shared memory (tmpfs, SysV, memfd pages) is charged to the cgroup, as
        after a job whose namespaces are still being freed. False at `deadline`."""
        while True:
            try:
                stat = _read(self._mem, f"{self.name}/memory.stat")
            except OSError:
                return False
            if any(line.split()[1] == "0" for line in stat.splitlines() if line.startswith("shmem ")):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.002)

    def pids(self) -> list[int]:
        fd, path = self._file("pids" if "pids" in self.tree.bases else "memory", "cgroup.procs")
        return [int(x) for x in _read(fd, path).split()]

    def kill_all(self, deadline: float) -> bool:
        """SIGKILL every process of the job's cgroup until it is empty (True) or `deadline`
        passes (False). SIGKILL also ends stopped processes."""
        while True:
            try:
                pids = self.pids()
            except OSError:
                return False
            if not pids:
                return True
            if time.monotonic() >= deadline:
                return False
            if self.v2:
                try:
                    _write(*self._file("memory", "cgroup.kill"), "1")
                except OSError:
                    pass
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.002)  # their parents (in the end the slot's init) reap them

    def remove(self, deadline: float) -> bool:
        """rmdir the job's cgroup once its processes are gone (killing any left, until
        `deadline`). True when removed."""
        while True:
            if all([_rmdir(self.name, fd) for fd in self.tree.bases.values()]):
                return True
            if time.monotonic() >= deadline:
                return False
            self.kill_all(deadline)
            time.sleep(0.005)
