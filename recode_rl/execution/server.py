"""The warm fork server, its slots, and the one-job supervisors.

    parent (trainer, CLI)  --unix socket, one connection per job-->  fork server
    fork server:  isolated once (sandbox.isolate_server), harness pre-imported; never reads a
                  job. Keeps `n_supervisors` + spares *slots* ready, forking a new one for
                  each that ends.
    slot:         a fresh fork of the server. Builds one job's world before any job exists
                  (world.JobWorld: IPC, network, mount and PID namespaces, a tmpfs for /tmp,
                  /dev/shm and the working directory, a cgroup), forks the supervisor as pid 1
                  of the new PID namespace, waits for it, removes the cgroup, exits.
    supervisor:   accepts exactly one job from the shared socket, compiles the program (a
                  syntax error is decided here), and runs the units: stdio, one fresh
                  sandboxed child per test; functional, a loaded child answering one requested
                  test at a time; assertion/unittest, one child for all tests, restarted after
                  a timeout or crash. It owns the unit count (from the request), every clock,
                  the output caps and the validation of what children write; after every unit
                  and at the end it kills everything the job started (kill(-1) as the
                  namespace's init: nothing to stop, no helper) and reaps it, answers the
                  parent only then, and exits: the namespaces and the tmpfs go with it.

The supervisor never compares outputs: expected outputs are never sent to the server, so
they are not in the memory the sandboxed child is forked from; and since every supervisor
is a fresh process that serves one job, no child ever holds another job's inputs or outputs.
It returns per-unit records of what it observed; `executor.py` grades them on the trusted
side. See docs/executor.md.
"""

from __future__ import annotations

import gc
import json
import os
import secrets
import select
import signal
import socket
import sys
import time

# Pre-import what solutions commonly use, so forked children start warm.
import bisect, collections, copy, decimal, fractions, functools, heapq, itertools, math, operator, random, re, statistics, string, typing, unittest  # noqa: E401,F401

from recode_rl.execution import harness, sandbox, world
from recode_rl.execution.cgroups import CgroupTree
from recode_rl.execution.protocol import recv_msg, send_msg
from recode_rl.execution.units import (
    MAX_JOB_BYTES, MAX_TIMEOUTS, MAX_UNITS, PHASES, _MAX_TEXT, _crash_record, _run_child, _run_lockstep,
    _text, _tick, _unit_record,
)

MAX_SPARE_SLOTS = 4  # slots kept ready beyond one per worker, so a job never waits for a slot's setup


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
    nonce = secrets.token_hex(16)
    workdir = job.prepare(limits, uid)
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

def _serve_one_job(listener: socket.socket, job: world.JobWorld) -> None:
    """The supervisor: accept one job, run it, clean up, answer only then, and exit."""
    job.enter_supervisor()
    world.JOB = job
    conn, _ = listener.accept()
    listener.close()
    with conn:
        try:
            req = recv_msg(conn)
        except (ConnectionError, ValueError, OSError):
            os._exit(0)
        uid = req.get("uid") if type(req) is dict else None
        try:
            if job.error:
                raise RuntimeError(job.error)
            resp = _supervise(req, uid, job)
        except Exception as exc:  # noqa: BLE001 - reported to the parent as a sandbox error
            resp = {"error": f"supervisor failed: {exc!r}"}
        t = time.perf_counter()
        # Confirmed cleanup or not: the parent hands this uid to another job only if clean.
        resp["clean"] = job.cleanup()
        if "phases" in resp:
            resp["phases"]["cleanup"] = round(time.perf_counter() - t, 6)
        try:
            send_msg(conn, resp)
        except OSError:
            pass
    os._exit(0)


def _slot(listener: socket.socket, lifeline_fd: int, plan: world.JobPlan) -> None:
    """A fresh fork of the server: build one job's world, fork its supervisor into it (pid 1
    of the job's PID namespace), wait for it, remove the job's cgroup. Never returns."""
    code = 0
    try:
        os.close(lifeline_fd)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        sandbox.prctl(sandbox.PR_SET_PDEATHSIG, signal.SIGKILL)
        job = world.JobWorld.build(plan)
        pid = os.fork()
        if pid == 0:
            try:
                _serve_one_job(listener, job)
            finally:
                os._exit(1)
        listener.close()
        os.waitpid(pid, 0)
        job.remove()
    except BaseException:  # noqa: BLE001
        code = 1
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
    """Isolate, keep `n_supervisors` + spare slots ready on one listening socket (a new slot
    for each that ends), and exit (killing them) when the parent closes the lifeline pipe."""
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
        for fd in ready:  # a slot ended (its job is done): start another
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
