"""`recode eval snapshots_of=RUN`: pass@1 of an RL run's kept snapshots, written into its metrics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import recode_rl.evaluation.curve as curve
from recode_rl.cli import main
from recode_rl.errors import DataError
from recode_rl.evaluation.config import EvalConfig
from recode_rl.rundir import RunDir

from .conftest import FakeGenerator, wrap

GOOD = wrap("def has_close_elements(numbers, threshold):\n    return any(abs(a - b) < threshold "
            "for i, a in enumerate(numbers) for b in numbers[i + 1:])")


def _rl_run(tmp_path, steps):
    run = RunDir.create(tmp_path / "rl", stage="train-rl")
    for step in range(1, max(steps, default=0) + 1):
        run.log_metrics(step, {"reward": 0.5})
    for step in steps:
        (run.checkpoints / f"eval-step-{step}").mkdir()
    run.checkpoints.joinpath("checkpoint-4").mkdir()   # an ordinary checkpoint is not a snapshot
    return run


def test_snapshots_are_evaluated_once_each_into_the_run_metrics(tmp_path, monkeypatch):
    run = _rl_run(tmp_path, [2, 4])
    built = []

    def fake_generator(cfg):
        built.append(cfg.generator.model)
        step = int(cfg.generator.model.rsplit("-", 1)[1])
        return FakeGenerator(lambda p, i: GOOD if step == 4 else wrap("pass"), model_id=cfg.generator.model)

    monkeypatch.setattr(curve, "build_eval_generator", fake_generator)
    cfg = EvalConfig(benchmarks=[{"name": "humaneval", "limit": 1}], snapshots_of=str(run.root))
    assert [s for s, _ in curve.snapshot_steps(run.root)] == [2, 4]
    written = curve.evaluate_snapshots(cfg, run.root, progress=False)
    assert written == [{"step": 2, "eval/humaneval/pass@1": 0.0}, {"step": 4, "eval/humaneval/pass@1": 100.0}]
    assert [b.rsplit("/", 1)[1] for b in built] == ["eval-step-2", "eval-step-4"]
    lines = [json.loads(x) for x in (run.root / "metrics.jsonl").read_text().splitlines()]
    assert [r for r in lines if "eval/humaneval/pass@1" in r] == written
    assert (run.root / "eval" / "step-4" / "report" / "eval_summary.json").is_file()
    # a rerun finds both steps scored and evaluates nothing
    assert curve.evaluate_snapshots(cfg, run.root, progress=False) == [] and len(built) == 2


def test_cli_and_a_run_without_snapshots(tmp_path, monkeypatch, capsys):
    run = _rl_run(tmp_path, [])
    with pytest.raises(DataError, match="no eval-step-<N> snapshots"):
        curve.evaluate_snapshots(EvalConfig(), run.root)
    (run.checkpoints / "eval-step-3").mkdir()
    monkeypatch.setattr(curve, "build_eval_generator", lambda cfg: FakeGenerator(lambda p, i: GOOD))
    embedded = Path(__file__).resolve().parents[2] / "configs" / "eval" / "embedded.yaml"
    assert main(["eval", "--config", str(embedded), f"snapshots_of={run.root}",
                 "benchmarks=[{name: humaneval, limit: 1}]"]) == 0
    assert "step 3: eval/humaneval/pass@1 100.0" in capsys.readouterr().out
