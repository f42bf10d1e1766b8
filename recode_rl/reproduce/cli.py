"""`recode reproduce`: one command per experiment of the paper, the whole chain in one run directory.

    recode reproduce --list [--json]                       # every table row and figure, needs, paper numbers
    recode reproduce table1-recode --dry-run               # the commands and resolved configs, offline
    recode reproduce table1-recode table8 --run-dir runs/rq1   # shared stages (RM, RL runs) run once
    recode reproduce table7 figure3d --scale cpu           # the CPU twins (embedded models)

synth -> train-rm -> eval-rm -> train-rl -> eval -> analyze -> report, resumable stage by stage
(rerun the same command). The report puts our numbers beside the paper's. See docs/reproduce.md.
"""

from __future__ import annotations

import argparse

from recode_rl.config import Flags, config_from_args, split_positionals
from recode_rl.reproduce.config import ReproduceConfig as Config

__all__ = ["Config", "FLAGS", "add_arguments", "run"]


def _vars(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        name, _, value = item.partition("=")
        out[f"vars.{name}"] = value
    return out


FLAGS: Flags = {"ids": "experiments+", "scale": "scale", "run_dir": "run_dir", "dry_run": "dry_run", "var": _vars}
OVERRIDE_EXAMPLE = "scale=cpu"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ids", nargs="*", metavar="ID", help="experiment ids (see --list), or all")
    parser.add_argument("--list", action="store_true", help="list every experiment with results in the paper")
    parser.add_argument("--json", action="store_true", help="with --list: the last line is a JSON array")
    parser.add_argument("--dry-run", action="store_true", help="print the commands and resolved configs; run nothing")
    parser.add_argument("--scale", choices=["paper", "cpu"], help="paper (GPUs, servers) or cpu (embedded twins)")
    parser.add_argument("--run-dir", metavar="DIR", help="run directory (default runs/reproduce-<scale>; reuse to resume)")
    parser.add_argument("--var", action="append", metavar="NAME=VALUE",
                        help="a placeholder of the commands, e.g. rewardbench=FILE; repeatable")


def resolve_config(args: argparse.Namespace) -> Config:
    """The config this command runs with (experiment ids and KEY=VALUE overrides share the positionals)."""
    args.ids = split_positionals(args, args.ids)
    return config_from_args(Config, args, FLAGS)


def run(args: argparse.Namespace) -> int:
    from recode_rl.reproduce import plan

    if args.list:
        print(plan.list_text())
        if args.json:
            print(plan.list_json())
        return 0
    return plan.run(resolve_config(args))
