"""Local Hugging Face transformers backend: batched `model.generate`, CPU or GPU.

Prompts are rendered with the tokenizer's chat template when it has one (string prompts
become one user message), else passed as raw text. Batches are left-padded so every row's
new tokens start at the same column. `n` samples per prompt use `num_return_sequences`.

`finish_reason` is "stop" when an EOS token (or a `stop` string, cut off afterwards) ended
the sample and "length" when it ran into `max_new_tokens`. With a `seed`, the torch RNG is
reseeded per batch (`seed + batch index`), so a rerun with the same batch composition
reproduces the samples; unlike vLLM there is no per-request seed.

`model="embedded:smollm2"` resolves through `recode_rl.models` to the packaged
SmolLM2-135M-Instruct (converted once from GGUF); any HF folder or model id works, but
nothing is ever downloaded at run time by this project's defaults.
"""

from __future__ import annotations

from typing import Any, Sequence

from recode_rl.generation.types import Completion, OnComplete, Prompt, SamplingParams, apply_stop, as_messages
from recode_rl.models import ensure_pad_token

__all__ = ["HFGenerator"]


class HFGenerator:
    """Generator over a local transformers causal LM (a path/id, or an already-built model + tokenizer)."""

    def __init__(self, model: Any, tokenizer: Any = None, *, device: str = "cpu", dtype: str = "auto",
                 batch_size: int = 8, chat: bool | None = None, model_id: str | None = None,
                 num_threads: int | None = None) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if num_threads is not None:
            torch.set_num_threads(num_threads)

        if isinstance(model, str):
            from recode_rl.models import resolve_model

            name = model
            path = resolve_model(model)
            torch_dtype = {"auto": "auto", "float32": torch.float32, "bfloat16": torch.bfloat16,
                           "float16": torch.float16}[dtype]
            tokenizer = tokenizer or AutoTokenizer.from_pretrained(path)
            model = AutoModelForCausalLM.from_pretrained(path, dtype=torch_dtype)
        else:
            if tokenizer is None:
                raise ValueError("HFGenerator: pass a tokenizer together with a model object")
            name = model_id or getattr(model.config, "_name_or_path", "") or type(model).__name__
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        self.model = model.to(device).eval()
        self.tokenizer = tokenizer
        self.tokenizer.padding_side = "left"
        ensure_pad_token(self.tokenizer)
        self.device = device
        self.batch_size = batch_size
        self.chat = bool(getattr(tokenizer, "chat_template", None)) if chat is None else chat
        self.model_id = model_id or name
        eos = getattr(model.generation_config, "eos_token_id", None)
        if eos is None:
            eos = tokenizer.eos_token_id
        self.eos_ids = set(eos if isinstance(eos, (list, tuple)) else [eos]) - {None}

    def render(self, prompt: Prompt) -> str:
        if self.chat:
            return self.tokenizer.apply_chat_template(as_messages(prompt), tokenize=False, add_generation_prompt=True)
        if not isinstance(prompt, str):
            raise ValueError("this tokenizer has no chat template: prompts must be plain strings")
        return prompt

    def _decode_row(self, row: list[int], sampling: SamplingParams, prompt_tokens: int) -> Completion:
        # Row = new tokens only. Cut at the first EOS; anything after it is padding.
        end = next((i for i, tok in enumerate(row) if tok in self.eos_ids), None)
        tokens = row if end is None else row[:end]
        text = self.tokenizer.decode(tokens, skip_special_tokens=True)
        text, stopped = apply_stop(text, sampling.stop)
        finish = "stop" if (end is not None or stopped) else "length"
        n_tokens = len(tokens) + (1 if end is not None else 0)
        return Completion(text=text, finish_reason=finish, prompt_tokens=prompt_tokens, completion_tokens=n_tokens)

    def generate(self, prompts: Sequence[Prompt], n: int, sampling: SamplingParams,
                 on_complete: OnComplete | None = None) -> list[list[Completion]]:
        import torch

        if n < 1:
            raise ValueError("n must be >= 1")
        results: list[list[Completion]] = [[] for _ in prompts]
        texts = [self.render(p) for p in prompts]
        for b, start in enumerate(range(0, len(texts), self.batch_size)):
            chunk = texts[start:start + self.batch_size]
            enc = self.tokenizer(chunk, return_tensors="pt", padding=True, add_special_tokens=not self.chat)
            enc = {k: v.to(self.device) for k, v in enc.items()}
            greedy = sampling.temperature == 0
            rows_per_prompt = 1 if greedy else n  # greedy samples are identical: decode once, repeat
            kwargs: dict[str, Any] = {"max_new_tokens": sampling.max_new_tokens, "pad_token_id": self.tokenizer.pad_token_id,
                                      "num_return_sequences": rows_per_prompt}
            if greedy:
                kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
            else:
                kwargs.update(do_sample=True, temperature=sampling.temperature, top_p=sampling.top_p)
            if sampling.seed is not None:
                torch.manual_seed(sampling.seed + b)
            with torch.inference_mode():
                out = self.model.generate(**enc, **kwargs)
            new = out[:, enc["input_ids"].shape[1]:].tolist()  # (len(chunk) * rows_per_prompt, new_len)
            lengths = enc["attention_mask"].sum(dim=1).tolist()
            for i in range(len(chunk)):
                idx = start + i
                rows = [self._decode_row(new[i * rows_per_prompt + j], sampling, int(lengths[i]))
                        for j in range(rows_per_prompt)]
                results[idx] = rows if not greedy else rows * n
                if on_complete is not None:
                    on_complete(idx, results[idx])
        return results
