"""Reruns of `recode train-rm` mean what they say, through the one plan of `recode_rl.rl.resume`:
a finished run is a no-op (old code re-exported `checkpoints/reward_model`), more steps or epochs
extend it, a change a resume cannot honour is refused, `--no-resume` starts over."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recode_rl.config import ConfigError, load_config
from recode_rl.reward_model.config import Config
from recode_rl.reward_model.train import plan_rerun
from rm_helpers import make_pairs, restrict_cli, write_jsonl


def _finished_run(run: Path, config_yaml: str, *, step: int, max_steps: int, epochs: float = 2.0,
                  exported_step: int | None = None) -> None:
    """A run dir as train-rm leaves it: config, trainer checkpoint, export with its trainer state, summary."""
    state = {"global_step": step, "max_steps": max_steps, "num_train_epochs": epochs}
    ckpt = run / "checkpoints" / "trainer" / f"checkpoint-{step}"
    ckpt.mkdir(parents=True)
    (ckpt / "trainer_state.json").write_text(json.dumps(state))
    export = run / "checkpoints" / "reward_model"
    export.mkdir()
    (export / "model.safetensors").write_bytes(b"weights")
    (export / "trainer_state.json").write_text(json.dumps({**state, "global_step": exported_step or step}))
    (run / "report").mkdir()
    (run / "report" / "train_rm.json").write_text(json.dumps({"steps": step, "validation_accuracy": 0.75}))
    (run / "config.train-rm.yaml").write_text(config_yaml)


def _files(run: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in run.rglob("*")}


def test_cli_rerun_of_a_finished_run_says_so_loads_nothing_and_writes_nothing(tmp_path, monkeypatch, capsys, caplog):
    import recode_rl.models
    from recode_rl import cli

    def no_load(*args, **kwargs):
        raise AssertionError("a finished run loaded its backbone again")

    monkeypatch.setattr(recode_rl.models, "resolve_model", no_load)
    restrict_cli(monkeypatch, "train-rm")
    pairs = write_jsonl(tmp_path / "pairs.jsonl", make_pairs(3, 2, seed=0))
    run = tmp_path / "run"
    argv = ["train-rm", "--run-dir", str(run), f"data.train={pairs}", "train.max_steps=4"]
    assert cli.main([*argv, "--print-config"]) == 0
    _finished_run(run, capsys.readouterr().out, step=4, max_steps=4)
    before = _files(run)
    assert cli.main([*argv, "--json"]) == 0
    out, err = capsys.readouterr()
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["already_finished"] is True and summary["steps"] == 4
    assert summary["validation_accuracy"] == 0.75           # the finished run's own summary
    assert "already finished at step 4" in caplog.text and "already finished: nothing trained" in err
    assert _files(run) == before                            # no re-export, no runs.jsonl line


def _cfg(run: Path, *overrides: str) -> Config:
    return load_config(Config, None, [f"run_dir={run}", "data.train=pairs.jsonl", *overrides])


def test_an_early_stopped_run_is_finished_and_only_more_than_it_was_planned_for_extends_it(tmp_path):
    from recode_rl.config import dump_config

    run = tmp_path / "run"
    # planned 100 steps, early stopping ended it at 30 (checkpoint and export at 30)
    _finished_run(run, dump_config(_cfg(run, "train.max_steps=100")), step=30, max_steps=100)
    assert plan_rerun(_cfg(run, "train.max_steps=100")).finished_step == 30
    assert plan_rerun(_cfg(run, "train.max_steps=50")).finished_step == 30    # never a shorter retrain
    more = plan_rerun(_cfg(run, "train.max_steps=200"))
    assert more.finished_step is None and more.checkpoint.endswith("checkpoint-30")
    assert more.record() == {"resumed_from_step": 30, "changed": {"train.max_steps": [100, 200]}}
    # eval cadence and patience are observers: allowed; the learning rate would be restored: refused
    assert plan_rerun(_cfg(run, "train.max_steps=200", "train.eval_steps=5")).checkpoint is not None
    with pytest.raises(ConfigError, match=r"train.learning_rate: 1e-05 -> 2e-05.*--no-resume"):
        plan_rerun(_cfg(run, "train.max_steps=100", "train.learning_rate=2e-5"))


def test_epochs_decide_when_max_steps_is_unset_and_a_stale_export_is_not_finished(tmp_path):
    from recode_rl.config import dump_config

    run = tmp_path / "run"
    _finished_run(run, dump_config(_cfg(run)), step=12, max_steps=12, epochs=2.0)
    assert plan_rerun(_cfg(run)).finished_step == 12
    assert plan_rerun(_cfg(run, "train.epochs=3")).checkpoint.endswith("checkpoint-12")
    # killed after checkpoint-12 of an extension, before the export was rewritten: resume, not a no-op
    stale = tmp_path / "stale"
    _finished_run(stale, dump_config(_cfg(stale)), step=12, max_steps=12, exported_step=8)
    assert plan_rerun(_cfg(stale)).checkpoint.endswith("checkpoint-12")


def test_no_resume_sets_the_old_checkpoints_and_model_aside(tmp_path):
    from recode_rl.config import dump_config
    from recode_rl.reward_model.train import layout
    from recode_rl.rl.resume import last_checkpoint, set_aside

    run = tmp_path / "run"
    _finished_run(run, dump_config(_cfg(run)), step=4, max_steps=4)
    assert plan_rerun(_cfg(run, "resume=false", "train.learning_rate=2e-5")).checkpoint is None
    aside = set_aside(**layout(run))
    assert aside is not None and {p.name for p in aside.iterdir()} == {"checkpoint-4", "reward_model"}
    assert last_checkpoint(run / "checkpoints" / "trainer") is None
    assert not (run / "checkpoints" / "reward_model").exists()


@pytest.mark.slow
def test_real_rerun_is_a_noop_and_more_steps_extend_it(tmp_path):
    """Tiny base model folder (new head), 2 steps; the rerun leaves the export byte for byte; 4 steps resume."""
    import torch

    from recode_rl.reward_model.train import train_reward_model
    from rm_helpers import tiny_base_folder

    torch.set_num_threads(1)
    base = tiny_base_folder(tmp_path / "base")
    pairs = write_jsonl(tmp_path / "pairs.jsonl", make_pairs(4, 2, seed=0))
    run = tmp_path / "run"

    def cfg(steps: int) -> Config:
        return load_config(Config, None, [f"run_dir={run}", f"data.train={pairs}", f"model.backbone={base}",
                                          "model.max_length=64", f"train.max_steps={steps}", "train.eval_steps=2",
                                          "train.per_device_batch_size=2", "train.num_threads=1"])

    first, _ = train_reward_model(cfg(2))
    assert first["steps"] == 2 and "already_finished" not in first
    weights = run / "checkpoints" / "reward_model" / "model.safetensors"
    before = _files(run)
    again, _ = train_reward_model(cfg(2))
    assert again["already_finished"] and again["steps"] == 2 and again["train_pairs"] == first["train_pairs"]
    assert _files(run) == before
    longer, _ = train_reward_model(cfg(4))
    assert longer["steps"] == 4 and longer["resumed_from"].endswith("checkpoint-2")
    assert weights.stat().st_mtime_ns != before[str(weights)][1]          # the extension re-exported
    runs = [json.loads(line) for line in (run / "runs.jsonl").read_text().splitlines()]
    assert [r.get("resumed_from_step") for r in runs] == [None, 2]        # two segments, no line for the no-op
