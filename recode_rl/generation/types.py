"""The one interface for "ask an LLM for n completions of each of these prompts".

Every backend (OpenAI-compatible HTTP, local transformers, vLLM offline) implements
`Generator.generate(prompts, n, sampling, on_complete=None) -> list[list[Completion]]`:
one inner list of `n` completions per prompt, in prompt order. A prompt is either a plain
string (sent as one user message to chat models, or verbatim to completion endpoints) or
a list of chat messages `{"role": ..., "content": ...}`.

`on_complete(prompt_index, completions)` is called as soon as all `n` completions of one
prompt are ready, so callers (the on-disk call cache, progress bars) can persist work
before the whole batch returns; a crash then loses only calls still in flight.

A completion that failed for a per-prompt reason (e.g. an HTTP 400 "prompt too long")
is reported, when the backend is configured with `on_error="record"`, as
`Completion(text="", finish_reason="error", error=...)` — counted by callers, never
mistaken for a real answer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Callable, Literal, Protocol, Sequence, Union, runtime_checkable

from pydantic import ConfigDict, Field

from recode_rl.config import StageConfig

__all__ = [
    "Prompt", "Message", "SamplingParams", "Completion", "Generator", "GenerationError", "ServerError",
    "OnComplete", "FinishReason", "as_messages",
]

Message = dict[str, str]
Prompt = Union[str, list[Message]]
FinishReason = Literal["stop", "length", "error", "unknown"]
OnComplete = Callable[[int, list["Completion"]], None]


class GenerationError(RuntimeError):
    """A generation backend failed in a way the caller must see (bad response, retries exhausted)."""


class ServerError(GenerationError):
    """The server itself is unusable (wrong URL or model, refused key, not an OpenAI API, not running):
    every request would fail the same way, so it stops the run even with `on_error="record"`."""


class SamplingParams(StageConfig):
    """Decoding settings shared by every backend. `temperature == 0` means greedy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    temperature: float = Field(0.7, ge=0.0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    max_new_tokens: int = Field(1024, ge=1)
    seed: int | None = None        # backends derive per-sample seeds from it where they can
    stop: tuple[str, ...] = ()     # generation ends at the first of these strings (not included)

    def cache_key(self) -> dict[str, Any]:
        """Everything that changes the output distribution; part of the call-cache key."""
        return self.model_dump(mode="json")


@dataclass(frozen=True)
class Completion:
    text: str
    finish_reason: FinishReason = "unknown"   # "stop": natural end / stop string; "length": hit max_new_tokens
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    error: str | None = None                  # set iff finish_reason == "error"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Completion":
        return cls(text=d["text"], finish_reason=d.get("finish_reason", "unknown"),
                   prompt_tokens=d.get("prompt_tokens"), completion_tokens=d.get("completion_tokens"),
                   error=d.get("error"))


@runtime_checkable
class Generator(Protocol):
    """A source of completions. `model_id` names the model in cache keys and pair metadata."""

    model_id: str

    def generate(self, prompts: Sequence[Prompt], n: int, sampling: SamplingParams,
                 on_complete: OnComplete | None = None) -> list[list[Completion]]:
        ...


def as_messages(prompt: Prompt) -> list[Message]:
    """A prompt as chat messages: a bare string becomes one user message."""
    if isinstance(prompt, str):
        return [{"role": "user", "content": prompt}]
    for i, message in enumerate(prompt):
        if not isinstance(message, dict) or "role" not in message or "content" not in message:
            raise ValueError(f"chat prompt message {i} must be a dict with 'role' and 'content', got {message!r}")
    return list(prompt)


def apply_stop(text: str, stop: Sequence[str]) -> tuple[str, bool]:
    """Cut `text` at the earliest stop string; returns (text, whether a stop string was found)."""
    cut = min((i for i in (text.find(s) for s in stop if s) if i >= 0), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)
