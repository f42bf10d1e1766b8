"""Synthesize contrastive reasoning data (CRPL): base, optimized and degraded chains of thought -> preference pairs.

    recode synth                                        # embedded default: SmolLM2-135M on CPU, offline
    recode synth --config configs/synth/paper.yaml generator.base_url=http://gpu-node:8000/v1
    recode synth run_dir=runs/synth-a k=2 pair_types='[opt>deg]'

Rerunning with the same `run_dir` resumes: finished LLM calls are read from
`<run_dir>/data/llm_calls.jsonl` and never repeated.
"""

from __future__ import annotations

import argparse
import json

from recode_rl.config import Flags, config_from_args
from recode_rl.synthesis.config import Config

__all__ = ["Config", "FLAGS", "add_arguments", "run"]

FLAGS: Flags = {"run_dir": "run_dir"}
OVERRIDE_EXAMPLE = "k=2"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run-dir", dest="run_dir", default=None,
                        help="run directory (same as run_dir=...; reuse one to resume)")


def run(args: argparse.Namespace) -> int:
    from recode_rl.data import load_problems
    from recode_rl.generation.config import LazyGenerator
    from recode_rl.rundir import RunDir
    from recode_rl.synthesis.pipeline import run_synthesis

    cfg = config_from_args(Config, args, FLAGS)
    problems = load_problems(cfg.problems, **cfg.problem_options)
    if cfg.limit is not None:
        problems = problems[:cfg.limit]
    if not problems:
        from recode_rl.errors import DataError

        raise DataError(f"{cfg.problems}: no problems (an empty problem set synthesizes nothing)")
    run_dir = RunDir.create(cfg.run_dir, stage="synth")
    run_dir.write_config(cfg, "synth")
    generators = {cfg.generator.label: LazyGenerator(cfg.generator)}  # loads only if a call is missing
    if cfg.second_generator is not None:
        if cfg.second_generator.label == cfg.generator.label:
            from recode_rl.config import ConfigError

            raise ConfigError("second_generator: give it a different model or `name` than generator")
        generators[cfg.second_generator.label] = LazyGenerator(cfg.second_generator)
    print(f"recode synth: {len(problems)} problems from {cfg.problems!r}; run directory {run_dir.root}")
    out = run_synthesis(cfg, problems, generators, run_dir)
    s = out.summary
    stages = s["stages"]
    for name in ("base", "optimized", "degraded", "scores"):
        if name in stages:
            st = stages[name]
            print(f"  {name:<10} kept {st['kept']}/{st['requested']}  dropped {json.dumps(st['dropped'])}")
    by_type = ", ".join(f"{t}: {s['pairs'][t]}" for t in cfg.pair_types)
    print(f"  pairs      {s['pairs']['train']} train / {s['pairs']['validation']} validation  ({by_type})")
    print(f"  LLM calls  {s['llm_calls']['generated']} generated, {s['llm_calls']['from_cache']} from cache")
    print(f"outputs:\n  {out.train_pairs}\n  {out.validation_pairs}\n  {out.synth}\n  {out.stats}")
    if out.scores:
        print(f"  {out.scores[0]}\n  {out.scores[1]}")
    args.result = {"run_dir": str(run_dir.root), "pairs": s["pairs"], "llm_calls": s["llm_calls"],
                   "train_pairs": str(out.train_pairs), "validation_pairs": str(out.validation_pairs),
                   "stats": str(out.stats)}
    return 0
