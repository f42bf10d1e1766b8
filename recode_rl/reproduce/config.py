"""Typed configuration of `recode reproduce` (which experiments, at which scale, where)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from recode_rl.config import StageConfig

__all__ = ["ReproduceConfig"]


class ReproduceConfig(StageConfig):
    experiments: list[str] = Field(default_factory=list, description="experiment ids (`recode reproduce --list`), or all")
    scale: Literal["paper", "cpu"] = "paper"      # paper: the paper's models on GPUs; cpu: the embedded twins
    run_dir: str | None = None                     # default runs/reproduce-<scale>; shared stages run once in it
    vars: dict[str, str] = Field(default_factory=dict, description="placeholder values, e.g. rewardbench=FILE")
    dry_run: bool = False                          # print the commands and resolved configs, run nothing

    def root(self) -> str:
        return self.run_dir or f"runs/reproduce-{self.scale}"
