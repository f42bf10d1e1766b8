"""Training problems for RL/SFT: load the configured sources, drop excluded ids, build TRL rows.

Code problems become rows with `trl_dataset_rows` (the policy prompt of
`recode_rl.rewards.verl_data.policy_messages` in a conversational `prompt` column, tests as a
JSON column the reward reads). Math problems (`data.prompt: math`, reward kind `math`) use
`math_messages`: the same system text, the problem, and a request for the final answer in
`\\boxed{}` inside the answer tags; the gold answer travels in `metadata.answer` (the math reward
checks it with math-verify and never executes code, so their test suite is a placeholder).

`load_math_file` reads the rllm / DAPO-style math files: a JSON list or JSONL of records with
`problem` (or `prompt`) and `answer` (or `solution`'s last `\\boxed{}`).

Departure from the paper: the paper's math prompt is not published; ours mirrors its code prompt.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any, Sequence

from recode_rl.data.schema import Problem
from recode_rl.execution.types import TestSuite
from recode_rl.errors import DataError
from recode_rl.rl.config import DataSection

__all__ = ["MATH_INSTRUCTION", "math_messages", "load_math_file", "load_training_problems", "dataset_rows",
           "split_holdout"]

MATH_INSTRUCTION = ("Solve the problem. Think step by step inside <think> </think> tags, then give the final "
                    "answer in \\boxed{} inside <answer> </answer> tags.")

# math answers are checked by math-verify, never executed: the suite only satisfies the schema
_NO_TESTS = TestSuite(kind="assertion", assertions=("True",))


def math_messages(problem: Problem) -> list[dict[str, str]]:
    from recode_rl.rewards.verl_data import SYSTEM_PROMPT

    return [{"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": f"{problem.prompt.strip()}\n\n{MATH_INSTRUCTION}"}]


def load_math_file(path: str | Path, *, limit: int | None = None) -> list[Problem]:
    """Math problems with gold answers from a JSON list or JSONL file (see module doc)."""
    from recode_rl.rewards.math import extract_boxed

    path = Path(path)
    if not path.is_file():
        raise DataError.at(path, "math problem file not found")
    text = path.read_text(encoding="utf-8")
    try:
        records = json.loads(text) if text.lstrip().startswith("[") else \
            [json.loads(line) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError as exc:
        raise DataError.at(path, f"not valid JSON/JSONL: {exc.msg}", record=f"line {exc.lineno}") from None
    problems = []
    for i, rec in enumerate(records):
        where = f"record {i}"
        if not isinstance(rec, dict):
            raise DataError.at(path, f"expected an object, got {type(rec).__name__}", record=where)
        statement = rec.get("problem", rec.get("prompt"))
        if not isinstance(statement, str) or not statement.strip():
            raise DataError.at(path, "missing or empty", record=where, field="problem")
        answer = rec.get("answer")
        if answer is None and isinstance(rec.get("solution"), str):
            answer = extract_boxed(rec["solution"])
        if answer is None or not str(answer).strip():
            raise DataError.at(path, "missing (and no \\boxed{} in solution)", record=where, field="answer")
        problems.append(Problem(task_id=str(rec.get("task_id", rec.get("id", f"{path.stem}/{i}"))),
                                prompt=statement, tests=_NO_TESTS, source="math",
                                metadata={"answer": str(answer)}))
        if limit is not None and len(problems) >= limit:
            break
    return problems


def load_training_problems(section: DataSection) -> list[Problem]:
    """Every configured source, in order, each shuffled by `shuffle_seed` and cut to its limit."""
    from recode_rl.data import load_problems

    problems: list[Problem] = []
    for source in section.train:
        if section.prompt == "math" and Path(source.name).is_file():
            loaded = load_math_file(source.name)
        else:
            loaded = load_problems(source.name, **source.options)
        if section.shuffle_seed:
            loaded = list(loaded)
            random.Random(section.shuffle_seed).shuffle(loaded)
        problems.extend(loaded[:source.limit] if source.limit else loaded)
    excluded = set(section.exclude)
    kept = [p for p in problems if p.task_id not in excluded]
    if not kept:
        raise DataError(f"data.train: no problems left ({len(problems)} loaded, {len(problems) - len(kept)} excluded)")
    return kept


def dataset_rows(problems: Sequence[Problem], prompt: str = "code") -> list[dict[str, Any]]:
    """Rows for GRPOTrainer: `prompt` (chat messages) and the columns the reward reads (+ `answer` for math)."""
    from recode_rl.rewards.trl_reward import trl_dataset_rows

    rows = trl_dataset_rows(problems)
    if prompt == "math":
        for row, problem in zip(rows, problems):
            row["prompt"] = math_messages(problem)
            row["answer"] = str(problem.metadata["answer"])  # read by the math reward (train.build_reward)
    return rows


def split_holdout(problems: Sequence[Problem], fraction: float, seed: int = 0) -> tuple[list[Problem], list[Problem]]:
    """(train, held-out): a seeded random `fraction` of the problems held out (at least one each side)."""
    if not 0 < fraction < 1:
        raise ValueError(f"holdout fraction must be in (0, 1), got {fraction}")
    order = list(range(len(problems)))
    random.Random(seed).shuffle(order)
    n_hold = min(max(1, round(len(problems) * fraction)), len(problems) - 1)
    held = set(order[:n_hold])
    return ([p for i, p in enumerate(problems) if i not in held], [p for i, p in enumerate(problems) if i in held])
