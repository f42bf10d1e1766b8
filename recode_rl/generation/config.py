"""Typed generator settings (`GeneratorConfig`) and the factory that builds a backend from them.

Used by every stage that asks an LLM for text (synthesis, generator-as-judge evaluation).
Backends are imported lazily: building an "openai" generator never imports torch.
"""

from __future__ import annotations

import os
from typing import Any, Literal, Sequence

from pydantic import Field

from recode_rl.config import ConfigError, StageConfig
from recode_rl.generation.types import Completion, Generator, OnComplete, Prompt, SamplingParams

__all__ = ["GeneratorConfig", "LazyGenerator", "build_generator", "expected_model_id"]


class GeneratorConfig(StageConfig):
    backend: Literal["hf", "openai", "vllm"] = "hf"
    model: str = "embedded:smollm2"   # HF folder / id, "embedded:smollm2", or the served model name
    name: str | None = None           # label in pair metadata; default: `model`
    # hf
    device: str = "cpu"
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    batch_size: int = Field(8, ge=1)
    num_threads: int | None = Field(None, ge=1)  # torch CPU threads; 1 is fastest on a shared, busy machine
    # openai-compatible server
    base_url: str = "http://localhost:8000/v1"
    endpoint: Literal["chat", "completions"] = "chat"
    api_key_env: str | None = "OPENAI_API_KEY"   # read from the environment at run time; never stored
    max_concurrency: int = Field(16, ge=1)
    timeout: float = Field(300.0, gt=0)
    max_retries: int = Field(6, ge=0)
    backoff_base: float = Field(1.0, ge=0)
    backoff_max: float = Field(60.0, ge=0)
    on_error: Literal["raise", "record"] = "raise"
    extra_body: dict[str, Any] = {}
    # vllm offline
    engine_kwargs: dict[str, Any] = {}

    @property
    def label(self) -> str:
        return self.name or self.model


def build_generator(cfg: GeneratorConfig) -> Generator:
    """Instantiate the configured backend (heavy imports happen here, not at module import)."""
    if cfg.backend == "openai":
        from recode_rl.generation.openai_http import OpenAIGenerator

        api_key = os.environ.get(cfg.api_key_env) if cfg.api_key_env else None
        return OpenAIGenerator(cfg.model, cfg.base_url, endpoint=cfg.endpoint, api_key=api_key,
                               max_concurrency=cfg.max_concurrency, timeout=cfg.timeout,
                               max_retries=cfg.max_retries, backoff_base=cfg.backoff_base,
                               backoff_max=cfg.backoff_max, on_error=cfg.on_error, extra_body=cfg.extra_body)
    if cfg.backend == "hf":
        from recode_rl.generation.hf import HFGenerator

        try:
            return HFGenerator(cfg.model, device=cfg.device, dtype=cfg.dtype, batch_size=cfg.batch_size,
                               num_threads=cfg.num_threads)
        except OSError as exc:
            raise ConfigError(f"generator.model={cfg.model!r}: cannot load it as a local HF model: {exc}") from None
    if cfg.backend == "vllm":
        from recode_rl.generation.vllm_offline import VLLMGenerator

        return VLLMGenerator(cfg.model, chat=cfg.endpoint == "chat", engine_kwargs=cfg.engine_kwargs)
    raise ConfigError(f"generator.backend: unknown backend {cfg.backend!r}")


def expected_model_id(cfg: GeneratorConfig) -> str:
    """The `model_id` the configured backend will report (cache keys), known without building it."""
    return f"{cfg.model}#completions" if cfg.backend == "openai" and cfg.endpoint == "completions" else cfg.model


class LazyGenerator:
    """Builds the backend on the first `generate` call, so a run served entirely from the call
    cache never loads a model or opens a connection."""

    def __init__(self, cfg: GeneratorConfig) -> None:
        self.cfg = cfg
        self.model_id = expected_model_id(cfg)
        self._inner: Generator | None = None

    @property
    def built(self) -> bool:
        return self._inner is not None

    def check(self) -> None:
        """A server backend is asked once now (`OpenAIGenerator.check`: not running, a refused key or not an
        OpenAI API raise ServerError); a local model is not loaded."""
        if self.cfg.backend == "openai":
            self._inner = self._inner or build_generator(self.cfg)   # a client only: no model, no request
            self._inner.check()  # type: ignore[attr-defined]

    def generate(self, prompts: Sequence[Prompt], n: int, sampling: SamplingParams,
                 on_complete: OnComplete | None = None) -> list[list[Completion]]:
        if self._inner is None:
            self._inner = build_generator(self.cfg)
        return self._inner.generate(prompts, n, sampling, on_complete=on_complete)
