"""`recode check`: run solutions against a problem set's tests in the sandbox.

    recode check --dataset humaneval --solutions canonical --json
    recode check --problems lcb.jsonl --solutions sols.jsonl --out verdicts.jsonl

`--solutions canonical` uses each problem's reference solution; a JSONL file gives records
`{"task_id", "solution"}` (a full program; for LiveCodeBench records the task_id is the
`question_id`). Problems without a solution are reported (verdict `no_solution`), never
silently skipped. `--json` prints `{"passed", "total", "seconds"}` as the last stdout line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from pydantic import Field

from recode_rl.config import StageConfig, load_config
from recode_rl.errors import DataError
from recode_rl.execution.config import LimitsConfig

__all__ = ["Config", "add_arguments", "run", "read_solutions"]


class Config(StageConfig):
    dataset: str | None = Field(None, description="registered problem set, e.g. humaneval, mbpp+, embedded")
    problems: str | None = Field(None, description="problems file (.jsonl/.json/.parquet; schema detected per record)")
    solutions: str = Field("canonical", description="'canonical' or a JSONL file of {task_id, solution}")
    out: str | None = Field(None, description="write one JSONL verdict record per problem here")
    max_workers: int | None = Field(None, ge=1, description="parallel jobs (default: all cores)")
    limits: LimitsConfig = LimitsConfig()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    src = parser.add_mutually_exclusive_group()
    src.add_argument("--dataset", help="registered problem set (humaneval, humaneval+, mbpp, mbpp+, livecodebench, embedded, ...)")
    src.add_argument("--problems", metavar="FILE", help="problems file, schema detected per record")
    parser.add_argument("--solutions", metavar="canonical|FILE", help="reference solutions or a JSONL of {task_id, solution}")
    parser.add_argument("--out", metavar="FILE", help="JSONL verdicts, one record per problem")
    parser.add_argument("--workers", type=int, metavar="N", help="parallel jobs (default: all cores)")
    parser.add_argument("--timeout", type=float, metavar="SEC", help="wall seconds per test")
    parser.add_argument("--json", action="store_true", help="print a one-line JSON summary last")


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


def run(args: argparse.Namespace) -> int:
    overrides = list(args.overrides)
    for flag, key in (("dataset", "dataset"), ("problems", "problems"), ("solutions", "solutions"),
                      ("out", "out"), ("workers", "max_workers"), ("timeout", "limits.timeout")):
        value = getattr(args, flag)
        if value is not None:
            overrides.append(f"{key}={json.dumps(value) if isinstance(value, str) else value}")
    cfg = load_config(Config, args.config, overrides)
    if not cfg.dataset and not cfg.problems:
        raise DataError("give --dataset NAME or --problems FILE")

    from recode_rl.data import load_problems
    from recode_rl.execution import Executor, Verdict

    problems = load_problems(cfg.dataset or cfg.problems)
    if cfg.solutions == "canonical":
        programs = {p.task_id: p.reference_solution for p in problems if p.reference_solution}
    else:
        programs = read_solutions(cfg.solutions)
        known = {p.task_id for p in problems}
        unknown = sorted(set(programs) - known)
        if unknown:
            raise DataError.at(cfg.solutions, f"{len(unknown)} task_id(s) not in the problem set, e.g. {unknown[:3]}",
                               field="task_id")
    jobs = [(programs[p.task_id], p.tests) for p in problems if p.task_id in programs]
    t0 = time.monotonic()
    with Executor(cfg.max_workers) as ex:
        results = iter(ex.map(jobs, cfg.limits.to_limits(), progress="check"))
    seconds = time.monotonic() - t0

    records, passed, missing = [], 0, 0
    for p in problems:
        if p.task_id not in programs:
            missing += 1
            records.append({"task_id": p.task_id, "passed": False, "verdict": "no_solution", "tests_passed": 0,
                            "tests_total": len(p.tests), "seconds": 0.0})
            continue
        r = next(results)
        passed += r.all_passed
        records.append({"task_id": p.task_id, "passed": r.all_passed, "verdict": r.verdict.value,
                        "tests_passed": r.passed, "tests_total": r.total, "seconds": round(r.seconds, 4),
                        "error_type": r.error_type or next((t.error_type for t in r.tests if t.verdict is not Verdict.PASSED), None),
                        "message": r.message or next((t.message for t in r.tests if t.verdict is not Verdict.PASSED), None)})
    if cfg.out:
        Path(cfg.out).parent.mkdir(parents=True, exist_ok=True)
        with open(cfg.out, "w") as f:
            for rec in records:
                f.write(json.dumps(rec) + "\n")
    counts: dict[str, int] = {}
    for rec in records:
        counts[rec["verdict"]] = counts.get(rec["verdict"], 0) + 1
    print(f"{passed}/{len(problems)} passed in {seconds:.1f}s  " + "  ".join(f"{k}={v}" for k, v in sorted(counts.items())),
          file=sys.stderr if args.json else sys.stdout)
    if missing:
        print(f"note: {missing} problem(s) had no solution (verdict no_solution)", file=sys.stderr)
    if cfg.out:
        print(f"verdicts written to {cfg.out}", file=sys.stderr)
    if args.json:
        print(json.dumps({"passed": passed, "total": len(problems), "seconds": round(seconds, 3)}))
    return 0
