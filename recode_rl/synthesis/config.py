"""Configuration of `recode synth` (see configs/synth/*.yaml for the shipped presets)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from recode_rl.config import StageConfig
from recode_rl.generation.config import GeneratorConfig
from recode_rl.generation.types import SamplingParams
from recode_rl.synthesis.pairs import PAIR_TYPES, PairType
from recode_rl.synthesis.parse import ParseRules

__all__ = ["Config"]


class Config(StageConfig):
    # problems: a name known to recode_rl.data.load_problems, a file, hf:<dataset>, or module:function
    problems: str = "embedded"
    problem_options: dict[str, Any] = {}
    limit: int | None = Field(None, ge=1)           # first N problems (after loading), None = all
    run_dir: str | None = None                      # default: runs/synth-<timestamp>
    prompts_dir: str | None = None                  # user templates overriding the shipped ones

    generator: GeneratorConfig = GeneratorConfig()
    # Cross-generator mode (the paper's diversity ablation): this share of the problems,
    # chosen with `seed`, is synthesized by `second_generator` instead.
    second_generator: GeneratorConfig | None = None
    second_fraction: float = Field(0.5, gt=0.0, lt=1.0)

    base_sampling: SamplingParams = SamplingParams(temperature=0.7, top_p=0.95, max_new_tokens=1024, seed=0)
    rewrite_sampling: SamplingParams = SamplingParams(temperature=0.7, top_p=0.95, max_new_tokens=1536, seed=0)
    score_sampling: SamplingParams = SamplingParams(temperature=0.0, max_new_tokens=128)

    k: int = Field(1, ge=1)                         # optimized and degraded rewrites per base reasoning
    pair_types: list[PairType] = list(PAIR_TYPES)
    opt_deg_pairing: Literal["matched", "all"] = "matched"
    val_fraction: float = Field(0.1, ge=0.0, lt=1.0)
    seed: int = 0
    score_based: bool = False                       # also make the score-based baseline data
    parse: ParseRules = ParseRules()

    @field_validator("pair_types")
    @classmethod
    def _pair_types(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("choose at least one of " + ", ".join(PAIR_TYPES))
        if len(set(v)) != len(v):
            raise ValueError("pair types repeated")
        return v
