"""One representation of a coding problem and its tests.

Every loader (HumanEval, LiveCodeBench, TACO/APPS/DeepCoder, MBPP, EvalPlus, local files,
Hugging Face datasets) produces `Problem`s; the executor consumes `TestSuite`s. Expected
outputs live in the `TestSuite` on the trusted side and, for `stdio` and `functional`
suites, never enter the sandbox.

Test-suite kinds
----------------
stdio       program reads stdin, writes stdout. `inputs[i]` / `outputs[i]` are strings.
            Compared with LiveCodeBench's rule (see execution.compare).
functional  call `fn_name(*inputs[i])` — or `class_name().fn_name(*inputs[i])` for LeetCode
            `class Solution` — and compare the returned value with `outputs[i]` (exact
            equality of plain data; `atol` enables EvalPlus float tolerance).
assertion   run `preamble` (e.g. HumanEval's `def check(candidate): ...` or MBPP's
            `test_setup_code`) after the program, then each statement in `assertions` as one
            test. `entry_point` (if set) is wrapped so that only plain built-in values reach
            the test's `==`, and is also bound to the name `candidate`.
unittest    `preamble` defines `unittest.TestCase` classes (BigCodeBench); every test method
            is one test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["TestKind", "TestSuite", "Problem"]

TestKind = Literal["stdio", "functional", "assertion", "unittest"]


@dataclass(frozen=True)
class TestSuite:
    __test__ = False  # not a pytest test class

    kind: TestKind
    inputs: tuple[Any, ...] = ()        # stdio: str per test; functional: list of positional args per test
    outputs: tuple[Any, ...] = ()       # expected outputs; trusted side only
    fn_name: str | None = None          # functional: function / method name
    class_name: str | None = None       # functional: e.g. "Solution" for LeetCode-style problems
    atol: float | None = None           # functional: float tolerance (EvalPlus); None = exact
    preamble: str = ""                  # assertion/unittest: test code run after the program
    assertions: tuple[str, ...] = ()    # assertion: one statement (or block) per test
    entry_point: str | None = None      # assertion: user function wrapped for plain-value results

    def __post_init__(self) -> None:
        if self.kind in ("stdio", "functional") and len(self.inputs) != len(self.outputs):
            raise ValueError(f"{self.kind} tests: {len(self.inputs)} inputs but {len(self.outputs)} outputs")
        if self.kind == "functional" and not self.fn_name:
            raise ValueError("functional tests need fn_name")
        if self.kind == "assertion" and not self.assertions:
            raise ValueError("assertion tests need at least one assertion")
        if self.kind == "unittest" and not self.preamble:
            raise ValueError("unittest tests need test code in preamble")

    def __len__(self) -> int:
        if self.kind in ("stdio", "functional"):
            return len(self.inputs)
        if self.kind == "assertion":
            return len(self.assertions)
        return 1  # unittest: real count known after collection in the sandbox

    def to_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TestSuite":
        d = dict(d)
        for key in ("inputs", "outputs", "assertions"):
            if key in d and d[key] is not None:
                d[key] = tuple(d[key])
        return cls(**d)


@dataclass(frozen=True)
class Problem:
    task_id: str
    prompt: str                          # the problem statement shown to the model
    tests: TestSuite
    source: str = ""                     # loader name, e.g. "humaneval", "livecodebench"
    starter_code: str = ""               # e.g. LeetCode class stub or HumanEval signature+docstring
    reference_solution: str | None = None  # a full program that passes `tests`, when the data has one
    difficulty: str | None = None        # "easy" / "medium" / "hard" where the data says
    contest_date: str | None = None      # ISO date (LiveCodeBench windows)
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["tests"] = self.tests.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Problem":
        d = dict(d)
        d["tests"] = TestSuite.from_dict(d["tests"])
        return cls(**d)
