"""The per-GPU memory estimate, term by term, with hand-computed values."""

from __future__ import annotations

import json

import pytest

from recode_rl.preflight.memory import KNOWN_MODELS, ModelShape, estimate, model_shape

ONE_B = ModelShape(params_b=1.0, hidden=1000, layers=10, vocab=1000)


def test_zero3_shards_weights_gradients_and_optimizer_over_the_ranks():
    plan = estimate(ONE_B, world_size=8, zero_stage=3, fp32_master_in_model=False, micro_batch_tokens=0,
                    logit_tokens=0, gradient_checkpointing=True)
    # bf16 weights 2 B/param / 8, bf16 gradients 2 / 8, fp32 master + two moments 12 / 8
    assert (plan.weights_gb, plan.gradients_gb, plan.optimizer_gb) == pytest.approx((0.25, 0.25, 1.5))


def test_without_deepspeed_every_gpu_holds_fp32_weights_gradients_and_moments():
    plan = estimate(ONE_B, world_size=8, zero_stage=None, fp32_master_in_model=True, micro_batch_tokens=0,
                    logit_tokens=0, gradient_checkpointing=True)
    assert (plan.weights_gb, plan.gradients_gb, plan.optimizer_gb) == pytest.approx((4.0, 4.0, 8.0))


def test_sleep_mode_overlaps_vllm_with_the_update():
    kw = dict(world_size=1, zero_stage=3, fp32_master_in_model=False, gradient_checkpointing=True, vllm_gb=20.0)
    # activations: 1000 tokens x hidden 1000 x 2 bytes x 10 layers = 0.02 GB; logits 1000 x 1000 x 2 = 0.002 GB
    asleep = estimate(ONE_B, micro_batch_tokens=1000, logit_tokens=1000, sleep_mode=True, **kw)
    awake = estimate(ONE_B, micro_batch_tokens=1000, logit_tokens=1000, sleep_mode=False, **kw)
    assert asleep.activations_gb == pytest.approx(0.02) and asleep.logits_gb == pytest.approx(0.002)
    assert asleep.peak_gb == pytest.approx(16.0 + 20.0)                 # resident + max(vLLM, update)
    assert awake.peak_gb == pytest.approx(16.0 + 20.0 + 0.022)          # resident + vLLM + update


def test_shape_from_a_config_json_on_disk(tmp_path):
    """Qwen2.5-7B's config.json gives its 7.6B parameters without loading a weight."""
    (tmp_path / "config.json").write_text(json.dumps({
        "hidden_size": 3584, "num_hidden_layers": 28, "vocab_size": 152064, "intermediate_size": 18944,
        "num_attention_heads": 28, "num_key_value_heads": 4, "tie_word_embeddings": False}))
    shape, source = model_shape(str(tmp_path))
    assert source.endswith("config.json") and shape.params_b == pytest.approx(7.62, rel=0.01)
    assert model_shape("Qwen/Qwen2.5-Coder-7B-Instruct") == (KNOWN_MODELS["Qwen/Qwen2.5-Coder-7B-Instruct"], "preflight table")
    assert model_shape("nobody/unknown")[0] is None
