"""Issue 10, defect 5: the final reward model is saved through the trainer under DeepSpeed (gathered,
not `save_pretrained` on ZeRO-3 shards) and the saved folder is reloaded and checked to score like
the trained model."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from recode_rl.config import load_config
from recode_rl.reward_model.config import Config
from recode_rl.reward_model.train import probe_inputs, save_final, save_route, verify_saved
from rm_helpers import tiny_llama


class FakeTrainer:
    def __init__(self, deepspeed: bool):
        self.is_deepspeed_enabled = deepspeed
        self.accelerator = SimpleNamespace(is_main_process=True)
        self.saved: list[str] = []

    def save_model(self, out: str) -> None:
        self.saved.append(out)


class NoSavePretrained:
    def save_pretrained(self, out):  # noqa: ANN001
        raise AssertionError("save_pretrained on a (possibly sharded) model under DeepSpeed")


def test_route_is_the_trainer_under_deepspeed_else_the_model():
    assert save_route(FakeTrainer(deepspeed=True)) == "trainer"
    assert save_route(FakeTrainer(deepspeed=False)) == "model"
    assert save_route(None) == "model"


def test_save_final_under_deepspeed_gathers_through_the_trainer(tmp_path, tokenizer):
    trainer = FakeTrainer(deepspeed=True)
    out = save_final(NoSavePretrained(), tokenizer, tmp_path / "rm", load_config(Config), {}, backbone="b",
                     trainer=trainer)
    assert trainer.saved == [str(out)] and (out / "scoring_card.json").is_file()
    with pytest.raises(Exception, match="LoRA"):
        save_final(NoSavePretrained(), tokenizer, tmp_path / "rm2", load_config(Config, None, ["lora.enabled=true"]),
                   {}, backbone="b", trainer=trainer)


def test_saved_folder_must_score_like_the_trained_model(tmp_path, tokenizer):
    from recode_rl.reward_model.scoring import RewardModel
    from recode_rl.reward_model.train import model_card

    cfg = load_config(Config)
    trained = tiny_llama(len(tokenizer), seed=0)
    out = save_final(trained, tokenizer, tmp_path / "rm", cfg, {}, backbone="tiny")
    probe = probe_inputs()
    reference = RewardModel(trained, tokenizer, model_card(cfg)).raw_scores(*probe)[0]
    verify_saved(out, probe, reference)                              # the same weights: fine
    card = (out / "README.md").read_text()                           # the model card names base, stage, data
    assert "recode train-rm" in card and "**Base model:** `tiny`" in card and "train:" in card
    with pytest.raises(RuntimeError, match="scores differently"):
        verify_saved(out, probe, [s + 1.0 for s in reference])       # not what was trained: loud
