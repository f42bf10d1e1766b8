"""The warm fork server and its per-job supervisors.

    parent (trainer, CLI)  --unix socket, one connection per job-->  fork server
    fork server:  isolated once (sandbox.isolate_server), harness pre-imported; pre-forks
                  persistent *supervisors* that serve jobs from the shared socket.
    supervisor:   reads the job request, compiles the program (a syntax error is decided
                  here), and runs the units: stdio, one fresh sandboxed child per test;
                  functional, a loaded child answering one requested test at a time;
                  assertion/unittest, one child for all tests, restarted after a timeout or
                  crash. It owns the unit count (from the request), every clock, the output
                  caps and the validation of what children write; it kills the child's process
                  group and every process of the job's uid, reaps everything (it is a child
                  subreaper), removes the working directory, and only then answers the parent.

The supervisor never compares outputs: expected outputs are never sent to the server, so
they are not in the memory the sandboxed child is forked from. It returns per-unit records of
what it observed; `executor.py` grades them on the trusted side. See docs/executor.md.
"""

from __future__ import annotations

import json
import os
import secrets
import select
import shutil
import signal
import socket
import sys
import time

# Pre-import what solutions commonly use, so forked children start warm.
import bisect, collections, copy, decimal, fractions, functools, heapq, itertools, math, operator, random, re, statistics, string, typing, unittest  # noqa: E401,F401

from recode_rl.execution import harness, sandbox
from recode_rl.execution.protocol import recv_msg, send_msg
from recode_rl.execution.units import (
    MAX_JOB_BYTES, MAX_TIMEOUTS, MAX_UNITS, PHASES, _MAX_TEXT, _crash_record, _Run, _run_child, _run_lockstep,
    _text, _tick, _unit_record,
)

JOBS_DIR = "/tmp/recode-jobs"



# ------------------------------------------------------------------------------ supervisor

def _kill_uid(uid: int) -> None:
    """SIGKILL every process owned by `uid` (kill(-1) from a throwaway process with that uid)."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            for _ in range(3):
                try:
                    os.kill(-1, signal.SIGKILL)
                except ProcessLookupError:
                    break
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def _has_children() -> bool:
    try:
        pid, _ = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return False
    return True  # a live child (pid == 0) or a zombie just reaped: clean up to be sure


def _reap_all(timeout: float = 2.0) -> None:
    """Reap every child we have (including re-parented orphans: we are a subreaper)."""
    end = time.monotonic() + timeout
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            if time.monotonic() > end:
                return
            time.sleep(0.002)


def _kill_descendants() -> None:
    """Without the uid layer: kill our children until none is left. As a subreaper we
    inherit the orphans of every process we kill, so this reaches all descendants."""
    for _ in range(100):
        pids = sandbox.child_pids()
        if not pids:
            return
        for pid in pids:
            for kill in (os.killpg, os.kill):
                try:
                    kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        _reap_all(timeout=0.2)


def _kill_survivors(uid: int | None) -> None:
    """After a child is reaped: kill whatever it left running. We are a child subreaper, so
    any surviving descendant (a double-forked daemon included) is now *our* child. No
    children at all means nothing survived (the common case: one waitpid); otherwise kill
    every process of the job's uid."""
    if _has_children():
        if uid is not None:
            _kill_uid(uid)
        else:
            _kill_descendants()
        _reap_all()


def _record(msg: dict) -> dict:
    return {"status": msg.get("status"), "error_type": _text(msg.get("error_type")),
            "message": _text(msg.get("message"))}


def _supervise(req: dict, uid: int | None) -> dict:
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
    os.makedirs(JOBS_DIR, mode=0o711, exist_ok=True)
    workdir = os.path.join(JOBS_DIR, secrets.token_hex(8))
    os.mkdir(workdir, 0o700)
    if uid is not None:
        os.chown(workdir, uid, uid)
    t = _tick("setup", t)
    budget = [MAX_JOB_BYTES]
    try:
        run_units = _units_one_child_each if req["kind"] in ("stdio", "functional") else _units_shared_child
        units, n_units, names, stderr_tail = run_units(req, code, uid, workdir, nonce, job_deadline, budget)
    finally:
        _kill_survivors(uid)
        shutil.rmtree(workdir, ignore_errors=True)
        _tick("cleanup", t)
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
        _kill_survivors(uid)  # nothing a unit started outlives it (no daemon works on for later units)
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

def _supervisor_loop(listener: socket.socket) -> None:
    """A persistent supervisor: serve one job at a time from the shared listening socket."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    sandbox.prctl(sandbox.PR_SET_PDEATHSIG, signal.SIGKILL)
    sandbox.prctl(sandbox.PR_SET_CHILD_SUBREAPER, 1)
    while True:
        conn, _ = listener.accept()
        with conn:
            try:
                req = recv_msg(conn)
            except (ConnectionError, ValueError, OSError):
                continue
            try:
                resp = _supervise(req, req.get("uid"))
            except Exception as exc:  # noqa: BLE001 - reported to the parent as a sandbox error
                resp = {"error": f"supervisor failed: {exc!r}"}
            try:
                send_msg(conn, resp)
            except OSError:
                pass
            del req, resp


def _spawn_supervisor(listener: socket.socket, lifeline_fd: int) -> int:
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.close(lifeline_fd)
            _supervisor_loop(listener)
        except BaseException:  # noqa: BLE001
            code = 1
        finally:
            os._exit(code)
    return pid


def serve(sock_path: str, lifeline_fd: int, n_supervisors: int) -> None:
    """Isolate, pre-fork `n_supervisors` supervisors sharing one listening socket, keep them
    alive, and exit (killing them) when the parent closes the lifeline pipe."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(sock_path)
    listener.listen(512)
    disable = {x.strip() for x in os.environ.get("RECODE_SANDBOX_DISABLE", "").split(",") if x.strip()}
    layers = sandbox.isolate_server(disable)
    # Scrub the environment once here: every supervisor and child inherits it (children then
    # only set their own HOME/TMPDIR/PWD), instead of rebuilding it after every fork.
    os.environ.clear()
    os.environ.update(sandbox.CHILD_ENV)
    sys.stdout.flush()
    supervisors = {_spawn_supervisor(listener, lifeline_fd) for _ in range(n_supervisors)}
    print(json.dumps({"ready": True, "pid": os.getpid(), "isolation": layers}), flush=True)
    while True:
        ready, _, _ = select.select([lifeline_fd], [], [], 0.5)
        if ready:  # EOF: the parent is gone or closed the executor
            for pid in supervisors:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            for pid in supervisors:  # reap them: no zombies left to init
                try:
                    os.waitpid(pid, 0)
                except ChildProcessError:
                    pass
            os._exit(0)
        while True:  # respawn supervisors that died (they never should)
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            supervisors.discard(pid)
            supervisors.add(_spawn_supervisor(listener, lifeline_fd))


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
