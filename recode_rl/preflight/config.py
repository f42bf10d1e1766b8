"""Typed configuration of `recode preflight`: the config file to check and the machine it targets."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from recode_rl.config import StageConfig

__all__ = ["Config"]


class Config(StageConfig):
    config: str | None = None                 # the train-rl / train-rm / train-sft / synth / eval YAML to check
    stage: Literal["auto", "train-rl", "train-rm", "train-sft", "synth", "eval"] = "auto"  # auto: configs/<stage>/
    overrides: list[str] = Field(default_factory=list)   # dotted overrides applied to the checked config
    gpus: int = Field(1, ge=0)                # GPUs per node (one training process each)
    nodes: int = Field(1, ge=1)
    gpu_mem_gb: float | None = Field(None, gt=0)   # memory per GPU; None = no memory check
    check_installs: bool = False              # also fail on packages missing HERE (run it on the GPU machine)
    as_json: bool = False                     # --json: last line: {"ok", "problems", "warnings", "plan"}
