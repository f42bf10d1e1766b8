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

Files are read by `recode_rl.data.records.read_records`: every problem raises `DataError` naming
the file, the line (JSON Lines) or record index (JSON list) and the field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recode_rl.data.records import Where, read_records

__all__ = ["PreferencePair", "ScoredReasoning", "load_pairs", "load_scored"]

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


def _text(where: Where, rec: dict[str, Any], keys: tuple[str, ...]) -> str:
    for key in keys:
        if key in rec:
            value = rec[key]
            if not isinstance(value, str):
                raise where.error(key, f"must be a string, got {type(value).__name__}")
            if not value.strip():
                raise where.error(key, "is empty")
            return value
    raise where.error(keys[0] if len(keys) == 1 else "/".join(keys), "missing")


def _number(where: Where) -> int:
    """The record's line (JSON Lines) or 1-based position (JSON list): part of default pair ids."""
    return where.line if where.line is not None else (where.index or 0) + 1


def load_pairs(path: str | Path, *, subsets: list[str] | None = None, pair_types: list[str] | None = None,
               limit: int | None = None) -> list[PreferencePair]:
    """Validated preference pairs from `path`, optionally filtered by subset / pair type."""
    path = Path(path)
    pairs: list[PreferencePair] = []
    for where, rec in read_records(path):
        n = _number(where)
        prompt = _text(where, rec, _PROMPT_KEYS)
        chosen = _text(where, rec, ("chosen",))
        rejected = _text(where, rec, ("rejected",))
        subset = next((rec[k] for k in _SUBSET_KEYS if isinstance(rec.get(k), str)), None)
        if pair_types is not None:
            if not isinstance(rec.get("pair_type"), str):
                raise where.error("pair_type", "needed to filter by pair type")
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
    for where, rec in read_records(path):
        n = _number(where)
        prompt = _text(where, rec, _PROMPT_KEYS)
        reasoning = _text(where, rec, ("reasoning",))
        key = "score" if "score" in rec else "overall"
        value = rec.get(key)
        if value is None:
            raise where.error("score/overall", "missing")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or not 0.0 <= value <= 1.0:
            raise where.error(key, f"must be a number in [0, 1], got {value!r}")
        meta = {k: v for k, v in rec.items() if k not in ("prompt", "problem", "question", "reasoning")}
        out.append(ScoredReasoning(prompt, reasoning, float(value), str(rec.get("problem_id", n)), meta))
        if limit is not None and len(out) >= limit:
            break
    return out
