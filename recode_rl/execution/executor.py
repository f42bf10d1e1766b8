"""Parent side of the executor: a pool of job slots in front of the warm fork server.

`Executor.run(program, tests, limits)` sends one job (never the expected outputs) to the
fork server, waits for the supervisor's raw per-test records, and grades them here, on the
trusted side (`compare.py`). `Executor.map` runs many jobs with bounded concurrency (one
in-flight job per slot; each slot has its own sandbox uid when running as root) and an
optional tqdm progress bar. The server is restarted transparently if it dies.
"""

from __future__ import annotations

import atexit
import fcntl
import functools
import json
import os
import py_compile
import queue
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import Iterable, Sequence

from recode_rl.execution.bootstrap import bytecode_path
from recode_rl.execution.compare import check_value, stdio_equal, values_equal
from recode_rl.execution.harness import from_wire, to_wire
from recode_rl.execution.protocol import decode_segment, recv_msg, recv_segments, send_msg
from recode_rl.execution.types import ExecutionResult, Limits, TestResult, TestSuite, Verdict

__all__ = ["Executor", "Job", "default_executor"]

Job = tuple  # (program, tests) or (program, tests, limits)
# Sandbox uids: each Executor claims blocks of UID_BLOCK uids with flocks held for its
# lifetime, so executors in different processes (two trainers on one host) never share a
# uid. A slot's uid goes to the next job only when the supervisor confirmed that nothing of
# the previous job is left; otherwise it is retired for good and the slot gets a fresh one
# (a new block is claimed when the current one runs out).
UID_BASE = int(os.environ.get("RECODE_SANDBOX_UID_BASE", "200000"))
UID_BLOCK = 256
UID_BLOCKS = 1024
_LOCK_DIR = os.path.join(tempfile.gettempdir(), "recode-rl-uid-blocks")
_MEMORY_ERRORS = {"MemoryError", "MemoryLimitExceeded"}  # units.MEMORY_LIMIT_ERROR: the job's memory cgroup
MAX_UNITS = 10_000  # unittest tests collected per job (server.MAX_UNITS)
MAX_SPARE_SLOTS = 4  # server.MAX_SPARE_SLOTS: slots beyond one per worker
_warned: set[str] = set()


class Executor:
    def __init__(self, max_workers: int | None = None) -> None:
        self.max_workers = max(1, max_workers or os.cpu_count() or 1)
        if self.max_workers > UID_BLOCK // 2:
            raise ValueError(f"max_workers={self.max_workers} exceeds {UID_BLOCK // 2}")
        self._lock = threading.Lock()
        self._uid_lock_fds: list[int] = []
        self._uid_blocks: list[int] = []  # first uid of each block claimed, in claim order
        self._next_uid = 0                # uids handed out so far (never handed out twice)
        self._proc: subprocess.Popen | None = None
        self._tmp = tempfile.mkdtemp(prefix="recode-exec-")
        self._sock = os.path.join(self._tmp, "server.sock")
        self.isolation: dict[str, str] = {}
        try:
            self._start_server()
        except BaseException:
            shutil.rmtree(self._tmp, ignore_errors=True)  # nothing of a failed start is left in /tmp
            raise
        # One uid per slot of the server (a job's slot and uid are both taken until its cleanup
        # is confirmed): `map` keeps `max_workers` jobs in flight, the spares carry the
        # cleanups still running behind them (`_Reclaimer`).
        self._slots: queue.Queue = queue.Queue()
        for _ in range(self.max_workers + min(self.max_workers, MAX_SPARE_SLOTS)):
            self._slots.put(self._new_uid())
        self._reclaimer = _Reclaimer(self._recycle)
        self._pool = ThreadPoolExecutor(self.max_workers, thread_name_prefix="recode-exec")
        self._pid = os.getpid()

    # -- server lifecycle ---------------------------------------------------------------
    def _claim_uid_block(self) -> int:
        """flock one more block of sandbox uids for this executor's lifetime; returns its first uid."""
        os.makedirs(_LOCK_DIR, mode=0o700, exist_ok=True)
        for block in range(UID_BLOCKS):
            fd = os.open(os.path.join(_LOCK_DIR, f"{block}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            self._uid_lock_fds.append(fd)
            return UID_BASE + block * UID_BLOCK
        raise RuntimeError(f"all {UID_BLOCKS} sandbox uid blocks are in use (lock files in {_LOCK_DIR})")

    def _new_uid(self) -> int | None:
        """A uid no job of this executor has had (slots whose cleanup was not confirmed are
        given a new one; their old uid is never reused)."""
        if self.isolation.get("uid") != "on":
            return None
        with self._lock:
            block, offset = divmod(self._next_uid, UID_BLOCK)
            if block == len(self._uid_blocks):
                self._uid_blocks.append(self._claim_uid_block())
            self._next_uid += 1
            return self._uid_blocks[block] + offset

    def _recycle(self, uid: int | None, clean: bool) -> None:
        """Only a confirmed cleanup lets a uid serve another job; otherwise a fresh one replaces it."""
        if self._proc is None:
            return  # closed: the uid blocks are released, no new one is claimed
        self._slots.put(uid if clean else self._new_uid())

    def settle(self, timeout: float = 60.0) -> bool:
        """Wait until the cleanup of every finished job is confirmed (or its uid retired).
        `run` and `map` return as soon as the verdicts are known and every process of the job
        has been sent SIGKILL; the slot then reaps them and confirms in the background."""
        return self._reclaimer.wait_idle(timeout)

    def uids(self) -> list[range]:
        """The sandbox uids this executor may have handed out (for leak checks)."""
        return [range(b, b + UID_BLOCK) for b in self._uid_blocks]

    def _start_server(self) -> None:
        if os.path.exists(self._sock):
            os.unlink(self._sock)
        r, w = os.pipe()
        pkg_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": pkg_root,
               "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
               # Children are forked, not exec'd: the server's hash seed is theirs. Fixing it
               # makes set/dict-of-set iteration order identical across runs and machines
               # (expected outputs computed once and compared later depend on it).
               "PYTHONHASHSEED": "0",
               "RECODE_SANDBOX_DISABLE": os.environ.get("RECODE_SANDBOX_DISABLE", "")}
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "recode_rl.execution.bootstrap", _server_bytecode(pkg_root) or "-",
             self._sock, str(r), str(self.max_workers)],
            pass_fds=(r,), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, env=env,
            start_new_session=True, cwd="/",
        )
        os.close(r)
        self._lifeline = w
        os.set_inheritable(w, False)
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError("the executor's fork server failed to start (see stderr above)")
        ready = json.loads(line)
        self.isolation = ready["isolation"]
        for layer, state in self.isolation.items():
            if not state.startswith("on") and layer not in _warned:
                _warned.add(layer)
                warnings.warn(f"recode-rl sandbox: isolation layer {layer!r} is {state}", RuntimeWarning, stacklevel=3)
                print(f"WARNING: recode-rl sandbox: isolation layer {layer!r} is {state}", file=sys.stderr)

    def _ensure_server(self) -> None:
        with self._lock:
            if self._proc is not None and self._proc.poll() is not None:
                os.close(self._lifeline)
                self._start_server()

    def close(self) -> None:
        if self._proc is None:
            return
        try:
            os.close(self._lifeline)  # the server exits on EOF
        except OSError:
            pass
        try:
            self._proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait()
        if self._proc.stdout:
            self._proc.stdout.close()
        self._proc = None
        self._reclaimer.stop()
        self._pool.shutdown(wait=False)
        shutil.rmtree(self._tmp, ignore_errors=True)
        for fd in self._uid_lock_fds:
            os.close(fd)  # releases the uid blocks
        self._uid_lock_fds = []

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one job ----------------------------------------------------------------------------
    def raw(self, program: str, tests: TestSuite, limits: Limits | None = None, *, settle: bool = True) -> dict:
        """Run a job and return the supervisor's raw per-test records (no grading). With
        `settle` (the default) it returns once the job's cleanup is confirmed (`"clean"`);
        otherwise as soon as the verdicts are known (`"clean"` is then None when the
        confirmation is still to come: `settle()` waits for it)."""
        limits = limits or Limits()
        n = len(tests)
        req = {
            "kind": tests.kind, "program": program, "n_units": n,
            "fn_name": tests.fn_name, "class_name": tests.class_name,
            "preamble": tests.preamble, "assertions": list(tests.assertions), "entry_point": tests.entry_point,
            # EvalPlus's not-None oracle: the sandbox reports only `v if bool else v is not None`
            "project": "not_none" if tests.oracle == "not_none" else None,
            "limits": {**_limits_wire(limits), "job_deadline": limits.job_deadline(n)},
        }
        # Inputs only (the expected outputs stay in this process), as raw segments after the
        # request, each in the form its child reads: the supervisor forwards them untouched.
        if tests.kind == "stdio":
            inputs = [x.encode() for x in tests.inputs]
        elif tests.kind == "functional":
            inputs = [_dumps(to_wire(list(a))).encode() for a in tests.inputs]
        else:
            inputs = []
        uid = self._slots.get()
        healthy = True
        try:
            for attempt in range(2):
                try:
                    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    try:
                        sock.settimeout(req["limits"]["job_deadline"] + 30)
                        sock.connect(self._sock)
                        send_msg(sock, {**req, "uid": uid}, inputs)
                        try:
                            resp = _receive(sock)
                            if type(resp) is dict and resp.get("cleanup") == "pending":
                                # The verdicts came before the cleanup's confirmation.
                                if not settle:
                                    self._reclaimer.watch(sock, uid)
                                    sock, uid = None, _RECLAIMING
                                    resp["clean"] = None
                                    return resp
                                resp["clean"] = _confirmation(sock)
                        except (ValueError, RecursionError, MemoryError) as exc:
                            healthy = False
                            return {"error": f"unreadable supervisor response: {type(exc).__name__}"}
                        # Only a confirmed cleanup lets this uid serve another job.
                        healthy = type(resp) is dict and resp.get("clean") is True
                        return resp
                    finally:
                        if sock is not None:
                            sock.close()
                except (ConnectionRefusedError, FileNotFoundError, BrokenPipeError, ConnectionError) as exc:
                    healthy = False  # cleanup of this uid is not confirmed: never reuse it
                    if attempt:
                        return {"error": f"fork server unavailable: {exc!r}"}
                    self._ensure_server()
                    uid = self._new_uid()
                except socket.timeout:
                    healthy = False  # the supervisor may still be running under this uid
                    return {"error": "the sandbox supervisor did not answer in time"}
            return {"error": "unreachable"}
        finally:
            if uid is not _RECLAIMING:
                self._recycle(uid, healthy)

    def run(self, program: str, tests: TestSuite, limits: Limits | None = None) -> ExecutionResult:
        t0 = time.monotonic()
        raw = self.raw(program, tests, limits, settle=False)
        result = grade(raw, tests, stop_on_first_failure=bool(limits and limits.stop_on_first_failure))
        result.seconds = time.monotonic() - t0
        return result

    def map(self, jobs: Iterable[Job], limits: Limits | None = None, *, max_workers: int | None = None,
            progress: bool | str = False) -> list[ExecutionResult]:
        jobs = list(jobs)
        sem = threading.Semaphore(min(max_workers or self.max_workers, self.max_workers))

        def one(job: Job) -> ExecutionResult:
            with sem:
                program, tests, *rest = job
                try:
                    return self.run(program, tests, rest[0] if rest else limits)
                except Exception as exc:  # noqa: BLE001 - one job never costs the batch its verdicts
                    n = max(len(tests), 1)
                    return ExecutionResult(Verdict.SANDBOX_ERROR, [TestResult(Verdict.SANDBOX_ERROR) for _ in range(n)],
                                           message=f"executor failed: {exc!r}"[:300], trust=tests.trust)

        futures = [self._pool.submit(one, job) for job in jobs]
        bar = None
        if progress:
            from tqdm.auto import tqdm
            bar = tqdm(total=len(futures), desc=progress if isinstance(progress, str) else "executing", unit="job")
        results = []
        try:
            for fut in futures:
                results.append(fut.result())
                if bar:
                    bar.update(1)
        finally:
            if bar:
                bar.close()
        return results


_dumps = json.JSONEncoder(separators=(",", ":")).encode  # a functional test's arguments, as its child reads them


@functools.lru_cache(maxsize=64)
def _limits_wire(limits: Limits) -> dict:
    """A job's limits as the supervisor reads them (Limits is frozen: converted once per value)."""
    return asdict(limits)


def _remove_if_mine(path: str, pid: int) -> None:
    if os.getpid() == pid:  # not from a forked copy of this process that exits first
        shutil.rmtree(path, ignore_errors=True)


_BYTECODE: list[str | None] = []  # the fork server's bytecode cache, made once per process
_BYTECODE_LOCK = threading.Lock()


def _server_bytecode(pkg_root: str) -> str | None:
    """A bytecode cache of this package's own modules for the fork server (`bootstrap` reads
    them from it), compiled here once per process into a private temporary directory; None if
    that fails (the server then compiles them from source).

    Why: a module compiled from source leaves the compiler's garbage in the importing process's
    heap. Without bytecode (a source checkout, PYTHONDONTWRITEBYTECODE) the server held 9.8 MB
    of anonymous memory where it needs 7.5 MB, and every fork copies the page tables of all of
    it and every child's exit tears them down again."""
    with _BYTECODE_LOCK:
        if not _BYTECODE:
            prefix = None
            try:
                prefix = tempfile.mkdtemp(prefix="recode-pyc-")
                atexit.register(_remove_if_mine, prefix, os.getpid())
                pkg = os.path.join(pkg_root, "recode_rl")
                sources = [os.path.join(pkg, "__init__.py")] + [
                    os.path.join(pkg, "execution", f) for f in sorted(os.listdir(os.path.join(pkg, "execution")))
                    if f.endswith(".py")]
                for src in sources:  # the server runs without -O
                    py_compile.compile(src, cfile=bytecode_path(prefix, src), dfile=src, doraise=True, optimize=0)
            except (OSError, py_compile.PyCompileError):
                prefix = None
            _BYTECODE.append(prefix)
        return _BYTECODE[0]


# ------------------------------------------------------------------------ deferred cleanups

_RECLAIMING = object()  # raw(): the uid went to the reclaimer with the connection


def _receive(sock: socket.socket) -> object:
    """The supervisor's answer to a job, with the returned values it passed on undecoded (raw
    segments after the answer, `server._answer`) decoded and checked here: a segment that is not
    exactly one JSON value nesting at most `protocol.MAX_DEPTH` levels fails its unit."""
    resp = recv_msg(sock)
    if type(resp) is not dict or "segments" not in resp:
        return resp
    units = resp.get("units") if type(resp.get("units")) is dict else {}
    segments = recv_segments(sock, resp.pop("segments"), len(units))  # at most one per unit
    for rec in units.values():
        if type(rec) is dict and "segment" in rec:
            k = rec.pop("segment")
            try:
                rec["value"] = decode_segment(segments[k])
            except (ValueError, TypeError, IndexError, MemoryError) as exc:
                secs = rec.get("seconds")
                rec.clear()
                rec.update({"status": "bad_observation", "error_type": "ProtocolViolation",
                            "message": f"malformed observation: {str(exc)[:80]}", "seconds": secs})
    return resp


def _confirmation(sock: socket.socket) -> bool:
    """The supervisor's second message on a job's connection: was the cleanup confirmed?"""
    try:
        msg = recv_msg(sock)
    except (OSError, ValueError, RecursionError, MemoryError):
        return False
    return type(msg) is dict and msg.get("clean") is True


class _Reclaimer:
    """Waits, in one thread, for the cleanup confirmations of jobs whose verdicts were already
    returned, and hands each uid back (`recycle(uid, clean)`): a confirmed one to the pool, an
    unconfirmed one never again."""

    def __init__(self, recycle) -> None:
        self._recycle = recycle
        self._sel = selectors.DefaultSelector()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._sel.register(self._wake_r, selectors.EVENT_READ)
        self._new: list[tuple[socket.socket, int | None]] = []
        self._cond = threading.Condition()
        self._pending = 0
        self._closed = False
        self._thread: threading.Thread | None = None

    def watch(self, sock: socket.socket, uid: int | None) -> None:
        with self._cond:
            self._new.append((sock, uid))
            self._pending += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="recode-exec-reclaim", daemon=True)
                self._thread.start()
        try:
            os.write(self._wake_w, b"x")
        except BlockingIOError:
            pass  # already woken

    def wait_idle(self, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._pending == 0, timeout)

    def stop(self) -> None:
        with self._cond:
            self._closed = True
        try:
            os.write(self._wake_w, b"x")
        except (BlockingIOError, OSError):
            pass

    def _loop(self) -> None:
        while True:
            with self._cond:
                for sock, uid in self._new:
                    self._sel.register(sock, selectors.EVENT_READ, uid)
                self._new.clear()
                if self._closed:
                    break
            for key, _ in self._sel.select():
                if key.fileobj == self._wake_r:
                    os.read(self._wake_r, 4096)
                    continue
                sock = key.fileobj
                self._sel.unregister(sock)
                sock.settimeout(5.0)  # readable: the message is arriving
                clean = _confirmation(sock)
                sock.close()
                self._recycle(key.data, clean)
                with self._cond:
                    self._pending -= 1
                    self._cond.notify_all()
        for key in list(self._sel.get_map().values()):  # closing: the server goes, uids with it
            if key.fileobj != self._wake_r:
                key.fileobj.close()
        self._sel.close()
        os.close(self._wake_r)
        os.close(self._wake_w)
        with self._cond:
            self._pending = 0
            self._cond.notify_all()


# ------------------------------------------------------------------------------- grading

def _error_verdict(et: str | None) -> Verdict:
    return Verdict.MEMORY_LIMIT if et in _MEMORY_ERRORS else Verdict.RUNTIME_ERROR


def _str_or_none(x: object) -> str | None:
    return x[:300] if type(x) is str else None


def _grade_unit(rec: object, tests: TestSuite, i: int) -> TestResult:
    """One unit's verdict from its raw record. Every field is checked: the record carries what
    the sandbox observed, which a program can shape."""
    if rec is None:
        return TestResult(Verdict.NOT_RUN)
    if type(rec) is not dict:
        return TestResult(Verdict.RUNTIME_ERROR, 0.0, "ProtocolViolation", "malformed record")
    status = rec.get("status")
    secs = rec.get("seconds")
    secs = float(secs) if type(secs) in (int, float) and 0 <= secs < 1e9 else 0.0
    et, msg = _str_or_none(rec.get("error_type")), _str_or_none(rec.get("message"))
    if status == "not_run":
        return TestResult(Verdict.NOT_RUN, 0.0, None, msg)
    if status == "timeout":
        return TestResult(Verdict.TIMEOUT, secs, None, msg or "exceeded the time limit")
    if status == "output_limit":
        return TestResult(Verdict.RUNTIME_ERROR, secs, "OutputLimitExceeded", "output limit exceeded")
    if status == "sandbox_error":
        return TestResult(Verdict.SANDBOX_ERROR, secs, None, msg)
    if status in ("error", "crashed"):
        return TestResult(_error_verdict(et), secs, et, msg)
    if tests.kind == "stdio":
        if status == "done" and rec.get("exit") == 0 and type(rec.get("stdout")) is str:
            ok = stdio_equal(rec["stdout"], tests.outputs[i])
            return TestResult(Verdict.PASSED if ok else Verdict.WRONG_ANSWER, secs, None, None if ok else "wrong output")
        return TestResult(Verdict.RUNTIME_ERROR, secs, et or "NonZeroExit", msg)
    if tests.kind == "functional":
        if status == "ok":
            try:
                value = from_wire(rec.get("value"))
            except Exception as exc:  # noqa: BLE001 - malformed value from the sandbox
                return TestResult(Verdict.WRONG_ANSWER, secs, None, f"malformed result: {type(exc).__name__}")
            if tests.checks:   # assertion tests compiled into units: each keeps its own comparison
                ok = check_value(value, tests.outputs[i], tests.checks[i])
            else:
                ok = values_equal(value, tests.outputs[i], tests.atol, tests.oracle)
            return TestResult(Verdict.PASSED if ok else Verdict.WRONG_ANSWER, secs, None, None if ok else "wrong result")
        return TestResult(Verdict.RUNTIME_ERROR, secs, et or "EarlyExit", msg)
    # assertion / unittest: only a report carrying the harness's token passes.
    if status == "pass":
        return TestResult(Verdict.PASSED, secs)
    if status == "fail":
        return TestResult(Verdict.WRONG_ANSWER, secs, et, msg)
    return TestResult(Verdict.RUNTIME_ERROR, secs, et or "EarlyExit", msg)


def _grade_unit_total(rec: object, tests: TestSuite, i: int) -> TestResult:
    """`_grade_unit` that cannot raise: a grader exception is that unit's failure."""
    try:
        return _grade_unit(rec, tests, i)
    except Exception as exc:  # noqa: BLE001 - the reason is recorded on the unit
        return TestResult(Verdict.WRONG_ANSWER, 0.0, "GraderError", f"{type(exc).__name__}: {exc}"[:300])


def _n_units(raw: dict, tests: TestSuite) -> int:
    """How many units a job has: the TestSuite's count, except unittest suites, whose tests
    are collected in the sandbox (bounded by the supervisor)."""
    if tests.kind != "unittest":
        return len(tests)
    n = raw.get("n_units")
    return n if type(n) is int and 1 <= n <= MAX_UNITS else 1


def grade(raw: object, tests: TestSuite, *, stop_on_first_failure: bool = False) -> ExecutionResult:
    """Turn the supervisor's raw records into verdicts (trusted side: expected outputs here).

    Total: every unit gets a verdict whatever `raw` holds. The number of units comes from the
    TestSuite (stdio, functional, assertion), never from the records. With
    `stop_on_first_failure`, tests after the first failing one are NOT_RUN."""
    result = _grade(raw, tests, stop_on_first_failure)
    result.trust = tests.trust
    return result


def _grade(raw: object, tests: TestSuite, stop_on_first_failure: bool) -> ExecutionResult:
    if type(raw) is not dict or "error" in raw or type(raw.get("units", {})) is not dict:
        n = max(len(tests), 1)
        why = raw.get("error") if type(raw) is dict else None
        return ExecutionResult(Verdict.SANDBOX_ERROR, [TestResult(Verdict.SANDBOX_ERROR) for _ in range(n)],
                               message=str(why or "malformed supervisor response")[:300])
    tail = raw.get("stderr_tail") if type(raw.get("stderr_tail")) is str else ""
    n = _n_units(raw, tests)
    se = raw.get("syntax_error")
    if se:
        se = se if type(se) is dict else {}
        return ExecutionResult(Verdict.SYNTAX_ERROR, [TestResult(Verdict.SYNTAX_ERROR) for _ in range(n)],
                               stderr_tail=tail, error_type=_str_or_none(se.get("error_type")),
                               message=_str_or_none(se.get("message")))
    units = raw.get("units", {})
    results = [_grade_unit_total(units.get(str(i)), tests, i) for i in range(n)]
    if stop_on_first_failure:
        first = next((k for k, t in enumerate(results) if t.verdict is not Verdict.PASSED), n)
        results[first + 1:] = [TestResult(Verdict.NOT_RUN) for _ in range(n - first - 1)]
    return ExecutionResult(ExecutionResult.overall(results), results, stderr_tail=tail)


# ------------------------------------------------------------------ process-wide default

_default: Executor | None = None
_default_lock = threading.Lock()


def default_executor(max_workers: int | None = None) -> Executor:
    """A process-wide executor, started on first use and closed at exit (fork-aware)."""
    global _default
    with _default_lock:
        if _default is None or _default._pid != os.getpid() or (max_workers and max_workers > _default.max_workers):
            if _default is not None and _default._pid == os.getpid():
                _default.close()
            _default = Executor(max_workers)
        return _default


@atexit.register
def _close_default() -> None:
    if _default is not None and _default._pid == os.getpid():
        _default.close()
