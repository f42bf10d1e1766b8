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

from recode_rl.config import Flags, config_from_args
from recode_rl.execution.config import CheckConfig as Config

__all__ = ["Config", "FLAGS", "add_arguments", "run"]

FLAGS: Flags = {"dataset": lambda v: {"dataset": v, "problems": None},     # one source: a flag replaces
                "problems": lambda v: {"problems": v, "dataset": None},    # the other from the config
                "solutions": "solutions", "out": "out", "workers": "max_workers", "timeout": "limits.timeout"}
OVERRIDE_EXAMPLE = "limits.timeout=10"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    src = parser.add_mutually_exclusive_group()
    src.add_argument("--dataset", help="registered problem set (humaneval, humaneval+, mbpp, mbpp+, livecodebench, embedded, ...)")
    src.add_argument("--problems", metavar="FILE", help="problems file, schema detected per record")
    parser.add_argument("--solutions", metavar="canonical|FILE", help="reference solutions or a JSONL of {task_id, solution}")
    parser.add_argument("--out", metavar="FILE", help="JSONL verdicts, one record per problem")
    parser.add_argument("--workers", type=int, metavar="N", help="parallel jobs (default: all cores)")
    parser.add_argument("--timeout", type=float, metavar="SEC", help="wall seconds per test")
    parser.add_argument("--json", action="store_true", help="print a one-line JSON summary last")


def run(args: argparse.Namespace) -> int:
    from recode_rl.data.records import write_records
    from recode_rl.execution.check import check

    cfg = config_from_args(Config, args, FLAGS)
    report = check(cfg)
    print(f"{report.passed}/{report.total} passed in {report.seconds:.1f}s  "
          + "  ".join(f"{k}={v}" for k, v in report.counts.items()), file=sys.stderr if args.json else sys.stdout)
    if report.missing:
        print(f"note: {report.missing} problem(s) had no solution (verdict no_solution)", file=sys.stderr)
    if cfg.out:
        write_records(cfg.out, report.records)
        print(f"verdicts written to {cfg.out}", file=sys.stderr)
    if args.json:
        print(json.dumps({"passed": report.passed, "total": report.total, "seconds": round(report.seconds, 3)}))
    return 0
