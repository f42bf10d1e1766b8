"""ONE reward callable for TRL's `GRPOTrainer(reward_funcs=[...])`.

TRL sums the outputs of separate reward functions, so a gated reward (`1[R_out = 1] * R_proc`)
cannot be split into a format function, an outcome function and a process function: the gate
lives in this one callable, which runs `recode_rl.rewards.pipeline.score_batch` on the whole
generation batch (one executor batch, one scorer call).

TRL calling convention (trl 1.x, `GRPOTrainer._calculate_rewards`): keyword arguments
`prompts`, `completions` (strings, or lists of chat messages for conversational datasets),
`completion_ids`, every extra dataset column as a list (one entry per completion), and
`trainer_state`, `log_metric(name, value)`, `log_extra(column, values)`. The dataset must carry:
    problem         the problem as the process scorer sees it: `prompts.problem_text` (statement +
                    starter code), the text the reward model was trained on
    tests           JSON text of `TestSuite.to_dict()` (or the dict itself); None for math rows
    answer          math rows only: the gold answer (`Problem.answer`), checked with math-verify
    program_prefix  optional: judge prelude prepended before execution (Problem.metadata)
    task_id         optional: shown in errors
`recode_rl.rewards.trl_reward.trl_dataset_rows(problems)` builds such rows, with the policy
prompt of `recode_rl.prompts.policy_messages` (math: `math_messages`) in the `prompt` column.

Every component is logged through `log_metric` as `<metric_prefix>/<key>` (format_rate,
outcome_rate, test_pass_rate, process_gated_mean, process_ungated_mean, exec_timeout,
exec_runtime_error, exec_syntax_error, scorer_latency_s, ...; see pipeline.py). Undefined values
(no sample scored) are not logged rather than logged as 0. Per-sample components go to the
completions table through `log_extra`. Older TRL versions without `log_metric` still work;
the last batch's metrics stay readable in `reward.last_metrics`, and its per-sample
`RewardResult`s in `reward.last_results` (what `rl.callbacks.SaveRollouts` writes to samples/).
"""

from __future__ import annotations

import json
from typing import Any, Sequence

from recode_rl.data.schema import Problem
from recode_rl.errors import DataError
from recode_rl.execution.types import Limits, TestSuite
from recode_rl.prompts import math_messages, policy_messages, problem_text
from recode_rl.rewards.core import RewardConfig
from recode_rl.rewards.pipeline import score_batch
from recode_rl.rewards.scorer import NoScorer, ProcessScorer
from recode_rl.rewards.verify import ExecutorFn

__all__ = ["ReCodeReward", "completion_text", "trl_dataset_rows"]

_LOGGED_EXTRA = ("format", "outcome", "pass_rate", "process", "process_term", "gate_open")


def completion_text(completion: Any) -> str:
    """A TRL completion as text: a string, or the assistant message(s) of a conversation."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list):
        parts = []
        for msg in completion:
            if isinstance(msg, dict) and msg.get("role", "assistant") == "assistant":
                content = msg.get("content", "")
                if isinstance(content, list):  # content blocks: keep the text ones
                    content = "".join(b.get("text", "") for b in content if isinstance(b, dict))
                parts.append(str(content))
        return "".join(parts)
    raise TypeError(f"unsupported completion type {type(completion).__name__}")


def trl_dataset_rows(problems: Sequence[Problem]) -> list[dict[str, Any]]:
    """Dataset rows for GRPOTrainer: conversational `prompt` plus the columns this reward reads."""
    rows = []
    for p in problems:
        row = {
            "prompt": math_messages(p.prompt) if p.is_math else policy_messages(p),
            "problem": problem_text(p),
            "tests": json.dumps(p.tests.to_dict()) if p.tests is not None else None,
            "program_prefix": str(p.metadata.get("program_prefix", "")),
            "task_id": p.task_id,
        }
        if p.is_math:
            row["answer"] = p.answer
        rows.append(row)
    return rows


class ReCodeReward:
    """`reward = ReCodeReward(RewardConfig(kind="recode"), scorer)`; pass `[reward]` to GRPOTrainer."""

    def __init__(self, cfg: RewardConfig | None = None, scorer: ProcessScorer | None = None, *, limits: Limits | None = None,
                 max_workers: int | None = None, executor: ExecutorFn | None = None,
                 metric_prefix: str = "recode", problem_column: str = "problem", tests_column: str = "tests") -> None:
        self.cfg = cfg or RewardConfig()
        self.scorer = scorer if scorer is not None else NoScorer()
        self.limits = limits
        self.max_workers = max_workers
        self.executor = executor
        self.metric_prefix = metric_prefix
        self.problem_column = problem_column
        self.tests_column = tests_column
        self.__name__ = f"{metric_prefix}_{self.cfg.kind}"  # TRL names the reward column after this
        self.last_metrics: dict[str, Any] = {}
        self.last_results: list[Any] = []   # the last batch's RewardResult per completion
        self._suites: dict[str, TestSuite] = {}  # the same tests JSON repeats G times per prompt

    def _suite(self, raw: Any, where: str) -> TestSuite:
        key = raw if isinstance(raw, str) else json.dumps(raw, sort_keys=True)
        suite = self._suites.get(key)
        if suite is None:
            try:
                suite = TestSuite.from_dict(json.loads(raw) if isinstance(raw, str) else raw)
            except (TypeError, ValueError, json.JSONDecodeError) as exc:
                raise DataError.at(where, f"not a test suite: {exc}", field=self.tests_column) from None
            if len(self._suites) > 10_000:
                self._suites.clear()
            self._suites[key] = suite
        return suite

    def problems_from_columns(self, n: int, columns: dict[str, Any]) -> list[Problem]:
        answers = columns.get("answer") or [None] * n  # gold answers of math rows (the `math` reward)
        required = [self.problem_column] + ([] if any(a is not None for a in answers) else [self.tests_column])
        for col in required:
            if col not in columns:
                raise DataError.at("GRPOTrainer dataset", f"missing column (has: {sorted(columns)})", field=col)
        prefixes = columns.get("program_prefix") or [""] * n
        tests = columns.get(self.tests_column) or [None] * n
        task_ids = columns.get("task_id") or [f"sample-{i}" for i in range(n)]
        problems = []
        for i in range(n):
            where = f"GRPOTrainer dataset, task {task_ids[i]}"
            if answers[i] is not None:  # a math row: checked against the answer, never executed
                checker: dict[str, Any] = {"answer": str(answers[i])}
            else:
                checker = {"tests": self._suite(tests[i], where)}
            problems.append(Problem(task_id=str(task_ids[i]), prompt=str(columns[self.problem_column][i]),
                                    metadata={"program_prefix": prefixes[i] or ""}, **checker))
        return problems

    def __call__(self, prompts: list[Any], completions: list[Any], completion_ids: Any = None, *,
                 trainer_state: Any = None, log_metric: Any = None, log_extra: Any = None,
                 **columns: Any) -> list[float]:
        texts = [completion_text(c) for c in completions]
        problems = self.problems_from_columns(len(texts), columns)
        results, metrics = score_batch(problems, texts, self.cfg, self.scorer, limits=self.limits,
                                       max_workers=self.max_workers, executor=self.executor)
        self.last_metrics, self.last_results = metrics, results
        if log_metric is not None:
            for key, value in metrics.items():
                if value is not None:
                    log_metric(f"{self.metric_prefix}/{key}", float(value))
        if log_extra is not None:
            for key in _LOGGED_EXTRA:
                log_extra(f"{self.metric_prefix}/{key}", [getattr(r, key) for r in results])
            log_extra(f"{self.metric_prefix}/verdict",
                      [r.verdict["verdict"] if r.verdict else "no_code" for r in results])
        return [r.reward for r in results]
