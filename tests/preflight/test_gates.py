"""train-rl / train-sft / train-rm run the preflight checks before loading anything (issue 10, defects 3-5)."""

from __future__ import annotations

import pytest

from recode_rl.config import ConfigError, load_config


@pytest.fixture()
def no_model_loading(monkeypatch):
    """Any attempt to resolve (load) a model fails the test: the gate must come first."""
    import recode_rl.models

    def boom(*args, **kwargs):
        raise AssertionError("a model was loaded before the config was checked")

    monkeypatch.setattr(recode_rl.models, "resolve_model", boom)


@pytest.fixture()
def no_tensorboard(monkeypatch):
    from recode_rl.preflight import checks

    monkeypatch.setattr(checks, "_installed", lambda module: module != "tensorboard")


def test_train_rl_fails_on_a_missing_logger_before_loading(tmp_path, no_model_loading, no_tensorboard):
    from recode_rl.rl.config import Config
    from recode_rl.rl.train import train

    cfg = load_config(Config, None, [f"run_dir={tmp_path}", "train.report_to=[tensorboard]"])
    with pytest.raises(ConfigError, match=r"train.report_to: .*pip install 'recode-rl\[tensorboard\]'"):
        train(cfg)


def test_train_sft_fails_on_a_missing_logger_before_loading(tmp_path, no_model_loading, no_tensorboard):
    from recode_rl.rl.config import SFTConfig
    from recode_rl.rl.sft import train_sft

    cfg = load_config(SFTConfig, None, [f"run_dir={tmp_path}", "train.report_to=[tensorboard]"])
    with pytest.raises(ConfigError, match="train.report_to"):
        train_sft(cfg)


def test_train_rl_refuses_a_reward_model_per_rank(tmp_path, monkeypatch, no_model_loading):
    """Defect 4: under a multi-process launch an hf scorer on a GPU would be built by every rank."""
    from recode_rl.rl.config import Config
    from recode_rl.rl.train import train

    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    cfg = load_config(Config, None, [f"run_dir={tmp_path}", "reward.kind=recode", "scorer.kind=hf",
                                     f"scorer.path={tmp_path}", "scorer.device=cuda:0",
                                     "train.per_device_batch_size=4"])
    with pytest.raises(ConfigError, match="scorer.kind: .*every one of the 2 ranks.*serve-scorer"):
        train(cfg)


def test_train_rm_needs_one_run_dir_for_all_ranks(tmp_path, monkeypatch, capsys):
    """Defect 5: without --run-dir every rank would create its own timestamped directory."""
    from recode_rl.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert main(["train-rm", "data.train=pairs.jsonl"]) == 2
    assert "explicit run_dir" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()
