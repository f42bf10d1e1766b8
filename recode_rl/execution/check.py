"""`check(cfg)`: run solutions (reference or given) against a problem set's tests in the sandbox.

The library behind `recode check`. Problems come from `recode_rl.data.load_problems` (imported
lazily: the executor itself never imports `recode_rl.data`). A problem without a solution gets
the verdict `no_solution`, never a silent skip; a solution for an unknown task is an error.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from recode_rl.errors import DataError
from recode_rl.execution.config import CheckConfig

__all__ = ["CheckReport", "check", "read_solutions"]


@dataclass
class CheckReport:
    records: list[dict[str, Any]]               # one per problem, in problem order
    passed: int
    total: int
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)   # verdict -> problems
    missing: int = 0                             # problems without a solution


def read_solutions(path: str) -> dict[str, str]:
    """task_id -> program from JSONL/JSON records {task_id, solution}; errors name file, line, field."""
    from recode_rl.data.records import get_str, read_records

    out: dict[str, str] = {}
    for where, rec in read_records(path):
        task_id = get_str(rec, "task_id", where)
        solution = rec.get("solution")
        if not isinstance(solution, str):
            raise where.error("solution", "missing or not a string")
        if task_id in out:
            raise where.error("task_id", f"duplicate task_id {task_id!r}")
        out[task_id] = solution
    return out


def _first_failure(r: Any, attr: str) -> Any:
    from recode_rl.execution.types import Verdict

    return getattr(r, attr) or next((getattr(t, attr) for t in r.tests if t.verdict is not Verdict.PASSED), None)


def check(cfg: CheckConfig) -> CheckReport:
    """Verdict records for every problem of `cfg.dataset` / `cfg.problems` (see module doc)."""
    from recode_rl.data import load_problems
    from recode_rl.execution import Executor

    if not cfg.dataset and not cfg.problems:
        raise DataError("give --dataset NAME or --problems FILE")
    problems = load_problems(cfg.dataset or cfg.problems)
    if not problems:
        raise DataError(f"{cfg.dataset or cfg.problems}: no problems (an empty problem set checks nothing)")
    if cfg.solutions == "canonical":
        programs = {p.task_id: p.reference_solution for p in problems if p.reference_solution}
    else:
        programs = read_solutions(cfg.solutions)
        if not programs:
            raise DataError.at(cfg.solutions, "no solutions (an empty file checks nothing)")
        unknown = sorted(set(programs) - {p.task_id for p in problems})
        if unknown:
            raise DataError.at(cfg.solutions, f"{len(unknown)} task_id(s) not in the problem set, e.g. {unknown[:3]}",
                               field="task_id")
    jobs = [(programs[p.task_id], p.tests) for p in problems if p.task_id in programs]
    t0 = time.monotonic()
    with Executor(cfg.max_workers) as ex:
        results = iter(ex.map(jobs, cfg.limits.to_limits(), progress="check"))
    seconds = time.monotonic() - t0

    records: list[dict[str, Any]] = []
    for p in problems:
        if p.task_id not in programs:
            records.append({"task_id": p.task_id, "passed": False, "verdict": "no_solution", "tests_passed": 0,
                            "tests_total": len(p.tests), "seconds": 0.0})
            continue
        r = next(results)
        records.append({"task_id": p.task_id, "passed": r.all_passed, "verdict": r.verdict.value,
                        "tests_passed": r.passed, "tests_total": r.total, "seconds": round(r.seconds, 4),
                        "error_type": _first_failure(r, "error_type"), "message": _first_failure(r, "message")})
    return CheckReport(records=records, passed=sum(rec["passed"] for rec in records), total=len(problems),
                       seconds=seconds, counts=dict(sorted(Counter(rec["verdict"] for rec in records).items())),
                       missing=len(problems) - len(jobs))
