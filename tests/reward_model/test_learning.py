"""Tier 2: the Bradley-Terry loop really learns, and the loss is TRL's -log sigmoid(s_c - s_r)."""

from __future__ import annotations

import json
import math
from collections import Counter

import pytest

from rm_helpers import make_pairs, tiny_llama, tiny_tokenizer, write_jsonl
from recode_rl.config import load_config
from recode_rl.reward_model.config import Config
from recode_rl.reward_model.scoring import RewardModel, ScoringCard, read_card
from recode_rl.reward_model.train import pairwise_accuracy, train_bradley_terry
from recode_rl.rundir import RunDir


class FixedScores:
    """Stands in for a model in `compute_loss`: returns preset logits, shape (2 * batch, 1)."""

    training = False

    def __init__(self, logits):
        self.logits = logits

    def __call__(self, **inputs):
        class Out:
            pass

        out = Out()
        out.logits = self.logits
        return out


def test_trl_reward_loss_matches_bradley_terry_by_hand(tmp_path):
    """s_chosen = [2, 0], s_rejected = [1, 1]: differences [1, -1];
    -log sigmoid(1) = log(1 + e^-1) = 0.313262, -log sigmoid(-1) = log(1 + e) = 1.313262; mean 0.813262.
    This also pins TRL's convention that the first half of the batch is the chosen side."""
    import torch
    from datasets import Dataset
    from trl import RewardConfig, RewardTrainer

    tok = tiny_tokenizer()
    model = tiny_llama(len(tok))
    args = RewardConfig(output_dir=str(tmp_path), report_to="none", use_cpu=True, max_length=32)
    trainer = RewardTrainer(model=model, args=args, processing_class=tok,
                            train_dataset=Dataset.from_dict({"chosen_ids": [[3, 4]], "rejected_ids": [[3]]}))
    fake = FixedScores(torch.tensor([[2.0], [0.0], [1.0], [1.0]]))
    inputs = {"input_ids": torch.zeros(4, 2, dtype=torch.long), "attention_mask": torch.ones(4, 2, dtype=torch.long)}
    loss = trainer.compute_loss(fake, inputs)
    assert loss.item() == pytest.approx((math.log(1 + math.exp(-1)) + math.log(1 + math.e)) / 2, abs=1e-6)
    assert loss.item() == pytest.approx(0.813262, abs=1e-6)


def test_pairwise_accuracy_counts_ties_wrong():
    # pairs: 3>1 correct, 2=2 tie (wrong), 0<5 wrong -> 1/3
    assert pairwise_accuracy([3.0, 2.0, 0.0], [1.0, 2.0, 5.0]) == pytest.approx(1 / 3)


def test_bradley_terry_learns_truncated_vs_complete_reasoning(tmp_path):
    """rejected = chosen reasoning cut off halfway. A 2-layer 32-wide Llama built in process,
    at chance before training (asserted, so the test cannot pass vacuously), reaches >= 0.9
    held-out pairwise accuracy on unseen problems after 200 steps."""
    import torch

    torch.set_num_threads(1)
    train = write_jsonl(tmp_path / "train.jsonl", make_pairs(40, 4, seed=0))
    val = write_jsonl(tmp_path / "val.jsonl", make_pairs(12, 4, seed=1))
    tok = tiny_tokenizer()
    model = tiny_llama(len(tok), seed=2)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    val_rows = [json.loads(line) for line in val.read_text().splitlines()]

    def held_out_accuracy(m):
        rm = RewardModel(m, tok, ScoringCard(max_length=128))
        c, _ = rm.raw_scores([r["prompt"] for r in val_rows], [r["chosen"] for r in val_rows])
        r, _ = rm.raw_scores([r["prompt"] for r in val_rows], [r["rejected"] for r in val_rows])
        return pairwise_accuracy(c, r)

    initial = held_out_accuracy(model)
    assert 0.3 <= initial <= 0.7, f"untrained model should be near chance, got {initial}"

    cfg = load_config(Config, None, [
        f"data.train={train}", f"data.validation={val}", "model.max_length=128", "train.learning_rate=1e-3",
        "train.max_steps=200", "train.per_device_batch_size=8", "train.eval_steps=50", "train.logging_steps=25",
        "train.warmup_ratio=0.05", "train.early_stopping_patience=null"])
    run = RunDir.create(tmp_path / "run", stage="train-rm")
    summary = train_bradley_terry(cfg, run, model=model, tokenizer=tok)

    assert summary["steps"] == 200 and math.isfinite(summary["train_loss"])
    assert summary["validation_accuracy"] >= 0.9
    assert summary["truncation"]["train"]["touched_records"] == 0
    changed = [k for k, v in model.state_dict().items() if not torch.equal(v, before[k])]
    assert "score.weight" in changed and len(changed) > 5
    # the saved checkpoint + card reproduce the accuracy through the public loader
    ckpt = run.checkpoints / "reward_model"
    card = read_card(ckpt)
    assert card.mapping == "sigmoid" and card.max_length == 128 and card.trained_on is not None
    loaded = RewardModel.load(str(ckpt))
    c, _ = loaded.raw_scores([r["prompt"] for r in val_rows], [r["chosen"] for r in val_rows])
    r, _ = loaded.raw_scores([r["prompt"] for r in val_rows], [r["rejected"] for r in val_rows])
    assert pairwise_accuracy(c, r) == pytest.approx(summary["validation_accuracy"])
    assert 0.0 < loaded.score(["p"], ["w1 w2"])[0] < 1.0
    logged = run.read_metrics()
    assert any("train/loss" in m for m in logged) and any("train/eval_accuracy" in m for m in logged)


def test_lora_training_saves_a_merged_plain_checkpoint(tmp_path):
    import torch

    torch.set_num_threads(1)
    train = write_jsonl(tmp_path / "train.jsonl", make_pairs(6, 2, seed=0))
    cfg = load_config(Config, None, [
        f"data.train={train}", "data.validation_fraction=0.0", "model.max_length=64", "train.max_steps=3",
        "train.per_device_batch_size=4", "train.learning_rate=1e-3", "lora.enabled=true", "lora.r=4",
        "lora.target_modules=[q_proj,v_proj]"])
    tok = tiny_tokenizer()
    model = tiny_llama(len(tok))
    head_before = model.score.weight.detach().clone()
    run = RunDir.create(tmp_path / "run", stage="train-rm")
    summary = train_bradley_terry(cfg, run, model=model, tokenizer=tok)
    assert summary["steps"] == 3 and summary["validation_pairs"] == 0 and "validation_accuracy" not in summary
    ckpt = run.checkpoints / "reward_model"
    assert not (ckpt / "adapter_config.json").exists() and (ckpt / "config.json").is_file()
    loaded = RewardModel.load(str(ckpt))
    assert not torch.equal(loaded.model.score.weight, head_before)   # the head was trained and saved
    assert all("lora" not in name for name, _ in loaded.model.named_parameters())


def test_rerun_resumes_from_the_last_trainer_checkpoint(tmp_path):
    import torch

    torch.set_num_threads(1)
    train = write_jsonl(tmp_path / "train.jsonl", make_pairs(6, 2, seed=0))
    val = write_jsonl(tmp_path / "val.jsonl", make_pairs(2, 2, seed=1))
    base = [f"data.train={train}", f"data.validation={val}", "model.max_length=64", "train.per_device_batch_size=4",
            "train.eval_steps=2", "train.learning_rate=1e-3", "train.early_stopping_patience=null"]
    tok = tiny_tokenizer()
    run = RunDir.create(tmp_path / "run", stage="train-rm")
    first = train_bradley_terry(load_config(Config, None, base + ["train.max_steps=4"]), run,
                                model=tiny_llama(len(tok)), tokenizer=tok)
    assert first["resumed_from"] is None and first["steps"] == 4
    second = train_bradley_terry(load_config(Config, None, base + ["train.max_steps=6"]), run,
                                 model=tiny_llama(len(tok)), tokenizer=tok)
    assert second["resumed_from"].endswith("checkpoint-4") and second["steps"] == 6
    # each (step, metric) logged once across the two starts (old code: the data/ lines twice)
    lines = [(m["step"], k) for m in run.read_metrics() for k in m if k not in ("step", "train/epoch")]  # epoch: also in the summary line
    assert len(lines) == len(set(lines)), [x for x, n in Counter(lines).items() if n > 1]
    assert (0, "data/train_pairs") in lines
