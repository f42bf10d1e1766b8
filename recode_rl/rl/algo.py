"""The GRPO advantage our runs rely on, pinned as a pure function (TRL computes it; we test TRL against it).

One optimizer step of `recode train-rl` scores B prompts x G completions with ONE reward callable
(`recode_rl.rewards.trl_reward.ReCodeReward`, whose per-sample reward is the gate of
`recode_rl.rewards.core.combine`: R_fmt + R_out + 1[R_out = 1] R_proc). TRL (1.16,
`GRPOTrainer._generate_and_score_completions`, `multi_objective_aggregation="sum_then_normalize"`)
then turns the B*G rewards into advantages exactly as `group_advantages` below, and the
`loss_type="dapo"` loss weights every completion token by its sequence's advantage and divides the
sum of clipped token terms by the number of completion tokens in the generation batch (token-level
mean; clip range [1 - epsilon, 1 + epsilon_high]).

Consequences worth knowing: a group whose rewards are all equal (e.g. every sample fails the tests
with the same format score) has advantage 0 for every sample and contributes no gradient; in an
all-pass group of well-formed responses only R_proc differs, so the reward model alone ranks them.
The std is the unbiased (Bessel-corrected) one, as TRL's `nanstd`. TRL's handling of None rewards
(NaN, advantage 0) is not mirrored: our reward never returns None. Departure from the paper (veRL,
`compute_grpo_outcome_advantage`): eps is 1e-4 here, 1e-6 there.
"""

from __future__ import annotations

import math
from typing import Literal, Sequence

__all__ = ["TRL_EPS", "group_advantages"]

TRL_EPS = 1e-4   # TRL's constant in (r - mean) / (std + eps)


def _std(values: Sequence[float]) -> float:
    """Unbiased sample std; 0 for fewer than two values (TRL: no spread, nothing to divide by)."""
    if len(values) < 2:
        return 0.0
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def group_advantages(rewards: Sequence[float], group_size: int,
                     scale: Literal["group", "batch", "none"] = "group", eps: float = TRL_EPS) -> list[float]:
    """A_i = (r_i - mean of i's group) / (std + eps); `scale` picks the std (GRPOConfig.scale_rewards).

    rewards: (B*G,) flat and group-major, the G completions of one prompt contiguous (TRL's sampler
    order). group: std of i's group; batch: std of all B*G rewards; none: no division.
    Returns (B*G,) advantages in the same order.
    """
    if group_size < 1 or len(rewards) % group_size:
        raise ValueError(f"{len(rewards)} rewards do not split into groups of {group_size}")
    if scale not in ("group", "batch", "none"):
        raise ValueError(f"scale must be 'group', 'batch' or 'none', not {scale!r}")
    batch_std = _std(rewards)
    out: list[float] = []
    for start in range(0, len(rewards), group_size):
        group = [float(r) for r in rewards[start:start + group_size]]
        mean = sum(group) / group_size
        std = _std(group) if scale == "group" else batch_std
        out.extend((r - mean) / (std + eps) if scale != "none" else r - mean for r in group)
    return out
