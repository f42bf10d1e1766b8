"""Generator-as-judge baseline: an LLM rates each reasoning, the rating is the score.

Pointwise, so it plugs into the same pairwise-accuracy evaluation as a scalar reward model:
each (problem, reasoning) is rated 0-10 independently, `n` samples averaged (ties then count
as wrong, exactly as for reward models). The paper's LLM baselines (GPT-4-Turbo on LCB-RB)
are judges too; the rating prompt is `recode_rl.prompts.judge.RATING_JUDGE_PROMPT` (its
departures from the paper are listed there).

Parsing (`parse_rating`) accepts what models emit: `Score: 7`, `**Score:** 7/10`,
`Rating - 8.5`, a final line that is just a number. Unparseable or out-of-range ratings are
failures: counted, kept as text in the per-pair output, and the item's score is NaN — a pair
with a NaN side counts as wrong, never silently as a tie at 0.
"""

from __future__ import annotations

import math
import re
from typing import Any

from recode_rl.prompts import RATING_JUDGE_PROMPT, rating_judge_prompt

__all__ = ["parse_rating", "JudgeScorer"]

_SCORE = re.compile(r"(?:score|rating)\s*\**\s*[:=\-]?\s*\**\s*(\d+(?:\.\d+)?)\s*(?:/\s*10)?", re.IGNORECASE)
_BARE = re.compile(r"^\W*(\d+(?:\.\d+)?)\s*(?:/\s*10)?\W*$")


def parse_rating(text: str) -> float | None:
    """The 0-10 rating in a judge's reply, or None when there is none (or it is out of range)."""
    matches = _SCORE.findall(text)
    value: float | None = float(matches[-1]) if matches else None
    if value is None:
        lines = [ln for ln in text.strip().splitlines() if ln.strip()]
        if lines:
            m = _BARE.match(lines[-1])
            value = float(m.group(1)) if m else None
    if value is None or not 0.0 <= value <= 10.0:
        return None
    return value


class JudgeScorer:
    """Scores (problem, reasoning) pairs by asking a `Generator` for `n` ratings each."""

    def __init__(self, generator: Any, sampling: Any, *, n: int = 1, prompt: str = RATING_JUDGE_PROMPT) -> None:
        self.generator, self.sampling, self.n, self.prompt = generator, sampling, n, prompt
        self.name = f"judge:{getattr(generator, 'model_id', 'generator')}"
        self.failures = 0
        self.last_texts: list[list[str]] = []

    def raw_scores(self, problems: list[str], reasonings: list[str], *, batch_size: int = 8,
                   progress: bool | str = False) -> tuple[list[float], int]:
        """Mean rating per input (NaN when no sample parsed); second value is always 0 (no truncation)."""
        prompts = [rating_judge_prompt(p, r, self.prompt) for p, r in zip(problems, reasonings, strict=True)]
        outputs = self.generator.generate(prompts, self.n, self.sampling)
        scores: list[float] = []
        self.last_texts = []
        for completions in outputs:
            texts = [c.text for c in completions]
            self.last_texts.append(texts)
            ratings = [parse_rating(t) for t in texts if t]
            good = [r for r in ratings if r is not None]
            self.failures += len(completions) - len(good)
            scores.append(sum(good) / len(good) if good else math.nan)
        return scores, 0
