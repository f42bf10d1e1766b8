"""SFT baseline on verified think/answer targets with TRL's SFTTrainer: `recode train-sft`.

    recode train-sft --config configs/train-sft/default.yaml                  # CPU, embedded problems
    recode train-sft --config configs/train-sft/paper.yaml --responses verified.jsonl

Targets are verified by the sandboxed executor before training (see recode_rl.rl.sft and
docs/training.md): reference solutions with a short think text, or a JSONL of generated responses
(e.g. from rejection sampling). Rerun with the same `--run-dir` to resume.
"""

from __future__ import annotations

import argparse
import logging

from recode_rl.config import Flags, config_from_args
from recode_rl.rl.config import SFTConfig as Config

__all__ = ["Config", "FLAGS", "add_arguments", "run"]

FLAGS: Flags = {
    "run_dir": "run_dir",
    "model": "model.path",
    "responses": lambda path: {"targets.source": "responses", "targets.responses": path},
    "no_resume": lambda _: {"resume": False},
}
OVERRIDE_EXAMPLE = "train.max_steps=20"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run-dir", help="run directory (default runs/train-sft-<time>); an existing one resumes")
    parser.add_argument("--model", help="policy: HF id or folder (overrides model.path)")
    parser.add_argument("--responses", help="JSONL of {task_id, response} targets (sets targets.source=responses)")
    parser.add_argument("--no-resume", action="store_true", help="start from scratch even if checkpoints exist")


def run(args: argparse.Namespace) -> int:
    from recode_rl.rl.sft import train_sft

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    cfg = config_from_args(Config, args, FLAGS)
    result = train_sft(cfg)
    args.result = {"run_dir": str(result.run_dir), "final_model": str(result.final_model),
                   "global_step": result.global_step, "resumed_from": result.resumed_from,
                   "targets": result.targets, "seconds": round(result.seconds, 1),
                   **({"already_finished": True} if result.already_finished else {})}
    done = "already finished: nothing trained" if result.already_finished else f"{args.result['seconds']} s"
    print(f"recode train-sft: {result.global_step} steps ({done})\n"
          f"  final model: {result.final_model}\n  run directory: {result.run_dir}")
    return 0
