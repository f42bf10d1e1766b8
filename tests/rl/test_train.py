"""Tier 2: real GRPO steps through `recode_rl.rl.train.train` with a tiny in-process policy; resume."""

from __future__ import annotations

import json

import pytest

from recode_rl.rl.callbacks import StopAfter
from recode_rl.rl.config import Config
from recode_rl.rundir import RunDir
from tests.rl.tiny import ADD, chat_tokenizer, tiny_policy_folder, write_problems

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def policy(tmp_path_factory):
    import torch

    torch.set_num_threads(1)
    return tiny_policy_folder(tmp_path_factory.mktemp("policy"))


def _cfg(tmp_path, policy, problems=None, **train) -> Config:
    problems = problems or write_problems(tmp_path / "problems.jsonl", [ADD])
    return Config.model_validate({
        "run_dir": str(tmp_path / "run"),
        "model": {"path": str(policy)},
        "data": {"train": [str(problems)]},
        "reward": {"kind": "recode"},
        "scorer": {"kind": "import", "factory": "tests.rl.tiny:ThinkLength"},
        "limits": {"max_workers": 2},
        "train": {"max_steps": 2, "prompts_per_step": 1, "num_generations": 4, "per_device_batch_size": 4,
                  "learning_rate": 1e-3, "max_completion_length": 100, "save_steps": 2, "num_threads": 1,
                  "use_cpu": True, **train},
    })


def _weights(folder):
    from safetensors.torch import load_file

    return load_file(str(folder / "model.safetensors"))


def test_grpo_steps_change_parameters_and_log_reward_components(tmp_path, policy, capfd):
    import torch

    from recode_rl.rl.train import train

    # the in-memory tokenizer: AutoTokenizer maps a qwen2 folder to Qwen2Tokenizer, which is not ours
    result = train(_cfg(tmp_path, policy), tokenizer=chat_tokenizer())
    assert result.global_step == 2 and result.resumed_from is None
    out, err = capfd.readouterr()
    assert "{" not in out and "train-rl: 100%" in err and "2/2" in err  # one bar, no log dicts on stdout
    before, after = _weights(policy), _weights(result.final_model)
    assert any(not torch.equal(before[k], after[k]) for k in before), "no parameter changed after 2 GRPO steps"

    run = RunDir(tmp_path / "run")
    card = (result.final_model / "README.md").read_text()                  # the model card
    assert "recode train-rl" in card and str(policy) in card and "config.train-rl.yaml" in card
    # rollouts of step 1 (save_rollouts_every defaults to 10: the first step is saved)
    rollouts = [json.loads(x) for x in (run.samples / "rollouts" / "step-000001.jsonl").read_text().splitlines()]
    assert rollouts and {"prompt", "completion", "reward", "outcome", "process", "verdict"} <= set(rollouts[0])
    records = run.read_metrics()
    assert [r["step"] for r in records] == [1, 2]
    data = json.loads((result.run_dir / "report" / "train_data.json").read_text())
    assert data["prompts_too_long"] == 0 and data["prompts"] > 0     # the prompt-length filter reports
    for r in records:
        for key in ("recode/format_rate", "recode/outcome_rate", "recode/test_pass_rate", "recode/reward_mean",
                    "recode/process_term_mean", "recode/scorer_calls", "recode/time_execution_s",
                    "frac_reward_zero_std", "completions/mean_length", "clip_ratio/low_mean", "clip_ratio/high_mean",
                    "time/generation_s", "time/step_s", "reward", "learning_rate"):
            assert key in r, key
        # TRL's mean reward is exactly our reward callable's batch mean
        assert r["reward"] == pytest.approx(r["recode/reward_mean"], abs=1e-5)
        assert r["learning_rate"] == pytest.approx(1e-3)  # constant schedule
    # the overfit policy writes the correct program often enough that tests really ran and passed
    assert max(r["recode/outcome_rate"] for r in records) > 0
    assert (run.root / "config.train-rl.yaml").is_file()
    assert (run.checkpoints / "checkpoint-2" / "trainer_state.json").is_file()


def test_interrupt_then_resume_continues_the_step_count(tmp_path, policy):
    import json

    from recode_rl.rl.train import train

    cfg = _cfg(tmp_path, policy, max_steps=4, save_steps=2)
    with pytest.raises(KeyboardInterrupt):
        train(cfg, callbacks=[StopAfter(3)], tokenizer=chat_tokenizer())  # Ctrl-C at the end of step 3: checkpoint-2 is the last one
    run = RunDir(tmp_path / "run")
    assert sorted(p.name for p in run.checkpoints.glob("checkpoint-*")) == ["checkpoint-2"]

    result = train(cfg, tokenizer=chat_tokenizer())
    assert result.resumed_from is not None and result.resumed_from.endswith("checkpoint-2")
    assert result.global_step == 4
    state = json.loads((run.checkpoints / "checkpoint-4" / "trainer_state.json").read_text())
    assert state["global_step"] == 4 and state["max_steps"] == 4
    # each step logged exactly once across the interruption
    assert [r["step"] for r in run.read_metrics()] == [1, 2, 3, 4]


def test_periodic_eval_logs_pass_at_1_over_steps_and_keeps_snapshots(tmp_path, policy):
    from recode_rl.rl.train import train

    cfg = _cfg(tmp_path, policy, save_steps=2, save_total_limit=1)
    cfg.eval = cfg.eval.model_validate({"every": 1, "benchmarks": [{"name": "humaneval", "limit": 1}],
                                        "max_new_tokens": 16, "batch_size": 1})
    result = train(cfg, tokenizer=chat_tokenizer())
    run = RunDir(tmp_path / "run")
    curve = {r["step"]: r["eval/humaneval/pass@1"] for r in run.read_metrics() if "eval/humaneval/pass@1" in r}
    assert sorted(curve) == [0, 1, 2] and all(0.0 <= v <= 100.0 for v in curve.values())
    for step in (0, 1, 2):   # the samples of each evaluation, resumable like `recode eval`'s
        assert (tmp_path / "run" / "eval" / f"step-{step}" / "report" / "eval_summary.json").is_file()
    # step 1's checkpoint was rotated away (save_total_limit=1); its eval snapshot stays, model files only
    assert not (run.checkpoints / "checkpoint-1").exists() and (run.checkpoints / "checkpoint-2").exists()
    for step in (1, 2):
        snap = run.checkpoints / f"eval-step-{step}"
        assert (snap / "model.safetensors").is_file() and (snap / "config.json").is_file()
        assert not (snap / "optimizer.pt").exists()
    assert result.global_step == 2


def test_rerun_of_a_finished_run_is_a_noop_and_more_steps_extend_it(tmp_path, policy):
    from recode_rl.config import ConfigError
    from recode_rl.rl.train import train

    first = train(_cfg(tmp_path, policy), tokenizer=chat_tokenizer())
    run = RunDir(tmp_path / "run")
    final_weights = (run.checkpoints / "final" / "model.safetensors").read_bytes()
    runs_before = run.runs_path.read_text()

    again = train(_cfg(tmp_path, policy), tokenizer=chat_tokenizer())   # old code: trained a step 3
    assert again.already_finished and again.global_step == first.global_step == 2
    assert not (run.checkpoints / "checkpoint-3").exists()
    assert (run.checkpoints / "final" / "model.safetensors").read_bytes() == final_weights
    assert run.runs_path.read_text() == runs_before

    with pytest.raises(ConfigError, match="train.learning_rate"):   # old code: "resuming with the NEW settings"
        train(_cfg(tmp_path, policy, max_steps=3, learning_rate=2e-3), tokenizer=chat_tokenizer())

    longer = train(_cfg(tmp_path, policy, max_steps=3), tokenizer=chat_tokenizer())
    assert longer.global_step == 3 and longer.resumed_from.endswith("checkpoint-2") and not longer.already_finished
    assert [r["step"] for r in run.read_metrics()] == [1, 2, 3]
    segment = run.read_runs()[-1]
    assert segment["resumed_from_step"] == 2 and segment["changed"] == {"train.max_steps": [2, 3]}

    # --no-resume is the way to other settings: a new run from step 0, the old checkpoints set aside
    over = train(_cfg(tmp_path, policy, learning_rate=2e-3).model_copy(update={"resume": False}),
                 tokenizer=chat_tokenizer())
    assert over.resumed_from is None and over.global_step == 2
    assert sorted(p.name for p in run.checkpoints.glob("checkpoint-*")) == ["checkpoint-2"]
    assert [r["step"] for r in run.read_metrics()] == [1, 2]
    assert any((p / "checkpoint-3").is_dir() for p in run.checkpoints.glob("superseded-*"))


def test_train_top_layers_updates_only_the_top_block(tmp_path, policy):
    import torch

    from recode_rl.rl.train import train

    cfg = _cfg(tmp_path, policy, max_steps=1, save_steps=1)
    cfg.model.train_top_layers = 1
    result = train(cfg, tokenizer=chat_tokenizer())
    before, after = _weights(policy), _weights(result.final_model)
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    depth = max(int(k.split(".")[2]) for k in before if k.startswith("model.layers."))
    assert changed and all(k.startswith(f"model.layers.{depth}.") or k == "model.norm.weight" for k in changed)


def test_weak_trust_training_problems_are_refused(tmp_path, policy):
    from recode_rl.data.schema import Problem
    from recode_rl.errors import DataError
    from recode_rl.execution.types import TestSuite
    from recode_rl.rl.train import train

    weak = tmp_path / "weak.jsonl"
    suite = TestSuite(kind="unittest", preamble="import unittest\nclass T(unittest.TestCase):\n    pass\n")
    weak.write_text(json.dumps(Problem(task_id="bcb/7", prompt="p", tests=suite).to_dict()) + "\n")
    cfg = _cfg(tmp_path, policy, problems=weak)
    with pytest.raises(DataError, match=r"train-rl data.train: 1 problem\(s\) have tests with trust: weak.*bcb/7"):
        train(cfg, tokenizer=chat_tokenizer())
