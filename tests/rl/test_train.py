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


def _cfg(tmp_path, policy, **train) -> Config:
    problems = write_problems(tmp_path / "problems.jsonl", [ADD])
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
