"""vLLM offline-engine backend (optional: `pip install 'recode-rl[vllm]'`, GPU).

vLLM is imported only when a `VLLMGenerator` is built, so nothing else in the package
needs it. The pure mapping `vllm_sampling_kwargs` is what the tests check; the engine
itself is exercised only on machines that have vLLM. vLLM returns `n` samples per request
natively, with one request seed; `on_complete` fires per prompt after the whole call.
"""

from __future__ import annotations

from typing import Any, Sequence

from recode_rl.generation.types import Completion, OnComplete, Prompt, SamplingParams, as_messages

__all__ = ["VLLMGenerator", "vllm_sampling_kwargs", "completion_from_vllm"]


def vllm_sampling_kwargs(sampling: SamplingParams, n: int) -> dict[str, Any]:
    """Keyword arguments for `vllm.SamplingParams` equivalent to our `SamplingParams` with n samples."""
    kwargs: dict[str, Any] = {"n": n, "temperature": sampling.temperature, "max_tokens": sampling.max_new_tokens,
                              "top_p": 1.0 if sampling.temperature == 0 else sampling.top_p}
    if sampling.seed is not None:
        kwargs["seed"] = sampling.seed
    if sampling.stop:
        kwargs["stop"] = list(sampling.stop)
    return kwargs


def completion_from_vllm(output: Any, prompt_tokens: int | None) -> Completion:
    """Map one `vllm.CompletionOutput` (text, finish_reason, token_ids) to a Completion."""
    reason = output.finish_reason if output.finish_reason in ("stop", "length") else "unknown"
    return Completion(text=output.text, finish_reason=reason, prompt_tokens=prompt_tokens,
                      completion_tokens=len(output.token_ids))


class VLLMGenerator:
    def __init__(self, model: str, *, chat: bool = True, engine_kwargs: dict[str, Any] | None = None) -> None:
        try:
            import vllm
        except ImportError:
            raise ImportError("the 'vllm' backend needs vLLM: pip install 'recode-rl[vllm]'") from None
        from recode_rl.models import resolve_model

        self._vllm = vllm
        self.llm = vllm.LLM(model=resolve_model(model), **(engine_kwargs or {}))
        self.chat = chat
        self.model_id = model

    def generate(self, prompts: Sequence[Prompt], n: int, sampling: SamplingParams,
                 on_complete: OnComplete | None = None) -> list[list[Completion]]:
        params = self._vllm.SamplingParams(**vllm_sampling_kwargs(sampling, n))
        if self.chat:
            outputs = self.llm.chat([as_messages(p) for p in prompts], params, use_tqdm=False)
        else:
            if not all(isinstance(p, str) for p in prompts):
                raise ValueError("chat=False takes plain string prompts")
            outputs = self.llm.generate(list(prompts), params, use_tqdm=False)
        results: list[list[Completion]] = []
        for i, out in enumerate(outputs):
            n_prompt = len(out.prompt_token_ids) if out.prompt_token_ids is not None else None
            results.append([completion_from_vllm(o, n_prompt) for o in out.outputs])
            if on_complete is not None:
                on_complete(i, results[-1])
        return results
