"""`recode eval`: pass@k of a policy on code and math benchmarks, tables in the paper's layout.

    recode eval generator.model=runs/train-rl-.../checkpoints/final benchmarks=[humaneval,mbpp]
    recode eval --config configs/eval/paper.yaml generator.backend=openai generator.model=Qwen/Qwen2.5-Coder-7B-Instruct
    recode eval --config configs/eval/embedded.yaml        # SmolLM2-135M on a few HumanEval tasks, CPU

Benchmarks: humaneval, humaneval+, mbpp, mbpp+, livecodebench, bigcodebench, bigcodebench-hard,
bigcodebench-sample, math500, minerva, aime24 — a name, or `{name, path, limit, task_ids, start,
end, mode}`. Greedy pass@1 by default; `n>1` with `sampling.temperature>0` gives unbiased pass@k
for every k in `k`. Writes samples/<bench>.jsonl, report/eval_summary.json and
report/eval_table.md in the run directory; rerunning the same command resumes.
"""

from __future__ import annotations

import argparse
from typing import Any, Literal

from pydantic import Field, field_validator

from recode_rl.config import ConfigError, StageConfig, load_config
from recode_rl.generation.config import GeneratorConfig
from recode_rl.generation.types import SamplingParams

__all__ = ["Config", "BenchmarkSpec", "add_arguments", "run", "build_eval_generator"]


class BenchmarkSpec(StageConfig):
    name: str
    path: str | None = None              # local file or hf:<dataset>[@split]; default: shared data layout
    limit: int | None = Field(None, ge=1)
    task_ids: list[str] | None = None
    start: str | None = None             # livecodebench contest window (ISO dates, inclusive)
    end: str | None = None
    mode: Literal["complete", "instruct"] | None = None   # bigcodebench prompt
    check_imports: bool | None = None    # bigcodebench: skip tasks whose libraries are missing (default true)
    validate_reference: bool | None = None  # bigcodebench: skip tasks whose reference fails here (default true)
    timeout: float | None = Field(None, gt=0)  # seconds per test for this benchmark (default: run's; BCB 30)


class Config(StageConfig):
    run_dir: str | None = None           # default runs/eval-<timestamp>
    model_name: str | None = None        # row label in the tables; default: the generator's model
    generator: GeneratorConfig = GeneratorConfig()
    sampling: SamplingParams = SamplingParams(temperature=0.0, max_new_tokens=1024)
    n: int = Field(1, ge=1)              # samples per task
    k: list[int] = [1]                   # pass@k reported for every k <= n
    prompt_style: Literal["policy", "completion"] = "policy"
    benchmarks: list[BenchmarkSpec] = [BenchmarkSpec(name="humaneval"), BenchmarkSpec(name="mbpp")]
    timeout: float = Field(6.0, gt=0)    # seconds per test
    memory_mb: int = Field(2048, ge=64)
    max_workers: int | None = None       # executor workers (default: CPU count)
    chunk_size: int = Field(32, ge=1)    # prompts per generate -> score -> save step
    math_timeout: float = Field(5.0, gt=0)

    @field_validator("benchmarks", mode="before")
    @classmethod
    def _names(cls, v: Any) -> Any:
        if isinstance(v, str):
            v = [x.strip() for x in v.split(",") if x.strip()]
        return [{"name": b} if isinstance(b, str) else b for b in v] if isinstance(v, list) else v


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run-dir", help="run directory (also config key run_dir)")


def build_eval_generator(cfg: Config) -> Any:
    """The configured generator; completion-style prompts need a non-chat backend."""
    from recode_rl.generation.config import build_generator

    g = cfg.generator
    if cfg.prompt_style == "completion":
        if g.backend == "hf":
            from recode_rl.generation.hf import HFGenerator

            return HFGenerator(g.model, device=g.device, dtype=g.dtype, batch_size=g.batch_size, chat=False,
                               model_id=g.label)
        if g.endpoint != "completions":
            raise ConfigError("prompt_style=completion needs generator.endpoint=completions (raw text prompts)")
    return build_generator(g)


def run(args: argparse.Namespace) -> int:
    from recode_rl.evaluation.policy_eval import evaluate_benchmarks
    from recode_rl.execution.types import Limits
    from recode_rl.rundir import RunDir

    overrides = list(args.overrides or [])
    if getattr(args, "run_dir", None):
        overrides.append(f"run_dir={args.run_dir}")
    cfg = load_config(Config, args.config, overrides)
    if cfg.n > 1 and cfg.sampling.temperature == 0:
        print("recode eval: warning: n > 1 with greedy decoding gives n identical samples")
    run_dir = RunDir.create(cfg.run_dir, stage="eval")
    run_dir.write_config(cfg, "eval")
    generator = build_eval_generator(cfg)
    summary = evaluate_benchmarks(
        [b.model_dump() for b in cfg.benchmarks], generator, run_dir.root, sampling=cfg.sampling, n=cfg.n,
        ks=cfg.k, style=cfg.prompt_style, limits=Limits(timeout=cfg.timeout, memory_mb=cfg.memory_mb),
        chunk_size=cfg.chunk_size, max_workers=cfg.max_workers, math_timeout=cfg.math_timeout,
        model_label=cfg.model_name or cfg.generator.label)
    for name, s in summary["benchmarks"].items():
        scores = ", ".join(f"{k} {v:.1f}" for k, v in s.items() if "pass@" in k and isinstance(v, float))
        print(f"{name}: {s['n_tasks']} tasks, {scores}" + (f", {s['n_skipped']} skipped" if s["n_skipped"] else ""))
    print(f"tables: {run_dir.report / 'eval_table.md'}")
    return 0
