"""Typed configuration of the evaluation commands: `recode eval`, `recode build-lcbrb`, `recode analyze`.

`EvalConfig` (+ `BenchmarkSpec`) and `build_eval_generator` for policy evaluation, `LcbRbConfig`
for the LCB-RB benchmark builder, `AnalyzeConfig` for the correlation study and training
dynamics. Defaults are documented beside each field; `configs/<command>/*.yaml` hold the paper's
settings. Nothing heavy is imported here (the generator loads inside `build_eval_generator`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from recode_rl.config import ConfigError, StageConfig
from recode_rl.execution.config import LimitsConfig
from recode_rl.generation.config import GeneratorConfig
from recode_rl.generation.types import Generator, SamplingParams

__all__ = ["BenchmarkSpec", "EvalConfig", "LcbRbConfig", "AnalyzeConfig", "build_eval_generator"]


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
    options: dict[str, Any] | None = None  # more loader options, e.g. listops: {split: heldout, n: 64, seed: 0}


class EvalConfig(StageConfig):
    """`recode eval`: pass@k of a policy on code and math benchmarks."""

    run_dir: str | None = None           # default runs/eval-<timestamp>
    model_name: str | None = None        # row label in the tables; default: the generator's model
    generator: GeneratorConfig = GeneratorConfig()
    sampling: SamplingParams = SamplingParams(temperature=0.0, max_new_tokens=1024)
    n: int = Field(1, ge=1)              # samples per task
    k: list[int] = [1]                   # pass@k reported for every k <= n
    prompt_style: Literal["policy", "completion"] = "policy"
    benchmarks: list[BenchmarkSpec] = [BenchmarkSpec(name="humaneval"), BenchmarkSpec(name="mbpp")]
    limits: LimitsConfig = Field(default_factory=LimitsConfig)  # per test; a benchmark's `timeout` wins
    max_workers: int | None = None       # executor workers (default: CPU count)
    chunk_size: int = Field(32, ge=1)    # prompts per generate -> score -> save step
    math_timeout: float = Field(5.0, gt=0)
    snapshots_of: str | None = None      # an RL run dir: evaluate its checkpoints/eval-step-N (evaluation/curve.py)

    @field_validator("benchmarks", mode="before")
    @classmethod
    def _names(cls, v: Any) -> Any:
        if isinstance(v, str):
            v = [x.strip() for x in v.split(",") if x.strip()]
        return [{"name": b} if isinstance(b, str) else b for b in v] if isinstance(v, list) else v


def build_eval_generator(cfg: EvalConfig) -> Generator:
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


class LcbRbConfig(StageConfig):
    """`recode build-lcbrb`: sample, execute, judge, adjudicate and pair reasoning processes."""

    run_dir: str | None = None
    problems: str = "livecodebench"          # problem set name or file (recode_rl.data.load_problems)
    problem_options: dict[str, Any] = {}     # e.g. {start: 2023-05-01, end: 2024-09-30}
    limit: int | None = Field(None, ge=1)    # first N problems (after the window exclusion)
    exclude_start: str | None = "2024-10-01"  # contest window reserved for code-generation evaluation
    exclude_end: str | None = "2025-02-28"
    generator: GeneratorConfig = GeneratorConfig()
    sampling: SamplingParams = SamplingParams(temperature=1.0, max_new_tokens=4096)
    n: int = Field(50, ge=1)                 # responses per problem
    judge: GeneratorConfig = GeneratorConfig(backend="openai", model="gpt-4o", base_url="https://api.openai.com/v1")
    judge_sampling: SamplingParams = SamplingParams(temperature=0.0, max_new_tokens=256)
    judge_prompt_file: str | None = None     # replaces the judge prompt; {problem} {reasoning} {code}
    annotations: str | None = None           # a filled adjudication sheet (CSV)
    labels_from: Literal["auto", "judge", "annotations"] = "auto"  # auto: annotations when given
    # outcome (the paper): chosen = sound + passed, rejected = flawed + failed; label: labels only
    pair_rule: Literal["outcome", "label"] = "outcome"
    seed: int = 0
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    max_workers: int | None = None


class AnalyzeConfig(StageConfig):
    """`recode analyze`: the correlation study and training-dynamics plots."""

    run_dir: str | None = None
    judged: list[str] = []                      # lcbrb_judged.jsonl files or build-lcbrb run dirs
    table: list[int] | None = None              # [pass_flawless, pass_flawed, fail_flawless, fail_flawed]
    runs: list[str] = []                        # training run directories (metrics.jsonl)
    labels: list[str] | None = None             # one per run; default reward.kind from the run's config
    pass_key: str | None = None                 # default: auto-detect (pass_rate, */outcome_rate, ...)
    process_key: str | None = None              # default: auto-detect (process/mean, */process_ungated_mean, ...)
    window: int = Field(50, ge=2)               # hacking-monitor window (steps)
    process_max: float = Field(1.0, gt=0)
