"""`recode eval` through its CLI entry: config parsing, and a real run of the embedded model."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from recode_rl.config import load_config
from recode_rl.evaluation import cli
from recode_rl.evaluation.config import EvalConfig

ROOT = Path(__file__).resolve().parents[2]


def test_benchmarks_accept_names_and_options():
    cfg = load_config(EvalConfig, None, ["benchmarks=[humaneval, mbpp+]"])
    assert [b.name for b in cfg.benchmarks] == ["humaneval", "mbpp+"]
    cfg = load_config(EvalConfig, ROOT / "configs/eval/paper.yaml")
    lcb = next(b for b in cfg.benchmarks if b.name == "livecodebench")
    assert lcb.start == "2024-10-01" and lcb.end == "2025-02-28"


@pytest.mark.model
def test_embedded_model_end_to_end(tmp_path):
    args = argparse.Namespace(config=str(ROOT / "configs/eval/embedded.yaml"), run_dir=str(tmp_path),
                              overrides=["benchmarks=[{name: humaneval, limit: 2}]", "sampling.max_new_tokens=24"])
    assert cli.run(args) == 0
    summary = json.loads((tmp_path / "report" / "eval_summary.json").read_text())
    he = summary["benchmarks"]["humaneval"]
    assert he["n_tasks"] == 2 and he["n_samples"] == 2
    assert 0.0 <= he["pass@1"] <= 100.0
    records = [json.loads(x) for x in (tmp_path / "samples" / "humaneval.jsonl").read_text().splitlines()]
    assert all(0 < r["completion_tokens"] <= 24 for r in records)
    assert all(r["verdict"] for r in records)
    assert (tmp_path / "config.eval.yaml").exists() and (tmp_path / "report" / "eval_table.md").exists()
