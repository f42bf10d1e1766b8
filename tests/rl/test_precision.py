"""Issue 10, defect 2: AdamW must step fp32 master weights. Loaded in bf16 without DeepSpeed, AdamW at
the paper's lr 1e-6 leaves almost every weight unchanged (bf16 spacing is ~2^-8 relative); every
trainer therefore loads in fp32 unless DeepSpeed keeps the fp32 copy (`recode_rl.models.training_dtype`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from recode_rl.config import load_config
from recode_rl.models import training_dtype

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _no_accelerate_deepspeed(monkeypatch):
    monkeypatch.delenv("ACCELERATE_USE_DEEPSPEED", raising=False)


def test_training_dtype_is_fp32_unless_deepspeed_keeps_master_weights(monkeypatch):
    assert training_dtype("bfloat16", None) == "float32"
    assert training_dtype("float16", None) == "float32"
    assert training_dtype("bfloat16", "configs/deepspeed/zero3.json") == "bfloat16"
    monkeypatch.setenv("ACCELERATE_USE_DEEPSPEED", "true")      # accelerate launch with a DeepSpeed config
    assert training_dtype("bfloat16", None) == "bfloat16"


def test_rl_and_sft_trainers_load_the_policy_in_fp32_without_deepspeed():
    from recode_rl.rl.config import Config, SFTConfig, grpo_kwargs
    from recode_rl.rl.sft import _sft_args

    rl = load_config(Config, ROOT / "configs/train-rl/paper.yaml", ["train.deepspeed=null"])
    assert grpo_kwargs(rl, "out", 8)["model_init_kwargs"]["dtype"] == "float32"
    rl = load_config(Config, ROOT / "configs/train-rl/paper.yaml")           # ZeRO-3 keeps fp32 itself
    assert grpo_kwargs(rl, "out", 8)["model_init_kwargs"]["dtype"] == "bfloat16"
    sft = load_config(SFTConfig, ROOT / "configs/train-sft/paper.yaml", ["train.deepspeed=null"])
    assert _sft_args(sft, "out")["model_init_kwargs"]["dtype"] == "float32"


def _fraction_changed(model, steps: int = 10, lr: float = 1e-6) -> float:
    """Share of non-embedding weights that AdamW at `lr` changes in `steps` steps."""
    import torch

    torch.manual_seed(0)
    params = {n: p for n, p in model.named_parameters() if "embed" not in n}
    before = {n: p.detach().clone() for n, p in params.items()}
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    ids = torch.randint(3, model.config.vocab_size, (4, 12))
    for _ in range(steps):
        out = model(input_ids=ids)
        loss = out.logits.float().pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    changed = sum(int((p.detach() != before[n]).sum()) for n, p in params.items())
    return changed / sum(p.numel() for p in params.values())


def _tiny_rm(vocab_size: int):
    import torch
    from transformers import LlamaConfig, LlamaForSequenceClassification

    torch.manual_seed(0)
    return LlamaForSequenceClassification(LlamaConfig(
        vocab_size=vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=64, num_labels=1, pad_token_id=0))


def test_reward_model_backbone_is_loaded_in_fp32_and_learns_at_lr_1e6(tmp_path):
    import torch

    from recode_rl.reward_model.config import ModelSection
    from recode_rl.reward_model.train import load_backbone
    from tests.rl.tiny import chat_tokenizer

    tok = chat_tokenizer()
    _tiny_rm(len(tok)).to(torch.bfloat16).save_pretrained(tmp_path)   # a bf16 checkpoint, like the Hub's
    tok.save_pretrained(tmp_path)

    bf16 = _tiny_rm(len(tok)).to(torch.bfloat16)
    assert _fraction_changed(bf16) < 0.2                    # the defect: pure-bf16 AdamW barely moves

    model, _ = load_backbone(ModelSection(backbone=str(tmp_path), dtype="bfloat16"))
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    assert _fraction_changed(model) > 0.9
