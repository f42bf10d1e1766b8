"""`recode eval-rm`: pairwise accuracy of a reward model (or an LLM judge) on preference files.

Works for our checkpoints (input from their scoring card), any Hugging Face sequence-
classification reward model (input through its chat template), and a generator-as-judge
baseline (`judge.backend=...`). Files: our pairs, LCB-RB-style and RewardBench-format JSONL;
`subsets=[hep-python,math-prm]` filters. Writes per-pair scores to `<run>/samples/` and the
report to `<run>/report/eval_rm.json`; a rerun reuses finished files.

    recode eval-rm --model runs/train-rm-.../checkpoints/reward_model --data runs/synth-.../data/pairs.validation.jsonl
    recode eval-rm --config configs/eval-rm/rewardbench.yaml model=Skywork/Skywork-Reward-Llama-3.1-8B
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from recode_rl.config import ConfigError, Flags, config_from_args
from recode_rl.reward_model.config import EvalRmConfig as Config

__all__ = ["Config", "FLAGS", "add_arguments", "run"]

# `--data` appends to the files of the config file / overrides (`files+=[...]`)
FLAGS: Flags = {"model": "model", "data": "files+", "run_dir": "run_dir"}
OVERRIDE_EXAMPLE = "subsets=[hep-python,math-prm]"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", metavar="PATH", help="reward model folder or id (same as model=...)")
    parser.add_argument("--data", metavar="FILE", action="append", help="a preference file; repeatable (adds to files)")
    parser.add_argument("--run-dir", metavar="DIR", help="where to write (default runs/eval-rm-<time>)")


def build_pair_scorer(cfg: Config) -> Any:
    """What eval-rm compares: raw head outputs of a reward model (loaded by the one loader,
    `RewardModel.load`, as the RL process scorer is) or a generator-as-judge's ratings."""
    if (cfg.model is None) == (cfg.judge is None):
        raise ConfigError("set exactly one of `model` (a reward model) or `judge` (a generator config)")
    if cfg.judge is not None:
        from recode_rl.generation.config import build_generator
        from recode_rl.reward_model.judge import JudgeScorer

        return JudgeScorer(build_generator(cfg.judge), cfg.judge_sampling, n=cfg.judge_samples)
    from recode_rl.reward_model.scoring import RewardModel

    return RewardModel.load(cfg.model, input_format=cfg.input_format, template=cfg.template,
                            max_length=cfg.max_length, truncation=cfg.truncation, device=cfg.device, dtype=cfg.dtype,
                            batch_size=cfg.batch_size)


def run(args: argparse.Namespace) -> int:
    cfg = config_from_args(Config, args, FLAGS)
    if not cfg.files:
        raise ConfigError("no preference files: pass --data FILE (repeatable) or files=[...]")
    if cfg.num_threads:
        import torch
        torch.set_num_threads(cfg.num_threads)

    from recode_rl.reward_model.evaluate import evaluate_files, format_report, load_pair_files
    from recode_rl.rundir import RunDir

    loaded = load_pair_files(cfg)      # a bad or missing file fails before the model is loaded
    run_dir = RunDir.create(cfg.run_dir, stage="eval-rm")
    run_dir.write_config(cfg, "eval-rm")
    started = time.time()
    scorer = build_pair_scorer(cfg)
    report = evaluate_files(cfg, scorer, run_dir, loaded)
    report["seconds"] = round(time.time() - started, 1)
    path = run_dir.report / "eval_rm.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    run_dir.log_metrics(0, {"eval_rm/accuracy": report["overall"]["accuracy"], "eval_rm/pairs": report["overall"]["n"]})
    print(format_report(report))
    print(f"  report:      {path}")
    print(f"  pair scores: {run_dir.samples}/")
    args.result = {"run_dir": str(run_dir.root), "report": str(path), "overall": report["overall"]}
    return 0
