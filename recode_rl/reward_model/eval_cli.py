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
import math
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from recode_rl.config import ConfigError, StageConfig, load_config
from recode_rl.generation.config import GeneratorConfig
from recode_rl.generation.types import SamplingParams

__all__ = ["Config", "add_arguments", "run", "evaluate_files"]


class Config(StageConfig):
    run_dir: str | None = None                 # default runs/eval-rm-<timestamp>
    model: str | None = None                   # checkpoint folder, HF id, or embedded:smollm2 (untrained head)
    judge: GeneratorConfig | None = None       # set instead of `model` for the generator-as-judge baseline
    judge_samples: int = Field(1, ge=1)
    judge_sampling: SamplingParams = SamplingParams(temperature=0.0, max_new_tokens=256)
    files: list[str] = []                      # preference files to evaluate
    subsets: list[str] | None = None           # keep only these subsets (RewardBench `subset` / our pair type)
    input_format: Literal["auto", "card", "chat", "template"] = "auto"
    template: str | None = None                # override the input template ({problem}, {reasoning})
    max_length: int | None = Field(None, ge=16)
    truncation: Literal["reasoning_middle", "reasoning_left", "left", "right"] | None = None
    batch_size: int = Field(8, ge=1)
    limit: int | None = Field(None, ge=1)      # at most this many pairs per file
    device: str = "cpu"
    dtype: Literal["float32", "bfloat16", "float16"] = "float32"
    num_threads: int | None = None


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


def evaluate_files(cfg: Config, scorer: Any, run_dir: Any) -> dict[str, Any]:
    """Score every file, write per-pair scores, return the report (also written to report/eval_rm.json)."""
    from recode_rl.reward_model.data import load_pairs
    from recode_rl.reward_model.evaluate import file_report, read_pair_scores, score_pairs, write_pair_scores

    name = getattr(scorer, "name", type(scorer).__name__)
    report: dict[str, Any] = {"scorer": name, "files": {}}
    all_outcomes: list[tuple[float, float]] = []
    for i, file in enumerate(cfg.files):
        pairs = load_pairs(file, subsets=cfg.subsets, limit=cfg.limit)
        if not pairs:
            raise ConfigError(f"{file}: no pairs left (subsets={cfg.subsets})")
        out = run_dir.samples / f"{i:02d}-{Path(file).stem}.scores.jsonl"
        saved = read_pair_scores(out, pairs, name)
        truncated = None
        if saved is not None:
            chosen, rejected = saved
        else:
            chosen, rejected, truncated = score_pairs(scorer, pairs, batch_size=cfg.batch_size,
                                                      progress=f"scoring {Path(file).name}")
            write_pair_scores(out, file, pairs, chosen, rejected, name, getattr(scorer, "last_texts", None))
        entry = file_report(pairs, chosen, rejected)
        entry.update(pair_scores=str(out), inputs_truncated=truncated, reused=saved is not None)
        report["files"][file] = entry
        all_outcomes.extend(zip(chosen, rejected))
    from recode_rl.reward_model.evaluate import pair_outcomes

    outcomes = pair_outcomes([c for c, _ in all_outcomes], [r for _, r in all_outcomes])
    report["overall"] = {"n": len(outcomes), "correct": outcomes.count("correct"), "ties": outcomes.count("tie"),
                         "missing": outcomes.count("missing"),
                         "accuracy": outcomes.count("correct") / len(outcomes) if outcomes else math.nan}
    if hasattr(scorer, "failures"):
        report["judge_parse_failures"] = scorer.failures
    return report


def _print_report(report: dict[str, Any]) -> None:
    print(f"recode eval-rm: {report['scorer']}")
    for file, entry in report["files"].items():
        o = entry["overall"]
        print(f"  {file}: accuracy {o['accuracy']:.3f} ({o['correct']}/{o['n']}, ties {o['ties']}, missing {o['missing']})")
        if len(entry["subsets"]) > 1 or "all" not in entry["subsets"]:
            for name, s in entry["subsets"].items():
                print(f"      {name:24s} {s['accuracy']:.3f}  (n={s['n']}, ties {s['ties']})")
        for key in ("rewardbench_sections", "paper_columns"):
            if key in entry:
                print(f"    {key}: " + ", ".join(f"{k} {v:.3f}" for k, v in entry[key].items()))
    o = report["overall"]
    print(f"  overall: {o['accuracy']:.3f} ({o['correct']}/{o['n']})")
    if "judge_parse_failures" in report:
        print(f"  judge replies without a parseable rating: {report['judge_parse_failures']}")


def run(args: argparse.Namespace) -> int:
    cfg = load_config(Config, args.config, args.overrides)
    if args.model:
        cfg.model = args.model
    if args.data:
        cfg.files = [*cfg.files, *args.data]
    if args.run_dir:
        cfg.run_dir = args.run_dir
    if not cfg.files:
        raise ConfigError("no preference files: pass --data FILE (repeatable) or files=[...]")
    if cfg.num_threads:
        import torch
        torch.set_num_threads(cfg.num_threads)

    from recode_rl.rundir import RunDir

    run_dir = RunDir.create(cfg.run_dir, stage="eval-rm")
    run_dir.write_config(cfg, "eval-rm")
    started = time.time()
    scorer = build_pair_scorer(cfg)
    report = evaluate_files(cfg, scorer, run_dir)
    report["seconds"] = round(time.time() - started, 1)
    path = run_dir.report / "eval_rm.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    run_dir.log_metrics(0, {"eval_rm/accuracy": report["overall"]["accuracy"], "eval_rm/pairs": report["overall"]["n"]})
    _print_report(report)
    print(f"  report:      {path}")
    print(f"  pair scores: {run_dir.samples}/")
    return 0
