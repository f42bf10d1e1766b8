"""Math problems with gold answers -> `Problem(answer=...)` (checked by math-verify, never executed).

One record layout covers every math file we read (rllm/DAPO training files, MATH-500, Minerva,
AIME 2024): the statement in `problem` (or `prompt`), the gold answer in `answer`, else the last
`\\boxed{}` of `solution` (Minerva has only a solution). Ids come from `task_id`, `unique_id`,
`id` or `idx`, else the record's position; `level` (MATH-500) becomes the difficulty "level N".

    load_math_file(path)         a local JSON list / JSONL / parquet file (ids: the record's, else <stem>/<i>)
    load_math_named(name, ...)   math500, minerva, aime24 from the shared data (ids: <name>/<id>)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from recode_rl.data.records import Where, find_data_file, read_records
from recode_rl.data.schema import Problem
from recode_rl.errors import DataError

__all__ = ["MATH_FILES", "problem_from_math", "load_math_file", "load_math_named"]

MATH_FILES = {
    "math500": "math500/test.jsonl",
    "minerva": "minerva_math/test.jsonl",
    "aime24": "aime24/test.jsonl",
}


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
    wanted = set(task_ids) if task_ids is not None else None
    stem = path.name.split(".")[0]
    problems = []
    for i, (where, rec) in enumerate(read_records(path)):
        p = problem_from_math(rec, where, index=i, stem=stem, source=source, id_prefix=id_prefix)
        if wanted is not None and p.task_id not in wanted:
            continue
        problems.append(p)
        if limit and len(problems) >= limit:
            break
    return problems


def load_math_named(name: str, path: str | Path | None = None, *, limit: int | None = None,
                    task_ids: Sequence[str] | None = None) -> list[Problem]:
    """A math benchmark by name (MATH_FILES), from `path` or the shared data; ids are `<name>/<id>`."""
    return load_math_file(path or find_data_file(MATH_FILES[name]), limit=limit, source=name, id_prefix=name,
                          task_ids=task_ids)
