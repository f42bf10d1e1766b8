"""Scripted generators for pipeline tests: deterministic answers per prompt kind, call counting."""

from __future__ import annotations

import re
from typing import Callable, Sequence

from recode_rl.data.schema import Problem
from recode_rl.execution.types import TestSuite
from recode_rl.generation import Completion, SamplingParams


def make_problems(n: int) -> list[Problem]:
    return [Problem(task_id=f"p{i:02d}", prompt=f"Problem {i}: print the sum of {i} numbers {{a, b}}.",
                    tests=TestSuite(kind="stdio", inputs=("1 2\n",), outputs=("3\n",))) for i in range(n)]


def problem_no(prompt: str) -> int:
    return int(re.search(r"Problem (\d+):", prompt).group(1))


def default_answer(prompt: str, sampling: SamplingParams) -> str:
    i = problem_no(prompt)
    if "step-by-step chain of thought" in prompt:  # base (Fig. 6 structure)
        return f"Reasoning {i}: read the numbers, add them up one by one, print the total. Seed {sampling.seed}."
    if "reasoning optimizer" in prompt:  # optimize (Fig. 8)
        return (f"[Optimized CoT]\nBetter reasoning {i}: read all numbers at once, sum them in O(n), print.\n"
                f"Seed {sampling.seed}.\n\n[Explanation]\nFocusing Logic.")
    if "red-teaming agent" in prompt:  # degrade (Fig. 7)
        return (f"[Degraded CoT]\nWorse reasoning {i}: sort the numbers in O(n^2) first, then add, print.\n"
                f"Seed {sampling.seed}.\n\n[Explanation]\nFactually Incorrect Reasoning and Irrelevant or Misleading Path.")
    if "ONE score" in prompt:  # score (Fig. 10): the score only
        return "0.9"
    raise AssertionError(f"unexpected prompt: {prompt[:80]}")


class ScriptedGenerator:
    """Answers with `answer(prompt, sampling)`; counts every completion it produces.
    `interrupt_after=N` raises KeyboardInterrupt when asked for the (N+1)-th completion."""

    def __init__(self, model_id: str = "fake-model",
                 answer: Callable[[str, SamplingParams], str] = default_answer,
                 interrupt_after: int | None = None, batch_size: int = 3) -> None:
        self.model_id = model_id
        self.answer = answer
        self.interrupt_after = interrupt_after
        self.batch_size = batch_size
        self.produced: list[tuple[str, int | None]] = []  # (prompt, seed) per completion

    def generate(self, prompts: Sequence[str], n: int, sampling: SamplingParams, on_complete=None):
        results = []
        for i, prompt in enumerate(prompts):
            row = []
            for j in range(n):
                if self.interrupt_after is not None and len(self.produced) >= self.interrupt_after:
                    raise KeyboardInterrupt
                seed = None if sampling.seed is None else sampling.seed + j
                self.produced.append((prompt, seed))
                row.append(Completion(self.answer(prompt, sampling.model_copy(update={"seed": seed})), "stop", 10, 20))
            results.append(row)
            if on_complete is not None:
                on_complete(i, row)
        return results
