"""Resumable sample generation: the per-benchmark JSONL store and the generate -> score loop.

`SampleStore(path)` is an append-only JSONL file of scored sample records (see `scoring.py`),
plus a `<name>.meta.json` naming what produced them (model, sampling, n, prompt style). On
open, a torn last line (crash mid-write, `data.records.repair_torn_tail`) is dropped and records
with a generation error are dropped too, so those samples are generated again. Opening a store whose samples
were made with other settings (its meta differs from the current run) is an error: mixing two
models' samples in one score is never what you want. The meta is written with the first sample:
a run that failed before any (a server that refused the key, a wrong model name) binds nothing,
and its rerun with the fix goes ahead.

`generate_and_score(tasks, ...)` asks the generator only for the samples missing from the
store, in chunks of `chunk_size` prompts; each chunk is scored and appended (flushed) before
the next starts, so an interrupted run loses at most one chunk. A tqdm bar counts tasks.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from recode_rl.data.records import append_records, read_records, repair_torn_tail, write_records
from recode_rl.data.schema import Problem
from recode_rl.errors import ConfigError
from recode_rl.evaluation.scoring import score
from recode_rl.execution.types import Limits
from recode_rl.generation.types import Generator, SamplingParams
from recode_rl.prompts import PromptStyle, build_prompt

__all__ = ["SampleStore", "generate_and_score"]


class SampleStore:
    def __init__(self, path: str | Path, meta: dict[str, Any]) -> None:
        self.path = Path(path)
        self.meta_path = self.path.with_suffix(".meta.json")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.records: dict[tuple[str, int], dict[str, Any]] = {}
        self._load()
        old = json.loads(self.meta_path.read_text()) if self.meta_path.exists() else None
        if old is not None and old != meta and self.records:
            diff = sorted(k for k in set(old) | set(meta) if old.get(k) != meta.get(k))
            raise ConfigError(f"{self.path}: existing samples were made with different settings ({', '.join(diff)}); "
                              "use a new run_dir or delete the samples file")
        self._unwritten_meta = None if old == meta else meta   # written with the first sample (`add`)
        self._fh = open(self.path, "a", encoding="utf-8")

    def _load(self) -> None:
        if not self.path.exists():
            return
        dirty = repair_torn_tail(self.path)  # the crash happened while writing the last line
        kept = []
        for _, rec in read_records(self.path):
            if rec.get("verdict") == "generation_error":
                dirty = True
                continue
            self.records[(str(rec["task_id"]), int(rec["sample"]))] = rec
            kept.append(rec)
        if dirty:
            write_records(self.path, kept)

    def missing(self, task: Problem, n: int) -> list[int]:
        return [j for j in range(n) if (task.task_id, j) not in self.records]

    def add(self, records: Sequence[dict[str, Any]]) -> None:
        if self._unwritten_meta is not None and records:
            self.meta_path.write_text(json.dumps(self._unwritten_meta, indent=1, sort_keys=True))
            self._unwritten_meta = None
        append_records(self._fh, records)
        for rec in records:
            self.records[(str(rec["task_id"]), int(rec["sample"]))] = rec

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> "SampleStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def generate_and_score(tasks: Sequence[Problem], generator: Generator, store: SampleStore, *, n: int,
                       sampling: SamplingParams, style: PromptStyle, limits: Limits | None = None,
                       chunk_size: int = 32, max_workers: int | None = None, math_timeout: float = 5.0,
                       progress: bool = True, desc: str = "eval") -> list[dict[str, Any]]:
    """Fill `store` with n scored samples per task; returns the records in task/sample order."""
    from tqdm.auto import tqdm

    todo: dict[tuple[int, ...], list[Problem]] = {}
    for t in tasks:
        miss = store.missing(t, n)
        if miss:
            todo.setdefault(tuple(miss), []).append(t)
    remaining = sum(len(v) for v in todo.values())
    bar = tqdm(total=len(tasks), initial=len(tasks) - remaining, desc=desc, unit="task", disable=not progress)
    try:
        for missing, group in todo.items():
            for start in range(0, len(group), chunk_size):
                chunk = group[start:start + chunk_size]
                outputs = generator.generate([build_prompt(t, style) for t in chunk], len(missing), sampling)
                if len(outputs) != len(chunk) or any(len(o) != len(missing) for o in outputs):
                    raise RuntimeError(f"generator {generator.model_id!r} returned the wrong number of completions")
                items = [(t, j, c) for t, outs in zip(chunk, outputs) for j, c in zip(missing, outs)]
                store.add(score(items, style, limits, max_workers=max_workers, math_timeout=math_timeout))
                bar.update(len(chunk))
    finally:
        bar.close()
    return [store.records[(t.task_id, j)] for t in tasks for j in range(n) if (t.task_id, j) in store.records]
