"""Train a policy with CG-GRPO (execution-gated reasoning reward) on TRL's GRPOTrainer: `recode train-rl`.

    recode train-rl --config configs/train-rl/default.yaml            # CPU, embedded problems
    recode train-rl --config configs/train-rl/paper.yaml --scorer-path runs/rm/checkpoints/reward_model
    recode train-rl --config configs/train-rl/default.yaml --reward direct --run-dir runs/rl-direct

Rerun with the same `--run-dir` to resume from its last checkpoint; rerunning a finished run does
nothing unless `--max-steps` asks for more steps (then it continues from the last checkpoint). Multi-GPU: launch the same
command with `accelerate launch --config_file configs/accelerate/<zero2|zero3|ddp>.yaml -m recode_rl.cli
train-rl ...` (docs/training.md). Flags override `--config` and KEY=VALUE overrides.
"""

from __future__ import annotations

import argparse
import logging

from recode_rl.config import Flags, config_from_args
from recode_rl.rewards.config import SCORER_FLAGS, add_scorer_arguments
from recode_rl.rewards.core import REWARD_KINDS
from recode_rl.rl.config import Config

__all__ = ["Config", "FLAGS", "add_arguments", "run"]

FLAGS: Flags = {
    "run_dir": "run_dir",
    "reward": "reward.kind",
    **SCORER_FLAGS,
    "model": "model.path",
    "max_steps": "train.max_steps",
    "no_resume": lambda _: {"resume": False},
}
OVERRIDE_EXAMPLE = "train.learning_rate=1e-6"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run-dir", help="run directory (default runs/train-rl-<time>); an existing one resumes")
    parser.add_argument("--reward", choices=REWARD_KINDS, help="reward kind (overrides reward.kind)")
    add_scorer_arguments(parser)
    parser.add_argument("--model", help="policy: HF id or folder (overrides model.path)")
    parser.add_argument("--max-steps", type=int, help="optimizer steps (overrides train.max_steps)")
    parser.add_argument("--no-resume", action="store_true", help="start from scratch even if checkpoints exist")


def run(args: argparse.Namespace) -> int:
    from recode_rl.rl.train import train

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    cfg = config_from_args(Config, args, FLAGS)
    result = train(cfg)
    last = result.metrics[-1] if result.metrics else {}
    summary = {"run_dir": str(result.run_dir), "final_model": str(result.final_model),
               "global_step": result.global_step, "resumed_from": result.resumed_from,
               "seconds": round(result.seconds, 1), "hacking_flags": len(result.hacking_flags),
               **({"already_finished": True} if result.already_finished else {}),
               **{k: last[k] for k in ("reward", "recode/outcome_rate", "recode/format_rate") if k in last}}
    scores = ", ".join(f"{k} {last[k]:.3f}" for k in ("reward", "recode/outcome_rate") if isinstance(last.get(k), float))
    print(f"recode train-rl: {result.global_step} steps in {summary['seconds']} s"
          + (f", last step {scores}" if scores else "") + f"\n  final model: {result.final_model}"
          f"\n  run directory: {result.run_dir}")
    args.result = summary
    return 0
