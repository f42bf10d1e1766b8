"""On-disk cache of LLM calls, so an interrupted synthesis run resumes without repeating work.

One call = (model, prompt, sampling params, sample index); its key is the SHA-256 of
those four as canonical JSON. The cache is an append-only JSONL file in the run
directory; each finished call is appended, flushed and fsynced the moment its prompt
completes (via the generators' `on_complete` hook), so Ctrl-C or a crash loses only calls
in flight. A torn last line (crash mid-write) is cut off on the next open; any other
unreadable line is a DataError naming the file and line. Failed calls
(`finish_reason == "error"`) are not cached: a rerun retries them.

One key, one answer: the first answer recorded for a key wins (`put` ignores later ones, `_load`
keeps the first line of a file written by an older version), and `CachedGenerator` asks the backend
once for prompts that repeat within a call, so identical prompts (e.g. two LCB-RB samples with the
same reasoning and code) get the same answer now and on every rerun.

`CachedGenerator` wraps any Generator with the same interface. It asks the inner backend
only for missing (prompt, sample index) pairs, one sample index at a time, with the
seed shifted to `seed + index`, so a resumed run draws exactly the samples a fresh run
would have drawn (for backends that honour per-request seeds).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Sequence

from recode_rl.data.records import append_records, read_records, repair_torn_tail
from recode_rl.generation.types import Completion, Generator, OnComplete, Prompt, SamplingParams

__all__ = ["call_key", "CallCache", "CachedGenerator"]


def call_key(model_id: str, prompt: Prompt, sampling: SamplingParams, index: int) -> str:
    blob = json.dumps({"model": model_id, "prompt": prompt, "sampling": sampling.cache_key(), "index": index},
                      sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class CallCache:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._entries: dict[str, Completion] = {}
        self.repaired_tail = False
        if self.path.exists():
            self._load()
        self._fh = self.path.open("a", encoding="utf-8")

    def _load(self) -> None:
        # A crash mid-append leaves a torn last line: drop it (that call simply reruns).
        self.repaired_tail = repair_torn_tail(self.path)
        for where, record in read_records(self.path):
            try:
                completion = Completion.from_dict(record["completion"])
                self._entries.setdefault(record["key"], completion)   # the first answer wins
            except (ValueError, KeyError, TypeError) as exc:
                raise where.error(None, f"unreadable cache entry ({exc}); delete the line or the file") from None

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> Completion | None:
        return self._entries.get(key)

    def put(self, key: str, completion: Completion, meta: dict[str, Any] | None = None) -> Completion:
        """Record `completion` unless the key has an answer already; returns the key's answer (the first)."""
        if completion.finish_reason == "error":
            return completion
        if key in self._entries:
            return self._entries[key]
        self._entries[key] = completion
        append_records(self._fh, [{"key": key, **(meta or {}), "completion": completion.to_dict()}])
        return completion

    def close(self) -> None:
        self._fh.close()


class CachedGenerator:
    """A Generator that serves finished calls from a CallCache and records new ones."""

    def __init__(self, inner: Generator, cache: CallCache) -> None:
        self.inner = inner
        self.cache = cache
        self.model_id = inner.model_id
        self.hits = 0
        self.misses = 0

    def generate(self, prompts: Sequence[Prompt], n: int, sampling: SamplingParams,
                 on_complete: OnComplete | None = None, progress: str | None = None) -> list[list[Completion]]:
        from tqdm.auto import tqdm

        prompts = list(prompts)
        keys = [[call_key(self.model_id, p, sampling, j) for j in range(n)] for p in prompts]
        results: list[list[Completion | None]] = [[self.cache.get(k) for k in row] for row in keys]
        hits = sum(c is not None for row in results for c in row)
        self.hits += hits
        bar = tqdm(total=len(prompts) * n, initial=hits, desc=progress, disable=progress is None, leave=True)

        # prompts that repeat within this call share one request and one answer
        same: dict[str, list[int]] = {}
        for i, row in enumerate(keys):
            same.setdefault(row[0], []).append(i)

        def finish(i: int, j: int, completion: Completion) -> None:
            if results[i][j] is not None:
                return
            self.misses += 1
            answer = self.cache.put(keys[i][j], completion, {"model": self.model_id, "index": j})
            for i2 in same[keys[i][0]]:
                if results[i2][j] is None:
                    results[i2][j] = answer
                    bar.update(1)
                    if on_complete is not None and all(c is not None for c in results[i2]):
                        on_complete(i2, results[i2])  # type: ignore[arg-type]

        try:
            for i, row in enumerate(results):  # prompts served entirely from the cache
                if on_complete is not None and all(c is not None for c in row):
                    on_complete(i, row)  # type: ignore[arg-type]
            for j in range(n):
                todo = [i for i in range(len(prompts)) if results[i][j] is None and same[keys[i][0]][0] == i]
                if not todo:
                    continue
                sp = sampling if sampling.seed is None else sampling.model_copy(update={"seed": sampling.seed + j})
                out = self.inner.generate([prompts[i] for i in todo], 1, sp,
                                          on_complete=lambda k, cs, j=j, todo=todo: finish(todo[k], j, cs[0]))
                for k, cs in enumerate(out):  # backends that never call on_complete
                    finish(todo[k], j, cs[0])
        finally:
            bar.close()
        return results  # type: ignore[return-value]
