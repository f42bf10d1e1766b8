"""Math outcome: last boxed answer, math-verify equivalence, our own timeout (recode_rl.rewards.math)."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import threading

import pytest

from recode_rl.execution.types import Verdict
from recode_rl.rewards.core import RewardConfig, combine
from recode_rl.rewards.math import MathVerifier, check_answer, check_answers, extract_boxed, parse_math_response


def respond(think: str = "2 + 2 = 4", answer: str = "The answer is \\boxed{4}.") -> str:
    return f"<think>{think}</think>\n<answer>{answer}</answer>"


@pytest.mark.parametrize("text, expected", [
    ("so \\boxed{3} and finally \\boxed{4}", "4"),                 # last one wins
    ("\\boxed{\\frac{1}{2}}", "\\frac{1}{2}"),                      # nested braces
    ("\\boxed{ x^{2} + 1 }", "x^{2} + 1"),                          # stripped
    ("\\boxed{3} then \\boxed{\\frac{1}{2", "3"),                   # last is unclosed (truncated)
    ("\\boxed{3} then \\boxed{  }", "3"),                           # last is empty
    ("\\fbox{7}", "7"),
    ("no box here, 42", None),
])
def test_extract_boxed(text, expected):
    assert extract_boxed(text) == expected


def test_parse_math_response():
    p = parse_math_response(respond())
    assert p.format_ok and p.reason is None and p.code is None
    assert p.think == "2 + 2 = 4" and p.answer == "The answer is \\boxed{4}."
    p = parse_math_response(respond(answer="4"))
    assert not p.format_ok and p.reason == "no \\boxed{} in <answer>; no \\boxed{} answer found"
    p = parse_math_response("I think it is \\boxed{4}")
    assert not p.format_ok and p.reason == "missing <think>"          # still has an answer to check
    p = parse_math_response(respond() + " extra")
    assert p.reason == "text after </answer>"


def test_check_answer_equivalences():
    cases = [
        (respond(answer="\\boxed{\\frac{1}{2}}"), "0.5", Verdict.PASSED),
        (respond(answer="\\boxed{0.5}"), "$\\frac{1}{2}$", Verdict.PASSED),   # gold with $ delimiters
        (respond(answer="\\boxed{x^2+1}"), "1 + x^2", Verdict.PASSED),
        (respond(answer="\\boxed{5}"), "4", Verdict.WRONG_ANSWER),
        # The answer section is searched, not the think text.
        (respond(think="maybe \\boxed{4}", answer="\\boxed{5}"), "5", Verdict.PASSED),
        # Without an answer section the whole response is searched.
        ("blah \\boxed{3} ... so \\boxed{4}", "\\boxed{4}", Verdict.PASSED),
    ]
    results = check_answers([(r, g) for r, g, _ in cases])
    assert [r.verdict for r in results] == [v for _, _, v in cases]
    assert all(r.total == 1 for r in results)


def test_no_boxed_answer_is_wrong_without_running_the_checker():
    r = check_answer(respond(answer="four"), "4")
    assert r.verdict is Verdict.WRONG_ANSWER and r.message == "no \\boxed{} answer" and r.seconds == 0.0


def test_unparseable_gold_is_a_sandbox_error_counted_by_combine():
    r = check_answer(respond(), "\\frac{")
    assert r.verdict is Verdict.SANDBOX_ERROR and "gold answer" in r.message
    reward = combine(RewardConfig(kind="math"), parse_math_response(respond()), r, None)
    assert reward.outcome == 0.0 and reward.reward == 1.0 and reward.errors[0].startswith("sandbox error")


def test_math_reward_end_to_end():
    text = respond()
    parsed = parse_math_response(text)
    r = combine(RewardConfig(kind="math"), parsed, check_answer(text, "4"), 0.25)
    assert (r.reward, r.outcome, r.gate_open, r.process_term) == (2.25, 1.0, True, 0.25)   # 1 + 1 + 0.25


def test_timeout_off_the_main_thread_kills_and_restarts_the_worker():
    # 9^(9^(9^9)) vs 2 makes sympy compute forever; math-verify's SIGALRM timeout cannot run here.
    out = {}

    def work():
        with MathVerifier(timeout=1.0) as v:
            out["slow"] = v.check("\\boxed{9^{9^{9^{9}}}}", "2")
            out["after"] = v.check("\\boxed{4}", "4")
            out["restarts"] = v.restarts

    t = threading.Thread(target=work)
    t.start()
    t.join(120)
    assert not t.is_alive()
    assert out["slow"].verdict is Verdict.TIMEOUT and out["slow"].message == "answer check exceeded 1s"
    assert out["after"].verdict is Verdict.PASSED
    assert out["restarts"] == 1


def _check_in_child(_: int) -> str:
    return check_answer("\\boxed{6}", "6").verdict.value


def test_works_inside_daemonic_pool_workers():
    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.map(_check_in_child, [0]) == ["passed"]


def test_worker_crash_is_a_sandbox_error():
    # A "worker" that says ready and exits: the check sees EOF, not a hang.
    argv = [sys.executable, "-c", "print('{\"ready\": true}', flush=True)"]
    with MathVerifier(timeout=30.0, worker_argv=argv) as v:
        r = v.check("\\boxed{1}", "1")
    assert r.verdict is Verdict.SANDBOX_ERROR and v.restarts == 1


def test_worker_that_never_starts_raises():
    with pytest.raises(RuntimeError, match="did not start"):
        MathVerifier(worker_argv=[sys.executable, "-c", "pass"]).check("\\boxed{1}", "1")


def test_check_answers_with_several_workers_keeps_order():
    items = [("\\boxed{1}", "1"), ("\\boxed{2}", "3"), ("\\boxed{\\sqrt{4}}", "2")]
    verdicts = [r.verdict for r in check_answers(items, max_workers=2)]
    assert verdicts == [Verdict.PASSED, Verdict.WRONG_ANSWER, Verdict.PASSED]


def test_worker_crash_before_the_request_is_written_is_a_sandbox_error():
    # The worker exits right after saying ready; the request write itself hits a closed pipe
    # (BrokenPipeError), and closing the pipe afterwards must not raise either.
    argv = [sys.executable, "-c", "import os; print('{\"ready\": true}', flush=True); os._exit(0)"]
    with MathVerifier(timeout=30.0, worker_argv=argv) as v:
        v._start()
        v._proc.wait()   # make sure it is gone before we write
        r = v.check("\\boxed{1}" + " " * 200_000, "1")   # larger than a pipe buffer
    assert r.verdict is Verdict.SANDBOX_ERROR and v.restarts == 1


def test_restart_is_not_charged_to_the_next_check_under_load():
    # Two CPU-bound processes beside us (as on a busy 2-core CI machine); after a timeout the worker
    # restarts (imports sympy: seconds under load) and the next, trivial check must still pass its
    # 1 s budget, because start-up and warm-up have their own budget.
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        with MathVerifier(timeout=1.0) as v:
            assert v.check("\\boxed{9^{9^{9^{9}}}}", "2").verdict is Verdict.TIMEOUT
            after = [v.check("\\boxed{4}", "4").verdict for _ in range(3)]
    finally:
        for b in burners:
            b.kill()
            b.wait()
    assert after == [Verdict.PASSED] * 3
