"""score_batch: parse -> execute -> gated scoring -> combine, with hand-computed rewards."""

from __future__ import annotations

import pytest

from recode_rl.config import ConfigError
from recode_rl.data.schema import Problem
from recode_rl.execution.types import TestSuite as Suite  # aliased: pytest would try to collect Test*
from recode_rl.execution.types import ExecutionResult, Verdict
from recode_rl.execution.types import TestResult as TR
from recode_rl.rewards.core import RewardConfig
from recode_rl.rewards.pipeline import score_batch
from recode_rl.rewards.scorer import NoScorer, ScorerError


def _problem(i: int, prefix: str = "") -> Problem:
    tests = Suite(kind="stdio", inputs=("1 2\n", "3 4\n"), outputs=("3\n", "7\n"))
    return Problem(task_id=f"p{i}", prompt=f"Problem {i}: add two numbers.", tests=tests,
                   metadata={"program_prefix": prefix} if prefix else {})


def fake_executor(calls: list):
    """Verdict chosen by a marker in the program: PASS / WRONG (1 of 2 fails) / RTE / SYNTAX."""

    def run(jobs, limits=None, *, max_workers=None):
        calls.append(list(jobs))
        out = []
        for program, tests in jobs:
            n = len(tests)
            if "PASS" in program:
                ts = [TR(Verdict.PASSED)] * n
            elif "WRONG" in program:
                ts = [TR(Verdict.PASSED)] + [TR(Verdict.WRONG_ANSWER)] * (n - 1)
            elif "RTE" in program:
                ts = [TR(Verdict.RUNTIME_ERROR, error_type="ValueError")] * n
            else:
                out.append(ExecutionResult(Verdict.SYNTAX_ERROR, [TR(Verdict.SYNTAX_ERROR)] * n))
                continue
            out.append(ExecutionResult(ExecutionResult.overall(ts), ts))
        return out

    return run


class RecordingScorer:
    """score = len(think) / 100; records every call."""

    name = "recording"

    def __init__(self):
        self.calls: list[tuple[list[str], list[str]]] = []

    def score(self, problems, reasonings):
        self.calls.append((list(problems), list(reasonings)))
        return [min(len(r) / 100, 1.0) for r in reasonings]


def ok(think: str, code: str) -> str:
    return f"<think>{think}</think><answer>\n```python\n{code}\n```\n</answer>"


THINK0 = "x" * 40          # score 0.4
THINK1 = "y" * 20          # score 0.2
THINK4 = "z" * 60          # score 0.6
RESPONSES = [
    ok(THINK0, "print('PASS')"),                                   # 0: format ok, all pass
    ok(THINK1, "print('WRONG')"),                                  # 1: format ok, 1/2 tests
    "Here you go:\n```python\nprint('RTE')\n```",                  # 2: no tags, runtime error
    "I do not know.",                                              # 3: no code at all
    f"<think>{THINK4}</think>\n```python\nprint('PASS')\n```",     # 4: no <answer>: format 0, passes
]
PROBLEMS = [_problem(0, prefix="import sys"), _problem(1), _problem(2), _problem(3), _problem(4)]


def run(kind: str, scorer=None, **cfg):
    calls: list = []
    scorer = scorer if scorer is not None else RecordingScorer()
    rewards, metrics = score_batch(PROBLEMS, RESPONSES, RewardConfig(kind=kind, **cfg), scorer,
                                   executor=fake_executor(calls))
    return rewards, metrics, calls, scorer


def test_recode_gate_hand_computed():
    rewards, m, calls, scorer = run("recode")
    # R = fmt + out + 1[out=1] * P
    assert [r.reward for r in rewards] == pytest.approx([1 + 1 + 0.4, 1 + 0, 0 + 0, 0, 0 + 1 + 0.6])
    assert [r.process for r in rewards] == [pytest.approx(0.4), None, None, None, pytest.approx(0.6)]
    # the executor ran once, on the 4 responses with code, with the judge prefix prepended
    assert len(calls) == 1 and len(calls[0]) == 4
    assert calls[0][0][0] == "import sys\nprint('PASS')"
    assert calls[0][1][0] == "print('WRONG')"
    # the scorer ran once, only for the two passing samples, with problem statement + think text
    assert scorer.calls == [(["Problem 0: add two numbers.", "Problem 4: add two numbers."], [THINK0, THINK4])]
    assert m["scorer_calls"] == 2 and m["scorer_calls_saved"] == 3
    assert m["n"] == 5
    assert m["format_rate"] == pytest.approx(2 / 5)
    assert m["outcome_rate"] == pytest.approx(2 / 5)
    assert m["test_pass_rate"] == pytest.approx((1 + 0.5 + 0 + 0 + 1) / 5)
    assert m["reward_mean"] == pytest.approx((2.4 + 1 + 0 + 0 + 1.6) / 5)
    assert m["process_term_mean"] == pytest.approx((0.4 + 0.6) / 5)
    assert m["process_gated_mean"] == pytest.approx(0.5)
    assert m["process_ungated_mean"] == pytest.approx(0.5)
    assert m["process_failing_mean"] is None            # nothing scored for monitoring
    assert m["compiler_mean"] is None
    assert (m["exec_passed"], m["exec_wrong_answer"], m["exec_runtime_error"], m["no_code"]) == (2, 1, 1, 1)
    assert m["exec_timeout"] == 0 and m["reward_errors"] == 0
    assert m["time_total_s"] >= m["time_execution_s"] + m["time_scoring_s"]
    assert 0 <= m["execution_share"] <= 1 and 0 <= m["scoring_share"] <= 1


def test_score_failing_monitors_without_changing_rewards():
    base, _, _, _ = run("recode")
    rewards, m, _, scorer = run("recode", score_failing=True)
    assert [r.reward for r in rewards] == pytest.approx([r.reward for r in base])
    # sample 1 (failing, has think) is now scored but its 0.2 stays out of the reward
    assert scorer.calls[0][1] == [THINK0, THINK1, THINK4]
    assert rewards[1].process == pytest.approx(0.2) and rewards[1].process_term == 0.0
    assert m["scorer_calls"] == 3 and m["scorer_calls_saved"] == 2
    assert m["process_gated_mean"] == pytest.approx(0.5)
    assert m["process_failing_mean"] == pytest.approx(0.2)
    assert m["process_ungated_mean"] == pytest.approx((0.4 + 0.2 + 0.6) / 3)


def test_direct_and_soft():
    rewards, m, _, _ = run("direct")
    # every sample with think text is scored and rewarded, pass or not
    assert [r.reward for r in rewards] == pytest.approx([2.4, 1 + 0.2, 0, 0, 1.6])
    assert m["scorer_calls"] == 3
    rewards, _, _, _ = run("soft")
    # soft: pass_rate * P; sample 1 passes half its tests
    assert [r.reward for r in rewards] == pytest.approx([2.4, 1 + 0.5 * 0.2, 0, 0, 1.6])


def test_compiler_kind():
    rewards, m, _, scorer = run("compiler")
    # fmt + C; C: +1 pass, -0.3 wrong answer, -0.6 runtime error, -1 no code
    assert [r.reward for r in rewards] == pytest.approx([1 + 1, 1 - 0.3, 0 - 0.6, 0 - 1, 0 + 1])
    assert m["compiler_mean"] == pytest.approx((1 - 0.3 - 0.6 - 1 + 1) / 5)
    assert scorer.calls == [] and m["scorer_calls_saved"] == 5
    rewards, _, _, _ = run("compiler+recode")
    assert [r.reward for r in rewards] == pytest.approx([1 + 1 + 1 + 0.4, 1 - 0.3 + 0, -0.6, -1, 0 + 1 + 1 + 0.6])


def test_outcome_with_no_scorer_and_recode_requires_one():
    rewards, m, _, _ = run("outcome", scorer=NoScorer())
    assert [r.reward for r in rewards] == pytest.approx([2, 1, 0, 0, 1])
    assert m["scorer_calls"] == 0 and m["process_ungated_mean"] is None
    # score_failing with no scorer: nothing to monitor, not an error
    run("outcome", scorer=NoScorer(), score_failing=True)
    with pytest.raises(ConfigError, match="needs a process scorer"):
        run("recode", scorer=NoScorer())


def test_bad_scorer_output_is_loud():
    class Short:
        name = "short"

        def score(self, problems, reasonings):
            return [0.5]

    with pytest.raises(ScorerError, match="short: expected 2 scores, got 1"):
        run("recode", scorer=Short())


def test_executor_length_mismatch_and_empty_batch():
    with pytest.raises(RuntimeError, match="executor returned 0 results for 4 jobs"):
        score_batch(PROBLEMS, RESPONSES, RewardConfig(), RecordingScorer(), executor=lambda jobs, limits=None, **kw: [])
    with pytest.raises(ValueError, match="5 problems but 1 responses"):
        score_batch(PROBLEMS, RESPONSES[:1], RewardConfig(), RecordingScorer())
    rewards, m = score_batch([], [], RewardConfig(), RecordingScorer(), executor=fake_executor([]))
    assert rewards == [] and m["n"] == 0 and m["reward_mean"] is None


def test_real_executor_end_to_end():
    """The real sandboxed executor on tiny stdio programs (correct, wrong, crashing, slow)."""
    from recode_rl.execution.types import Limits

    responses = [
        ok("Read two ints and print the sum.", "a, b = map(int, input().split())\nprint(a + b)"),
        ok("Print the product by mistake.", "a, b = map(int, input().split())\nprint(a * b)"),
        ok("Crash on purpose.", "raise ValueError('boom')"),
        ok("Loop forever.", "while True:\n    pass"),
        ok("Broken syntax.", "def f(:\n  pass"),
    ]
    problems = [_problem(i) for i in range(len(responses))]
    scorer = RecordingScorer()
    rewards, m = score_batch(problems, responses, RewardConfig(kind="recode"), scorer,
                             limits=Limits(timeout=0.5), max_workers=2)
    assert [r.outcome for r in rewards] == [1, 0, 0, 0, 0]
    assert rewards[0].reward == pytest.approx(2 + len("Read two ints and print the sum.") / 100)
    assert [r.reward for r in rewards[1:]] == [1, 1, 1, 1]
    assert rewards[1].pass_rate == pytest.approx(0.0)   # 1*2=2 != 3, 3*4=12 != 7
    assert (m["exec_passed"], m["exec_wrong_answer"], m["exec_runtime_error"], m["exec_timeout"],
            m["exec_syntax_error"]) == (1, 1, 1, 1, 1)
    assert m["scorer_calls"] == 1 and m["scorer_calls_saved"] == 4


def test_math_kind_uses_math_verify_against_the_problem_answer():
    from recode_rl.errors import DataError

    problem = Problem(task_id="m1", prompt="What is 1/2 + 0?", answer="\\frac{1}{2}")  # no tests: never executed
    responses = ["<think>half</think><answer>The answer is \\boxed{\\frac{1}{2}}</answer>",
                 "<think>guess</think><answer>\\boxed{3}</answer>",
                 "<think>no box</think><answer>1/2</answer>"]
    scorer = RecordingScorer()
    rewards, m = score_batch([problem] * 3, responses, RewardConfig(kind="math"), scorer)
    # fmt + out + 1[out=1] * P; the third has no \boxed{}: format 0, wrong
    assert [r.reward for r in rewards] == pytest.approx([1 + 1 + 0.04, 1 + 0, 0])
    assert scorer.calls == [(["What is 1/2 + 0?"], ["half"])]
    assert m["exec_passed"] == 1 and m["exec_wrong_answer"] == 2
    code = Problem(task_id="m2", prompt="?", tests=Suite(kind="assertion", assertions=("True",)))
    with pytest.raises(DataError, match="problem m2, field 'answer'"):
        score_batch([code], responses[:1], RewardConfig(kind="math"), scorer)
    with pytest.raises(DataError, match="problem m1, field 'tests'.*use reward kind 'math'"):
        score_batch([problem], responses[:1], RewardConfig(kind="outcome"), scorer)


def test_weak_trust_problems_are_refused_unless_opted_in():
    from recode_rl.errors import DataError

    weak = [Problem(task_id=f"bcb/{i}", prompt="?", tests=Suite(kind="unittest", preamble="import unittest\n"))
            for i in range(2)]
    compiled = Problem(task_id="he/0", prompt="?", tests=Suite(kind="functional", inputs=([1],), outputs=(2,),
                                                                    fn_name="f"))
    problems = [compiled, *weak, weak[0]]
    calls: list = []
    with pytest.raises(DataError, match=r"2 problem\(s\) have tests with trust: weak.*: bcb/0, bcb/1\. "
                                        r".*reward\.allow_weak_trust: true"):
        score_batch(problems, ["print('PASS')"] * 4, RewardConfig(kind="outcome"), NoScorer(),
                    executor=fake_executor(calls))
    assert calls == []   # refused before anything ran
    rewards, _ = score_batch(problems, [ok("t", "print('PASS')")] * 4,
                             RewardConfig(kind="outcome", allow_weak_trust=True), NoScorer(),
                             executor=fake_executor(calls))
    assert [r.reward for r in rewards] == [2.0] * 4 and len(calls[0]) == 4
    assert [r.verdict["trust"] for r in rewards] == ["strong"] * 4   # the fake executor's results


def test_weak_trust_names_at_most_twenty_tasks():
    from recode_rl.errors import DataError
    from recode_rl.rewards.pipeline import check_trust

    weak = [Problem(task_id=f"t{i}", prompt="?", tests=Suite(kind="assertion", assertions=("assert True",)))
            for i in range(25)]
    with pytest.raises(DataError, match=r"^train-rl data.train: 25 problem\(s\).*t19, \.\.\. \(25 in all\)"):
        check_trust(weak, RewardConfig(), "train-rl data.train")
    check_trust(weak, RewardConfig(allow_weak_trust=True))   # opted in: no error
    check_trust([Problem(task_id="m", prompt="?", answer="1")], RewardConfig(kind="math"))  # math: no tests
