"""Score generated responses: code through the sandboxed executor, math through math-verify.

`score(items, style, limits)` takes `(task, sample_index, Completion)` triples and returns one
JSON-ready record per item, in order:

    benchmark, task_id, sample, difficulty, response, finish_reason, completion_tokens,
    generation_error, code, format_ok, verdict, passed, tests_passed, tests_total, error_type,
    message, [passed_base, base_total for EvalPlus], [answer for math]

All code of a batch runs in ONE `execute_many` call. A response with no extractable code is
not executed: verdict "no_code", passed False. A completion the backend reported as failed
(`finish_reason == "error"`) gets verdict "generation_error": it fails the task (so a score
never silently improves) and is counted in the summary; `recode eval` retries such samples
when the run is resumed.

EvalPlus (HE+/MBPP+): the suite's inputs are base inputs followed by plus inputs; "base" passes
when the first `n_base` tests pass (the original HumanEval/MBPP tests), "plus" (`passed`) when
all pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from recode_rl.evaluation.benchmarks import EvalTask
from recode_rl.evaluation.responses import extract, program_for
from recode_rl.execution.types import ExecutionResult, Limits, Verdict
from recode_rl.generation.types import Completion
from recode_rl.prompts import PromptStyle

__all__ = ["score", "Item"]

Item = tuple[EvalTask, int, Completion]


def _base(task: EvalTask, record: dict[str, Any], result: ExecutionResult | None) -> None:
    if task.n_base is None:
        return
    record["base_total"] = task.n_base
    if result is None:
        record["passed_base"] = False
        return
    head = result.tests[: task.n_base]
    record["passed_base"] = (result.verdict is not Verdict.SYNTAX_ERROR and len(head) == task.n_base
                             and all(t.verdict is Verdict.PASSED for t in head) and task.n_base > 0)


def _fill(record: dict[str, Any], result: ExecutionResult) -> None:
    record.update(verdict=result.verdict.value, passed=result.all_passed and result.total > 0,
                  tests_passed=result.passed, tests_total=result.total,
                  error_type=result.error_type or next((t.error_type for t in result.tests
                                                        if t.verdict is not Verdict.PASSED), None),
                  message=(result.message or next((t.message for t in result.tests
                                                   if t.verdict is not Verdict.PASSED), None) or None))
    if record["message"]:
        record["message"] = record["message"][:300]


def score(items: Sequence[Item], style: PromptStyle, limits: Limits | None = None, *,
          max_workers: int | None = None, math_timeout: float = 5.0, progress: bool | str = False) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    code_jobs: list[tuple[int, str, Any]] = []     # (record index, program, tests)
    math_jobs: list[tuple[int, str, str]] = []     # (record index, response, gold)
    for task, sample, completion in items:
        rec: dict[str, Any] = {
            "benchmark": task.benchmark, "task_id": task.task_id, "sample": sample, "difficulty": task.difficulty,
            "response": completion.text, "finish_reason": completion.finish_reason,
            "completion_tokens": completion.completion_tokens, "generation_error": completion.error,
            "code": None, "format_ok": False, "verdict": None, "passed": False, "tests_passed": 0,
            "tests_total": 0, "error_type": None, "message": None,
        }
        records.append(rec)
        if completion.finish_reason == "error":
            rec.update(verdict="generation_error", message=(completion.error or "")[:300])
            _base(task, rec, None)
            continue
        code, rec["format_ok"] = extract(task, completion.text, style)
        if task.is_math:
            rec["answer"] = task.answer
            math_jobs.append((len(records) - 1, completion.text, task.answer or ""))
            continue
        rec["code"] = code
        if not code or not code.strip():
            rec.update(verdict="no_code")
            _base(task, rec, None)
            continue
        assert task.problem is not None
        code_jobs.append((len(records) - 1, program_for(task, code), task.problem.tests))
    if code_jobs:
        from recode_rl.execution import execute_many

        results = execute_many([(prog, tests) for _, prog, tests in code_jobs], limits,
                               max_workers=max_workers, progress=progress)
        for (idx, _, _), result in zip(code_jobs, results):
            _fill(records[idx], result)
            _base(items[idx][0], records[idx], result)
    if math_jobs:
        from recode_rl.rewards.math import check_answers

        results = check_answers([(resp, gold) for _, resp, gold in math_jobs], timeout=math_timeout)
        for (idx, _, _), result in zip(math_jobs, results):
            _fill(records[idx], result)
    return records
