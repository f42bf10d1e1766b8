"""Every shipped train-rm / eval-rm config parses and means what its comments say."""

from __future__ import annotations

from pathlib import Path

import pytest

from recode_rl.config import ConfigError, load_config
from recode_rl.reward_model.config import Config as TrainConfig
from recode_rl.reward_model.config import EvalRmConfig as EvalConfig

ROOT = Path(__file__).resolve().parents[2] / "configs"


@pytest.mark.parametrize("path", sorted((ROOT / "train-rm").glob("*.yaml")), ids=lambda p: p.name)
def test_train_configs_parse(path):
    cfg = load_config(TrainConfig, path)
    assert cfg.train.learning_rate <= 1e-5            # never TRL's 1e-4 default


def test_paper_config_is_the_paper():
    cfg = load_config(TrainConfig, ROOT / "train-rm" / "paper.yaml")
    assert cfg.model.backbone == "Qwen/Qwen2.5-Coder-7B"
    assert cfg.train.per_device_batch_size * cfg.train.gradient_accumulation_steps == 128
    assert (cfg.train.learning_rate, cfg.train.epochs, cfg.train.objective) == (1e-6, 2, "bradley-terry")
    assert cfg.train.early_stopping_patience and cfg.train.bf16


@pytest.mark.parametrize("path", sorted((ROOT / "eval-rm").glob("*.yaml")), ids=lambda p: p.name)
def test_eval_configs_parse(path):
    load_config(EvalConfig, path)


def test_typos_and_bad_templates_are_errors():
    with pytest.raises(ConfigError, match="unknown key"):
        load_config(TrainConfig, None, ["train.lr=1e-6"])
    with pytest.raises(ConfigError, match="reasoning"):
        load_config(TrainConfig, None, ["model.template=only {problem}"])
    with pytest.raises(ConfigError, match="pair_types"):
        load_config(TrainConfig, None, ["data.pair_types=[opt>bad]"])
