"""One job, one world: a slot's init, each job's namespaces and tmpfs, and the job's cleanup.

Every slot of the fork server is a supervisor (`JobWorld`, in server.py's slot loop) and the
init (pid 1) of the slot's own PID namespace (`serve_init`), forked by the supervisor before
it read any job. The supervisor reads jobs from the parent, keeps every clock and every
observation, and answers; it never forks a sandboxed child. The init never reads a job: it
forks every child of every job of the slot on the supervisor's request, handing over
descriptors only (a child reads its job's data from a memfd itself). A child therefore holds
the memory of processes that never held any job's inputs or outputs, plus its own job's.

Before each job is accepted, the init builds a fresh world around itself (and then forks the
job's first child ahead of time, `_Init._prefork`, which waits for its descriptors and reads the
job's data like any child): a new IPC namespace
(SysV shared memory, message queues and semaphores and POSIX message queues die with the
job) and a mount namespace, a copy of the server's where a fresh size-limited tmpfs is `/tmp`
(holding the working directory, `/tmp/job`), `/dev/shm` and `/var/tmp`: it goes with the
namespace, so cleanup never walks a tree the job built.

After every unit and at the end, the init kills every process of the job with kill(-1,
SIGKILL): from a PID namespace's init that reaches exactly the namespace, cannot be caught,
blocked or stopped, and needs no helper process. It reaps until it has no child left, which
proves the namespace empty; only then does the supervisor answer the parent.

Per slot, because nothing of a job outlives its processes there and concurrent jobs run in
different slots: the PID namespace, the network namespace (no interfaces but a downed
loopback; abstract unix sockets are per network namespace, so concurrent jobs cannot reach
each other) and the cgroup (`cgroups.py`): the init joins it once, so every child is born in
it (moving each child would wait for an RCU grace period, which on a busy machine can outlast
a unit's clock). Its limits are set per job: the memory limit counts shared memory, memfds
and tmpfs files, and the pids controller caps the process count. Shared memory the kernel
frees late (a dying IPC namespace's segments) is waited for before the next job.

Each part falls back when the kernel or the privileges refuse it (see `probe`): the executor
then reports the layer off (`Executor.isolation`) and the job gets the old mechanisms: a
working directory under the shared /tmp removed without recursion, and cleanup by walking the
init's descendants (it is then a child subreaper).
"""

from __future__ import annotations

import ctypes
import json
import marshal
import os
import random
import select
import signal
import socket
import stat
import struct
import time
from typing import Callable

from recode_rl.execution import sandbox
from recode_rl.execution.cgroups import CgroupTree, JobCgroup

__all__ = ["JobPlan", "JobWorld", "serve_init", "probe", "remove_tree", "JOB"]

CLEANUP_SECONDS = 5.0          # the deadline of a job's final cleanup (kill, reap, confirm)
UNIT_CLEANUP_SECONDS = 2.0     # ... and of the sweep after each unit
REAP_SECONDS = 5.0             # a SIGKILLed child is reaped within this, or reported unreaped
TMPFS_INODES = 1 << 16
# Each job's tmpfs holds at most its memory limit: sized at Limits.memory_mb's default when the
# world is built, resized on the job's first spawn if its limit differs. (Not read from
# `types.Limits`: the fork server stays free of `dataclasses` and `inspect`, 1.2 MB that every
# child it forks would copy; a test checks that the two agree.)
TMPFS_DEFAULT_MB = 2048
SHARED_JOBS_DIR = "/tmp/recode-jobs"  # fallback working directories (no per-job tmpfs)
JOB_WORKDIR = "/tmp/job"
_MAX_MSG = 1 << 16
_FD = struct.Struct("i")

# The world of the job this supervisor runs (set in the supervisor; None elsewhere).
JOB: "JobWorld | None" = None


class JobPlan:
    """What every slot builds, decided once by the server (`probe`). (A plain class: the
    sandbox side does not import `dataclasses`, see `TMPFS_DEFAULT_MB`.)"""

    def __init__(self, *, flags: int = 0, slot_flags: int = 0, pid_ns: bool = False, host_pid_ns: str = "",
                 tmpfs: bool = False, cgroups: CgroupTree | None = None,
                 tmp_binds: list[tuple[str, str]] | None = None) -> None:
        self.flags = flags                   # CLONE_NEW* unshared per job (IPC, NS)
        self.slot_flags = slot_flags         # CLONE_NEW* unshared per slot (NET; PID: see pid_ns)
        self.pid_ns = pid_ns                 # a PID namespace per slot (init: serve_init)
        self.host_pid_ns = host_pid_ns       # the server's PID namespace (readlink of /proc/self/ns/pid)
        self.tmpfs = tmpfs                   # a fresh tmpfs for /tmp, /dev/shm, /var/tmp per job
        self.cgroups = cgroups
        self.tmp_binds = tmp_binds if tmp_binds is not None else []  # (stash, target): read-only paths
                                             # that live under /tmp, bound again on the job's tmpfs

    def __repr__(self) -> str:
        return f"JobPlan({vars(self)})"


# ------------------------------------------------ the supervisor's side: messages, tmpfs, JobWorld

# Messages between a slot's supervisor and its init (and the init's spare child): marshal,
# not JSON, and the socket's own sendmsg/recvmsg, not socket.send_fds: every page the init
# writes while a child of it lives costs a copy, and the JSON codec and the socket module's
# wrappers wrote some 15 more pages per job (both ends are trusted).
_FDS_SPACE = socket.CMSG_SPACE(16 * _FD.size)


def _send(sock: socket.socket, msg: dict, fds: list[int] = ()) -> None:
    rights = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack(f"{len(fds)}i", *fds))] if fds else []
    sock.sendmsg([marshal.dumps(msg)], rights)


def _recv(sock: socket.socket) -> tuple[dict, list[int]]:
    data, ancillary, _, _ = sock.recvmsg(_MAX_MSG, _FDS_SPACE)
    fds = [fd for level, kind, blob in ancillary if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS
           for (fd,) in _FD.iter_unpack(blob[:len(blob) - len(blob) % _FD.size])]
    if not data:
        for fd in fds:
            os.close(fd)
        raise ConnectionError("the other end of the slot closed")
    return marshal.loads(data), fds


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
    """The supervisor's side of its slot: the slot's cgroup, and requests to the slot's init
    (a fresh world per job, children, reaping, sweeps)."""

    def __init__(self, plan: JobPlan, sock: socket.socket, cgroup: JobCgroup | None) -> None:
        self.plan = plan
        self.sock = sock
        self.tmpfs = plan.tmpfs
        self.cgroup = cgroup           # the slot's (its init and every child of its jobs live in it)
        self.limits: tuple[int, int] | None = None
        self.workdir: str | None = None
        self.blob = -1                 # memfd holding this job's data for its children
        self.error: str | None = None  # the world could not be built: the job must not run
        self.swept = False             # the init confirmed the job empty, and no child was forked since

    def _ask(self, msg: dict, fds: list[int] = ()) -> tuple[dict, list[int]]:
        _send(self.sock, msg, fds)
        return _recv(self.sock)

    def renew(self) -> None:
        """Before a job is accepted: a fresh world from the slot's init, which leaves the
        previous one (its namespaces die with their last process, already killed). Then wait
        until the shared memory the kernel frees late (a dying IPC namespace's segments, say)
        is no longer charged to the slot's cgroup: none of it counts against the next job."""
        try:
            self.error = self._ask({"op": "world"})[0].get("error")
        except (OSError, ValueError) as exc:
            self.error = f"building the job's world failed: {exc}"
        if self.cgroup is not None and not self.error and not self.cgroup.drained(time.monotonic() + CLEANUP_SECONDS):
            self.error = "the previous job's shared memory is still charged to the slot's cgroup"

    def close(self) -> None:
        """The slot ends (its init died, and its PID namespace with it): remove the cgroup."""
        if self.cgroup is not None:
            self.cgroup.remove(time.monotonic() + UNIT_CLEANUP_SECONDS)

    def prepare(self, limits: dict, uid: int | None, data: dict) -> str:
        """Apply the job's limits, hand its data to its children-to-be, return the working directory."""
        wanted = (int(limits["memory_mb"]), int(limits["max_processes"]) + 1)  # pids: the job's and the init
        if self.cgroup is not None and wanted != self.limits:
            self.cgroup.set_limits(*wanted)
            self.limits = wanted
        if self.blob >= 0:
            os.close(self.blob)
        self.blob = os.memfd_create("job", os.MFD_CLOEXEC)
        view = memoryview(marshal.dumps(data))
        while view:
            view = view[os.write(self.blob, view):]
        if self.tmpfs:
            self.workdir = JOB_WORKDIR
        else:  # the init shares this mount namespace: the directory is made here
            os.makedirs(SHARED_JOBS_DIR, mode=0o711, exist_ok=True)
            self.workdir = os.path.join(SHARED_JOBS_DIR, os.urandom(8).hex())
            os.mkdir(self.workdir, 0o700)
        return self.workdir

    def spawn(self, ends: list[int], params: dict) -> tuple[int, int]:
        """Have the init fork a sandboxed child holding `ends` (its stdin, stdout, stderr,
        channel, setup and, for functional tests, request descriptors) and this job's data.
        Returns (its pid in the slot's namespace, a pidfd to watch it)."""
        self.swept = False
        reply, fds = self._ask({"op": "spawn", "params": params}, [*ends, self.blob])
        if "error" in reply or len(fds) != 1:
            for fd in fds:
                os.close(fd)
            raise OSError(0, f"the slot's init could not fork a child: {reply.get('error')}")
        return reply["pid"], fds[0]

    def reap(self, pid: int) -> int | None:
        """SIGKILL the child's process group and collect its wait status (None: not reaped in
        time). The init sweeps in the same request: once it confirms nothing is left, the next
        `kill_survivors` costs no message."""
        reply = self._ask({"op": "reap", "pid": pid, "seconds": UNIT_CLEANUP_SECONDS})[0]
        self.swept = reply.get("clean") is True
        return reply.get("status")

    def oom_killed(self) -> bool:
        return self.cgroup is not None and self.cgroup.oom_killed()

    @property
    def self_contained(self) -> bool:
        """Nothing of a job reaches past its slot: a PID namespace holds every process, a
        tmpfs every file. A job's verdicts may then go out before its cleanup is confirmed
        (server._serve_one): no other job can see it meanwhile, this slot takes no job before
        the confirmation, and the parent hands the job's uid to no other job before it."""
        return self.plan.pid_ns and self.tmpfs

    def kill_survivors(self, deadline_s: float = UNIT_CLEANUP_SECONDS) -> bool:
        """Kill every process of the job and reap them. True when nothing of the job is left
        (confirmed), False at the deadline."""
        if self.swept:  # swept with the last child's reaping, and no child since
            return True
        self.swept = self._ask({"op": "sweep", "seconds": deadline_s})[0].get("clean") is True
        return self.swept

    def cleanup(self) -> bool:
        """The job's final cleanup, before the supervisor answers: kill and reap everything
        (own deadline); without a per-job tmpfs, remove the working directory. True when
        confirmed; False tells the parent never to hand this job's uid to another job."""
        try:
            clean = self.kill_survivors(CLEANUP_SECONDS)
        except (OSError, ValueError):  # the slot's init is gone (and with it, its PID namespace)
            clean = False
        if self.workdir is not None and not self.tmpfs:
            try:
                clean = remove_tree(self.workdir, time.monotonic() + CLEANUP_SECONDS) and clean
            except Exception:  # noqa: BLE001 - a tree we could not remove: not clean
                clean = False
        self.workdir = None
        if self.blob >= 0:
            os.close(self.blob)
            self.blob = -1
        return clean


# ---------------------------------------------------------------------------- the slot's init

_fork = ctypes.PyDLL(None, use_errno=True).fork  # PyDLL: the GIL stays held across the call


def _raw_fork() -> int:
    """fork(2) without os.fork's after-fork hooks. The init is single-threaded and holds no
    lock when it forks, so the hooks (reinitializing threads, locks and the import lock;
    reseeding `random`; the `logging` locks) have nothing to repair, and in the child they
    cost some 200 page faults (about 0.5 ms of CPU on a 2-core VM) per child. The one that
    matters to a program, a fresh `random` seed, is drawn here before the fork: the init
    runs that code every time (no fault), a child would fault on it."""
    random.seed()
    pid = _fork()
    if pid < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return pid


def _set_oom_score_adj(value: bytes) -> None:
    fd = os.open("self/oom_score_adj", os.O_WRONLY, dir_fd=sandbox.PROC_FD) if sandbox.PROC_FD is not None \
        else os.open("/proc/self/oom_score_adj", os.O_WRONLY)
    try:
        os.write(fd, value)
    finally:
        os.close(fd)


class _Init:
    """The slot's init: it lives in the slot's cgroup (every child is born in it), builds each
    job's namespaces and tmpfs around itself, forks every child of the job on the supervisor's
    request, reaps and sweeps."""

    def __init__(self, plan: JobPlan, child_main: Callable, in_cgroup: bool) -> None:
        self.plan = plan
        self.child_main = child_main
        self.in_cgroup = in_cgroup       # children go first when the OOM killer picks
        self.tmpfs_mb = 0
        self.watched: set[int] = set()   # children the supervisor watches (spawned, not yet reaped by it)
        self.statuses: dict[int, int] = {}  # wait statuses of watched children a sweep reaped
        self.spare: tuple[int, socket.socket] | None = None  # (pid, socket) of a child forked ahead
        self.pristine_mnt = _open_own_mnt_ns() if plan.tmpfs else -1  # every job's mount namespace copies it

    def world(self) -> dict:
        """Leave the previous job's namespaces (they die with its last process, already killed)
        for new ones: IPC, and a copy of the pristine mount namespace with a fresh tmpfs. (The
        caller then forks the job's first child ahead of time, `_prefork`, once it has replied.)"""
        self._drop_spare()  # born in the previous world: it must not serve this one
        self.watched.clear()   # the previous job's children, all reaped by its final sweep
        self.statuses.clear()
        try:
            if self.plan.tmpfs:
                sandbox.setns(self.pristine_mnt, sandbox.CLONE_NEWNS)
            if self.plan.flags:
                sandbox.unshare(self.plan.flags)
            if self.plan.tmpfs:
                self.tmpfs_mb = TMPFS_DEFAULT_MB
                _mount_job_tmpfs(self.plan, self.tmpfs_mb)
        except OSError as exc:
            return {"error": f"building the job's namespaces and tmpfs failed: {exc}"}
        return {"ok": True}

    def _prefork(self) -> None:
        """Fork the next child before its job exists: the fork (copying the init's page tables)
        then happens while the slot waits for a job, not while a job waits for its child. The
        spare child holds nothing but what the init holds; it waits for its descriptors and
        parameters (`spawn`) and only then reads the job's data, like a child forked on demand.
        It is the init's, not a job's: a job's processes never coexist with it (the first
        spawn of a job takes it; later children are forked on demand)."""
        try:
            mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        except OSError:
            return  # no spare: spawn forks on demand
        init = os.getpid()
        try:
            pid = _raw_fork()
        except OSError:
            mine.close()
            theirs.close()
            return
        if pid == 0:
            try:
                sandbox.set_name(b"recode-job")
                # It holds copies of the init's descriptors (its socket to the supervisor among
                # them) until child_main closes them: it must not outlive the init.
                sandbox.prctl(sandbox.PR_SET_PDEATHSIG, signal.SIGKILL)
                if os.getppid() != init:
                    os._exit(70)
                mine.close()
                msg, fds = _recv(theirs)
                theirs.close()
                self._child(msg["params"], fds)
            finally:
                os._exit(70)
        theirs.close()
        self.spare = (pid, mine)

    def _drop_spare(self) -> None:
        if self.spare is None:
            return
        pid, sock = self.spare
        self.spare = None
        sock.close()  # the spare child exits on EOF; kill it anyway and reap it
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass  # a sweep reaped it already

    def _child(self, params: dict, fds: list[int]) -> None:
        """In a new child of the job: never returns."""
        if self.in_cgroup:  # the OOM killer's first pick, never the init (nor, in a
            _set_oom_score_adj(b"1000")  # host-wide shortage, the trainer)
        self.child_main(fds[:-1], fds[-1], params)

    def spawn(self, params: dict, fds: list[int]) -> tuple[dict, list[int]]:
        mb = int(params["limits"]["memory_mb"])
        if self.plan.tmpfs and mb != self.tmpfs_mb:  # the tmpfs holds at most the job's memory
            sandbox.mount(None, "/tmp", None, sandbox.MS_REMOUNT | sandbox.MS_NOSUID | sandbox.MS_NODEV,
                          f"size={mb}m")
            self.tmpfs_mb = mb
        pid = self._hand_to_spare(params, fds)
        if pid is None:
            pid = _raw_fork()
            if pid == 0:
                try:
                    sandbox.set_name(b"recode-job")
                    self._child(params, fds)
                finally:
                    os._exit(70)
        for fd in fds:
            os.close(fd)
        self.watched.add(pid)
        return {"pid": pid}, [os.pidfd_open(pid)]

    def _hand_to_spare(self, params: dict, fds: list[int]) -> int | None:
        """Give the spare child this spawn's descriptors and parameters; its pid, or None when
        there is no live spare (then the caller forks)."""
        if self.spare is None:
            return None
        pid, sock = self.spare
        self.spare = None
        try:
            _send(sock, {"params": params}, fds)
        except OSError:  # it died (a sweep killed it): fork on demand instead
            self.spare = (pid, sock)
            self._drop_spare()
            return None
        sock.close()
        return pid

    def reap(self, pid: int, seconds: float) -> dict:
        """SIGKILL a child the supervisor watches (and its process group); its wait status,
        and a sweep of whatever else of the job is left (`sweep`)."""
        status = self._reap(pid)
        return {"status": status, **self.sweep(seconds)}

    def _reap(self, pid: int) -> int | None:
        if pid not in self.watched:
            return None
        self.watched.discard(pid)
        for kill in (os.killpg, os.kill):  # a child that died before setsid has no group of its own
            try:
                kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if pid in self.statuses:
            return self.statuses.pop(pid)
        fd = os.pidfd_open(pid)  # our unreaped child: it exists, a zombie at least
        ready, _, _ = select.select([fd], [], [], REAP_SECONDS)
        os.close(fd)
        got, status = os.waitpid(pid, 0 if ready else os.WNOHANG)
        return status if got else None

    def sweep(self, seconds: float) -> dict:
        """Kill every process of the job and reap, until we have no child left (clean) or the
        deadline passes. In a PID namespace every process of the job is our descendant;
        otherwise we are a child subreaper. (The supervisor has reaped the children it
        watched by now; any still watched are killed too, their status kept for it.)"""
        deadline = time.monotonic() + seconds
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return {"clean": True}
            if pid:
                if pid in self.watched:
                    self.statuses[pid] = status
                elif self.spare is not None and pid == self.spare[0]:
                    self.spare[1].close()
                    self.spare = None
                continue
            if time.monotonic() >= deadline:
                return {"clean": False}
            if self.plan.pid_ns:
                try:
                    os.kill(-1, signal.SIGKILL)  # pid 1 of the slot's namespace: exactly the job
                except ProcessLookupError:
                    pass
            else:
                for child in sandbox.child_pids():
                    for kill in (os.killpg, os.kill):
                        try:
                            kill(child, signal.SIGKILL)
                        except OSError:
                            pass
            time.sleep(0.001)


def serve_init(sock: socket.socket, plan: JobPlan, child_main: Callable, procs: list[int]) -> None:
    """The slot's init: join the slot's cgroup (`procs`: its cgroup.procs, once: a process
    moved between cgroups waits for an RCU grace period, which on a busy machine can outlast a
    unit's clock, while a child forked here is born in it), then serve the supervisor's
    requests until it goes away. Never reads a job. Never returns.

    `child_main(ends, blob_fd, params)` runs in every forked child (units.child_main)."""
    code = 0
    try:
        sandbox.set_name(b"recode-init")
        sandbox.prctl(sandbox.PR_SET_PDEATHSIG, signal.SIGKILL)
        sandbox.prctl(sandbox.PR_SET_DUMPABLE, 0)  # no ptrace or /proc access to it from a child
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        if plan.pid_ns and not (os.getpid() == 1 and _pid_ns() != plan.host_pid_ns):
            raise RuntimeError("the slot's init is not pid 1 of its own PID namespace")  # kill(-1) would reach the host
        if not plan.pid_ns:
            sandbox.prctl(sandbox.PR_SET_CHILD_SUBREAPER, 1)
        sandbox.child_environment(JOB_WORKDIR if plan.tmpfs else None)
        for fd in procs:
            os.write(fd, b"0")
            os.close(fd)
        init = _Init(plan, child_main, bool(procs))
        while True:
            try:
                msg, fds = _recv(sock)
            except (ConnectionError, OSError, ValueError):
                break
            op = msg.get("op")
            if op == "world":
                reply = init.world()
                _send(sock, reply)
                if "ok" in reply:
                    # After the reply: every page the init writes while a child of it lives costs
                    # a copy, and the reply alone wrote some 50.
                    init._prefork()
                continue
            if op == "spawn":
                try:
                    reply, out = init.spawn(msg["params"], fds)
                except OSError as exc:
                    for fd in fds:
                        os.close(fd)
                    reply, out = {"error": str(exc)}, []
            elif op == "reap":
                reply, out = init.reap(int(msg["pid"]), float(msg["seconds"])), []
            elif op == "sweep":
                reply, out = init.sweep(float(msg["seconds"])), []
            else:
                reply, out = {"error": f"unknown request {op!r}"}, []
            _send(sock, reply, out)
            for fd in out:
                os.close(fd)
    except BaseException:  # noqa: BLE001 - the supervisor sees the socket close
        code = 1
    finally:
        os._exit(code)


# ------------------------------------------------------------------------------ cleanup

def _open_own_mnt_ns() -> int:
    path = "self/ns/mnt"
    return os.open(path, os.O_RDONLY, dir_fd=sandbox.PROC_FD) if sandbox.PROC_FD is not None \
        else os.open("/proc/" + path, os.O_RDONLY)


def _pid_ns() -> str:
    link = "self/ns/pid"
    return os.readlink(link, dir_fd=sandbox.PROC_FD) if sandbox.PROC_FD is not None else os.readlink("/proc/" + link)


def _make_writable(fd: int) -> None:
    try:
        os.fchmod(fd, stat.S_IRWXU)  # entries can be unlinked whatever mode the job left
    except OSError:
        pass


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
    _make_writable(fd)
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
                    child = os.open(sub, flags, dir_fd=fd)
                except PermissionError:  # a directory its owner made unreadable
                    os.chmod(sub, stat.S_IRWXU, dir_fd=fd)  # (scandir saw a directory, not a link)
                    child = os.open(sub, flags, dir_fd=fd)
                os.close(fd)
                fd = child
                names.append(sub)
                _make_writable(fd)
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
    """In the server, once: try each per-job and per-slot layer in a throwaway child and return
    the plan every slot follows plus the layers' states ("on" or "off: why"), for
    `Executor.isolation`."""
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
    try:
        host_pid_ns = _pid_ns()
    except OSError as exc:
        host_pid_ns = ""
        if "pid" in wanted:
            states["pid"] = f"off: cannot tell PID namespaces apart ({exc.strerror})"
            del wanted["pid"]
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        results = {}
        for layer, flag in wanted.items():
            try:
                pristine = _open_own_mnt_ns() if layer == "tmpfs" else -1
                sandbox.unshare(flag)
                if layer == "tmpfs":  # as every job does: a tmpfs in a copy of a pristine namespace
                    _mount_job_tmpfs(JobPlan(tmp_binds=tmp_binds), 1)
                    sandbox.setns(pristine, sandbox.CLONE_NEWNS)
                    sandbox.unshare(flag)
                elif layer == "pid":
                    child = os.fork()
                    if child == 0:
                        os._exit(0 if os.getpid() == 1 and _pid_ns() != host_pid_ns else 1)
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
    plan = JobPlan(tmp_binds=tmp_binds or [], host_pid_ns=host_pid_ns)
    for layer, flag in wanted.items():
        if states.get(layer) == "on" and layer in ("ipc", "tmpfs"):
            plan.flags |= flag
    if states.get("network") == "on":
        plan.slot_flags |= sandbox.CLONE_NEWNET
    plan.pid_ns = states.get("pid") == "on"
    plan.tmpfs = states.get("tmpfs") == "on"
    plan.cgroups = cgroups
    if "network" in wanted and states["network"] != "on":
        states["network"] = ("partial: one network namespace shared by all slots (abstract unix sockets "
                             f"connect concurrent jobs); per slot {states['network']}")
    return plan, states
