"""`recode report RUN_DIR...`: write report.md and a self-contained report.html.

    recode report runs/demo                      # nested stage directories are found
    recode report runs/eval-base runs/eval-recode --out reports/ablation
    recode report runs/reproduce-paper experiments=[table1-recode,table8]   # paper vs ours first

Tables in the paper's layout for whatever was run, plots of training curves, reward dynamics
(with the reward-hacking monitor's flags) and generation efficiency.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from recode_rl.config import Flags, config_from_args, split_positionals
from recode_rl.errors import DataError
from recode_rl.report.config import ReportConfig as Config

__all__ = ["Config", "FLAGS", "add_arguments", "run"]

FLAGS: Flags = {"run_dirs_pos": "run_dirs", "out": "out"}
OVERRIDE_EXAMPLE = "title=Ablation"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dirs_pos", nargs="*", metavar="RUN_DIR", help="run directories (nested ones are found)")
    parser.add_argument("--out", metavar="DIR", help="output folder (default: <first run dir>/report)")


def resolve_config(args: argparse.Namespace) -> Config:
    """The config this command runs with (also used by `recode reproduce --dry-run`)."""
    args.run_dirs_pos = split_positionals(args, args.run_dirs_pos)
    return config_from_args(Config, args, FLAGS)


def run(args: argparse.Namespace) -> int:
    cfg = resolve_config(args)
    dirs = cfg.run_dirs
    if not dirs:
        raise DataError("give at least one run directory")
    missing = [d for d in dirs if not Path(d).is_dir()]
    if missing:
        raise DataError(f"no such run directory: {', '.join(missing)}")
    from recode_rl.report import collect, render

    found = collect(dirs)
    if found.empty() and not cfg.experiments:  # a paper-vs-ours table may be all there is (Table 7)
        raise DataError(f"nothing to report in {', '.join(dirs)}: no stage outputs (report/*.json, data/stats.json, "
                        "metrics.jsonl) found")
    out = Path(cfg.out or Path(dirs[0]) / "report")
    md, page = render(found, out, cfg.title, experiments=cfg.experiments, scale=cfg.scale)
    for problem in found.problems:
        print(f"warning: {problem}")
    print(f"report: {page}\nmarkdown: {md}")
    args.result = {"report": str(page), "markdown": str(md), "warnings": list(found.problems)}
    return 0
