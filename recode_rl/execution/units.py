"""One job's units, run and watched by its supervisor (see `recode_rl.execution.server`).

`_run_child` has the slot's init fork one sandboxed child (`_spawn`; the child runs
`child_main`) and watches it: stdio gets a fresh child per test, whose clock runs from fork to exit; assertion/unittest children run several tests, a genuine per-test
message moving the clock on. `_run_lockstep` drives one loaded functional child: the supervisor
writes a test's index and arguments, starts its own clock and takes exactly one observation line.
Nothing a child writes can change the unit count, a clock or a verdict: what it sends is checked
here (`_observation`, `_unit_record`, `_functional_record`) and becomes that unit's record, or
that unit's failure; a value in the harness's exact line shape is passed on undecoded
(`_passed_on`) and checked by the parent (`protocol.decode_segment`). The records are graded on
the trusted side (`recode_rl.execution.executor`).
"""

from __future__ import annotations

import fcntl
import json
import marshal
import os
import select
import signal
import _signal
import time
from _operator import _compare_digest as compare_digest  # secrets' and hmac's: without hashlib
from typing import Any

from recode_rl.execution import harness, sandbox, world
from recode_rl.execution.protocol import depth_ok

MAX_JOB_BYTES = 256 << 20   # channel + stdout bytes kept per job, all units together
MAX_OBSERVATION_BYTES = 64 << 20  # one functional return value / error report
MAX_TIMEOUTS = 2            # after this many timed-out units a job's remaining units are not run
MAX_UNITS = 10_000          # unittest: test methods collected (the only count the sandbox reports)
_MAX_TEXT = 300
MEMORY_LIMIT_ERROR = "MemoryLimitExceeded"  # error_type of a unit the memory cgroup killed
# assertion/unittest: per-test statuses a genuine harness sends; anything else on the channel
# (garbage or forgeries written by the program) is ignored.
_UNIT_STATUS = {"assertion": {"pass", "fail", "error"}, "unittest": {"pass", "fail", "error"}}


def _genuine(msg: object, kind: str, nonce: str) -> bool:
    if not isinstance(msg, dict):
        return False
    status = msg.get("status")
    if status == "collected":
        return kind == "unittest" and compare_digest(str(msg.get("nonce", "")), nonce)
    if status not in _UNIT_STATUS[kind] or type(msg.get("i")) is not int:
        return False
    return status != "pass" or compare_digest(str(msg.get("nonce", "")), nonce)



# ----------------------------------------------------------------------------- child runs

class _Run:
    """Outcome of one sandboxed child process, as observed by the supervisor."""

    def __init__(self) -> None:
        self.messages: list[dict] = []       # assertion/unittest: genuine channel messages
        self.channel = bytearray()           # stdio/functional: the raw observation bytes
        self.stdout = bytearray()
        self.stderr_tail = b""
        self.setup = bytearray()             # b"\0" once the sandbox is in place, else an error
        self.status: int | None = None       # waitpid status
        self.killed: str | None = None       # "timeout" | "output_limit" | "job_timeout"
        self.oom = False                     # the job's memory cgroup killed the child
        self.unit = 0                        # unit in progress when the run ended
        self.unit_seconds = 0.0              # the supervisor's own clock


def _spawn(req: dict, start: int, uid: int | None, workdir: str, limits: dict, cpu: int):
    """Have the slot's init fork one sandboxed child (`world.JobWorld.spawn`) with fresh pipes.
    The child reads this job's data from the job's memfd itself (`child_main`); the init only
    passes descriptors. Returns (pid in the slot, pidfd, chan_r, out_r, err_r, setup_r, req_w)."""
    chan_r, chan_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    setup_r, setup_w = os.pipe()
    req_r, req_w = os.pipe() if req["kind"] == "functional" else (None, None)
    if req["kind"] == "stdio":
        stdin_fd = os.memfd_create("stdin", 0)
        view = memoryview(req["inputs"][start])  # its stdin, as the parent sent it
        while view:
            view = view[os.write(stdin_fd, view):]
        os.lseek(stdin_fd, 0, os.SEEK_SET)
    else:
        stdin_fd = os.open(os.devnull, os.O_RDONLY)
    ends = [stdin_fd, out_w, err_w, chan_w, setup_w] + ([req_r] if req_r is not None else [])
    params = {"start": start, "uid": uid, "workdir": workdir, "cpu": cpu,
              "limits": {k: int(limits[k]) for k in ("memory_mb", "max_processes", "max_file_mb", "max_open_files")}}
    try:
        pid, pidfd = world.JOB.spawn(ends, params)
    except OSError:
        for fd in (chan_r, out_r, err_r, setup_r) + ((req_w,) if req_w is not None else ()):
            os.close(fd)
        raise
    finally:
        for fd in ends:
            os.close(fd)
    if req_w is not None:
        os.set_blocking(req_w, False)
    return pid, pidfd, chan_r, out_r, err_r, setup_r, req_w


def child_main(ends: list[int], blob_fd: int, params: dict) -> None:
    """A sandboxed child, right after the slot's init forked it (in the job's namespaces and
    cgroup): read the job's data, put the descriptors in place (stdin, stdout, stderr, channel
    3, setup 4, functional requests 5), enter the sandbox, and run the harness. Never returns."""
    setup = ends[4]
    try:
        blob, size = bytearray(), os.fstat(blob_fd).st_size
        while len(blob) < size and (chunk := os.pread(blob_fd, size - len(blob), len(blob))):
            blob += chunk
        job = marshal.loads(blob)
        del blob
        # Move the ends above the targets first, so that no dup2 clobbers a later source.
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 16) for fd in ends]
        for target, fd in enumerate(high):
            os.dup2(fd, target)  # functional: requests on fd 5 (harness.REQUEST_FD)
        setup = 4
        sandbox.close_fds_from(len(high))
        limits = params["limits"]
        if params["uid"] is not None:
            os.chown(params["workdir"], params["uid"], params["uid"])
        sandbox.enter_child(workdir=params["workdir"], uid=params["uid"], memory_mb=limits["memory_mb"],
                            cpu_seconds=params["cpu"], max_processes=limits["max_processes"],
                            max_file_mb=limits["max_file_mb"], max_open_files=limits["max_open_files"])
        _signal.signal(signal.SIGPIPE, _signal.SIG_DFL)  # the C functions: signal.signal's enum
        _signal.signal(signal.SIGINT, _signal.default_int_handler)  # wrapping costs page faults
        # The sandbox is in place: say so on fd 4 and close it before user code exists,
        # so a program can never claim a sandbox failure.
        os.write(4, b"\0")
        os.close(4)
    except BaseException as exc:  # noqa: BLE001 - report any setup failure, then die
        try:
            os.write(setup, f"sandbox setup: {exc!r}"[:_MAX_TEXT].encode() or b"?")
        finally:
            os._exit(70)
    harness.run_child(job["req"], job["code"], 3, params["start"], job["nonce"])
    os._exit(71)  # pragma: no cover - run_child never returns


def _has_data(fd: int) -> bool:
    """Bytes are waiting on `fd`, a non-blocking pipe (not merely EOF). Consumes at most one byte."""
    try:
        return bool(os.read(fd, 1))
    except OSError:  # BlockingIOError: nothing there
        return False


def _readable(fd: int) -> bool:
    p = select.poll()
    p.register(fd, select.POLLIN)
    return bool(p.poll(0))


def _take(run: _Run, line: bytes, kind: str, nonce: str, limit: int) -> bool:
    """assertion/unittest: keep a genuine channel message; True when it finished the unit in
    progress."""
    if len(run.messages) >= limit:
        return False  # more messages than units: the surplus is the program's, not ours
    try:
        msg = json.loads(line)
    except (ValueError, RecursionError):
        return False  # garbage written to the channel by the program
    if not _genuine(msg, kind, nonce):
        return False
    run.messages.append(msg)
    if msg.get("i") == run.unit:
        run.unit += 1
        run.unit_seconds = 0.0
        return True
    return False


PHASES: dict[str, float] = {}


def _tick(name: str, t0: float) -> float:
    now = time.perf_counter()
    PHASES[name] = PHASES.get(name, 0.0) + now - t0
    return now


def _read_ready(poller: Any, open_fds: dict[int, str], pidfd: int,
                timeout: float) -> tuple[bool, list[tuple[int, bytes]]]:
    """One poll of a child's pipes and pidfd for at most `timeout` seconds: (the child exited,
    [(fd, chunk)] in the order read). A pipe at EOF is unregistered, closed and dropped from `open_fds`."""
    exited, chunks = False, []
    for fd, _ in poller.poll(max(0.0, timeout) * 1000):
        if fd == pidfd:
            exited = True
            poller.unregister(pidfd)
            continue
        if fd not in open_fds:  # writable, not readable: functional's request pipe (`_run_lockstep`)
            continue
        try:
            chunk = os.read(fd, 1 << 16)
        except OSError:
            chunk = b""
        if not chunk:
            poller.unregister(fd)
            os.close(fd)
            del open_fds[fd]
            continue
        chunks.append((fd, chunk))
    return exited, chunks


def _kill_and_reap(run: _Run, pid: int, pidfd: int, fds: list[int], t: float, decided: bool = False) -> None:
    """End a child run: the slot's init kills its process group and reaps it into
    `run.status`; close its fds (-1 = closed). A child that had already died of a SIGKILL
    nobody here sent is checked against the job's memory cgroup (`run.oom`).

    `decided`: every unit this child ran has its record and the job needs no other child, so
    its wait status is not needed: it is SIGKILLed now and reaped by the job's final cleanup."""
    t = _tick("run", t)
    if decided:
        try:
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        except OSError:
            pass
        for fd in (pidfd, *fds):
            if fd >= 0:
                os.close(fd)
        return
    exited = _readable(pidfd)
    status = world.JOB.reap(pid)
    run.status = status if status is not None else int(signal.SIGKILL)  # not reaped in time: killed
    if (exited and run.killed is None and os.WIFSIGNALED(run.status)
            and os.WTERMSIG(run.status) == signal.SIGKILL):
        run.oom = world.JOB.oom_killed()
    for fd in (pidfd, *fds):
        if fd >= 0:
            os.close(fd)
    _tick("reap", t)


def _run_child(req: dict, code, start: int, uid: int | None, workdir: str, nonce: str, job_deadline: float,
               budget: list[int]) -> _Run:
    """Fork one sandboxed child and watch it until it ends or its clock runs out.

    stdio: the child runs exactly unit `start`; the clock runs from fork to exit and nothing
    the child writes changes it. assertion/unittest: the child runs units from `start` on; a
    genuine per-test message moves the clock on to the next unit. (functional: `_run_lockstep`.)
    `budget` = [bytes the job may still keep]; shared by the job's runs."""
    t = time.perf_counter()
    limits = req["limits"]
    single = req["kind"] == "stdio"
    per_unit = float(limits["timeout"])
    max_out = int(limits["max_output_bytes"])
    units_left = 1 if single else max(1, req["n_units"] - start)
    cpu = max(1, int(min(job_deadline - time.monotonic(), per_unit * units_left) + 1.5))
    run = _Run()
    run.unit = start
    msg_limit = (MAX_UNITS if req["kind"] == "unittest" else req["n_units"]) + 2
    pid, pidfd, chan_r, out_r, err_r, setup_r, _ = _spawn(req, start, uid, workdir, limits, cpu)
    t = _tick("fork", t)
    open_fds = {chan_r: "chan", out_r: "out", err_r: "err", setup_r: "setup"}
    poller = select.poll()  # poll, not select: no FD_SETSIZE ceiling
    for fd in (*open_fds, pidfd):
        poller.register(fd, select.POLLIN)
    chan_buf = bytearray()
    unit_start = time.monotonic()
    exited = False
    decided = False

    def keep(fd: int, chunk: bytes) -> None:
        nonlocal chan_buf, unit_start
        kind = open_fds[fd]
        if kind == "err":
            run.stderr_tail = (run.stderr_tail + chunk)[-4096:]
            return
        if kind == "setup":
            run.setup += chunk[: max(0, _MAX_TEXT - len(run.setup))]
            return
        budget[0] -= len(chunk)
        if budget[0] < 0:
            run.killed = "output_limit"
            return
        if kind == "out":
            run.stdout += chunk
            if len(run.stdout) > max_out:
                run.killed = "output_limit"
        elif single:
            run.channel += chunk
            if len(run.channel) > MAX_OBSERVATION_BYTES:
                run.killed = "output_limit"
        else:
            if b"\n" not in chunk:  # a long message still arriving: no re-scan
                chan_buf += chunk
                return
            chan_buf += chunk
            *lines, rest = chan_buf.split(b"\n")
            chan_buf = bytearray(rest)
            for line in lines:
                if _take(run, line, req["kind"], nonce, msg_limit):
                    unit_start = time.monotonic()

    try:
        while True:
            now = time.monotonic()
            deadline = min(unit_start + per_unit, job_deadline)
            if now >= deadline:
                run.killed = "timeout" if unit_start + per_unit <= job_deadline else "job_timeout"
                break
            if not open_fds and exited:
                break
            ended, chunks = _read_ready(poller, open_fds, pidfd, deadline - now)
            exited = exited or ended
            for fd, chunk in chunks:
                keep(fd, chunk)
            if run.killed:
                break
            if req["kind"] == "assertion" and run.unit >= req["n_units"]:
                decided = True  # every test reported: what the child does next changes nothing
                break
            if exited and ("chan" not in open_fds.values() or not _readable(chan_r)):
                # The child is gone; descendants may still hold the pipes open. Take what is
                # already buffered, then stop waiting.
                for fd in list(open_fds):
                    while not run.killed and _readable(fd):
                        chunk = os.read(fd, 1 << 16)
                        if not chunk:
                            break
                        keep(fd, chunk)
                if not single and not run.killed:
                    for line in chan_buf.split(b"\n"):
                        _take(run, line, req["kind"], nonce, msg_limit)
                break
        run.unit_seconds = time.monotonic() - unit_start
    finally:
        _kill_and_reap(run, pid, pidfd, list(open_fds), t, decided)
    return run


# ------------------------------------------------- records: what a child wrote, checked

def _text(x: object) -> str | None:
    return x[:_MAX_TEXT] if type(x) is str else None


def _observation(run: _Run) -> tuple[dict | None, str | None]:
    """The one observation line of a single-unit child: (message or None, problem or None)."""
    data = bytes(run.channel)
    if not data:
        return None, None
    lines = data.split(b"\n")
    if len(lines) != 2 or lines[1]:
        return None, f"expected one observation line, got {len(lines) - 1} line(s)"
    try:
        msg = json.loads(lines[0])
    except (ValueError, RecursionError) as exc:
        return None, f"malformed observation: {type(exc).__name__}"
    if type(msg) is not dict or not depth_ok(msg, lines[0]):
        return None, "malformed observation"
    return msg, None


def _unit_record(req: dict, run: _Run) -> dict:
    """stdio: the record of one unit from the supervisor's own observations (exit
    status, signal, clock, stdout) and the child's one observation line, validated."""
    secs = run.unit_seconds
    if run.setup[:1] != b"\0":
        msg = bytes(run.setup).decode("utf-8", "replace") or "the child died before the sandbox was in place"
        return {"status": "sandbox_error", "message": msg, "seconds": secs}
    if run.killed:
        return _crash_record(run)
    st = run.status or 0
    if os.WIFSIGNALED(st):
        return _crash_record(run)
    code = os.WEXITSTATUS(st)
    msg, problem = _observation(run)
    bad = {"status": "bad_observation", "error_type": "ProtocolViolation", "seconds": secs}
    if problem:
        return {**bad, "message": problem}
    if req["kind"] == "stdio":
        if code == 0:
            if msg is not None:
                return {**bad, "message": "an error report from a program that exited 0"}
            return {"status": "done", "exit": 0, "seconds": secs,
                    "stdout": run.stdout.decode("utf-8", errors="replace")}
        et = _text(msg.get("error_type")) if msg else None
        text = _text(msg.get("message")) if msg else None
        return {"status": "error", "exit": code, "error_type": et or "NonZeroExit",
                "message": text or f"process exited with status {code}", "seconds": secs}
    raise ValueError(f"_unit_record: unexpected kind {req['kind']!r}")


_EXTRA = {"status": "bad_observation", "error_type": "ProtocolViolation",
          "message": "more than one observation for one test"}


def _peek_index(line: bytes) -> int | None:
    """The unit index an observation line claims, if it is well-formed enough to claim one."""
    try:
        msg = json.loads(line)
    except (ValueError, RecursionError):
        return None
    i = msg.get("i") if type(msg) is dict else None
    return i if type(i) is int else None


def _passed_on(value: bytes, secs: float) -> dict:
    """functional: the record of a unit answered by a line of the harness's exact shape,
    `{"i":<this unit>,"status":"ok","value":` + value + `}`. The value's JSON text goes to the
    parent as a raw segment, undecoded (server.py); the parent decodes it and checks that it is
    exactly one JSON value (`protocol.decode_segment`), and the unit fails if it is not."""
    return {"status": "ok", "raw": value, "seconds": secs}


def _functional_record(line: bytes, secs: float, unit: int) -> dict:
    """functional: the record of one unit from its one observation line, validated (it must
    name the unit it answers: the index the supervisor asked for)."""
    bad = {"status": "bad_observation", "error_type": "ProtocolViolation", "seconds": secs}
    try:
        msg = json.loads(line)
    except (ValueError, RecursionError) as exc:
        return {**bad, "message": f"malformed observation: {type(exc).__name__}"}
    if type(msg) is not dict or not depth_ok(msg, line):
        return {**bad, "message": "malformed observation"}
    if msg.get("i") != unit or type(msg.get("i")) is not int:
        return {**bad, "message": f"observation for test {_text(str(msg.get('i')))} while test {unit} ran"}
    status = msg.get("status")
    if status == "ok" and set(msg) == {"i", "status", "value"}:
        return {"status": "ok", "value": msg["value"], "seconds": secs}
    if status == "error":
        return {"status": "error", "error_type": _text(msg.get("error_type")) or "Error",
                "message": _text(msg.get("message")), "seconds": secs}
    return {**bad, "message": "malformed observation"}


# ------------------------------------------------------------ functional: the lockstep

def _run_lockstep(req: dict, code, start: int, uid, workdir, nonce, job_deadline: float, budget: list[int],
                  units: dict) -> tuple[int, bytes]:
    """functional: one child, loaded once, answers units from `start` on in lockstep.

    Per unit this process writes the unit's index, starts its own clock, and waits for exactly
    one observation line. The line is that unit's observation whatever it says; a second line
    (before or after the next request would have been sent), a line past the clock, a child
    that dies, or a malformed line fail that unit, and the child is killed: the next unit gets
    a fresh one. Records go into `units`; returns (next unit to run, stderr tail)."""
    t = time.perf_counter()
    limits = req["limits"]
    n = int(req["n_units"])
    per_unit = float(limits["timeout"])
    max_out = int(limits["max_output_bytes"])
    cpu = max(1, int(min(job_deadline - time.monotonic(), per_unit * (n - start)) + 1.5))
    stop_first = bool(limits.get("stop_on_first_failure"))
    pid, pidfd, chan_r, out_r, err_r, setup_r, req_w = _spawn(req, start, uid, workdir, limits, cpu)
    t = _tick("fork", t)
    os.set_blocking(chan_r, False)  # `_has_data`: one read, no poll
    open_fds = {chan_r: "chan", out_r: "out", err_r: "err", setup_r: "setup"}
    poller = select.poll()
    for fd in (*open_fds, pidfd):
        poller.register(fd, select.POLLIN)
    run = _Run()
    out_bytes = 0
    i = start
    exited = False
    decided = False
    failed: dict | None = None  # the record of unit i when the child has to go

    out = bytearray()  # the part of the pending request not written yet (req_w is non-blocking)
    waiting = False  # req_w is registered for POLLOUT

    def flush() -> None:
        nonlocal waiting
        while out:
            try:
                del out[:os.write(req_w, out)]
            except BlockingIOError:  # the pipe is full: the rest goes out when the child reads
                if not waiting:
                    poller.register(req_w, select.POLLOUT)
                    waiting = True
                return
            except OSError:  # the program closed its request pipe: it answers nothing more
                out.clear()
        if waiting:
            poller.unregister(req_w)
            waiting = False

    def request(unit: int) -> float:
        """Send unit `unit`'s request: its index and its arguments (they enter the sandbox
        only now). The unit's clock starts here."""
        body = req["inputs"][unit]  # JSON text, as the parent sent it
        out[:] = unit.to_bytes(4, "big") + len(body).to_bytes(4, "big") + body
        flush()
        return time.monotonic()

    unit_start = request(i)
    pending = True  # unit i was requested and not answered yet
    try:
        while i < n:
            now = time.monotonic()
            deadline = min(unit_start + per_unit, job_deadline)
            if now >= deadline:
                failed = {"status": "timeout", "seconds": now - unit_start}
                break
            ended, chunks = (False, []) if exited else _read_ready(poller, open_fds, pidfd, deadline - now)
            exited = exited or ended
            if out and not exited:
                flush()
            for fd, chunk in chunks:
                kind = open_fds[fd]
                if kind == "err":
                    run.stderr_tail = (run.stderr_tail + chunk)[-4096:]
                elif kind == "setup":
                    run.setup += chunk[: max(0, _MAX_TEXT - len(run.setup))]
                else:
                    budget[0] -= len(chunk)
                    out_bytes += len(chunk) if kind == "out" else 0
                    if budget[0] < 0 or out_bytes > max_out or len(run.channel) > MAX_OBSERVATION_BYTES:
                        failed = {"status": "output_limit", "seconds": time.monotonic() - unit_start}
                    elif kind == "chan":
                        run.channel += chunk
            if failed:
                break
            if run.setup and run.setup[:1] != b"\0":
                failed = {"status": "sandbox_error", "message": bytes(run.setup).decode("utf-8", "replace")}
                break
            if exited:
                # Take what the child left in the channel, then fail the unit if no line came.
                while chan_r in open_fds and _readable(chan_r) and len(run.channel) <= MAX_OBSERVATION_BYTES:
                    chunk = os.read(chan_r, 1 << 16)
                    if not chunk:
                        break
                    run.channel += chunk
            nl = run.channel.find(b"\n")
            if nl < 0:
                if exited:
                    failed = None if run.setup[:1] == b"\0" else {
                        "status": "sandbox_error", "message": "the child died before the sandbox was in place"}
                    break
                continue
            secs = time.monotonic() - unit_start
            line, rest = bytes(run.channel[:nl]), run.channel[nl + 1:]
            run.channel = bytearray()
            # The harness's answer has exactly this shape: its value is passed on undecoded
            # (`_passed_on`); any other line is decoded and checked here.
            head = b'{"i":%d,"status":"ok","value":' % i
            passed_on = line.startswith(head) and line.endswith(b"}")
            late = None if passed_on else _peek_index(line)
            if late is not None and start <= late < i:
                # A second observation for a unit already answered: that unit fails; the
                # pending one gets a fresh child.
                units[late] = {**_EXTRA, "seconds": units[late].get("seconds", 0.0)}
                pending = False
                break
            if rest or (chan_r in open_fds and _has_data(chan_r)):
                failed = {**_EXTRA, "seconds": secs}
                break
            units[i] = rec = (_passed_on(line[len(head):-1], secs) if passed_on
                              else _functional_record(line, secs, i))
            i += 1
            pending = False
            if rec["status"] == "bad_observation" or (stop_first and rec["status"] != "ok") or exited:
                break
            if i < n and time.monotonic() < job_deadline:
                unit_start = request(i)
                pending = True
            else:
                break
        if not pending and not failed and not exited and i > start and i - 1 in units:
            # Done with this child: end its requests. An honest harness then closes the channel
            # and exits; wait for either, so that a second observation for the last unit,
            # written before, is always seen.
            out.clear()
            if waiting:
                poller.unregister(req_w)
                waiting = False
            os.close(req_w)
            req_w = -1
            grace = time.monotonic() + min(0.2, max(0.0, job_deadline - time.monotonic()))
            chan_done = False
            while not exited and not chan_done and time.monotonic() < grace:
                for fd, _ in poller.poll(max(0.0, grace - time.monotonic()) * 1000):
                    if fd == pidfd:
                        exited = True
                    elif fd == chan_r:
                        if _has_data(chan_r):
                            exited = True  # stop waiting: the verdict is known
                            units[i - 1] = {**_EXTRA, "seconds": units[i - 1].get("seconds", 0.0)}
                        else:  # EOF: every line the child will ever write is in
                            chan_done = True
                            poller.unregister(fd)
                    elif not os.read(fd, 1 << 16):  # drain stdout/stderr meanwhile
                        poller.unregister(fd)
            if units[i - 1]["status"] != "bad_observation" and chan_r in open_fds and _has_data(chan_r):
                units[i - 1] = {**_EXTRA, "seconds": units[i - 1].get("seconds", 0.0)}
        # Every unit has its record: the child's wait status is not needed (killed now, reaped
        # by the job's cleanup).
        decided = not pending and failed is None and i >= n
    finally:
        _kill_and_reap(run, pid, pidfd, [req_w, *open_fds], t, decided)
    if pending and i < n and failed is None and i > start:
        # The child ended after answering earlier units, maybe before it even read request i
        # (a program that exits after one answer): unit i gets a fresh child of its own, where
        # dying again is charged to it.
        pending = False
    if pending and i < n:
        if failed is None:  # the child ended (exit or signal) without answering unit i
            run.unit_seconds = time.monotonic() - unit_start
            failed = _crash_record(run)
            if failed["status"] == "exited":
                failed["message"] = f"process exited with status {failed['exit']} before answering"
        units[i] = {"seconds": 0.0, **failed}
        i += 1
    return i, run.stderr_tail


def _crash_record(run: _Run) -> dict:
    """Record for the unit that was in progress when the child stopped without reporting."""
    if run.killed == "timeout" or run.killed == "job_timeout":
        return {"status": "timeout", "seconds": run.unit_seconds}
    if run.killed == "output_limit":
        return {"status": "output_limit", "seconds": run.unit_seconds}
    st = run.status or 0
    if run.oom:
        return {"status": "crashed", "error_type": MEMORY_LIMIT_ERROR, "seconds": run.unit_seconds,
                "message": "killed by the job's memory limit (shared memory, memfds and tmpfs files count)"}
    if os.WIFSIGNALED(st):
        sig = os.WTERMSIG(st)
        if sig == signal.SIGXCPU:
            return {"status": "timeout", "message": "CPU time limit", "seconds": run.unit_seconds}
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        return {"status": "crashed", "error_type": name, "message": f"killed by {name}", "seconds": run.unit_seconds}
    code = os.WEXITSTATUS(st)
    return {"status": "exited", "exit": code, "error_type": "EarlyExit",
            "message": f"process exited with status {code} without a completion report", "seconds": run.unit_seconds}
