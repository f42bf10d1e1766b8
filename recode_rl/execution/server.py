"""The warm fork server and its slots.

    parent (trainer, CLI)  --unix socket, one connection per job-->  fork server
    fork server:  isolated once (sandbox.isolate_server), harness pre-imported; never reads a
                  job. Keeps `n_supervisors` + spare slots on one listening socket.
    slot:         a supervisor and the init (pid 1) of the slot's own PID namespace, forked
                  by the supervisor before it read any job, in the slot's network namespace
                  and cgroup (world.py).
    supervisor:   has the init build a fresh world for the next job (IPC and mount namespaces,
                  a tmpfs for /tmp, /dev/shm and the working directory), then accepts one job,
                  compiles the program (a syntax error is decided here), and runs the units:
                  stdio, one fresh sandboxed child per test; functional, a loaded child
                  answering one requested test at a time; assertion/unittest, one child for
                  all tests, restarted after a timeout or crash. The init forks every child;
                  the supervisor owns the unit count (from the request), every clock, the
                  output caps and the validation of what children write. After every unit and
                  at the end the init kills everything the job started (kill(-1) in the slot's
                  PID namespace: nothing to stop, no helper) and reaps it; the supervisor
                  answers the parent only then.

The supervisor never compares outputs: expected outputs are never sent to the server. It
returns per-unit records of what it observed; `executor.py` grades them on the trusted side.
Children are forked by the slot's init, which never reads a job: a child holds its own job's
data only (read from the job's memfd), never an earlier job's inputs or outputs. See
docs/executor.md. (The parent starts the server through `bootstrap.py`, which imports this
package from bytecode.)
"""

from __future__ import annotations

import gc
import json
import os
import select
import signal
import socket
import sys
import time

# Pre-import what solutions commonly use, so forked children start warm.
# (Not unittest: only the unittest kind needs it, and its child imports it before the program.)
import bisect, collections, copy, decimal, fractions, functools, heapq, itertools, math, operator, random, re, statistics, string, typing  # noqa: E401,F401

from recode_rl.execution import harness, sandbox, world
from recode_rl.execution.cgroups import CgroupTree
from recode_rl.execution.protocol import recv_msg, recv_segments, send_msg
from recode_rl.execution.units import (
    MAX_JOB_BYTES, MAX_TIMEOUTS, MAX_UNITS, PHASES, _MAX_TEXT, _crash_record, _run_child, _run_lockstep,
    _text, _tick, _unit_record, child_main,
)

MAX_SPARE_SLOTS = 4  # slots beyond one per worker: a job never waits for its world to be built


def _record(msg: dict) -> dict:
    return {"status": msg.get("status"), "error_type": _text(msg.get("error_type")),
            "message": _text(msg.get("message"))}


def _supervise(req: dict, uid: int | None, job: world.JobWorld) -> dict:
    PHASES.clear()
    t = time.perf_counter()
    limits = req["limits"]
    t_job = time.monotonic()
    job_deadline = t_job + float(limits["job_deadline"])
    try:
        code = harness.compile_program(req["program"])
    except Exception as exc:  # noqa: BLE001 - SyntaxError, ValueError (NUL bytes), RecursionError, ...
        # Decided here, before any child exists: a program cannot claim a syntax error.
        return {"units": {}, "n_units": req["n_units"], "names": None, "stderr_tail": "", "seconds": 0.0,
                "syntax_error": {"error_type": type(exc).__name__, "message": str(exc)[:_MAX_TEXT]}}
    nonce = os.urandom(16).hex()
    # What every child of this job gets. Never the inputs of stdio and functional units: a unit's
    # input reaches its child only when that unit runs (stdin; the unit's request), so no unit
    # can see, and precompute, a later one's.
    child_req = {k: v for k, v in req.items()
                 if k not in ("program", "uid", "inputs")}
    workdir = job.prepare(limits, uid, {"code": code, "req": child_req, "nonce": nonce})
    t = _tick("setup", t)
    budget = [MAX_JOB_BYTES]
    run_units = _units_one_child_each if req["kind"] in ("stdio", "functional") else _units_shared_child
    units, n_units, names, stderr_tail = run_units(req, code, uid, workdir, nonce, job_deadline, budget)
    return {"phases": {k: round(v, 6) for k, v in PHASES.items()}, "units": {str(k): v for k, v in units.items()},
            "n_units": n_units, "names": names, "syntax_error": None,
            "stderr_tail": stderr_tail.decode("utf-8", errors="replace")[-2048:],
            "seconds": time.monotonic() - t_job}


def _units_one_child_each(req: dict, code, uid, workdir, nonce, job_deadline, budget):
    """stdio and functional: the count comes from the request (the trusted side's TestSuite),
    each unit's clock and observations from this process. stdio: one fresh child per unit;
    functional: lockstep children (`_run_lockstep`), a fresh one after any failure of the last."""
    n_units = int(req["n_units"])
    units: dict = {}
    stderr_tail = b""
    stop_first = bool(req["limits"].get("stop_on_first_failure"))
    i = 0
    while i < n_units:
        timeouts = sum(u["status"] == "timeout" for u in units.values())
        if time.monotonic() >= job_deadline or timeouts >= MAX_TIMEOUTS:
            why = "job deadline reached" if timeouts < MAX_TIMEOUTS else f"{timeouts} tests of this job timed out"
            units.update({j: {"status": "not_run", "message": f"not run: {why}"} for j in range(i, n_units)})
            break
        if req["kind"] == "functional":
            i, tail = _run_lockstep(req, code, i, uid, workdir, nonce, job_deadline, budget, units)
        else:
            run = _run_child(req, code, i, uid, workdir, nonce, job_deadline, budget)
            tail = run.stderr_tail
            units[i] = _unit_record(req, run)
            i += 1
        if i < n_units:  # (after the last unit, the job's cleanup does it)
            world.JOB.kill_survivors()  # nothing a unit started outlives it (no daemon works on for later units)
        stderr_tail = (stderr_tail + tail)[-4096:]
        if stop_first and any(u["status"] not in ("done", "ok") for u in units.values()):
            break  # ok/done still need grading by the parent; stop only on a definite failure
    return units, n_units, None, stderr_tail


def _units_shared_child(req: dict, code, uid, workdir, nonce, job_deadline, budget):
    """assertion/unittest: one child runs the tests from `i` on, reporting per test; a fresh
    child takes over after a timeout or crash. (These verdicts need the program's namespace,
    so they are reported from inside the sandbox: see docs/executor.md, "not contained".)"""
    n_units: int | None = req["n_units"] if req["kind"] != "unittest" else None
    units: dict[int, dict] = {}
    names: list[str] | None = None
    stderr_tail = b""
    stop_first = bool(req["limits"].get("stop_on_first_failure"))
    timeouts = 0
    i = 0
    while (n_units is None or i < n_units) and time.monotonic() < job_deadline and timeouts < MAX_TIMEOUTS:
        run = _run_child(req, code, i, uid, workdir, nonce, job_deadline, budget)
        stderr_tail = (stderr_tail + run.stderr_tail)[-4096:]
        if run.setup[:1] != b"\0":
            units[i] = {"status": "sandbox_error",
                        "message": bytes(run.setup).decode("utf-8", "replace") or "sandbox setup failed"}
            n_units = n_units or 1
            break
        for msg in run.messages:
            if msg.get("status") == "collected":
                if names is None and type(msg.get("names")) is list:
                    names = [str(n)[:_MAX_TEXT] for n in msg["names"][:MAX_UNITS]]
                    n_units = len(names)
            elif msg["i"] not in units and msg["i"] >= i and (n_units is None or msg["i"] < n_units):
                units[msg["i"]] = {**_record(msg), "seconds": run.unit_seconds}
        first = units.get(i)
        if first and str(first.get("message") or "").startswith("while loading"):
            # The program (or the test code) fails before any test can run: every test fails alike.
            for j in range(i + 1, n_units or 1):
                units[j] = dict(first)
            n_units = n_units or 1
            break
        if n_units is None:  # unittest module failed before collecting
            if i not in units:
                units[i] = _crash_record(run)
            n_units = 1
            break
        k = run.unit
        if k < n_units and k not in units:
            units[k] = _crash_record(run)
            timeouts += units[k]["status"] == "timeout"
            k += 1
        if stop_first and any(u.get("status") != "pass" for u in units.values()):
            break
        i = max(k, i + 1) if k == i else k
    if n_units is not None and timeouts >= MAX_TIMEOUTS:
        for j in range(n_units):
            units.setdefault(j, {"status": "not_run", "message": f"not run: {timeouts} tests of this job timed out"})
    return units, n_units, names, stderr_tail


# ---------------------------------------------------------------------------- fork server

def _serve_one(conn: socket.socket, job: world.JobWorld) -> bool:
    """One job on an accepted connection: run it, clean up, answer only then. Returns whether
    the cleanup was confirmed."""
    try:
        req = recv_msg(conn)
        if type(req) is dict:  # the tests' inputs follow, raw (stdin bytes, JSON arguments)
            req["inputs"] = recv_segments(conn, req.pop("segments", []), int(req.get("n_units") or 0))
    except (ConnectionError, ValueError, TypeError, OSError):
        return True  # no job ran
    uid = req.get("uid") if type(req) is dict else None
    try:
        if job.error:
            raise RuntimeError(job.error)
        resp = _supervise(req, uid, job)
    except Exception as exc:  # noqa: BLE001 - reported to the parent as a sandbox error
        resp = {"error": f"supervisor failed: {exc!r}"}
    t = time.perf_counter()
    if job.self_contained:
        # The verdicts go out now; the confirmation follows on the same connection once the
        # slot has killed and reaped everything of the job. Meanwhile nothing of it can reach
        # another job (world.JobWorld.self_contained), the parent keeps the job's uid out of
        # use, and this slot takes no job (a slot that cannot confirm ends, namespace and all).
        resp["cleanup"] = "pending"
        _answer(conn, resp)
        clean = job.cleanup()
        _answer(conn, {"clean": clean})
    else:
        # Confirmed cleanup or not: the parent hands this uid to another job only if clean.
        resp["clean"] = clean = job.cleanup()
        if "phases" in resp:
            resp["phases"]["cleanup"] = round(time.perf_counter() - t, 6)
        _answer(conn, resp)
    return clean


def _answer(conn: socket.socket, resp: dict) -> None:
    """Send `resp`; a functional value passed on undecoded (`units._passed_on`: bytes under
    "raw") goes after it as a raw segment, its record naming the segment."""
    segments = []
    for rec in (resp.get("units") or {}).values():
        if type(rec) is dict and "raw" in rec:
            rec["segment"] = len(segments)
            segments.append(rec.pop("raw"))
    try:
        send_msg(conn, resp, segments)
    except OSError:
        pass


def _slot(listener: socket.socket, lifeline_fd: int, plan: world.JobPlan) -> None:
    """A slot's supervisor: fork the slot's init (pid 1 of a new PID namespace, when the layer
    is on) before reading any job, then serve jobs one at a time, each in a fresh world. Exits
    when the init dies, or after a job whose cleanup was not confirmed, killing the init and
    with it everything in the slot's namespace (the server then starts a new slot). Never
    returns."""
    code = 0
    try:
        sandbox.set_name(b"recode-slot")
        os.close(lifeline_fd)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        sandbox.prctl(sandbox.PR_SET_PDEATHSIG, signal.SIGKILL)
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        cgroup = plan.cgroups.new_job(f"slot-{os.getpid()}") if plan.cgroups is not None else None
        procs = cgroup.open_procs() if cgroup is not None else []
        if plan.slot_flags:
            sandbox.unshare(plan.slot_flags)
        if plan.pid_ns:
            sandbox.unshare(sandbox.CLONE_NEWPID)
        pid = os.fork()
        if pid == 0:
            listener.close()
            mine.close()
            world.serve_init(theirs, plan, child_main, procs)
        theirs.close()
        for fd in procs:
            os.close(fd)
        job = world.JOB = world.JobWorld(plan, mine, cgroup)
        try:
            while not os.waitpid(pid, os.WNOHANG)[0]:  # until the init dies: then this slot is done
                job.renew()
                conn, _ = listener.accept()
                with conn:
                    clean = _serve_one(conn, job)
                del conn
                if not clean:  # something of the job may live on: the slot's namespace goes with it
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    break
        finally:
            job.close()
    except BaseException:  # noqa: BLE001
        code = 1
        time.sleep(0.1)  # a slot that cannot start is not restarted in a hot loop
    finally:
        os._exit(code)


def _spawn_slot(listener: socket.socket, lifeline_fd: int, plan: world.JobPlan) -> tuple[int, int]:
    """(pidfd, pid) of a new slot."""
    pid = os.fork()
    if pid == 0:
        _slot(listener, lifeline_fd, plan)
    return os.pidfd_open(pid), pid


def _isolate(disable: set[str]) -> tuple[dict[str, str], world.JobPlan]:
    """All isolation layers of this server and the plan of every job's world."""
    if "cgroup" in disable:
        cgroups, cgroup_state = None, "off: disabled by RECODE_SANDBOX_DISABLE"
    else:  # before the private root hides /sys/fs/cgroup
        cgroups, cgroup_state = CgroupTree.setup()
    layers, tmp_binds = sandbox.isolate_server(disable)
    plan, per_job = world.probe(disable, layers, cgroups, tmp_binds)
    layers.update(per_job)
    layers["cgroup"] = cgroup_state
    return {layer: layers[layer] for layer in sandbox.LAYERS}, plan


def serve(sock_path: str, lifeline_fd: int, n_supervisors: int) -> None:
    """Isolate, keep `n_supervisors` + spare slots on one listening socket (a new one for any
    that dies), and exit (killing them) when the parent closes the lifeline pipe."""
    sandbox.set_name(b"recode-server")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(sock_path)
    listener.listen(512)
    disable = {x.strip() for x in os.environ.get("RECODE_SANDBOX_DISABLE", "").split(",") if x.strip()}
    unknown = disable - set(sandbox.LAYERS)
    if unknown:
        raise ValueError(f"RECODE_SANDBOX_DISABLE: unknown layer(s) {sorted(unknown)}; choose from {sandbox.LAYERS}")
    layers, plan = _isolate(disable)
    # Scrub the environment once here: every slot and child inherits it (children then only
    # set their own HOME/TMPDIR/PWD), instead of rebuilding it after every fork.
    os.environ.clear()
    os.environ.update(sandbox.CHILD_ENV)
    sys.stdout.flush()
    gc.freeze()  # the server's objects stay out of every slot's GC: fewer copy-on-write faults
    n_slots = n_supervisors + min(n_supervisors, MAX_SPARE_SLOTS)
    slots = dict(_spawn_slot(listener, lifeline_fd, plan) for _ in range(n_slots))
    print(json.dumps({"ready": True, "pid": os.getpid(), "isolation": layers}), flush=True)
    poller = select.poll()
    poller.register(lifeline_fd, select.POLLIN)
    for fd in slots:
        poller.register(fd, select.POLLIN)
    while True:
        ready = [fd for fd, _ in poller.poll(1000)]
        if lifeline_fd in ready:  # EOF: the parent is gone or closed the executor
            for pid in slots.values():
                try:
                    os.kill(pid, signal.SIGKILL)  # its supervisor follows (parent-death signal)
                except ProcessLookupError:
                    pass
            while True:  # reap them all: no zombies left to init
                try:
                    os.waitpid(-1, 0)
                except ChildProcessError:
                    break
            if plan.cgroups is not None:
                plan.cgroups.close()
            os._exit(0)
        for fd in ready:  # a slot died (it never should): start another
            poller.unregister(fd)
            os.close(fd)
            del slots[fd]
        while True:  # reap ended slots (and orphans: the server is a subreaper)
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break
        while len(slots) < n_slots:
            try:
                fd, pid = _spawn_slot(listener, lifeline_fd, plan)
            except OSError:
                break  # out of processes for now: try again on the next round
            slots[fd] = pid
            poller.register(fd, select.POLLIN)


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
