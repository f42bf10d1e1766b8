"""Per-GPU memory estimate of a training run, from the model's shape alone (no weights loaded).

The shape comes from `config.json` when the model is a folder on disk, else from `KNOWN_MODELS`
(the models our configs name). The estimate is deliberately simple and shown term by term:

    resident   = weights + gradients + optimizer state      (ZeRO-2/3 shard some of it over N ranks)
    train peak = activations (gradient-checkpointed layer inputs) + logits of one micro-batch
    peak       = resident + max(vLLM share, train peak)      colocate vLLM with sleep mode
               = resident + vLLM share + train peak          otherwise
               (+ a process scorer served on a training GPU, reported separately)

Bytes per parameter: bf16 weights 2, fp32 master weights 4, AdamW moments 8, fp32 gradients 4
(bf16 2 under DeepSpeed). It is an estimate for catching a plan that cannot fit, not a profiler.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ModelShape", "KNOWN_MODELS", "model_shape", "MemoryPlan", "estimate"]

GB = 1e9


@dataclass(frozen=True)
class ModelShape:
    params_b: float     # parameters, billions
    hidden: int
    layers: int
    vocab: int


# The models our shipped configs name (sizes from their config.json on the Hub).
KNOWN_MODELS: dict[str, ModelShape] = {
    "Qwen/Qwen2.5-Coder-7B-Instruct": ModelShape(7.62, 3584, 28, 152064),
    "Qwen/Qwen2.5-Coder-7B": ModelShape(7.62, 3584, 28, 152064),
    "Qwen/Qwen2.5-Coder-3B": ModelShape(3.09, 2048, 36, 151936),
    "Qwen/Qwen2.5-Coder-32B-Instruct": ModelShape(32.76, 5120, 64, 152064),
    "Qwen/Qwen2.5-Math-7B": ModelShape(7.62, 3584, 28, 152064),
    "embedded:smollm2": ModelShape(0.135, 576, 30, 49152),
    "embedded:minilm": ModelShape(0.023, 384, 6, 30522),
}


def _shape_from_config(path: Path) -> ModelShape | None:
    cfg = json.loads(path.read_text())
    cfg = cfg.get("text_config", cfg)
    try:
        h, n, v, inter = cfg["hidden_size"], cfg["num_hidden_layers"], cfg["vocab_size"], cfg["intermediate_size"]
    except KeyError:
        return None
    heads = cfg.get("num_attention_heads", 1)
    kv = cfg.get("num_key_value_heads", heads)
    attn = h * h * 2 + 2 * h * (h // heads) * kv           # q, o + k, v (grouped-query)
    per_layer = attn + 3 * h * inter                        # gated MLP
    embed = v * h * (1 if cfg.get("tie_word_embeddings", False) else 2)
    return ModelShape((n * per_layer + embed) / 1e9, h, n, v)


def model_shape(name: str) -> tuple[ModelShape | None, str]:
    """(shape, where it came from): a folder's config.json first, then the table."""
    config = Path(name) / "config.json"
    if config.is_file():
        shape = _shape_from_config(config)
        if shape is not None:
            return shape, str(config)
    if name in KNOWN_MODELS:
        return KNOWN_MODELS[name], "preflight table"
    return None, "unknown"


@dataclass
class MemoryPlan:
    weights_gb: float
    gradients_gb: float
    optimizer_gb: float
    activations_gb: float
    logits_gb: float
    vllm_gb: float
    sleep_mode: bool
    scorer_gb: float = 0.0   # a scorer sharing one training GPU (only that GPU)

    @property
    def resident_gb(self) -> float:
        return self.weights_gb + self.gradients_gb + self.optimizer_gb

    @property
    def peak_gb(self) -> float:
        train = self.activations_gb + self.logits_gb
        extra = max(self.vllm_gb, train) if self.sleep_mode else self.vllm_gb + train
        return self.resident_gb + extra

    def as_dict(self) -> dict[str, float | bool]:
        out = {k: round(v, 1) if isinstance(v, float) else v for k, v in self.__dict__.items()}
        out["per_gpu_peak_gb"] = round(self.peak_gb, 1)
        out["scorer_gpu_peak_gb"] = round(self.peak_gb + self.scorer_gb, 1)
        return out


def estimate(shape: ModelShape, *, world_size: int, zero_stage: int | None, fp32_master_in_model: bool,
             micro_batch_tokens: int, logit_tokens: int, gradient_checkpointing: bool,
             vllm_gb: float = 0.0, sleep_mode: bool = False, scorer_gb: float = 0.0) -> MemoryPlan:
    """Per-GPU estimate; `zero_stage` None = no DeepSpeed (DDP or one process, full state on every GPU)."""
    p = shape.params_b * GB
    n = max(world_size, 1)
    if zero_stage is None:
        w = 4 * p if fp32_master_in_model else 2 * p
        weights, grads, optim = w, w, 8 * p
    else:
        weights = 2 * p / (n if zero_stage >= 3 else 1)
        grads = 2 * p / (n if zero_stage >= 2 else 1)
        optim = 12 * p / (n if zero_stage >= 1 else 1)   # fp32 master + two AdamW moments
    per_token = shape.hidden * 2 * (shape.layers if gradient_checkpointing else 16 * shape.layers)
    activations = micro_batch_tokens * per_token
    logits = logit_tokens * shape.vocab * 2
    return MemoryPlan(weights / GB, grads / GB, optim / GB, activations / GB, logits / GB, vllm_gb, sleep_mode,
                      scorer_gb)
