"""The run directory every stage reads and writes.

    <run_dir>/
      config.<stage>.yaml   resolved config of that stage (rewritten each time the stage starts here)
      runs.jsonl            one JSON object per stage start: stage, version, started, host, python
                            (+ resumed_from_step and changed keys for a resumed training segment)
      data/                 datasets this run produced (pairs, rollouts, ...)
      checkpoints/          model checkpoints (HF folders), resumable state
      metrics.jsonl         one JSON object per line: {"step": ..., "<metric>": ...}
      samples/              per-sample outputs (responses, verdicts)
      report/               markdown/HTML report and figures

Several stages may share one run directory: each writes its own `config.<stage>.yaml`, so
nothing is overwritten, and adds a line to `runs.jsonl`. (`recode demo` keeps one
sub-directory per stage under one root; `recode report` walks nested run directories.)

A command that fails before doing any work leaves no skeleton behind: `discard_if_unused`, worn by
every CLI command (`recode_rl.cli.main`) and every `recode_rl.api` call (as a decorator), removes
the run directories created inside it that hold nothing but empty folders, empty files and the
bookkeeping files (`config.*.yaml`, `runs.jsonl`). A directory that existed before is never removed.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from pydantic import BaseModel

from recode_rl import __version__
from recode_rl.config import dump_config

__all__ = ["RunDir", "discard_if_unused", "discard_unused_run_dirs"]

_CREATED: list[Path] = []   # run dirs this process created (candidates for discard_unused_run_dirs)


@dataclass(frozen=True)
class RunDir:
    root: Path

    @classmethod
    def create(cls, root: str | Path | None, *, stage: str, base: str | Path = "runs") -> "RunDir":
        """Open `root`, or make `<base>/<stage>-<timestamp>` when root is None."""
        if root is None:
            root = Path(base) / f"{stage}-{time.strftime('%Y%m%d-%H%M%S')}"
        run = cls(Path(root))
        if not run.root.exists():
            _CREATED.append(run.root)
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

    def write_config(self, cfg: BaseModel, stage: str, record: dict[str, Any] | None = None) -> Path:
        """Write `config.<stage>.yaml` and append this start (plus `record`) to `runs.jsonl`; returns the config path."""
        path = self.root / f"config.{stage}.yaml"
        path.write_text(dump_config(cfg))
        info = {"stage": stage, "version": __version__, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "host": platform.node(), "python": platform.python_version(), **(record or {})}
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


def _holds_work(root: Path) -> bool:
    """Any non-empty file besides the bookkeeping a command writes before it starts working?
    (An empty file, e.g. a sample store or call cache opened before the first answer, holds nothing.)"""
    for path in root.rglob("*"):
        if path.is_dir() or path.stat().st_size == 0:
            continue
        if path.parent == root and (path.name == "runs.jsonl" or (path.name.startswith("config.")
                                                                   and path.suffix == ".yaml")):
            continue
        return True
    return False


def discard_unused_run_dirs(since: int = 0) -> list[Path]:
    """Remove the run dirs this process created (the `since`-th on) that hold no work.

    Only rank 0 of a multi-process launch removes anything (the ranks share one run dir)."""
    removed: list[Path] = []
    if os.environ.get("RANK", "0") != "0":
        return removed
    while len(_CREATED) > since:
        root = _CREATED.pop()
        if root.is_dir() and not _holds_work(root):
            shutil.rmtree(root)
            removed.append(root)
    return removed


@contextmanager
def discard_if_unused() -> Iterator[None]:
    """Around one command (`with discard_if_unused():`) or function (`@discard_if_unused()`): if it
    raises, remove the run dirs it created and left without work."""
    since = len(_CREATED)
    try:
        yield
    except BaseException:
        discard_unused_run_dirs(since)
        raise
