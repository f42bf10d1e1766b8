"""`recode report RUN_DIR...`: write report.md and a self-contained report.html.

    recode report runs/demo                      # nested stage directories are found
    recode report runs/eval-base runs/eval-recode --out reports/ablation

Tables in the paper's layout for whatever was run, plots of training curves, reward dynamics
(with the reward-hacking monitor's flags) and generation efficiency.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pydantic import Field

from recode_rl.config import StageConfig, load_config
from recode_rl.errors import DataError

__all__ = ["Config", "add_arguments", "run"]


class Config(StageConfig):
    run_dirs: list[str] = Field(default_factory=list, description="run directories to report on")
    out: str | None = Field(None, description="output folder (default: <first run dir>/report)")
    title: str = "ReCode report"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dirs_pos", nargs="*", metavar="RUN_DIR", help="run directories (nested ones are found)")
    parser.add_argument("--out", metavar="DIR", help="output folder (default: <first run dir>/report)")


def run(args: argparse.Namespace) -> int:
    # positional RUN_DIRs and KEY=VALUE overrides share argparse's positional slots
    dirs = [a for a in list(args.run_dirs_pos) + list(args.overrides) if "=" not in a]
    overrides = [a for a in list(args.run_dirs_pos) + list(args.overrides) if "=" in a]
    cfg = load_config(Config, args.config, overrides)
    dirs = dirs or cfg.run_dirs
    if not dirs:
        raise DataError("give at least one run directory")
    from recode_rl.report import collect, render

    found = collect(dirs)
    out = Path(args.out or cfg.out or Path(dirs[0]) / "report")
    md, page = render(found, out, cfg.title)
    for problem in found.problems:
        print(f"warning: {problem}")
    print(f"report: {page}\nmarkdown: {md}")
    return 0
