"""metrics.jsonl writing, resume truncation, and the hacking monitor warning in the log."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest

from recode_rl.rewards.monitor import HackingMonitor
from recode_rl.rl.callbacks import RunDirMetrics, StopAfter, TimedReward, numeric_logs, truncate_metrics
from recode_rl.rundir import RunDir


def _state(step):
    return SimpleNamespace(global_step=step, is_world_process_zero=True)


def test_numeric_logs_drops_none_nan_and_text():
    assert numeric_logs({"a": 1, "b": None, "c": float("nan"), "d": "x", "e": 0.5, "f": True}) == {"a": 1, "e": 0.5}


def test_metrics_written_once_per_log_with_step_time(tmp_path):
    run = RunDir.create(tmp_path / "run", stage="t")
    cb = RunDirMetrics(run)
    cb.on_step_begin(None, _state(0), None)
    cb.on_step_end(None, _state(1), None)
    cb.on_log(None, _state(1), None, logs={"reward": 1.5, "recode/outcome_rate": 0.25, "kl": None})
    cb.on_log(None, _state(1), None, logs={"train_runtime": 3.0, "train_loss": 0.1})  # end summary
    records = run.read_metrics()
    assert len(records) == 1
    assert records[0]["step"] == 1 and records[0]["reward"] == 1.5 and "kl" not in records[0]
    assert records[0]["time/step_s"] >= 0
    assert (run.report / "train_summary.json").is_file()


def test_truncate_metrics_keeps_steps_up_to_the_checkpoint(tmp_path):
    run = RunDir.create(tmp_path / "run", stage="t")
    for step in (1, 2, 3):
        run.log_metrics(step, {"x": step})
    assert truncate_metrics(run, 2) == 1
    assert [r["step"] for r in run.read_metrics()] == [1, 2]
    assert truncate_metrics(run, 2) == 0


def test_hacking_monitor_warns_and_records_the_flag(tmp_path, caplog):
    run = RunDir.create(tmp_path / "run", stage="t")
    monitor = HackingMonitor(window=4, process_key="recode/process_ungated_mean", pass_key="recode/outcome_rate")
    cb = RunDirMetrics(run, monitor)
    # process 0.6 -> 0.95 (rise 0.35, last-quarter level 0.95 >= 0.9) while pass rate is flat at 0.1
    with caplog.at_level(logging.WARNING, logger="recode_rl.rl"):
        for step, proc in enumerate((0.6, 0.75, 0.9, 0.95), 1):
            cb.on_log(None, _state(step), None, logs={"recode/process_ungated_mean": proc, "recode/outcome_rate": 0.1})
    assert len(cb.flags) == 1 and "possible reward hacking" in caplog.text
    assert (run.report / "hacking_flags.jsonl").read_text().count("\n") == 1


def test_replay_warms_the_monitor_without_warning(tmp_path, caplog):
    run = RunDir.create(tmp_path / "run", stage="t")
    cb = RunDirMetrics(run, HackingMonitor(window=4, process_key="p", pass_key="r"))
    with caplog.at_level(logging.WARNING, logger="recode_rl.rl"):
        cb.replay([{"step": s, "p": p, "r": 0.1} for s, p in enumerate((0.6, 0.75, 0.9), 1)])
        assert not cb.flags
        cb.on_log(None, _state(4), None, logs={"p": 0.95, "r": 0.1})  # completes the window after a resume
    assert len(cb.flags) == 1


def test_stop_after_raises_at_the_step():
    cb = StopAfter(3)
    cb.on_step_end(None, _state(2), None)
    with pytest.raises(KeyboardInterrupt):
        cb.on_step_end(None, _state(3), None)


def test_timed_reward_logs_generation_time_once_per_generation_batch():
    def reward(prompts, completions, **columns):
        assert columns["tests"] == ["t", "t"] and "log_metric" in columns  # TRL's kwargs pass through
        return [1.0, 0.0]

    reward.__name__ = "recode_recode"
    timed = TimedReward(reward)
    assert timed.__name__ == "recode_recode"  # TRL names the reward column after it
    logged: list[tuple[str, float]] = []
    log_metric = lambda name, value: logged.append((name, value))  # noqa: E731
    timed.on_step_begin(None, _state(0), None)
    assert timed(prompts=["p", "p"], completions=["a", "b"], tests=["t", "t"], log_metric=log_metric) == [1.0, 0.0]
    assert [name for name, _ in logged] == ["time/generation_s"] and logged[0][1] >= 0
    # a second call without a new step start (no new generation batch) logs nothing
    timed(prompts=["p", "p"], completions=["a", "b"], tests=["t", "t"], log_metric=log_metric)
    assert len(logged) == 1


def test_save_rollouts_writes_prompt_completion_components_and_verdict_at_the_rate(tmp_path):
    import json

    from recode_rl.data.schema import Problem
    from recode_rl.execution.types import TestSuite as Suite
    from recode_rl.rewards.core import RewardConfig
    from recode_rl.rewards.trl_reward import ReCodeReward, trl_dataset_rows
    from recode_rl.rl.callbacks import SaveRollouts

    add = Problem(task_id="add", prompt="Read two integers and print their sum.",
                  tests=Suite(kind="stdio", inputs=("1 2\n",), outputs=("3\n",)))
    good = "<think>sum</think><answer>\n```python\nprint(sum(map(int,input().split())))\n```\n</answer>"
    row = trl_dataset_rows([add])[0]
    columns = {k: [v, v] for k, v in row.items() if k != "prompt"}
    run = RunDir.create(tmp_path / "run", stage="t")
    reward = SaveRollouts(ReCodeReward(RewardConfig(kind="outcome")), run, every=2)
    assert reward.__name__ == "recode_outcome" and reward.cfg.kind == "outcome"
    for step in (0, 1, 2):
        rewards = reward([row["prompt"]] * 2, [good, "no code"], trainer_state=_state(step), **columns)
    files = sorted(p.name for p in (run.samples / "rollouts").iterdir())
    assert files == ["step-000001.jsonl", "step-000003.jsonl"]          # steps 1 and 3 of every=2
    lines = [json.loads(x) for x in (run.samples / "rollouts" / "step-000003.jsonl").read_text().splitlines()]
    assert [x["reward"] for x in lines] == rewards
    first, second = lines
    assert first["task_id"] == "add" and first["completion"] == good and first["prompt"][-1]["role"] == "user"
    assert (first["format"], first["outcome"], first["verdict"]) == (1.0, 1.0, "passed")
    assert (second["outcome"], second["verdict"]) == (0.0, "no_code")
    off = SaveRollouts(ReCodeReward(RewardConfig(kind="outcome")), RunDir.create(tmp_path / "off", stage="t"), 0)
    off([row["prompt"]], [good], trainer_state=_state(0), **{k: v[:1] for k, v in columns.items()})
    assert not (tmp_path / "off" / "samples" / "rollouts").exists()
