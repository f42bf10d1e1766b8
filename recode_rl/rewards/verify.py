"""The one verifier: responses -> parse -> check (run the tests, or compare with the gold answer).

`verify_batch(problems, responses)` returns one `Verified` per sample, in order. Both the reward
pipeline (`pipeline.score_batch`, which adds the process score and combines) and evaluation
(`evaluation.scoring.score`, which writes per-sample records) call it, so what "passed" means is
decided once.

Per sample, by what the problem holds:
  tests   parse (default `parse_response`: the python block inside <answer>, else free-form
          extraction) -> the program `program(problem, code)` (default `with_prefix`: the judge
          prelude the loader recorded, then the code) -> ALL programs of the batch in one
          executor call. A response without code (None or blank) is not executed: result None.
  answer  parse (default `parse_math_response`, for the format) -> math-verify on the whole
          response against `problem.answer` (`rewards.math.check_answers`, one persistent worker),
          never executed.
Callers that parse differently (evaluation's completion style, bare code) or time the parse
themselves pass `parsed`, one `ParsedResponse` per response.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from recode_rl.data.prelude import with_prefix
from recode_rl.data.schema import Problem
from recode_rl.execution.types import ExecutionResult, Limits
from recode_rl.rewards.parsing import ParsedResponse, parse_response

__all__ = ["Verified", "ExecutorFn", "ProgramFn", "default_parse", "verify_batch"]

# execute_many's signature: (jobs, limits, *, max_workers) -> results in job order
ExecutorFn = Callable[..., list[ExecutionResult]]
ProgramFn = Callable[[Problem, str], str]


@dataclass(frozen=True)
class Verified:
    """What one response did: its parse, the program run (code problems) and the check's result."""

    parsed: ParsedResponse
    program: str | None              # what ran in the sandbox; None for math or when there was no code
    result: ExecutionResult | None   # executor or math-verify result; None when nothing could be checked


def default_parse(problem: Problem, response: str) -> ParsedResponse:
    """The policy format: a \\boxed{} answer for math problems, a python block for code problems."""
    if problem.is_math:
        from recode_rl.rewards.math import parse_math_response

        return parse_math_response(response)
    return parse_response(response)


def _default_executor(jobs: Sequence[tuple[str, Any]], limits: Limits | None = None, *,
                      max_workers: int | None = None, progress: bool | str = False) -> list[ExecutionResult]:
    from recode_rl.execution import execute_many  # imported lazily: the fork server starts on first use

    return execute_many(jobs, limits, max_workers=max_workers, progress=progress)


def verify_batch(problems: Sequence[Problem], responses: Sequence[str], *,
                 parsed: Sequence[ParsedResponse] | None = None, program: ProgramFn = with_prefix, limits: Limits | None = None, max_workers: int | None = None,
                 executor: ExecutorFn | None = None, math_timeout: float = 5.0,
                 progress: bool | str = False) -> list[Verified]:
    """Check `responses[i]` against `problems[i]` (see the module doc); results in order."""
    if len(problems) != len(responses):
        raise ValueError(f"verify_batch: {len(problems)} problems but {len(responses)} responses")
    if parsed is None:
        parsed = [default_parse(p, r) for p, r in zip(problems, responses)]
    elif len(parsed) != len(responses):
        raise ValueError(f"verify_batch: {len(parsed)} parsed responses for {len(responses)} responses")
    programs: list[str | None] = [None] * len(parsed)
    results: list[ExecutionResult | None] = [None] * len(parsed)

    code_idx = [i for i, (p, x) in enumerate(zip(problems, parsed))
                if not p.is_math and x.code is not None and x.code.strip()]
    for i in code_idx:
        programs[i] = program(problems[i], parsed[i].code or "")
    if code_idx:
        run = executor or functools.partial(_default_executor, progress=progress)
        out = run([(programs[i], problems[i].tests) for i in code_idx], limits, max_workers=max_workers)
        if len(out) != len(code_idx):
            raise RuntimeError(f"executor returned {len(out)} results for {len(code_idx)} jobs")
        for i, r in zip(code_idx, out):
            results[i] = r

    math_idx = [i for i, p in enumerate(problems) if p.is_math]
    if math_idx:
        from recode_rl.rewards.math import check_answers

        checked = check_answers([(responses[i], problems[i].answer or "") for i in math_idx], timeout=math_timeout)
        for i, r in zip(math_idx, checked):
            results[i] = r
    return [Verified(x, prog, r) for x, prog, r in zip(parsed, programs, results)]
