"""Response parsing, the ReCode reward family, the math outcome and the reward-hacking monitor.

    parsing   strict `<think>…</think><answer>…</answer>` format check and code extraction
    core      `RewardConfig`, `RewardResult`, `needs_process_score` (the gate), `combine`
    math      math-verify answer check with its own subprocess timeout (the `math` kind)
    verify    `verify_batch`: parse -> execute tests / check answers, shared with evaluation
    monitor   flags the paper's reward-hacking signature in training metrics
    scorer    the `ProcessScorer` protocol, the HTTP client and the JSON-protocol server
    config    `ScorerConfig` + `build_scorer` (the one way to build a scorer), `recode score` /
              `recode serve-scorer` configs

Light to import: no torch, no math-verify (it is imported inside the math worker subprocess).
"""

from recode_rl.rewards.core import (REWARD_KINDS, RewardConfig, RewardKind, RewardResult, combine,
                                    compiler_term, needs_process_score)
from recode_rl.rewards.math import (MathVerifier, check_answer, check_answers, extract_boxed,
                                    parse_math_response)
from recode_rl.rewards.monitor import HackingFlag, HackingMonitor, scan
from recode_rl.rewards.parsing import ParsedResponse, extract_code, parse_response
from recode_rl.rewards.verify import Verified, verify_batch

__all__ = [
    "ParsedResponse", "parse_response", "extract_code",
    "RewardKind", "REWARD_KINDS", "RewardConfig", "RewardResult", "needs_process_score", "combine", "compiler_term",
    "MathVerifier", "check_answer", "check_answers", "extract_boxed", "parse_math_response",
    "HackingFlag", "HackingMonitor", "scan", "Verified", "verify_batch",
]
