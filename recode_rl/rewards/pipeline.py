"""The batched reward pipeline: parse -> execute -> score reasoning (only where needed) -> combine.

`score_batch(problems, responses, cfg, scorer)` is the one place where a batch of policy
responses becomes rewards; the TRL and veRL adapters, `recode score` and evaluation all call it.

1. Parse every response (`parse_response`): format check, think text, extracted code.
2. Run all extracted code in ONE executor batch (`execute_many`, parallel workers). The program
   for a sample is `with_prefix(problem, code)`: the judge prelude the loader recorded in
   `problem.metadata["program_prefix"]` (imports, LeetCode's `ListNode`/`TreeNode`, ...) followed
   by the extracted code, unchanged. Stdin programs and LeetCode `class Solution` code run as
   they are; for HumanEval/MBPP assertion suites the full extracted code (helpers and imports
   included) runs before the suite's `check`. Responses without code are not executed
   (R_out = 0, compiler term -1).
3. Call the process scorer ONCE, only for samples where `needs_process_score` is true: under
   the gate only passing samples with think text. `cfg.score_failing` adds gated-out samples
   for monitoring; their score is recorded in `RewardResult.process` and never enters the
   reward. Every sample not sent to the scorer is a call saved (`scorer_calls_saved`).
4. `combine` each sample (formulas in `recode_rl.rewards.core`).

Failures are loud: a scorer error propagates (the HTTP scorer has already retried), and a reward
kind that needs process scores with `NoScorer` is a ConfigError. Per-sample problems (sandbox
errors, missing scores) are kept in `RewardResult.errors` and counted in `reward_errors`.

Metrics (a flat dict; a value is None when it is undefined for this batch, e.g. the mean process
score when nothing was scored, so it is never faked as 0):
  n, reward_mean, reward_std, format_rate, outcome_rate (all tests pass), test_pass_rate (mean
  fraction of tests passed), gate_open_rate, process_term_mean, process_gated_mean (raw score,
  samples whose score entered the reward), process_ungated_mean (every scored sample),
  process_failing_mean (monitor-only samples), compiler_mean (compiler kinds), no_code,
  exec_<verdict> counts (passed, wrong_answer, runtime_error, timeout, memory_limit,
  syntax_error, not_run, sandbox_error), reward_errors, scorer_calls (samples sent to the
  scorer), scorer_calls_saved (samples not sent),
  scorer_latency_s, time_parse_s, time_execution_s, time_scoring_s, time_total_s,
  execution_share, scoring_share.

Math (`cfg.kind == "math"`): responses are parsed with `parse_math_response` (a \\boxed{} answer
instead of a code block) and checked with math-verify (`recode_rl.rewards.math.check_answers`)
against the gold answer in `problem.metadata["answer"]` instead of being executed; "execution"
timings and `exec_*` counts then refer to the answer check.
"""

from __future__ import annotations

import statistics
import time
from typing import Any, Callable, Sequence

from recode_rl.config import ConfigError
from recode_rl.data.prelude import with_prefix
from recode_rl.data.schema import Problem
from recode_rl.errors import DataError
from recode_rl.execution.types import ExecutionResult, Limits, Verdict
from recode_rl.rewards.core import RewardConfig, RewardResult, combine, needs_process_score
from recode_rl.rewards.parsing import ParsedResponse, parse_response
from recode_rl.rewards.scorer import ProcessScorer, check_scores

__all__ = ["score_batch", "summarize", "ExecutorFn"]

# execute_many's signature: (jobs, limits, *, max_workers) -> results in job order
ExecutorFn = Callable[..., list[ExecutionResult]]


def _default_executor(jobs: Sequence[tuple[str, Any]], limits: Limits | None = None, *,
                      max_workers: int | None = None) -> list[ExecutionResult]:
    from recode_rl.execution import execute_many  # imported lazily: the fork server starts on first use

    return execute_many(jobs, limits, max_workers=max_workers)


def _execute(problems: Sequence[Problem], parsed: Sequence[ParsedResponse], limits: Limits | None,
             max_workers: int | None, executor: ExecutorFn) -> list[ExecutionResult | None]:
    index = [i for i, p in enumerate(parsed) if p.code is not None]
    jobs = [(with_prefix(problems[i], parsed[i].code or ""), problems[i].tests) for i in index]
    results: list[ExecutionResult | None] = [None] * len(parsed)
    if jobs:
        out = executor(jobs, limits, max_workers=max_workers)
        if len(out) != len(jobs):
            raise RuntimeError(f"executor returned {len(out)} results for {len(jobs)} jobs")
        for i, r in zip(index, out):
            results[i] = r
    return results


def _check_math(problems: Sequence[Problem], responses: Sequence[str]) -> list[ExecutionResult | None]:
    from recode_rl.rewards.math import check_answers

    golds = []
    for p in problems:
        gold = p.metadata.get("answer")
        if not isinstance(gold, str) or not gold.strip():
            raise DataError.at(f"problem {p.task_id}", "math problems need the gold answer as a string",
                               field="metadata.answer")
        golds.append(gold)
    # one persistent math-verify worker (started once per process); see rewards/math.py
    return list(check_answers(list(zip(responses, golds))))


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
    t0 = time.perf_counter()
    if cfg.kind == "math":
        from recode_rl.rewards.math import parse_math_response

        parsed = [parse_math_response(r) for r in responses]
    else:
        parsed = [parse_response(r) for r in responses]
    t1 = time.perf_counter()
    if cfg.kind == "math":
        results = _check_math(problems, responses)
    else:
        results = _execute(problems, parsed, limits, max_workers, executor or _default_executor)
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
        raw = scorer.score([problems[i].prompt for i in to_score], [parsed[i].think or "" for i in to_score])
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
        "compiler_mean": _mean([r.compiler for r in rewards if r.compiler is not None])
        if cfg.kind in ("compiler", "compiler+recode") else None,
        "no_code": sum(1 for r in rewards if r.verdict is None),
        "reward_errors": sum(1 for r in rewards if r.errors),
    }
    for verdict in Verdict:
        m[f"exec_{verdict.value}"] = sum(1 for r in rewards if r.verdict and r.verdict.get("verdict") == verdict.value)
    return m
