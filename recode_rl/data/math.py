"""Math problems with gold answers -> `Problem(answer=...)` (checked by math-verify, never executed).

One record layout covers every math file we read (rllm/DAPO training files, MATH-500, Minerva,
AIME 2024): the statement in `problem` (or `prompt`), the gold answer in `answer`, else the last
`\\boxed{}` of `solution` (Minerva has only a solution). Ids come from `task_id`, `unique_id`,
`id` or `idx`, else the record's position; `level` (MATH-500) becomes the difficulty "level N".

    load_math_file(path)         a local JSON list / JSONL / parquet file (ids: the record's, else <stem>/<i>)
    load_math_named(name, ...)   math500, minerva, aime24 from the shared data (ids: <name>/<id>)
    load_dapo(path=None, ...)    DAPO-Math-17k as published (veRL rows; `recode data fetch dapo-math-17k`)

DAPO-Math-17k rows are veRL rows: the statement wrapped in DAPO's own instruction inside
`prompt[0].content`, the answer in `reward_model.ground_truth`. We strip that instruction (the
policy prompt is ours, `prompts.math_messages`, as for every math set) and drop repeated
statements (the published parquet repeats each problem many times), keeping the first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from recode_rl.data.records import Where, find_data_file, read_records
from recode_rl.data.schema import Problem, select_problems
from recode_rl.errors import DataError

__all__ = ["MATH_FILES", "DAPO_FILE", "problem_from_math", "problem_from_dapo", "load_math_file", "load_math_named",
           "load_dapo"]

MATH_FILES = {
    "math500": "math500/test.jsonl",
    "minerva": "minerva_math/test.jsonl",
    "aime24": "aime24/test.jsonl",
}


DAPO_FILE = "math_train/dapo-math-17k.parquet"
# DAPO's instruction around each statement (its answer format is "Answer: ...", not \boxed{})
_DAPO_HEAD = re.compile(r"^\s*Solve the following math problem step by step\..*?\n\s*\n", re.S)
_DAPO_TAIL = re.compile(r"\n\s*\n\s*Remember to put your answer on its own line after \"Answer:\"\.?\s*$")


def _boxed(text: str) -> str | None:
    from recode_rl.rewards.math import extract_boxed  # lazy: the reward package imports data

    return extract_boxed(text)


def problem_from_math(rec: dict[str, Any], where: Where, *, index: int, stem: str, source: str = "math",
                      id_prefix: str | None = None) -> Problem:
    """One math record -> Problem; a missing statement or answer -> DataError naming the field."""
    statement = rec.get("problem", rec.get("prompt"))
    if not isinstance(statement, str) or not statement.strip():
        raise where.error("problem", "missing or empty")
    answer = rec.get("answer")
    if answer is None and isinstance(rec.get("solution"), str):
        answer = _boxed(rec["solution"])
    if answer is None or not str(answer).strip():
        raise where.error("answer", "missing (and no \\boxed{} in solution)")
    raw_id = next((rec[k] for k in ("task_id", "unique_id", "id", "idx") if rec.get(k) is not None), None)
    if id_prefix is not None:
        task_id = f"{id_prefix}/{raw_id if raw_id is not None else index}"
    else:
        task_id = str(raw_id) if raw_id is not None else f"{stem}/{index}"
    level = rec.get("level")
    return Problem(task_id=task_id, prompt=statement, answer=str(answer), source=source,
                   difficulty=f"level {level}" if level is not None else None)


def load_math_file(path: str | Path, *, limit: int | None = None, source: str = "math",
                   id_prefix: str | None = None, task_ids: Sequence[str] | None = None) -> list[Problem]:
    """Math problems from a local file (see the module doc for the record layout)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: math problem file not found")
    stem = path.name.split(".")[0]
    records = enumerate(read_records(path))
    return select_problems((problem_from_math(rec, where, index=i, stem=stem, source=source, id_prefix=id_prefix)
                            for i, (where, rec) in records), task_ids=task_ids, limit=limit)


def load_math_named(name: str, path: str | Path | None = None, *, limit: int | None = None,
                    task_ids: Sequence[str] | None = None) -> list[Problem]:
    """A math benchmark by name (MATH_FILES), from `path` or the shared data; ids are `<name>/<id>`."""
    return load_math_file(path or find_data_file(MATH_FILES[name]), limit=limit, source=name, id_prefix=name,
                          task_ids=task_ids)


def problem_from_dapo(rec: dict[str, Any], where: Where, *, index: int) -> Problem:
    """One DAPO-Math-17k (veRL) row -> Problem with the bare statement and the gold answer."""
    prompt = rec.get("prompt")
    if isinstance(prompt, (list, tuple)) and prompt and isinstance(prompt[0], dict):
        text = prompt[0].get("content")
    else:
        text = prompt
    if not isinstance(text, str) or not text.strip():
        raise where.error("prompt", "expected [{role, content}] with the problem statement")
    statement = _DAPO_TAIL.sub("", _DAPO_HEAD.sub("", text, count=1)).strip()
    truth = (rec.get("reward_model") or {}).get("ground_truth") if isinstance(rec.get("reward_model"), dict) else None
    if truth is None or not str(truth).strip():
        raise where.error("reward_model.ground_truth", "missing")
    info = rec.get("extra_info") if isinstance(rec.get("extra_info"), dict) else {}
    raw_id = info.get("index")
    return Problem(task_id=f"dapo/{raw_id if raw_id is not None else index}", prompt=statement, answer=str(truth),
                   source="dapo-math-17k")


def load_dapo(path: str | Path | None = None, *, limit: int | None = None) -> list[Problem]:
    """DAPO-Math-17k, one Problem per distinct statement (first occurrence kept)."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, (where, rec) in enumerate(read_records(path or find_data_file(DAPO_FILE))):
        p = problem_from_dapo(rec, where, index=i)
        if p.prompt in seen:
            continue
        seen.add(p.prompt)
        problems.append(p)
        if limit and len(problems) >= limit:
            break
    return problems
