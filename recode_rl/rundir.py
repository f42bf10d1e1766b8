"""The run directory every stage reads and writes.

    <run_dir>/
      config.<stage>.yaml   resolved config of that stage (rewritten each time the stage starts here)
      runs.jsonl            one JSON object per stage start: stage, version, started, host, python
      data/                 datasets this run produced (pairs, rollouts, ...)
      checkpoints/          model checkpoints (HF folders), resumable state
      metrics.jsonl         one JSON object per line: {"step": ..., "<metric>": ...}
      samples/              per-sample outputs (responses, verdicts)
      report/               markdown/HTML report and figures

Several stages may share one run directory: each writes its own `config.<stage>.yaml`, so
nothing is overwritten, and adds a line to `runs.jsonl`. (`recode demo` keeps one
sub-directory per stage under one root; `recode report` walks nested run directories.)
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

    @property
    def runs_path(self) -> Path:
        return self.root / "runs.jsonl"

    def write_config(self, cfg: BaseModel, stage: str) -> Path:
        """Write `config.<stage>.yaml` and append this start to `runs.jsonl`; returns the config path."""
        path = self.root / f"config.{stage}.yaml"
        path.write_text(dump_config(cfg))
        info = {"stage": stage, "version": __version__, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "host": platform.node(), "python": platform.python_version()}
        with self.runs_path.open("a") as f:
            f.write(json.dumps(info) + "\n")
        return path

    def read_runs(self) -> list[dict[str, Any]]:
        """Every stage start recorded in `runs.jsonl`, oldest first."""
        if not self.runs_path.exists():
            return []
        return [json.loads(line) for line in self.runs_path.read_text().splitlines() if line.strip()]

    def log_metrics(self, step: int, metrics: dict[str, Any]) -> None:
        with self.metrics_path.open("a") as f:
            f.write(json.dumps({"step": step, **metrics}) + "\n")

    def read_metrics(self) -> list[dict[str, Any]]:
        if not self.metrics_path.exists():
            return []
        from recode_rl.data.records import load_records

        return load_records(self.metrics_path, torn_tail=True)  # a crash may leave a torn last line
