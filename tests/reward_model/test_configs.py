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
    # set explicitly in every file, never TRL's 1e-4 default (the listops MiniLM head uses 5e-5)
    assert "learning_rate:" in path.read_text() and cfg.train.learning_rate <= 5e-5


def test_paper_config_is_the_paper():
    cfg = load_config(TrainConfig, ROOT / "train-rm" / "paper.yaml")
    assert cfg.model.backbone == "Qwen/Qwen2.5-Coder-7B"
    from recode_rl.reward_model.config import gradient_accumulation

    for world in (1, 8):   # the same effective batch on 1 or 8 GPUs
        assert cfg.train.per_device_batch_size * gradient_accumulation(cfg.train, world) * world == 128
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


def test_synth_run_points_data_at_pairs_or_scores(tmp_path):
    from recode_rl.reward_model.config import use_synth_run

    data = tmp_path / "data"
    data.mkdir()
    (data / "pairs.train.jsonl").write_text("{}\n")
    (data / "pairs.validation.jsonl").write_text("")            # empty: not used for validation
    cfg = load_config(TrainConfig)
    use_synth_run(cfg, tmp_path)
    assert (cfg.data.train, cfg.data.validation) == (str(data / "pairs.train.jsonl"), None)
    cfg = load_config(TrainConfig, None, ["train.objective=score"])
    with pytest.raises(ConfigError, match="scores.train.jsonl not found"):
        use_synth_run(cfg, tmp_path)


def test_eval_rm_flags_add_files_and_set_model(tmp_path):
    from recode_rl.cli import build_parser
    from recode_rl.config import config_from_args
    from recode_rl.reward_model.eval_cli import FLAGS

    path = tmp_path / "c.yaml"
    path.write_text("files: [a.jsonl]\nmodel: from-file\n")
    args = build_parser().parse_args(["eval-rm", "--config", str(path), "--data", "b.jsonl", "--data", "c.jsonl",
                                      "--model", "m", "model=from-override"])
    cfg = config_from_args(EvalConfig, args, FLAGS)
    assert (cfg.files, cfg.model) == (["a.jsonl", "b.jsonl", "c.jsonl"], "m")
