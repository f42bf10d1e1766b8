"""Preference pairs from synthesized reasoning, and the train/validation split by problem.

Pair types (any combination, the paper's ablation):
  opt>deg  chosen = optimized t+, rejected = degraded t-   (strong contrast)
  opt>ori  chosen = t+,           rejected = base t        (fine optimization)
  ori>deg  chosen = base t,       rejected = t-            (fine degradation)
With k rewrites of each kind, `opt>ori` and `ori>deg` give one pair per kept rewrite;
`opt>deg` pairs the i-th kept t+ with the i-th kept t- (`pairing="matched"`, min(#t+, #t-)
pairs) or every t+ with every t- (`pairing="all"`). Pairs whose two sides are equal after
normalisation are skipped and counted.

Output is TRL's explicit-prompt preference format (`prompt`, `chosen`, `rejected`, plain
text) plus metadata `problem_id`, `pair_type`, `generator`. `prompt` is the problem text
(statement + starter code); `chosen`/`rejected` are reasoning texts only — the reward-model
stage builds its model input from them with its own template.

The split is by problem, so no problem's reasoning appears on both sides: problems that
yielded at least one pair are shuffled with the seed and `round(n * val_fraction)` of them
(at least 1 when there are >= 2 problems and val_fraction > 0, never all) go to validation.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Literal, Sequence

from recode_rl.synthesis.parse import normalise_text

__all__ = ["PairType", "PAIR_TYPES", "ProblemSynth", "build_pairs", "split_by_problem"]

PairType = Literal["opt>deg", "opt>ori", "ori>deg"]
PAIR_TYPES: tuple[PairType, ...] = ("opt>deg", "opt>ori", "ori>deg")


@dataclass
class ProblemSynth:
    """Everything synthesized for one problem (kept texts only)."""

    problem_id: str
    prompt: str
    generator: str
    base: str
    optimized: list[str] = field(default_factory=list)
    degraded: list[str] = field(default_factory=list)


def build_pairs(items: Iterable[ProblemSynth], pair_types: Sequence[PairType],
                pairing: Literal["matched", "all"] = "matched") -> tuple[list[dict[str, Any]], Counter]:
    """All requested pairs, and a Counter of pairs per type plus `identical_skipped`."""
    unknown = set(pair_types) - set(PAIR_TYPES)
    if unknown:
        raise ValueError(f"unknown pair type(s) {sorted(unknown)}; choose from {PAIR_TYPES}")
    pairs: list[dict[str, Any]] = []
    counts: Counter = Counter()
    for item in items:
        candidates: list[tuple[PairType, str, str]] = []
        if "opt>deg" in pair_types:
            combos = (zip(item.optimized, item.degraded) if pairing == "matched"
                      else itertools.product(item.optimized, item.degraded))
            candidates += [("opt>deg", c, r) for c, r in combos]
        if "opt>ori" in pair_types:
            candidates += [("opt>ori", c, item.base) for c in item.optimized]
        if "ori>deg" in pair_types:
            candidates += [("ori>deg", item.base, r) for r in item.degraded]
        for pair_type, chosen, rejected in candidates:
            if normalise_text(chosen) == normalise_text(rejected):
                counts["identical_skipped"] += 1
                continue
            counts[pair_type] += 1
            pairs.append({"prompt": item.prompt, "chosen": chosen, "rejected": rejected,
                          "problem_id": item.problem_id, "pair_type": pair_type, "generator": item.generator})
    return pairs, counts


def split_by_problem(pairs: Sequence[dict[str, Any]], val_fraction: float, seed: int
                     ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(train, validation) with every problem's pairs on one side only."""
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError("val_fraction must be in [0, 1)")
    problems = sorted({p["problem_id"] for p in pairs})
    random.Random(seed).shuffle(problems)
    n_val = round(len(problems) * val_fraction)
    if val_fraction > 0 and len(problems) >= 2:
        n_val = min(max(n_val, 1), len(problems) - 1)
    val_ids = set(problems[:n_val])
    train = [p for p in pairs if p["problem_id"] not in val_ids]
    val = [p for p in pairs if p["problem_id"] in val_ids]
    return train, val
