"""The score-based baseline: its loss by hand, and a few real training steps end to end."""

from __future__ import annotations

import json
import math

import pytest

from rm_helpers import tiny_llama, tiny_tokenizer, write_jsonl
from recode_rl.config import load_config
from recode_rl.errors import DataError
from recode_rl.reward_model.config import Config
from recode_rl.reward_model.data import load_scored
from recode_rl.reward_model.score_based import score_loss, train_score_based
from recode_rl.reward_model.scoring import read_card
from recode_rl.rundir import RunDir


def test_score_losses_by_hand():
    """logits [0, ln 3] -> sigmoid [0.5, 0.75]; targets [1.0, 0.5].
    BCE: -ln 0.5 = 0.693147; -(0.5 ln 0.75 + 0.5 ln 0.25) = 0.836988; mean 0.765068.
    MSE: (0.5-1)^2 = 0.25, (0.75-0.5)^2 = 0.0625; mean 0.15625."""
    import torch

    logits = torch.tensor([0.0, math.log(3.0)])
    target = torch.tensor([1.0, 0.5])
    assert score_loss(logits, target, "bce").item() == pytest.approx(0.765068, abs=1e-6)
    assert score_loss(logits, target, "mse").item() == pytest.approx(0.15625, abs=1e-6)
    with pytest.raises(ValueError):
        score_loss(logits, target, "hinge")


def test_scored_loader_names_line_and_field(tmp_path):
    path = write_jsonl(tmp_path / "s.jsonl", [
        {"prompt": "p", "reasoning": "r", "overall": 0.4, "problem_id": "a"},
        {"prompt": "p", "reasoning": "r", "overall": 1.3, "problem_id": "b"},
    ])
    with pytest.raises(DataError, match=r"line 2.*'overall'.*\[0, 1\]"):
        load_scored(path)


def test_score_based_training_runs_and_writes_card(tmp_path):
    import torch

    torch.set_num_threads(1)
    rows = [{"prompt": f"read n numbers w{p}", "reasoning": "step w1 w2 then w3 " * (1 + k % 3) + "therefore done",
             "overall": round(0.3 * (k % 3) + 0.1, 1), "problem_id": f"p{p}"} for p in range(8) for k in range(3)]
    train = write_jsonl(tmp_path / "scores.train.jsonl", rows)
    cfg = load_config(Config, None, [f"data.train={train}", "train.objective=score", "train.max_steps=6",
                                     "train.per_device_batch_size=4", "train.eval_steps=3", "train.learning_rate=1e-3",
                                     "model.max_length=20", "data.validation_fraction=0.25"])
    tok = tiny_tokenizer()
    run = RunDir.create(tmp_path / "run", stage="train-rm")
    summary = train_score_based(cfg, run, model=tiny_llama(len(tok)), tokenizer=tok)
    assert summary["steps"] == 6 and math.isfinite(summary["train_loss"])
    assert summary["train_records"] == 18 and summary["validation_records"] == 6   # 2 of 8 problems held out
    assert summary["truncation"]["train"]["touched_records"] > 0                    # long ones cut to 20 tokens
    assert 0.0 <= summary["validation_mse"] <= 1.0
    card = read_card(run.checkpoints / "reward_model")
    assert card.trained_on["objective"] == "score-bce"
    assert json.loads((run.report / "train_rm.json").read_text())["checkpoint"].endswith("reward_model")
