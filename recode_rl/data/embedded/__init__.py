"""The embedded problem set: 30 small original problems shipped with the package.

`problems.jsonl` is in LiveCodeBench's `code_generation_lite` schema (18 stdin problems, 12
LeetCode-style `class Solution` problems; the first two tests of each are public, the rest
private — stored as plain JSON for even-numbered problems and as base64(zlib(pickle(json))) for
odd-numbered ones, so both of LiveCodeBench's encodings are exercised). Reference solutions are
kept apart in `solutions.jsonl` (`question_id`, `solution`) so the problem file stays a valid
LiveCodeBench file; the loader attaches them as `Problem.reference_solution`. Written for this
project (statements, tests and solutions); used by the offline CPU defaults of every stage.
"""

from __future__ import annotations

from pathlib import Path

from recode_rl.data.livecodebench import load_livecodebench
from recode_rl.data.records import read_records
from recode_rl.data.schema import Problem
from recode_rl.errors import DataError

__all__ = ["EMBEDDED_DIR", "load_embedded"]

EMBEDDED_DIR = Path(__file__).resolve().parent


def load_embedded(*, kind: str | None = None, limit: int | None = None) -> list[Problem]:
    """The embedded problems (`kind="stdio"` or `"functional"` to select one type)."""
    if kind not in (None, "stdio", "functional"):
        raise DataError(f"embedded: unknown kind {kind!r}; expected 'stdio' or 'functional'")
    solutions: dict[str, str] = {}
    for where, rec in read_records(EMBEDDED_DIR / "solutions.jsonl"):
        qid, code = rec.get("question_id"), rec.get("solution")
        if not isinstance(qid, str) or not isinstance(code, str):
            raise where.error("solution", "expected string 'question_id' and 'solution'")
        solutions[qid] = code
    problems = []
    for p in load_livecodebench(EMBEDDED_DIR / "problems.jsonl"):
        if kind and p.tests.kind != kind:
            continue
        if p.task_id not in solutions:
            raise DataError(f"solutions.jsonl: no reference solution for {p.task_id}")
        problems.append(Problem(**{**p.__dict__, "source": "embedded", "reference_solution": solutions[p.task_id]}))
        if limit and len(problems) >= limit:
            break
    return problems
