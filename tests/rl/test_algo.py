"""The pinned GRPO advantage (recode_rl.rl.algo) on gated groups, by hand and against a real TRL step."""

from __future__ import annotations

import math

import pytest

from recode_rl.execution import types as ex
from recode_rl.execution.types import ExecutionResult, Verdict
from recode_rl.rewards.core import RewardConfig, combine
from recode_rl.rewards.parsing import ParsedResponse
from recode_rl.rl.algo import TRL_EPS, group_advantages
from recode_rl.rl.config import Config, grpo_kwargs
from recode_rl.trainer_args import finish_trainer_kwargs

OK = ParsedResponse(True, "plan", "```python\nprint(1)\n```", "print(1)", None)
NO_CODE = ParsedResponse(False, "plan", "no idea", None, "no python code found")
PASS = ExecutionResult(Verdict.PASSED, [ex.TestResult(Verdict.PASSED), ex.TestResult(Verdict.PASSED)])
FAIL = ExecutionResult(Verdict.WRONG_ANSWER, [ex.TestResult(Verdict.PASSED), ex.TestResult(Verdict.WRONG_ANSWER)])
RECODE = RewardConfig(kind="recode")


def gated(parsed: ParsedResponse, result: ExecutionResult | None, process: float | None) -> float:
    """The reward of one sample through the one gate formula (recode_rl.rewards.core.combine)."""
    return combine(RECODE, parsed, result, process).reward


# G = 4. Process scores are dyadic so float32 (TRL) holds every reward exactly.
# all pass, only R_proc differs: 1 + 1 + [0.875, 0.375, 0.375, 0.375]
ALL_PASS = [gated(OK, PASS, p) for p in (0.875, 0.375, 0.375, 0.375)]
# all fail with a valid format: 1 + 0, the (monitored) process scores never enter
ALL_FAIL = [gated(OK, FAIL, p) for p in (1.0, 0.5, 0.25, 0.0)]
# pass P=1 -> 3, pass P=0 -> 2, fail P=1 -> 1 (the gate), no code -> 0
MIXED = [gated(OK, PASS, 1.0), gated(OK, PASS, 0.0), gated(OK, FAIL, 1.0), gated(NO_CODE, None, None)]


def test_gated_groups_have_the_rewards_the_gate_says():
    assert ALL_PASS == [2.875, 2.375, 2.375, 2.375]
    assert ALL_FAIL == [1.0, 1.0, 1.0, 1.0]
    assert MIXED == [3.0, 2.0, 1.0, 0.0]


def test_all_pass_group_is_ranked_by_the_process_score_alone():
    # mean 2.5, deviations [0.375, -0.125, -0.125, -0.125];
    # unbiased var = (0.140625 + 3 * 0.015625) / 3 = 0.0625, std 0.25 -> A = dev / 0.2501
    assert group_advantages(ALL_PASS, 4) == pytest.approx([0.375 / 0.2501] + [-0.125 / 0.2501] * 3)
    assert group_advantages(ALL_PASS, 4)[0] == pytest.approx(1.4994, abs=1e-4)


def test_all_fail_group_has_zero_advantage():
    # mean 1, std 0: every deviation is 0, so 0 / (0 + eps) = 0 -- no gradient from this prompt
    assert group_advantages(ALL_FAIL, 4) == [0.0, 0.0, 0.0, 0.0]


def test_mixed_group():
    # mean 1.5, deviations [1.5, 0.5, -0.5, -1.5]; unbiased var = (2.25 + 0.25 + 0.25 + 2.25) / 3 = 5/3
    std = math.sqrt(5 / 3)  # 1.29099
    expected = [1.5 / (std + TRL_EPS), 0.5 / (std + TRL_EPS), -0.5 / (std + TRL_EPS), -1.5 / (std + TRL_EPS)]
    assert group_advantages(MIXED, 4) == pytest.approx(expected)
    assert expected[0] == pytest.approx(1.1618, abs=1e-4)


def test_batch_and_none_scaling_keep_the_group_mean():
    rewards = ALL_PASS + ALL_FAIL
    # batch: the group means stay (2.5 and 1); the std is of all 8 rewards: mean 1.75,
    # deviations [1.125, 0.625 x3, -0.75 x4], var = (1.265625 + 3 * 0.390625 + 4 * 0.5625) / 7 = 4.6875 / 7
    std = math.sqrt(4.6875 / 7)  # 0.81832
    assert group_advantages(rewards, 4, "batch") == pytest.approx(
        [0.375 / (std + TRL_EPS)] + [-0.125 / (std + TRL_EPS)] * 3 + [0.0] * 4)
    # none: the raw deviations from the group mean
    assert group_advantages(rewards, 4, "none") == pytest.approx([0.375, -0.125, -0.125, -0.125, 0, 0, 0, 0])


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="groups of 4"):
        group_advantages([1.0, 2.0, 3.0], 4)
    with pytest.raises(ValueError, match="scale"):
        group_advantages([1.0, 2.0], 2, "sum")


# ---------------------------------------------------------------- TRL computes the same

class GroupTable:
    """A deterministic reward for GRPOTrainer: completion i of the batch gets `table[i]` (ignores the text)."""

    __name__ = "group_table"

    def __init__(self, table: list[float]) -> None:
        self.table = table
        self.calls: list[list[float]] = []

    def __call__(self, prompts, completions, **kwargs) -> list[float]:
        assert len(completions) == len(self.table)
        self.calls.append(list(self.table))
        return list(self.table)


@pytest.mark.parametrize("scale", ["group", "batch", "none"])
def test_trl_advantages_equal_group_advantages(tmp_path, scale):
    import torch
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    from tests.rl.tiny import chat_tokenizer, tiny_policy_folder

    torch.set_num_threads(1)
    policy = tiny_policy_folder(tmp_path / "policy", steps=0)  # random weights: the reward ignores the text
    cfg = Config.model_validate({"train": {
        "max_steps": 1, "prompts_per_step": 3, "num_generations": 4, "per_device_batch_size": 12,
        "max_completion_length": 8, "scale_rewards": scale, "use_cpu": True, "save_steps": 100}})
    args = GRPOConfig(**finish_trainer_kwargs(grpo_kwargs(cfg, str(tmp_path / "out"))))
    assert (args.loss_type, args.beta, args.scale_rewards) == ("dapo", 0.0, scale)  # what our configs set
    reward = GroupTable(ALL_PASS + ALL_FAIL + MIXED)
    dataset = Dataset.from_list([{"prompt": [{"role": "user", "content": c}]} for c in "abc"])
    trainer = GRPOTrainer(model=str(policy), reward_funcs=[reward], args=args, train_dataset=dataset,
                          processing_class=chat_tokenizer())

    # a test may read TRL's private return value (library code may not): the advantages of the batch,
    # in sampler order (G completions of a prompt contiguous), before TRL shuffles them into micro-batches
    seen: list[list[float]] = []
    generate_and_score = trainer._generate_and_score_completions

    def spy(inputs):
        out = generate_and_score(inputs)
        seen.append(out["advantages"].tolist())
        return out

    trainer._generate_and_score_completions = spy
    trainer.train()

    assert len(reward.calls) == 1 and len(seen) == 1
    assert seen[0] == pytest.approx(group_advantages(reward.calls[0], 4, scale), rel=1e-5, abs=1e-6)
    logged = next(e for e in trainer.state.log_history if "frac_reward_zero_std" in e)
    if scale != "batch":  # one of the three groups (all fail) has zero reward std
        assert logged["frac_reward_zero_std"] == pytest.approx(1 / 3)
