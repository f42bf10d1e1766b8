"""`verify_batch`: the one parse -> execute / math-verify step shared by rewards and evaluation."""

from __future__ import annotations

import pytest

from recode_rl.data.schema import Problem
from recode_rl.execution.types import ExecutionResult, Verdict
from recode_rl.execution.types import TestResult as Result  # aliased: pytest would try to collect Test*
from recode_rl.execution.types import TestSuite as Suite
from recode_rl.rewards.parsing import ParsedResponse
from recode_rl.rewards.verify import verify_batch

ECHO = Problem(task_id="echo", prompt="Echo.", tests=Suite(kind="stdio", inputs=("1\n",), outputs=("1\n",)),
               metadata={"program_prefix": "import sys"})
HALF = Problem(task_id="half", prompt="Half of 1?", answer="\\frac{1}{2}")
CODE = "<think>t</think><answer>\n```python\nprint(input())\n```\n</answer>"


class FakeExecutor:
    """Records the jobs; every program passes."""

    def __init__(self, n_results: int | None = None):
        self.jobs: list = []
        self.n_results = n_results

    def __call__(self, jobs, limits=None, *, max_workers=None):
        self.jobs.extend(jobs)
        n = len(jobs) if self.n_results is None else self.n_results
        return [ExecutionResult(Verdict.PASSED, [Result(Verdict.PASSED)]) for _ in range(n)]


def test_mixed_batch_runs_code_once_and_checks_math_answers():
    ex = FakeExecutor()
    out = verify_batch([ECHO, HALF, ECHO, HALF], [CODE, "<think>x</think><answer>\\boxed{1/2}</answer>",
                                                 "no code here", "<think>x</think><answer>\\boxed{3}</answer>"],
                       executor=ex)
    # one executor call with the one extracted program (judge prefix first); math is never executed
    assert [prog for prog, _ in ex.jobs] == ["import sys\nprint(input())"] and ex.jobs[0][1] is ECHO.tests
    assert out[0].program == "import sys\nprint(input())" and out[0].result.all_passed
    assert out[2].result is None and out[2].program is None            # no code: nothing run
    assert out[1].program is None and out[1].result.all_passed         # math-verify: 1/2 == \frac{1}{2}
    assert out[3].result.verdict is Verdict.WRONG_ANSWER
    assert out[1].parsed.format_ok and out[1].parsed.code is None       # math parse: \boxed{} format


def test_given_parses_and_program_hook():
    ex = FakeExecutor()
    bare = [ParsedResponse(False, None, None, "print(1)", None), ParsedResponse(False, None, None, "  \n", None)]
    out = verify_batch([ECHO, ECHO], ["raw", "raw"], parsed=bare, program=lambda p, code: f"# {p.task_id}\n{code}",
                       executor=ex)
    assert [prog for prog, _ in ex.jobs] == ["# echo\nprint(1)"]       # blank code counts as no code
    assert out[0].parsed is bare[0] and out[1].result is None


def test_length_mismatches_and_short_executor_are_errors():
    with pytest.raises(ValueError, match="2 problems but 1 responses"):
        verify_batch([ECHO, ECHO], [CODE])
    with pytest.raises(ValueError, match="1 parsed responses for 2 responses"):
        verify_batch([ECHO, ECHO], [CODE, CODE], parsed=[ParsedResponse(True, None, None, "x", None)])
    with pytest.raises(RuntimeError, match="0 results for 1 jobs"):
        verify_batch([ECHO], [CODE], executor=FakeExecutor(n_results=0))
