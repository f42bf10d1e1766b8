"""The batched reward pipeline: verify (parse -> execute or check the answer) -> score reasoning -> combine.

`score_batch(problems, responses, cfg, scorer)` is the one place where a batch of policy
responses becomes rewards; the TRL and veRL adapters and `recode score` call it. Evaluation
shares its first step, `rewards.verify.verify_batch`, and has no reward to combine.

1. Verify: parse every response, run all extracted code in ONE executor batch (or check a math
   answer with math-verify); responses without code are not executed.
2. Call the process scorer ONCE, only for samples where `needs_process_score` is true (under the
   gate: passing samples with think text; `cfg.score_failing` adds monitor-only ones, never
   rewarded). Every sample not sent is a call saved.
3. `combine` each sample (formulas in `recode_rl.rewards.core`).

Failures are loud: scorer errors propagate, a kind that needs process scores without a scorer is a
ConfigError, a problem whose tests have `trust: "weak"` is a DataError naming it (unless
`reward.allow_weak_trust`; see `check_trust`), per-sample problems land in `RewardResult.errors`. The returned metrics (never faked as
0 when undefined) are listed once, in docs/integration.md §1.
"""

from __future__ import annotations

import statistics
import time
from typing import Any, Sequence

from recode_rl.config import ConfigError
from recode_rl.data.schema import Problem
from recode_rl.errors import DataError
from recode_rl.execution.types import Limits, Verdict
from recode_rl.prompts.synthesis import problem_text
from recode_rl.rewards.core import MATH_KINDS, RewardConfig, RewardResult, combine, needs_process_score
from recode_rl.rewards.scorer import ProcessScorer, check_scores
from recode_rl.rewards.verify import ExecutorFn, default_parse, verify_batch

__all__ = ["score_batch", "score_in_chunks", "summarize", "check_trust"]


def check_trust(problems: Sequence[Problem], cfg: RewardConfig, where: str = "reward") -> None:
    """Refuse problems whose tests run beside the program (`TestSuite.trust == "weak"`): in RL the
    executor is the reward, and such tests can be fooled by a program that reaches their namespace
    (docs/executor.md). `cfg.allow_weak_trust` opts in. The error names every such task."""
    if cfg.allow_weak_trust:
        return
    weak = list(dict.fromkeys(p.task_id for p in problems if p.tests is not None and p.tests.trust == "weak"))
    if weak:
        shown = ", ".join(weak[:20]) + (f", ... ({len(weak)} in all)" if len(weak) > 20 else "")
        raise DataError(f"{where}: {len(weak)} problem(s) have tests with trust: weak (assertion/unittest code that "
                        f"runs beside the program and can be fooled by it): {shown}. Drop them (data.exclude) or "
                        "set reward.allow_weak_trust: true to reward them anyway")


def _check_kinds(problems: Sequence[Problem], cfg: RewardConfig) -> None:
    """Math rewards need gold answers, code rewards need tests: a mismatch is a data error."""
    for p in problems:
        if cfg.kind in MATH_KINDS and not p.is_math:
            raise DataError.at(f"problem {p.task_id}", "the math reward needs the gold answer as a string "
                               "(this problem has tests)", field="answer")
        if cfg.kind not in MATH_KINDS and p.is_math:
            raise DataError.at(f"problem {p.task_id}", f"reward kind {cfg.kind!r} runs tests, but this problem "
                               "has a gold answer (use reward kind 'math' or 'math-outcome')", field="tests")


def score_batch(
    problems: Sequence[Problem],
    responses: Sequence[str],
    cfg: RewardConfig,
    scorer: ProcessScorer,
    limits: Limits | None = None,
    max_workers: int | None = None,
    executor: ExecutorFn | None = None,
) -> tuple[list[RewardResult], dict[str, Any]]:
    """Rewards and batch metrics for `responses[i]` answering `problems[i]` (see module doc)."""
    if len(problems) != len(responses):
        raise ValueError(f"score_batch: {len(problems)} problems but {len(responses)} responses")
    _check_kinds(problems, cfg)
    check_trust(problems, cfg)
    t0 = time.perf_counter()
    parsed = [default_parse(p, r) for p, r in zip(problems, responses)]
    t1 = time.perf_counter()
    verified = verify_batch(problems, responses, parsed=parsed, limits=limits, max_workers=max_workers,
                            executor=executor)
    results = [v.result for v in verified]
    t2 = time.perf_counter()

    # who needs a score: gated (enters the reward) vs monitor-only (cfg.score_failing)
    gated_cfg = cfg.model_copy(update={"score_failing": False}) if cfg.score_failing else cfg
    gated = [needs_process_score(gated_cfg, p, r) for p, r in zip(parsed, results)]
    wanted = [needs_process_score(cfg, p, r) for p, r in zip(parsed, results)]
    enabled = getattr(scorer, "enabled", True)
    if any(gated) and not enabled:
        raise ConfigError(f"reward kind {cfg.kind!r} needs a process scorer for passing samples, "
                          "but none is configured (scorer.kind: none)")
    to_score = [i for i, w in enumerate(wanted) if w and enabled]
    process: list[float | None] = [None] * len(parsed)
    latency = 0.0
    if to_score:
        ts = time.perf_counter()
        # the RM's problem text is the one it was trained on: statement + starter code (problem_text)
        raw = scorer.score([problem_text(problems[i]) for i in to_score], [parsed[i].think or "" for i in to_score])
        latency = time.perf_counter() - ts
        for i, s in zip(to_score, check_scores(raw, len(to_score), getattr(scorer, "name", type(scorer).__name__))):
            process[i] = s
    t3 = time.perf_counter()

    rewards = [combine(cfg, p, r, s) for p, r, s in zip(parsed, results, process)]
    t4 = time.perf_counter()
    metrics = summarize(cfg, rewards)
    metrics.update({
        "scorer_calls": len(to_score),
        "scorer_calls_saved": len(parsed) - len(to_score),
        "scorer_latency_s": latency,
        "time_parse_s": t1 - t0,
        "time_execution_s": t2 - t1,
        "time_scoring_s": t3 - t2,
        "time_total_s": t4 - t0,
    })
    total = metrics["time_total_s"] or 1e-12
    metrics["execution_share"] = metrics["time_execution_s"] / total
    metrics["scoring_share"] = metrics["time_scoring_s"] / total
    return rewards, metrics


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def summarize(cfg: RewardConfig, rewards: Sequence[RewardResult]) -> dict[str, Any]:
    """Batch means and counts of reward components (no timing); see the module doc for keys."""
    n = len(rewards)
    values = [r.reward for r in rewards]
    scored = [r for r in rewards if r.process is not None]
    m: dict[str, Any] = {
        "n": n,
        "reward_mean": _mean(values),
        "reward_std": statistics.pstdev(values) if n else None,
        "format_rate": _mean([r.format for r in rewards]),
        "outcome_rate": _mean([r.outcome for r in rewards]),
        "test_pass_rate": _mean([r.pass_rate for r in rewards]),
        "gate_open_rate": _mean([1.0 if r.gate_open else 0.0 for r in rewards]),
        "process_term_mean": _mean([r.process_term for r in rewards]),
        "process_gated_mean": _mean([r.process for r in scored if r.gate_open]),
        "process_ungated_mean": _mean([r.process for r in scored]),
        "process_failing_mean": _mean([r.process for r in scored if not r.gate_open]),
        "think_words_mean": _mean([float(r.think_words) for r in rewards]),
        "compiler_mean": _mean([r.compiler for r in rewards if r.compiler is not None])
        if cfg.kind in ("compiler", "compiler+recode") else None,
        "no_code": sum(1 for r in rewards if r.verdict is None),
        "reward_errors": sum(1 for r in rewards if r.errors),
    }
    for verdict in Verdict:
        m[f"exec_{verdict.value}"] = sum(1 for r in rewards if r.verdict and r.verdict.get("verdict") == verdict.value)
    return m


def score_in_chunks(problems: Sequence[Problem], responses: Sequence[str], cfg: RewardConfig, scorer: ProcessScorer, *,
                    chunk_size: int = 256, limits: Limits | None = None, max_workers: int | None = None,
                    on_chunk: Any = None) -> tuple[list[RewardResult], dict[str, Any]]:
    """`score_batch` over a long list, `chunk_size` responses at a time (`recode score`, `recode_rl.api.score`).

    Returns every result in order and one summary: `summarize` of all results, the timing and
    scorer counts summed over chunks, `time_total_s`, the execution/scoring shares and
    `responses_per_s`. `on_chunk(done, total)` is called after each chunk."""
    results: list[RewardResult] = []
    timing = {"scorer_calls": 0, "scorer_calls_saved": 0, "scorer_latency_s": 0.0, "time_parse_s": 0.0,
              "time_execution_s": 0.0, "time_scoring_s": 0.0}
    start = time.perf_counter()
    for lo in range(0, len(responses), chunk_size):
        batch, metrics = score_batch(problems[lo:lo + chunk_size], responses[lo:lo + chunk_size], cfg, scorer,
                                     limits=limits, max_workers=max_workers)
        results.extend(batch)
        for key in timing:
            timing[key] += metrics[key]
        if on_chunk is not None:
            on_chunk(len(results), len(responses))
    total = time.perf_counter() - start
    summary = {"reward_kind": cfg.kind, **summarize(cfg, results), **timing, "time_total_s": total,
               "execution_share": timing["time_execution_s"] / total if total > 0 else None,
               "scoring_share": timing["time_scoring_s"] / total if total > 0 else None,
               "responses_per_s": len(results) / total if total > 0 else None}
    return results, summary
