"""Model cards name the stage, the base model, the config and the data."""

from __future__ import annotations

import yaml

from recode_rl.config import load_config
from recode_rl.model_card import hub_base_model, write_model_card


def test_card_names_base_model_stage_config_and_data(tmp_path):
    from recode_rl.rl.config import Config

    cfg = load_config(Config, None, ["train.max_steps=3"])
    run = tmp_path / "run"
    (run / "checkpoints" / "final").mkdir(parents=True)
    (run / "config.train-rl.yaml").write_text("x: 1\n")
    path = write_model_card(run / "checkpoints" / "final", stage="train-rl", base_model="embedded:smollm2",
                            config=cfg, data={"train": ["problems.jsonl"]})
    text = path.read_text()
    front = yaml.safe_load(text.split("---")[1])
    assert front["base_model"] == "HuggingFaceTB/SmolLM2-135M-Instruct" and "train-rl" in front["tags"]
    assert "**Base model:** `embedded:smollm2`" in text and str(run / "config.train-rl.yaml") in text
    assert "problems.jsonl" in text and "max_steps: 3" in text


def test_hub_base_model_only_for_hub_ids(tmp_path):
    assert hub_base_model("Qwen/Qwen2.5-Coder-7B-Instruct") == "Qwen/Qwen2.5-Coder-7B-Instruct"
    assert hub_base_model(str(tmp_path)) is None
    assert hub_base_model("runs/rl/checkpoints/final") is None
