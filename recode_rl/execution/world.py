"""One job, one world: the namespaces, tmpfs and cgroup of a single job, and its cleanup.

The fork server never reads a job. For every job it forks a fresh *slot* process, which builds
the job's world before any job exists:

* its own IPC namespace (SysV shared memory, message queues, semaphores and POSIX message
  queues die with the job), network namespace (no interfaces but a downed loopback; abstract
  unix sockets are per network namespace, so concurrent jobs cannot reach each other) and
  mount namespace, in which a fresh size-limited tmpfs is `/tmp` (holding the working
  directory, `/tmp/job`), `/dev/shm` and `/var/tmp`; it is unmounted with the namespace,
  so cleanup never walks a directory tree the job built;
* its own PID namespace: the slot forks the job's *supervisor* as that namespace's init
  (pid 1). Only then does the supervisor accept a job from the parent. Every process the job
  starts lives in the namespace; the supervisor ends them all with kill(-1, SIGKILL), which
  from a namespace's init reaches exactly the namespace, cannot be caught, blocked or
  stopped, and needs no helper process. When the supervisor exits, the kernel kills whatever
  is left (there is nothing left: the supervisor answers only once it has reaped everything);
* its own cgroup (`cgroups.py`): the memory limit counts shared memory, memfds and tmpfs
  files, and the pids controller caps the process count.

The supervisor serves exactly one job and exits. The unit children it forks therefore hold
this job's data only, never a previous job's inputs or outputs (the slot and the server,
which they descend from, never read a job).

Each part falls back when the kernel or the privileges refuse it (see `probe`): the
executor then reports the layer off (`Executor.isolation`) and the job gets the old
mechanisms: a working directory under the shared /tmp removed without recursion, and
cleanup by walking the supervisor's descendants (it is a child subreaper) or the cgroup.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import stat
import sys
import time
from dataclasses import dataclass, field

from recode_rl.execution import sandbox
from recode_rl.execution.cgroups import CgroupTree, JobCgroup
from recode_rl.execution.types import Limits

__all__ = ["JobPlan", "JobWorld", "probe", "JOB"]

CLEANUP_SECONDS = 5.0          # the deadline of a job's final cleanup (kill, reap, confirm)
UNIT_CLEANUP_SECONDS = 2.0     # ... and of the sweep after each unit
TMPFS_INODES = 1 << 16
SHARED_JOBS_DIR = "/tmp/recode-jobs"  # fallback working directories (no per-job tmpfs)
JOB_WORKDIR = "/tmp/job"

# The job this process supervises (set in the supervisor; None elsewhere).
JOB: "JobWorld | None" = None


@dataclass
class JobPlan:
    """What every slot builds, decided once by the server (`probe`)."""

    flags: int = 0                       # CLONE_NEW* unshared per job (IPC, NET, NS, PID)
    tmpfs: bool = False                  # a fresh tmpfs for /tmp, /dev/shm, /var/tmp
    cgroups: CgroupTree | None = None
    tmp_binds: list[tuple[str, str]] = field(default_factory=list)  # (stash, target): read-only
                                         # paths that live under /tmp, bound again on the job's tmpfs

    @property
    def pid_ns(self) -> bool:
        return bool(self.flags & sandbox.CLONE_NEWPID)


def _mount_job_tmpfs(plan: JobPlan, size_mb: int) -> None:
    """In the job's fresh mount namespace: one tmpfs for /tmp (and the working directory in
    it), /dev/shm and /var/tmp; the read-only binds that lived under /tmp on top again."""
    sandbox.make_mounts_private()
    sandbox.mount("tmpfs", "/tmp", "tmpfs", sandbox.MS_NOSUID | sandbox.MS_NODEV,
                  f"mode=1777,size={size_mb}m,nr_inodes={TMPFS_INODES}")
    os.mkdir("/tmp/.shm")
    os.chmod("/tmp/.shm", 0o1777)
    for target, source in (("/dev/shm", "/tmp/.shm"), ("/var/tmp", "/tmp")):
        if os.path.isdir(target):
            sandbox.mount(source, target, None, sandbox.MS_BIND)
    for stash, target in plan.tmp_binds:
        os.makedirs(target, exist_ok=True)
        sandbox.mount(stash, target, None, sandbox.MS_BIND | sandbox.MS_REC)
        sandbox.mount(None, target, None, sandbox.MS_REMOUNT | sandbox.MS_BIND | sandbox.MS_RDONLY | sandbox.MS_NOSUID)
    os.mkdir(JOB_WORKDIR, 0o700)


class JobWorld:
    """One job's namespaces, tmpfs and cgroup, from the slot's setup to the final cleanup."""

    def __init__(self, plan: JobPlan) -> None:
        self.plan = plan
        self.pid_ns = False           # the supervisor is the init of the job's PID namespace
        self.tmpfs = False
        self.tmpfs_mb = Limits().memory_mb
        self.cgroup: JobCgroup | None = None
        self.workdir: str | None = None
        self.error: str | None = None  # the world could not be built as planned: the job must not run

    # ------------------------------------------------------------------ slot (before any job)
    @classmethod
    def build(cls, plan: JobPlan) -> "JobWorld":
        """In a fresh slot process: unshare the job's namespaces, mount its tmpfs, create its
        cgroup. Failures are kept in `.error` (the supervisor then refuses the job)."""
        world = cls(plan)
        try:
            if plan.flags:
                sandbox.unshare(plan.flags)
            world.pid_ns = plan.pid_ns
            if plan.tmpfs:
                _mount_job_tmpfs(plan, world.tmpfs_mb)
                world.tmpfs = True
            if plan.cgroups is not None:
                world.cgroup = plan.cgroups.new_job(f"job-{os.getpid()}-{secrets.token_hex(4)}")
        except OSError as exc:
            world.error = f"building the job's namespaces, tmpfs and cgroup failed: {exc}"
        return world

    def remove(self) -> None:
        """In the slot, after the supervisor (and with it the whole PID namespace) is gone."""
        if self.cgroup is not None:
            if not self.cgroup.remove():
                self.cgroup.kill_all(time.monotonic() + UNIT_CLEANUP_SECONDS)
                self.cgroup.remove()

    # ------------------------------------------------------------------ supervisor, per job
    def enter_supervisor(self) -> None:
        """The slot's child becomes the job's supervisor: pid 1 of the job's PID namespace
        (signals from the job never reach it: it is init, and root), else a child subreaper."""
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        sandbox.prctl(sandbox.PR_SET_PDEATHSIG, signal.SIGKILL)
        if self.pid_ns and os.getpid() != 1:
            self.error = self.error or f"expected to be pid 1 of the job's PID namespace, am {os.getpid()}"
            self.pid_ns = False
        if not self.pid_ns:
            sandbox.prctl(sandbox.PR_SET_CHILD_SUBREAPER, 1)

    def prepare(self, limits: dict, uid: int | None) -> str:
        """Apply the job's limits to its world and return its working directory."""
        if self.cgroup is not None:
            self.cgroup.set_limits(int(limits["memory_mb"]), int(limits["max_processes"]))
        if self.tmpfs:
            mb = int(limits["memory_mb"])
            if mb != self.tmpfs_mb:
                sandbox.mount(None, "/tmp", None, sandbox.MS_REMOUNT | sandbox.MS_NOSUID | sandbox.MS_NODEV,
                              f"size={mb}m")
                self.tmpfs_mb = mb
            self.workdir = JOB_WORKDIR
        else:
            os.makedirs(SHARED_JOBS_DIR, mode=0o711, exist_ok=True)
            self.workdir = os.path.join(SHARED_JOBS_DIR, secrets.token_hex(8))
            os.mkdir(self.workdir, 0o700)
        if uid is not None:
            os.chown(self.workdir, uid, uid)
        return self.workdir

    def join(self) -> None:
        """In every sandboxed child, right after fork and before anything else."""
        if self.cgroup is not None:
            self.cgroup.join()

    def oom_killed(self) -> bool:
        return self.cgroup is not None and self.cgroup.oom_killed()

    def kill_survivors(self, deadline_s: float = UNIT_CLEANUP_SECONDS) -> bool:
        """Kill every process of the job and reap them all. True when nothing of the job is
        left (confirmed: this process has no children, and as the namespace's init or a
        subreaper every process of the job is its descendant), False at the deadline."""
        if not _has_children():
            return True  # the common case: one waitpid
        deadline = time.monotonic() + deadline_s
        if self.pid_ns:
            return _kill_namespace(deadline)
        if self.cgroup is not None:
            self.cgroup.kill_all(deadline)
        return _kill_descendants(deadline)

    def cleanup(self) -> bool:
        """The job's final cleanup, before the supervisor answers: kill and reap everything
        (own deadline); without a per-job tmpfs, remove the working directory. True when
        confirmed; False tells the parent never to hand this job's uid to another job."""
        clean = self.kill_survivors(CLEANUP_SECONDS)
        if self.workdir is not None and not self.tmpfs:
            clean = remove_tree(self.workdir, time.monotonic() + CLEANUP_SECONDS) and clean
        return clean


# ------------------------------------------------------------------------------ cleanup

def _has_children() -> bool:
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return False
    return True  # a live child (pid 0) or a zombie just reaped: clean up to be sure


def _reap(deadline: float) -> bool:
    """Reap children until none is left (True) or `deadline` (False)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return True
        if pid == 0:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.001)


def _kill_namespace(deadline: float) -> bool:
    """As init of the job's PID namespace: SIGKILL everything in it, reap, until empty."""
    if os.getpid() != 1:  # kill(-1) outside a PID namespace would reach the whole host
        raise RuntimeError("_kill_namespace called outside the job's PID namespace")
    while True:
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if _reap(min(deadline, time.monotonic() + 0.05)):
            return True
        if time.monotonic() >= deadline:
            return False


def _kill_descendants(deadline: float) -> bool:
    """Without a PID namespace: kill our children until none is left. As a subreaper we
    inherit the orphans of every process we kill, so this reaches all descendants."""
    while True:
        pids = sandbox.child_pids()
        for pid in pids:
            for kill in (os.killpg, os.kill):
                try:
                    kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        if _reap(min(deadline, time.monotonic() + 0.2)):
            return True
        if time.monotonic() >= deadline:
            return False


def remove_tree(path: str, deadline: float) -> bool:
    """Remove a directory tree without recursion and without long paths (a tree 100,000
    levels deep is removed like a flat one). Only call once no process can change it."""
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    names: list[str] = []  # the path from `path` down to fd, one name per level
    try:
        while time.monotonic() < deadline:
            sub = None
            with os.scandir(fd) as it:
                for entry in it:
                    if entry.is_dir(follow_symlinks=False):
                        sub = entry.name
                        break
                    try:
                        os.unlink(entry.name, dir_fd=fd)
                    except FileNotFoundError:
                        pass
            if sub is not None:  # descend
                try:
                    os.chmod(sub, stat.S_IRWXU, dir_fd=fd, follow_symlinks=False)
                except (OSError, NotImplementedError):
                    pass
                child = os.open(sub, flags, dir_fd=fd)
                os.close(fd)
                fd = child
                names.append(sub)
                continue
            if not names:  # `path` itself is empty
                os.close(fd)
                fd = -1
                os.rmdir(path)
                return True
            parent = os.open("..", flags, dir_fd=fd)
            os.close(fd)
            fd = parent
            os.rmdir(names.pop(), dir_fd=fd)
        return False
    except OSError:
        return False
    finally:
        if fd >= 0:
            os.close(fd)


# ------------------------------------------------------------------------------ probe

def probe(disable: set[str] | frozenset[str], layers: dict[str, str], cgroups: CgroupTree | None,
          tmp_binds: list[tuple[str, str]]) -> tuple[JobPlan, dict[str, str]]:
    """In the server, once: try each per-job layer in a throwaway child and return the plan
    every slot follows plus the layers' states ("on" or "off: why"), for `Executor.isolation`."""
    wanted = {"ipc": sandbox.CLONE_NEWIPC, "pid": sandbox.CLONE_NEWPID, "tmpfs": sandbox.CLONE_NEWNS,
              "network": sandbox.CLONE_NEWNET}
    states: dict[str, str] = {}
    for layer in list(wanted):
        if layer in disable:
            states[layer] = "off: disabled by RECODE_SANDBOX_DISABLE"
            del wanted[layer]
    if "network" in wanted and layers.get("network") != "on":
        states["network"] = layers.get("network", "off")  # no namespaces at all: the server's reason
        del wanted["network"]
    if "tmpfs" in wanted and tmp_binds is None:
        states["tmpfs"] = "off: the Python installation lives under /tmp and the private root is off"
        del wanted["tmpfs"]
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        results = {}
        for layer, flag in wanted.items():
            try:
                sandbox.unshare(flag)
                if layer == "tmpfs":
                    _mount_job_tmpfs(JobPlan(tmp_binds=tmp_binds), 1)
                elif layer == "pid":
                    child = os.fork()
                    if child == 0:
                        os._exit(0 if os.getpid() == 1 else 1)
                    if os.waitpid(child, 0)[1] != 0:
                        raise OSError(0, "the first child of a new PID namespace is not its pid 1")
                results[layer] = "on"
            except OSError as exc:
                results[layer] = f"off: {exc}"
        os.write(w, json.dumps(results).encode())
        os._exit(0)
    os.close(w)
    data = b""
    while chunk := os.read(r, 1 << 16):
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    try:
        states.update(json.loads(data))
    except ValueError:
        states.update({layer: "off: the probe of per-job namespaces died" for layer in wanted})
    plan = JobPlan(tmp_binds=tmp_binds or [])
    for layer, flag in wanted.items():
        if states.get(layer) == "on":
            plan.flags |= flag
    plan.tmpfs = states.get("tmpfs") == "on"
    plan.cgroups = cgroups
    if "network" in wanted and states["network"] != "on":
        states["network"] = ("partial: one network namespace shared by all jobs (abstract unix sockets "
                             f"connect concurrent jobs); per job {states['network']}")
    return plan, states
