"""Typed configuration of `recode report` (tables and plots from run directories)."""

from __future__ import annotations

from pydantic import Field

from recode_rl.config import StageConfig

__all__ = ["ReportConfig"]


class ReportConfig(StageConfig):
    run_dirs: list[str] = Field(default_factory=list, description="run directories to report on")
    out: str | None = Field(None, description="output folder (default: <first run dir>/report)")
    title: str = "ReCode report"
    experiments: list[str] = Field(default_factory=list,
                                   description="`recode reproduce` ids: add a paper-vs-ours table for each")
    scale: str = "paper"       # the scale those experiments ran at (shown in the table's heading)
