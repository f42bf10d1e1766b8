"""The run directory every stage reads and writes.

    <run_dir>/
      config.yaml        resolved config of the stage that created/last ran here
      run.json           command, version, start time, host
      data/              datasets this run produced (pairs, rollouts, ...)
      checkpoints/       model checkpoints (HF folders), resumable state
      metrics.jsonl      one JSON object per line: {"step": ..., "<metric>": ...}
      samples/           per-sample outputs (responses, verdicts)
      report/            markdown/HTML report and figures

Stages append to one run directory (e.g. `recode demo` runs synth -> train-rm -> ... in
one tree); each stage writes `config.<stage>.yaml` so nothing is overwritten.
"""

from __future__ import annotations

import json
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from recode_rl import __version__
from recode_rl.config import dump_config

__all__ = ["RunDir"]


@dataclass(frozen=True)
class RunDir:
    root: Path

    @classmethod
    def create(cls, root: str | Path | None, *, stage: str, base: str | Path = "runs") -> "RunDir":
        """Open `root`, or make `<base>/<stage>-<timestamp>` when root is None."""
        if root is None:
            root = Path(base) / f"{stage}-{time.strftime('%Y%m%d-%H%M%S')}"
        run = cls(Path(root))
        for sub in ("data", "checkpoints", "samples", "report"):
            (run.root / sub).mkdir(parents=True, exist_ok=True)
        return run

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def samples(self) -> Path:
        return self.root / "samples"

    @property
    def report(self) -> Path:
        return self.root / "report"

    @property
    def metrics_path(self) -> Path:
        return self.root / "metrics.jsonl"

    def write_config(self, cfg: BaseModel, stage: str) -> Path:
        path = self.root / f"config.{stage}.yaml"
        path.write_text(dump_config(cfg))
        info = {"stage": stage, "version": __version__, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "host": platform.node(), "python": platform.python_version()}
        with (self.root / "run.json").open("a") as f:
            f.write(json.dumps(info) + "\n")
        return path

    def log_metrics(self, step: int, metrics: dict[str, Any]) -> None:
        with self.metrics_path.open("a") as f:
            f.write(json.dumps({"step": step, **metrics}) + "\n")

    def read_metrics(self) -> list[dict[str, Any]]:
        if not self.metrics_path.exists():
            return []
        from recode_rl.data.records import load_records

        return load_records(self.metrics_path, torn_tail=True)  # a crash may leave a torn last line
