"""Counters behind `stats.json`: per-stage kept/dropped counts, drop reasons, parse notes,
finish reasons, token totals, methods named in explanations, and text lengths."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from typing import Any

from recode_rl.generation.types import Completion
from recode_rl.synthesis.parse import (
    DEGRADATION_METHODS, OPTIMIZATION_METHODS, Parsed, ScoresParsed, find_methods,
)

__all__ = ["SynthStats", "length_summary"]


def length_summary(texts: list[str]) -> dict[str, float | int]:
    """Characters and whitespace-separated words: count, mean, median, min, max."""
    if not texts:
        return {"count": 0}
    chars = [len(t) for t in texts]
    words = [len(t.split()) for t in texts]
    return {"count": len(texts),
            "chars_mean": round(statistics.fmean(chars), 1), "chars_median": statistics.median(chars),
            "chars_min": min(chars), "chars_max": max(chars),
            "words_mean": round(statistics.fmean(words), 1), "words_median": statistics.median(words)}


class SynthStats:
    def __init__(self) -> None:
        self.stages: dict[str, dict[str, Any]] = defaultdict(
            lambda: {"requested": 0, "kept": 0, "dropped": Counter(), "notes": Counter(),
                     "finish_reasons": Counter(), "completion_tokens": 0})
        self.kept_texts: dict[str, list[str]] = defaultdict(list)
        self.methods = {"degradation": Counter(), "optimization": Counter()}
        self.explanations_without_method = Counter()
        self.generator_errors: list[str] = []

    def _completion(self, stage: str, completion: Completion) -> dict[str, Any]:
        s = self.stages[stage]
        s["requested"] += 1
        s["finish_reasons"][completion.finish_reason] += 1
        s["completion_tokens"] += completion.completion_tokens or 0
        if completion.error and len(self.generator_errors) < 20:
            self.generator_errors.append(f"{stage}: {completion.error}")
        return s

    def record(self, stage: str, completion: Completion, parsed: Parsed) -> list[str]:
        """Count one parsed sample; for kept rewrites return the methods its explanation names."""
        s = self._completion(stage, completion)
        s["notes"].update(parsed.notes)
        if not parsed.kept:
            s["dropped"][parsed.reason] += 1
            return []
        s["kept"] += 1
        self.kept_texts[stage].append(parsed.text or "")
        if stage not in ("optimized", "degraded"):
            return []
        family, table = (("optimization", OPTIMIZATION_METHODS) if stage == "optimized"
                         else ("degradation", DEGRADATION_METHODS))
        methods = find_methods(parsed.explanation, table)
        self.methods[family].update(methods)
        if not methods:
            self.explanations_without_method[family] += 1
        return methods

    def record_scores(self, completion: Completion, parsed: ScoresParsed) -> None:
        s = self._completion("scores", completion)
        s["notes"].update(parsed.notes)
        if parsed.scores is None:
            s["dropped"][parsed.reason] += 1
        else:
            s["kept"] += 1

    def to_dict(self) -> dict[str, Any]:
        stages = {name: {**s, "dropped": dict(s["dropped"]), "notes": dict(s["notes"]),
                         "finish_reasons": dict(s["finish_reasons"])} for name, s in self.stages.items()}
        return {
            "stages": stages,
            "methods": {family: dict(c.most_common()) for family, c in self.methods.items()},
            "explanations_without_a_named_method": dict(self.explanations_without_method),
            "lengths": {stage: length_summary(texts) for stage, texts in self.kept_texts.items()},
            "generator_errors_sample": self.generator_errors,
        }
