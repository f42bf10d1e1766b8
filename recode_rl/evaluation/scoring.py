"""Score generated responses: code through the sandboxed executor, math through math-verify.

`score(items, style, limits)` takes `(task, sample_index, Completion)` triples and returns one
JSON-ready record per item, in order:

    benchmark, task_id, sample, difficulty, response, finish_reason, completion_tokens,
    generation_error, code, format_ok, verdict, passed, tests_passed, tests_total, error_type,
    message, [passed_base, base_total for EvalPlus], [answer for math], [trust for code: the
    suite's `TestSuite.trust`, "weak" when its tests ran beside the program]

Responses are checked by `recode_rl.rewards.verify.verify_batch`, the reward pipeline's own
parse -> execute / math-verify step (one executor batch per call); only the code extraction of
the "completion" prompt style (`prompts.extract`) and the program (`prompts.program_for`) are
evaluation's. A response with no extractable code is not executed: verdict "no_code", passed
False. A completion the backend reported as failed (`finish_reason == "error"`) gets verdict
"generation_error": it fails the task (so a score never silently improves) and is counted in
the summary; `recode eval` retries such samples when the run is resumed.

EvalPlus (HE+/MBPP+): the suite's inputs are base inputs followed by plus inputs; "base" passes
when the first `n_base` tests pass (the original HumanEval/MBPP tests), "plus" (`passed`) when
all pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from recode_rl.data.schema import Problem
from recode_rl.evaluation.responses import extract, program_for
from recode_rl.execution.types import ExecutionResult, Limits, Verdict
from recode_rl.generation.types import Completion
from recode_rl.prompts import PromptStyle
from recode_rl.rewards.parsing import ParsedResponse
from recode_rl.rewards.verify import verify_batch

__all__ = ["score", "Item"]

Item = tuple[Problem, int, Completion]


def _base(task: Problem, record: dict[str, Any], result: ExecutionResult | None) -> None:
    n_base = task.metadata.get("n_base")  # EvalPlus: the first n_base tests are the original ones
    if n_base is None:
        return
    record["base_total"] = n_base
    if result is None:
        record["passed_base"] = False
        return
    head = result.tests[:n_base]
    record["passed_base"] = (result.verdict is not Verdict.SYNTAX_ERROR and len(head) == n_base
                             and all(t.verdict is Verdict.PASSED for t in head) and n_base > 0)


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
    todo: list[tuple[int, Problem, str, ParsedResponse]] = []   # (record index, problem, response, parse)
    for task, sample, completion in items:
        rec: dict[str, Any] = {
            "benchmark": task.source, "task_id": task.task_id, "sample": sample, "difficulty": task.difficulty,
            "response": completion.text, "finish_reason": completion.finish_reason,
            "completion_tokens": completion.completion_tokens, "generation_error": completion.error,
            "code": None, "format_ok": False, "verdict": None, "passed": False, "tests_passed": 0,
            "tests_total": 0, "error_type": None, "message": None,
        }
        if not task.is_math:
            rec["trust"] = task.tests.trust
        records.append(rec)
        if completion.finish_reason == "error":
            rec.update(verdict="generation_error", message=(completion.error or "")[:300])
            _base(task, rec, None)
            continue
        code, rec["format_ok"] = extract(task, completion.text, style)
        if task.is_math:
            rec["answer"] = task.answer
        else:
            rec["code"] = code
        todo.append((len(records) - 1, task, completion.text, ParsedResponse(rec["format_ok"], None, None, code, None)))
    verified = verify_batch([t for _, t, _, _ in todo], [r for _, _, r, _ in todo], parsed=[x for *_, x in todo],
                            program=program_for, limits=limits, max_workers=max_workers,
                            math_timeout=math_timeout, progress=progress) if todo else []
    for (idx, task, _, _), v in zip(todo, verified):
        if v.result is None:  # a code task whose response has no code: nothing was run
            records[idx].update(verdict="no_code")
        else:
            _fill(records[idx], v.result)
        _base(task, records[idx], v.result)
    return records
