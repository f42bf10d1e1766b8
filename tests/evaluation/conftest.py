"""Fixtures for evaluation tests: shared data (skip when absent) and fake generators."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


from recode_rl.generation.types import Completion, Prompt, SamplingParams



def wrap(code: str, reasoning: str = "Use the obvious approach.") -> str:
    """A response in the policy format with `code` as the answer."""
    return f"<think>\n{reasoning}\n</think>\n<answer>\n```python\n{code}\n```\n</answer>"


class FakeGenerator:
    """A Generator whose completion for a prompt is `respond(prompt, sample_index)`; counts calls.

    The sample index continues across calls with the same prompt (so a caller that asks for
    one sample at a time, like synthesis' CachedGenerator, sees indices 0, 1, 2, ...)."""

    def __init__(self, respond: Callable[[Prompt, int], str], model_id: str = "fake", tokens: int | None = 7) -> None:
        self.respond = respond
        self.model_id = model_id
        self.tokens = tokens
        self.prompts_seen: list[Prompt] = []

    def generate(self, prompts: Sequence[Prompt], n: int, sampling: SamplingParams,
                 on_complete: Any = None) -> list[list[Completion]]:
        out = []
        for i, p in enumerate(prompts):
            first = sum(prompt_text(q) == prompt_text(p) for q in self.prompts_seen)
            self.prompts_seen.append(p)
            row = [Completion(self.respond(p, first + j), "stop", None, self.tokens) for j in range(n)]
            if on_complete is not None:
                on_complete(i, row)
            out.append(row)
        return out


def prompt_text(prompt: Prompt) -> str:
    return prompt if isinstance(prompt, str) else "\n".join(m["content"] for m in prompt)
