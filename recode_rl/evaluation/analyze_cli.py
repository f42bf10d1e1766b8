"""`recode analyze`: the correlation study and training-dynamics plots, as JSON, markdown and PNG.

    recode analyze judged=[runs/build-lcbrb-.../data/lcbrb_judged.jsonl]     # 2x2 + chi-square
    recode analyze table=[3133,5051,8376,16586]                              # a table given directly
    recode analyze runs=[runs/rl-recode,runs/rl-outcome,runs/rl-direct]      # training dynamics

`table` is [pass & flawless, pass & flawed, fail & flawless, fail & flawed]. `judged` entries
may be files or build-lcbrb run directories. Writes <run>/report/analysis.json,
<run>/report/analysis.md and <run>/report/figures/dynamics_*.png.
"""

from __future__ import annotations

import argparse

from recode_rl.config import Flags, config_from_args
from recode_rl.evaluation.config import AnalyzeConfig as Config

__all__ = ["Config", "FLAGS", "add_arguments", "run"]

FLAGS: Flags = {"run_dir": "run_dir"}
OVERRIDE_EXAMPLE = "table=[16586,5051,8376,3133]"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run-dir", help="output run directory (also config key run_dir)")


def run(args: argparse.Namespace) -> int:
    from recode_rl.evaluation.analyze import analyze
    from recode_rl.rundir import RunDir

    cfg = config_from_args(Config, args, FLAGS)
    run_dir = RunDir.create(cfg.run_dir, stage="analyze")
    run_dir.write_config(cfg, "analyze")
    analyze(cfg, run_dir.root)
    print((run_dir.report / "analysis.md").read_text())
    print(f"written: {run_dir.report / 'analysis.json'}")
    args.result = {"run_dir": str(run_dir.root), "analysis": str(run_dir.report / "analysis.json")}
    return 0
