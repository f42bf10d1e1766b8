"""Reruns and resume of train-rl / train-sft mean what they say (`recode_rl.rl.resume`); no model is loaded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recode_rl.config import ConfigError, dump_config
from recode_rl.rl.config import Config, SFTConfig
from recode_rl.rl.resume import config_changes, plan_resume
from recode_rl.rundir import RunDir


def _cfg(run: Path, **train) -> Config:
    return Config.model_validate({"run_dir": str(run), "train": {"max_steps": 2, **train}})


def _trained(run: Path, cfg, *, step: int, max_steps: int, finished: bool, stage: str = "train-rl",
             epochs: float = 1.0) -> None:
    """A run dir as `train` leaves it: its config, checkpoint-<step> (TRL state) and, when finished, final/."""
    ckpt = run / "checkpoints" / f"checkpoint-{step}"
    ckpt.mkdir(parents=True)
    (ckpt / "trainer_state.json").write_text(json.dumps({"global_step": step, "max_steps": max_steps,
                                                         "num_train_epochs": epochs}))
    if finished:
        (run / "checkpoints" / "final").mkdir()
    (run / f"config.{stage}.yaml").write_text(dump_config(cfg))


def test_rerun_of_a_finished_run_is_a_noop_that_trains_and_writes_nothing(tmp_path, caplog):
    from recode_rl.rl.train import train

    run = tmp_path / "run"
    _trained(run, _cfg(run), step=2, max_steps=2, finished=True)
    before = sorted(str(p) for p in run.rglob("*"))
    result = train(_cfg(run))      # old code: trained a step 3 and overwrote checkpoints/final
    assert result.already_finished and result.global_step == 2 and result.resumed_from is None
    assert sorted(str(p) for p in run.rglob("*")) == before       # no runs.jsonl line, no checkpoint-3
    assert "already finished at step 2" in caplog.text


def test_more_steps_extend_a_finished_run_from_its_last_checkpoint(tmp_path):
    run = tmp_path / "run"
    _trained(run, _cfg(run), step=2, max_steps=2, finished=True)
    plan = plan_resume(run, "train-rl", _cfg(run, max_steps=4), max_steps=4)
    assert plan.finished_step is None and plan.checkpoint.endswith("checkpoint-2") and plan.step == 2
    assert plan.record() == {"resumed_from_step": 2, "changed": {"train.max_steps": [2, 4]}}
    # fewer steps than trained: still a no-op, never a shorter retrain
    assert plan_resume(run, "train-rl", _cfg(run, max_steps=1), max_steps=1).finished_step == 2


def test_a_change_a_resume_cannot_honour_is_refused_with_the_keys_and_the_way_out(tmp_path):
    run = tmp_path / "run"
    _trained(run, _cfg(run, max_steps=4), step=2, max_steps=4, finished=False)
    changed = _cfg(run, max_steps=4, learning_rate=2e-6, prompts_per_step=4)
    with pytest.raises(ConfigError) as err:
        plan_resume(run, "train-rl", changed, max_steps=4)
    msg = str(err.value)
    assert "train.learning_rate: 1e-06 -> 2e-06" in msg and "train.prompts_per_step" in msg
    assert "--run-dir" in msg and "--no-resume" in msg
    # a finished run refuses too (the rerun would silently ignore the new learning rate)
    _trained(tmp_path / "done", _cfg(tmp_path / "done"), step=2, max_steps=2, finished=True)
    with pytest.raises(ConfigError, match="learning_rate"):
        plan_resume(tmp_path / "done", "train-rl", _cfg(tmp_path / "done", learning_rate=2e-6), max_steps=2)
    # --no-resume is the explicit way to start over with other settings
    assert plan_resume(run, "train-rl", changed.model_copy(update={"resume": False}), max_steps=4).checkpoint is None


def test_cadence_changes_resume_and_are_recorded_in_runs_jsonl(tmp_path):
    run = tmp_path / "run"
    _trained(run, _cfg(run, max_steps=4), step=2, max_steps=4, finished=False)
    plan = plan_resume(run, "train-rl", _cfg(run, max_steps=4, logging_steps=2, save_steps=1), max_steps=4)
    assert plan.checkpoint.endswith("checkpoint-2")
    RunDir(run).write_config(_cfg(run, max_steps=4, logging_steps=2, save_steps=1), "train-rl", plan.record())
    line = RunDir(run).read_runs()[-1]
    assert line["resumed_from_step"] == 2
    assert line["changed"] == {"train.logging_steps": [1, 2], "train.save_steps": [2, 1]}


def test_interrupted_run_resumes_and_asking_for_fewer_steps_than_trained_is_an_error(tmp_path):
    run = tmp_path / "run"
    _trained(run, _cfg(run, max_steps=6), step=4, max_steps=6, finished=False)
    assert plan_resume(run, "train-rl", _cfg(run, max_steps=6), max_steps=6).checkpoint.endswith("checkpoint-4")
    with pytest.raises(ConfigError, match="below step 4"):
        plan_resume(run, "train-rl", _cfg(run, max_steps=3), max_steps=3)
    assert plan_resume(tmp_path / "new", "train-rl", _cfg(tmp_path / "new"), max_steps=2).checkpoint is None


def test_sft_epochs_decide_when_max_steps_is_unset(tmp_path):
    run = tmp_path / "run"
    cfg = SFTConfig.model_validate({"run_dir": str(run), "train": {"epochs": 3}})
    _trained(run, cfg, step=9, max_steps=9, finished=True, stage="train-sft", epochs=3)
    assert plan_resume(run, "train-sft", cfg, max_steps=-1, epochs=3).finished_step == 9
    more = SFTConfig.model_validate({"run_dir": str(run), "train": {"epochs": 4}})
    assert plan_resume(run, "train-sft", more, max_steps=-1, epochs=4).checkpoint.endswith("checkpoint-9")


def test_sft_rerun_of_a_finished_run_is_a_noop(tmp_path):
    from recode_rl.rl.sft import train_sft

    run = tmp_path / "run"
    cfg = SFTConfig.model_validate({"run_dir": str(run), "train": {"max_steps": 2}})
    _trained(run, cfg, step=2, max_steps=2, finished=True, stage="train-sft")
    before = sorted(str(p) for p in run.rglob("*"))
    result = train_sft(cfg)
    assert result.already_finished and result.global_step == 2
    assert sorted(str(p) for p in run.rglob("*")) == before


def test_config_changes_compare_leaves_present_on_both_sides():
    old = "train:\n  learning_rate: 1.0e-06\n  gone: 1\nmodel:\n  path: a\n"
    cfg = Config.model_validate({"train": {"learning_rate": 2e-6}})
    assert config_changes(old, cfg) == {"model.path": ("a", "embedded:smollm2"), "train.learning_rate": (1e-6, 2e-6)}


def test_a_final_folder_older_than_the_last_checkpoint_is_not_a_finished_run(tmp_path):
    """Extended 2 -> 4 and killed after checkpoint-4 but before `final` was rewritten: finish it."""
    run = tmp_path / "run"
    cfg = _cfg(run, max_steps=4)
    _trained(run, cfg, step=4, max_steps=4, finished=True)
    (run / "checkpoints" / "final" / "trainer_state.json").write_text(json.dumps({"global_step": 2}))
    plan = plan_resume(run, "train-rl", cfg, max_steps=4)
    assert plan.finished_step is None and plan.checkpoint.endswith("checkpoint-4")
    (run / "checkpoints" / "final" / "trainer_state.json").write_text(json.dumps({"global_step": 4}))
    assert plan_resume(run, "train-rl", cfg, max_steps=4).finished_step == 4


@pytest.mark.parametrize("command", ["train-rl", "train-sft"])
def test_cli_rerun_of_a_finished_run_says_so_prints_the_summary_and_exits_0(tmp_path, capsys, caplog, command):
    from recode_rl.cli import main

    run = tmp_path / "run"
    argv = [command, "--run-dir", str(run), "train.max_steps=2"]
    assert main([*argv, "--print-config"]) == 0
    resolved = capsys.readouterr().out            # the config this command line resolves to
    _trained(run, Config(), step=2, max_steps=2, finished=True, stage=command)
    (run / f"config.{command}.yaml").write_text(resolved)
    assert main([*argv, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["already_finished"] is True and summary["global_step"] == 2
    assert "already finished at step 2" in caplog.text     # the CLI's log goes to stderr
    assert not (run / "runs.jsonl").exists()      # nothing written


def test_no_resume_sets_the_old_checkpoints_aside_so_a_later_resume_cannot_pick_them(tmp_path):
    from recode_rl.rl.resume import last_checkpoint, set_aside

    run = tmp_path / "run"
    _trained(run, _cfg(run, max_steps=4), step=4, max_steps=4, finished=True)
    (run / "checkpoints" / "eval-step-2").mkdir()          # kept in place: not part of the rotation
    aside = set_aside(run / "checkpoints")
    assert aside is not None and {p.name for p in aside.iterdir()} == {"checkpoint-4", "final"}
    assert last_checkpoint(run / "checkpoints") is None and (run / "checkpoints" / "eval-step-2").is_dir()
    assert set_aside(run / "checkpoints") is None
