"""`LimitsConfig`: the executor's resource limits as a config section, declared once; `CheckConfig`: `recode check`.

Every stage that runs programs (`check`, `score`, `train-rl`, `train-sft`) nests this section
under `limits:`; `.to_limits()` gives the executor's frozen runtime type
`recode_rl.execution.types.Limits`, whose defaults are the only defaults (read here, not copied).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from recode_rl.config import StageConfig
from recode_rl.execution.types import Limits

__all__ = ["LimitsConfig", "CheckConfig"]

_DEFAULT = Limits()


class LimitsConfig(StageConfig):
    timeout: float = Field(_DEFAULT.timeout, gt=0, description="wall seconds per test")
    job_timeout: float | None = Field(_DEFAULT.job_timeout, gt=0,
                                      description="wall seconds per job (default timeout*tests+2)")
    memory_mb: int = Field(_DEFAULT.memory_mb, ge=64)
    max_processes: int = Field(_DEFAULT.max_processes, ge=1)
    max_output_bytes: int = Field(_DEFAULT.max_output_bytes, ge=1024)
    max_file_mb: int = Field(_DEFAULT.max_file_mb, ge=1)
    max_open_files: int = Field(_DEFAULT.max_open_files, ge=16)
    stop_on_first_failure: bool = _DEFAULT.stop_on_first_failure

    def to_limits(self) -> Limits:
        """The executor's runtime limits (fields outside `Limits`, e.g. a subclass's, are left out)."""
        return Limits(**self.model_dump(include=set(LimitsConfig.model_fields)))


class CheckConfig(StageConfig):
    """`recode check`: solutions against a problem set's tests in the sandbox."""

    dataset: str | None = Field(None, description="registered problem set, e.g. humaneval, mbpp+, embedded")
    problems: str | None = Field(None, description="problems file (.jsonl/.json/.parquet; schema detected per record)")
    solutions: str = Field("canonical", description="'canonical' or a JSONL of samples {task_id, solution | completion}"
                                                    " (any number per task)")
    out: str | None = Field(None, description="write one JSONL verdict record per sample here")
    eval_results: str | None = Field(None, description="also write an EvalPlus-like *_eval_results.json here")
    k: list[int] = Field([1, 10, 100], min_length=1,
                         description="pass@k reported for each k that every sampled problem has samples for")
    max_workers: int | None = Field(None, ge=1, description="parallel jobs (default: all cores)")
    time_limits: Literal["benchmark", "flat"] = Field(
        "benchmark", description="benchmark: per-input limits a problem carries (EvalPlus: max(1 s, 4 x reference)); "
                                 "flat: limits.timeout for every test")
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
