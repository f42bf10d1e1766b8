"""`recode train-rm`: train the CRPL reward model (Bradley-Terry) or the score-based baseline.

Reads the preference pairs (or scored reasonings) of `recode synth`, trains a scalar head on a
backbone with TRL, and writes an HF checkpoint plus `scoring_card.json` to
`<run>/checkpoints/reward_model/`. Rerunning with the same run directory resumes from the last
trainer checkpoint; rerunning a finished run does nothing unless `train.max_steps` / `train.epochs`
ask for more than it was trained for (`recode_rl.rl.resume`, as for train-rl).

    recode train-rm --config configs/train-rm/default.yaml --synth-run runs/synth-...
    recode train-rm --config configs/train-rm/paper.yaml data.train=pairs.train.jsonl data.validation=pairs.validation.jsonl
"""

from __future__ import annotations

import argparse

from recode_rl.config import Flags, config_from_args
from recode_rl.reward_model.config import Config, use_synth_run

__all__ = ["Config", "FLAGS", "add_arguments", "run"]

# --synth-run is not a config key: it resolves to data.train / data.validation after loading,
# because which files it means depends on train.objective (see use_synth_run)
FLAGS: Flags = {"run_dir": "run_dir", "no_resume": lambda _: {"resume": False}}
OVERRIDE_EXAMPLE = "train.learning_rate=1e-6"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--synth-run", metavar="DIR",
                        help="a `recode synth` run directory: use its data/pairs.{train,validation}.jsonl "
                             "(or data/scores.*.jsonl with train.objective=score)")
    parser.add_argument("--run-dir", metavar="DIR", help="where to write (default runs/train-rm-<time>; reuse to resume)")
    parser.add_argument("--no-resume", action="store_true",
                        help="start from scratch even if checkpoints exist (the old ones are set aside)")


def run(args: argparse.Namespace) -> int:
    cfg = config_from_args(Config, args, FLAGS)
    if args.synth_run:
        use_synth_run(cfg, args.synth_run)
    from recode_rl.reward_model.train import train_reward_model

    summary, run_dir = train_reward_model(cfg)
    args.result = {"checkpoint": summary["checkpoint"], "run_dir": str(run_dir.root), "steps": summary["steps"],
                   **{k: summary[k] for k in ("seconds", "validation_accuracy", "validation_mse", "already_finished")
                      if k in summary}}
    if summary.get("already_finished"):
        print(f"recode train-rm: {summary['steps']} steps (already finished: nothing trained)\n"
              f"  reward model:  {summary['checkpoint']}\n  run directory: {run_dir.root}")
        return 0
    trunc = summary["truncation"]
    unit = "pairs" if cfg.train.objective == "bradley-terry" else "records"
    print(f"recode train-rm: {summary['objective']} on {cfg.model.backbone}, {summary['steps']} steps, "
          f"{summary['seconds']} s")
    print(f"  truncation ({trunc['policy']}, max_length {trunc['max_length']}): "
          f"{trunc['train']['touched_records']}/{trunc['train']['records']} train {unit} and "
          f"{trunc['validation']['touched_records']}/{trunc['validation']['records']} validation {unit} truncated, "
          "none dropped")
    if "validation_accuracy" in summary:
        print(f"  validation pairwise accuracy: {summary['validation_accuracy']:.3f}")
    if "validation_mse" in summary:
        print(f"  validation MSE of sigmoid(score) vs generator score: {summary['validation_mse']:.4f}")
    print(f"  reward model:  {summary['checkpoint']}  (scoring card: scoring_card.json)")
    print(f"  summary:       {run_dir.report / 'train_rm.json'}")
    print(f"  metrics:       {run_dir.metrics_path}")
    return 0
