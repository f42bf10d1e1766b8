"""Loading and validating reward-model data: preference pairs and scored reasonings.

Preference pairs (one JSON object per line, or a JSON list):
- ours, from `recode synth`: `prompt` (problem statement), `chosen`, `rejected` (reasoning
  texts), plus metadata `problem_id`, `pair_type` (`opt>deg`, `opt>ori`, `ori>deg`), `generator`;
- RewardBench format: `prompt`, `chosen`, `rejected`, `subset` (e.g. `hep-python`, `math-prm`), `id`;
- LCB-RB-style files: the same three texts, the subset being `subset`/`difficulty` when present.
`question`/`problem` are accepted for `prompt`. Texts must be non-empty strings.

Scored reasonings (score-based baseline): `reasoning`, the problem text as `prompt` or
`problem`, and a score in [0, 1] as `score` or `overall`; extra keys (per-flaw scores,
problem_id) are kept as metadata.

Every problem raises `DataError` naming the file, the line (1-based) and the field.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from recode_rl.errors import DataError

__all__ = ["PreferencePair", "ScoredReasoning", "read_records", "load_pairs", "load_scored"]

_PROMPT_KEYS = ("prompt", "question", "problem")
_SUBSET_KEYS = ("subset", "pair_type", "difficulty")


@dataclass(frozen=True)
class PreferencePair:
    prompt: str
    chosen: str
    rejected: str
    id: str
    subset: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ScoredReasoning:
    prompt: str
    reasoning: str
    score: float
    id: str
    meta: dict[str, Any] = field(default_factory=dict)


def read_records(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line or index, record) from a .jsonl file or a .json list of objects."""
    path = Path(path)
    if not path.is_file():
        raise DataError.at(path, "file not found")
    if path.suffix == ".json":
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise DataError.at(path, f"not valid JSON: {exc}") from None
        if not isinstance(data, list):
            raise DataError.at(path, "a .json file must hold a list of records")
        for i, rec in enumerate(data, 1):
            if not isinstance(rec, dict):
                raise DataError.at(path, f"expected a JSON object, got {type(rec).__name__}", record=i)
            yield i, rec
        return
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError.at(path, f"not valid JSON: {exc}", record=f"line {lineno}") from None
            if not isinstance(rec, dict):
                raise DataError.at(path, f"expected a JSON object, got {type(rec).__name__}", record=f"line {lineno}")
            yield lineno, rec


def _text(path: Path, where: str, rec: dict[str, Any], keys: tuple[str, ...]) -> str:
    for key in keys:
        if key in rec:
            value = rec[key]
            if not isinstance(value, str):
                raise DataError.at(path, f"must be a string, got {type(value).__name__}", record=where, field=key)
            if not value.strip():
                raise DataError.at(path, "is empty", record=where, field=key)
            return value
    raise DataError.at(path, "missing", record=where, field=keys[0] if len(keys) == 1 else "/".join(keys))


def _where(path: Path, n: int) -> str:
    return f"line {n}" if path.suffix != ".json" else str(n)


def load_pairs(path: str | Path, *, subsets: list[str] | None = None, pair_types: list[str] | None = None,
               limit: int | None = None) -> list[PreferencePair]:
    """Validated preference pairs from `path`, optionally filtered by subset / pair type."""
    path = Path(path)
    pairs: list[PreferencePair] = []
    for n, rec in read_records(path):
        where = _where(path, n)
        prompt = _text(path, where, rec, _PROMPT_KEYS)
        chosen = _text(path, where, rec, ("chosen",))
        rejected = _text(path, where, rec, ("rejected",))
        subset = next((rec[k] for k in _SUBSET_KEYS if isinstance(rec.get(k), str)), None)
        if pair_types is not None:
            if not isinstance(rec.get("pair_type"), str):
                raise DataError.at(path, "needed to filter by pair type", record=where, field="pair_type")
            if rec["pair_type"] not in pair_types:
                continue
        if subsets is not None and subset not in subsets:
            continue
        rid = rec.get("id", rec.get("problem_id", n))
        meta = {k: v for k, v in rec.items() if k not in ("prompt", "question", "problem", "chosen", "rejected")}
        pairs.append(PreferencePair(prompt, chosen, rejected, str(rid) if "id" in rec else f"{rid}#{n}", subset, meta))
        if limit is not None and len(pairs) >= limit:
            break
    return pairs


def load_scored(path: str | Path, *, limit: int | None = None) -> list[ScoredReasoning]:
    """Validated (problem, reasoning, score in [0, 1]) records for the score-based baseline."""
    path = Path(path)
    out: list[ScoredReasoning] = []
    for n, rec in read_records(path):
        where = _where(path, n)
        prompt = _text(path, where, rec, _PROMPT_KEYS)
        reasoning = _text(path, where, rec, ("reasoning",))
        key = "score" if "score" in rec else "overall"
        value = rec.get(key)
        if value is None:
            raise DataError.at(path, "missing", record=where, field="score/overall")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or not 0.0 <= value <= 1.0:
            raise DataError.at(path, f"must be a number in [0, 1], got {value!r}", record=where, field=key)
        meta = {k: v for k, v in rec.items() if k not in ("prompt", "problem", "question", "reasoning")}
        out.append(ScoredReasoning(prompt, reasoning, float(value), str(rec.get("problem_id", n)), meta))
        if limit is not None and len(out) >= limit:
            break
    return out
