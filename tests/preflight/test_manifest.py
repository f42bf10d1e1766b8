"""The pinned dataset manifest, and every paper config trains on training splits only (issue 10, defect 1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from recode_rl.config import load_config
from recode_rl.preflight.manifest import check_source, in_manifest
from recode_rl.rl.config import Config, SFTConfig

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
DEEPCODER = "hf:agentica-org/DeepCoder-Preview-Dataset"


def test_deepcoder_training_splits_pass_and_held_out_ones_fail():
    for subset in ("primeintellect", "taco", "lcbv5"):
        assert check_source(DEEPCODER, {"config": subset, "split": "train"}) is None
    assert "no split 'train'" in check_source(DEEPCODER, {"config": "codeforces", "split": "train"})
    assert "held out" in check_source(DEEPCODER, {"config": "codeforces", "split": "test"})
    assert "held out" in check_source(DEEPCODER, {"config": "lcbv5", "split": "test"})
    assert check_source(DEEPCODER, {"config": "lcbv5", "split": "test"}, training=False) is None
    assert "no subset" in check_source(DEEPCODER, {"config": "apps", "split": "train"})
    assert check_source("hf:someone/else", {}) is None and not in_manifest("hf:someone/else")  # unchecked
    assert check_source("embedded", {}) is None           # not an hf: source: the registry's business


PAPER = [*sorted((CONFIGS / "train-rl").glob("paper*.yaml")), *sorted((CONFIGS / "train-sft").glob("paper*.yaml"))]


@pytest.mark.parametrize("path", PAPER, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_paper_config_trains_on_manifest_training_splits(path):
    cfg = load_config(SFTConfig if path.parent.name == "train-sft" else Config, path)
    for source in cfg.data.train:
        assert check_source(source.name, source.options) is None, (path.name, source)
    if any(s.name == DEEPCODER for s in cfg.data.train):   # all three DeepCoder training subsets
        assert {s.options["config"] for s in cfg.data.train} == {"primeintellect", "taco", "lcbv5"}
