"""`recode train-rm` end to end through the CLI on the embedded SmolLM2 default (a few steps)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rm_helpers import make_pairs, restrict_cli, write_jsonl

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.model
def test_train_rm_cli_on_embedded_default(tmp_path, monkeypatch, capsys):
    from recode_rl import cli
    from recode_rl.reward_model.scoring import RewardModel, read_card

    synth = tmp_path / "synth" / "data"
    synth.mkdir(parents=True)
    write_jsonl(synth / "pairs.train.jsonl", make_pairs(3, 2, seed=0))
    write_jsonl(synth / "pairs.validation.jsonl", make_pairs(1, 2, seed=1))
    restrict_cli(monkeypatch, "train-rm")
    run = tmp_path / "run"
    rc = cli.main(["train-rm", "--config", str(ROOT / "configs/train-rm/default.yaml"),
                   "--synth-run", str(tmp_path / "synth"), "--run-dir", str(run),
                   "train.max_steps=2", "train.per_device_batch_size=2", "train.gradient_accumulation_steps=1",
                   "train.eval_steps=100", "model.max_length=40", "train.num_threads=2"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "reward model:" in out and "none dropped" in out and "validation pairwise accuracy" in out
    summary = json.loads((run / "report" / "train_rm.json").read_text())
    assert summary["steps"] == 2 and summary["train_pairs"] == 6 and summary["validation_pairs"] == 2
    assert summary["truncation"]["train"]["touched_records"] > 0          # 40 tokens is short: some were cut
    ckpt = Path(summary["checkpoint"])
    assert read_card(ckpt).backbone == "embedded:smollm2"
    rm = RewardModel.load(str(ckpt))
    assert len(rm.score(["read n numbers"], ["step one then done"])) == 1
    assert (run / "config.train-rm.yaml").is_file() and (run / "metrics.jsonl").is_file()
