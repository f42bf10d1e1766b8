"""One representation of a problem: a statement plus what checks an answer to it.

Every loader (HumanEval, LiveCodeBench, TACO/APPS/DeepCoder, MBPP, EvalPlus, BigCodeBench,
math sets, local files, Hugging Face datasets) produces `Problem`s. A problem carries exactly
one checker: `tests` (a `TestSuite`, run by the executor — kinds are documented in
`recode_rl.execution.types`) for code, or a gold `answer` (checked with math-verify, never
executed) for math. `to_dict`/`from_dict` round-trip both.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from recode_rl.execution.types import TestSuite

__all__ = ["Problem", "select_problems"]


@dataclass(frozen=True)
class Problem:
    task_id: str
    prompt: str                          # the problem statement shown to the model
    tests: TestSuite | None = None       # code problems: what the program is run against
    source: str = ""                     # loader name, e.g. "humaneval", "livecodebench", "math500"
    starter_code: str = ""               # e.g. LeetCode class stub or HumanEval signature+docstring
    reference_solution: str | None = None  # a full program that passes `tests`, when the data has one
    difficulty: str | None = None        # "easy" / "medium" / "hard" (math: "level 3") where the data says
    contest_date: str | None = None      # ISO date (LiveCodeBench windows)
    metadata: dict[str, Any] = field(default_factory=dict)  # e.g. n_base (EvalPlus), program_prefix
    answer: str | None = None            # math problems: the gold final answer

    def __post_init__(self) -> None:
        if (self.tests is None) == (self.answer is None):
            has = "both tests and an answer" if self.tests is not None else "neither tests nor an answer"
            raise ValueError(f"problem {self.task_id!r}: a problem holds exactly one of `tests` (code) or "
                             f"`answer` (math), got {has}")
        if self.answer is not None and (not isinstance(self.answer, str) or not self.answer.strip()):
            raise ValueError(f"problem {self.task_id!r}: `answer` must be a non-empty string, got {self.answer!r}")

    @property
    def is_math(self) -> bool:
        """True when the problem is checked against a gold answer rather than tests."""
        return self.answer is not None

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["tests"] = self.tests.to_dict() if self.tests is not None else None
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Problem":
        d = dict(d)
        if d.get("tests") is not None:
            d["tests"] = TestSuite.from_dict(d["tests"])
        return cls(**d)


def select_problems(problems: Iterable[Problem], *, task_ids: Sequence[str] | None = None,
                    limit: int | None = None) -> list[Problem]:
    """The problems whose id is in `task_ids` (all when None), in order, at most `limit`; stops
    reading the (lazy) iterable as soon as `limit` is reached."""
    wanted = set(task_ids) if task_ids is not None else None
    out: list[Problem] = []
    for p in problems:
        if wanted is not None and p.task_id not in wanted:
            continue
        out.append(p)
        if limit and len(out) >= limit:
            break
    return out
