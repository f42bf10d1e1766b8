"""The shipped embedded default on the real packaged SmolLM2-135M (slow on a busy CPU)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recode_rl.synthesis import cli
from tests.synthesis.test_cli import parse

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.model
@pytest.mark.slow
def test_default_config_on_smollm2(tmp_path, capsys):
    pytest.importorskip("torch")
    argv = ["--config", str(ROOT / "configs/synth/default.yaml"), "--run-dir", str(tmp_path / "run"),
            "limit=2", "base_sampling.max_new_tokens=48", "rewrite_sampling.max_new_tokens=48",
            "score_sampling.max_new_tokens=40"]
    assert cli.run(parse(argv)) == 0
    stats = json.loads((tmp_path / "run/data/stats.json").read_text())
    for name, stage in stats["stages"].items():
        # every sample is either kept or dropped with a reason
        assert stage["kept"] + sum(stage["dropped"].values()) == stage["requested"], name
    assert stats["stages"]["base"]["requested"] == 2
    assert stats["llm_calls"]["generated"] == sum(s["requested"] for s in stats["stages"].values())
    assert "pairs.train.jsonl" in capsys.readouterr().out
