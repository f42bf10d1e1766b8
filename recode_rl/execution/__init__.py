"""Sandboxed execution of untrusted, model-written programs against tests.

Public API
----------
    execute(program, tests, limits=None) -> ExecutionResult
    execute_many(jobs, limits=None, *, max_workers=None, progress=False) -> list[ExecutionResult]
    compute_outputs(program, fn_name, inputs, limits=None, class_name=None) -> list[(ok, value_or_error)]
        (with_seconds=True: (ok, value_or_error, seconds), for EvalPlus's per-input time limits)
    Executor (context manager) for explicit control; `default_executor()` is process-wide.

Threat model (see docs/executor.md for the full statement)
------------------------------------------------------------
Contained, by construction and by tests: infinite loops and slow code (per-test clocks kept by
the supervisor, a job deadline, at most two timeouts per job, RLIMIT_CPU); fork bombs
(a pids cgroup and RLIMIT_NPROC; every process of the job killed afterwards); memory bombs,
shared memory and memfds included (RLIMIT_AS and a memory cgroup -> MEMORY_LIMIT); huge
output (capped, the test fails); grading decisions from inside the sandbox (stdio/functional: the unit count, clocks and verdicts are the trusted
side's; the child only sends observations, and a missing, extra or malformed one fails its own
unit; syntax errors and sandbox failures cannot be claimed by the program); `sys.exit(0)`,
`os._exit(0)`, atexit hooks and signals pretending success; objects posing as plain data (an
exact-type whitelist; the parent compares only values it decoded itself); a grader that could
raise (every unit gets a verdict); patching `json`/`builtins`; killing or signalling the
parent, the server or other jobs (different uid; no /proc); reading expected outputs
(stdio/functional expectations are never in the sandbox's memory; the project tree and data
are not mounted); network (empty network namespace); writes outside the job's private working
directory (read-only root); daemons that double-fork or stop themselves (kill(-1) from the init
of the slot's PID namespace); secrets in the environment (scrubbed); anything one job leaves for
another (a fresh world per job: IPC and mount namespaces, tmpfs /tmp and /dev/shm, no keyrings,
children forked by a process that never read a job).

Assertion tests (HumanEval, MBPP) are compiled on the trusted side into functional units
(`execution.assertions`), so their expected values and comparisons never enter the sandbox;
what cannot be compiled, and unittest suites, run beside the program and are `trust: "weak"`.

Not contained: a program that deliberately introspects the harness's own memory in-process
can forge an *assertion/unittest* completion report (stdio/functional grading is immune);
work carried from one unit to a later one (files, memory); kernel exploits; CPU/memory-bandwidth
contention between concurrent jobs; side channels.
For hostile multi-tenant use add a VM or gVisor boundary around the whole executor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Sequence

if TYPE_CHECKING:
    from recode_rl.execution.types import ExecutionResult, Limits, TestResult, TestSuite, Verdict

__all__ = ["execute", "execute_many", "compute_outputs", "Executor", "default_executor",
           "ExecutionResult", "Limits", "TestResult", "TestSuite", "Verdict", "Job"]

_EXECUTOR_NAMES = ("Executor", "Job", "default_executor", "grade")
_TYPE_NAMES = ("ExecutionResult", "Limits", "TestResult", "TestSuite", "Verdict")


def __getattr__(name: str) -> Any:
    # The parent side (executor.py: threads, subprocess, selectors, ...) and the types
    # (dataclasses, inspect) load on first use: the fork server imports this package too, and
    # every byte it holds is copied into the page tables of every sandboxed child it forks.
    if name in _EXECUTOR_NAMES:
        from recode_rl.execution import executor

        return getattr(executor, name)
    if name in _TYPE_NAMES:
        from recode_rl.execution import types

        return getattr(types, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def execute(program: str, tests: TestSuite, limits: Limits | None = None) -> ExecutionResult:
    """Run `program` against `tests` in the sandbox."""
    from recode_rl.execution.executor import default_executor

    return default_executor().run(program, tests, limits)


def execute_many(jobs: Iterable["Job"], limits: Limits | None = None, *, max_workers: int | None = None,
                 progress: bool | str = False) -> list[ExecutionResult]:
    """Run many `(program, tests[, limits])` jobs in parallel; results in job order."""
    from recode_rl.execution.executor import default_executor

    return default_executor(max_workers).map(jobs, limits, max_workers=max_workers, progress=progress)


def compute_outputs(program: str, fn_name: str, inputs: Sequence[Sequence[Any]], limits: Limits | None = None,
                    class_name: str | None = None, *, with_seconds: bool = False, oracle: str = "equal") -> list[tuple]:
    """Call `fn_name(*args)` for each input in the sandbox and return `(True, value)` or
    `(False, "ErrorType: message")` per input — used to compute expected outputs from a
    trusted reference solution (EvalPlus), never to grade. `with_seconds`: a third element,
    the wall seconds the supervisor measured for that call (None if not run). `oracle`:
    "not_none" reports what the grader of such a suite compares (`TestSuite.oracle`)."""
    from recode_rl.execution.executor import default_executor
    from recode_rl.execution.harness import from_wire
    from recode_rl.execution.types import TestSuite

    tests = TestSuite(kind="functional", inputs=tuple(list(a) for a in inputs), outputs=(None,) * len(inputs),
                      fn_name=fn_name, class_name=class_name, oracle=oracle)  # type: ignore[arg-type]
    raw = default_executor().raw(program, tests, limits)
    tail = (None,) if with_seconds else ()
    if "error" in raw:
        return [(False, raw["error"], *tail)] * len(inputs)
    if raw.get("syntax_error"):
        return [(False, f"SyntaxError: {raw['syntax_error'].get('message')}", *tail)] * len(inputs)
    out: list[tuple] = []
    for i in range(len(inputs)):
        rec = raw["units"].get(str(i)) or {"status": "not_run"}
        if rec.get("status") == "ok":
            row: tuple = (True, from_wire(rec.get("value")))
        else:
            row = (False, f"{rec.get('error_type') or rec.get('status')}: {rec.get('message') or ''}".strip())
        secs = rec.get("seconds")
        out.append((*row, float(secs) if type(secs) in (int, float) else None) if with_seconds else row)
    return out
