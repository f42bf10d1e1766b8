"""LLM generation clients behind one interface (`Generator.generate`).

Backends: `OpenAIGenerator` (any OpenAI-compatible server), `HFGenerator` (local
transformers), `VLLMGenerator` (vLLM offline engine, optional). Build one from a
`GeneratorConfig` with `build_generator`. This package imports neither torch nor httpx
at import time beyond what the chosen backend needs.
"""

from recode_rl.generation.config import GeneratorConfig, build_generator
from recode_rl.generation.types import (
    Completion, GenerationError, Generator, Prompt, SamplingParams, ServerError, as_messages,
)

__all__ = ["Completion", "GenerationError", "Generator", "GeneratorConfig", "Prompt", "SamplingParams", "ServerError",
           "as_messages", "build_generator"]
