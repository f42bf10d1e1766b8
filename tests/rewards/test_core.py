"""Every branch of every reward kind, with hand-computed values (recode_rl.rewards.core)."""

from __future__ import annotations

import math
import statistics

import pytest

from recode_rl.config import ConfigError, load_config
from recode_rl.execution import types as ex
from recode_rl.execution.types import ExecutionResult, Verdict
from recode_rl.rewards.core import RewardConfig, combine, compiler_term, needs_process_score
from recode_rl.rewards.parsing import ParsedResponse

V = Verdict
OK = ParsedResponse(True, "plan", "```python\nprint(1)\n```", "print(1)", None)
BAD_FORMAT = ParsedResponse(False, "plan", None, "print(1)", "text after </answer>")
NO_CODE = ParsedResponse(False, "plan", "no idea", None, "no python code block in <answer>; no python code found in the answer")
NO_THINK = ParsedResponse(False, None, None, "print(1)", "missing <think>")
MATH_OK = ParsedResponse(True, "plan", "\\boxed{4}", None, None)


def result(*verdicts: Verdict, job: Verdict | None = None) -> ExecutionResult:
    tests = [ex.TestResult(v) for v in verdicts]
    return ExecutionResult(job or ExecutionResult.overall(tests), tests, message="detail")


ALL_PASS = result(V.PASSED, V.PASSED, V.PASSED)
PARTIAL = result(V.PASSED, V.PASSED, V.WRONG_ANSWER)            # pass rate 2/3
ALL_FAIL = result(V.WRONG_ANSWER, V.WRONG_ANSWER, V.WRONG_ANSWER)
RUNTIME = result(V.PASSED, V.WRONG_ANSWER, V.RUNTIME_ERROR)     # WA first, RE later: RE wins
TIMEOUT = result(V.PASSED, V.TIMEOUT, V.NOT_RUN)
MEMORY = result(V.MEMORY_LIMIT, V.PASSED)
SYNTAX = ExecutionResult(V.SYNTAX_ERROR, [], error_type="SyntaxError", message="invalid syntax")
STOPPED = result(V.PASSED, V.WRONG_ANSWER, V.NOT_RUN, V.NOT_RUN)  # stop_on_first_failure
SANDBOX = result(V.SANDBOX_ERROR, V.NOT_RUN)
ONE_PASS = result(V.PASSED)
ONE_WRONG = result(V.WRONG_ANSWER)


def cfg(kind: str, **kw) -> RewardConfig:
    return RewardConfig(kind=kind, **kw)


# (kind, parsed, result, process, reward, outcome, pass_rate, process_term, gate_open, compiler)
CASES = [
    # recode: R_fmt + R_out + 1[R_out=1] R_proc
    ("recode", OK, ALL_PASS, 0.8, 2.8, 1.0, 1.0, 0.8, True, None),          # 1 + 1 + 0.8
    ("recode", OK, PARTIAL, 0.8, 1.0, 0.0, 2 / 3, 0.0, False, None),        # 1 + 0, score only monitored
    ("recode", OK, ALL_FAIL, None, 1.0, 0.0, 0.0, 0.0, False, None),        # 1 + 0
    ("recode", BAD_FORMAT, ALL_PASS, 0.8, 1.8, 1.0, 1.0, 0.8, True, None),  # 0 + 1 + 0.8: gate ignores format
    ("recode", NO_CODE, None, None, 0.0, 0.0, 0.0, 0.0, False, None),       # 0 + 0, executor not run
    ("recode", NO_THINK, ALL_PASS, None, 1.0, 1.0, 1.0, 0.0, True, None),   # 0 + 1 + 0: no reasoning to reward
    ("recode", OK, SYNTAX, None, 1.0, 0.0, 0.0, 0.0, False, None),          # 1 + 0
    # direct: R_fmt + R_out + R_proc
    ("direct", OK, ALL_PASS, 0.8, 2.8, 1.0, 1.0, 0.8, True, None),          # 1 + 1 + 0.8
    ("direct", OK, ALL_FAIL, 0.8, 1.8, 0.0, 0.0, 0.8, True, None),          # 1 + 0 + 0.8: wrong code still paid
    ("direct", NO_CODE, None, 0.6, 0.6, 0.0, 0.0, 0.6, True, None),         # 0 + 0 + 0.6
    ("direct", NO_THINK, ALL_FAIL, None, 0.0, 0.0, 0.0, 0.0, True, None),   # 0 + 0 + 0: nothing to score
    # soft: R_fmt + R_out + pass_rate R_proc
    ("soft", OK, PARTIAL, 0.9, 1.6, 0.0, 2 / 3, 0.6, True, None),           # 1 + 0 + 2/3 * 0.9
    ("soft", OK, ALL_PASS, 0.9, 2.9, 1.0, 1.0, 0.9, True, None),            # 1 + 1 + 1 * 0.9
    ("soft", OK, ALL_FAIL, None, 1.0, 0.0, 0.0, 0.0, False, None),          # 1 + 0, gate closed at pass rate 0
    ("soft", BAD_FORMAT, RUNTIME, 0.5, 1 / 6, 0.0, 1 / 3, 1 / 6, True, None),  # 0 + 0 + 1/3 * 0.5
    # outcome: R_fmt + R_out
    ("outcome", OK, ALL_PASS, 0.8, 2.0, 1.0, 1.0, 0.0, False, None),        # 1 + 1 (score ignored)
    ("outcome", OK, ALL_FAIL, None, 1.0, 0.0, 0.0, 0.0, False, None),
    ("outcome", BAD_FORMAT, ALL_PASS, None, 1.0, 1.0, 1.0, 0.0, False, None),
    ("outcome", NO_CODE, None, None, 0.0, 0.0, 0.0, 0.0, False, None),
    # compiler: R_fmt + C
    ("compiler", OK, ALL_PASS, None, 2.0, 1.0, 1.0, 0.0, False, 1.0),       # 1 + 1
    ("compiler", OK, PARTIAL, None, 0.7, 0.0, 2 / 3, 0.0, False, -0.3),     # 1 - 0.3
    ("compiler", OK, ALL_FAIL, None, 0.7, 0.0, 0.0, 0.0, False, -0.3),
    ("compiler", OK, STOPPED, None, 0.7, 0.0, 0.25, 0.0, False, -0.3),      # NOT_RUN after WA is not a crash
    ("compiler", OK, RUNTIME, None, 0.4, 0.0, 1 / 3, 0.0, False, -0.6),     # 1 - 0.6
    ("compiler", OK, TIMEOUT, None, 0.4, 0.0, 1 / 3, 0.0, False, -0.6),
    ("compiler", OK, MEMORY, None, 0.4, 0.0, 0.5, 0.0, False, -0.6),
    ("compiler", OK, SYNTAX, None, 0.0, 0.0, 0.0, 0.0, False, -1.0),        # 1 - 1
    ("compiler", NO_CODE, None, None, -1.0, 0.0, 0.0, 0.0, False, -1.0),    # 0 - 1
    ("compiler", BAD_FORMAT, ALL_FAIL, None, -0.3, 0.0, 0.0, 0.0, False, -0.3),  # 0 - 0.3
    # compiler+recode: R_fmt + C + R_out + 1[R_out=1] R_proc
    ("compiler+recode", OK, ALL_PASS, 0.8, 3.8, 1.0, 1.0, 0.8, True, 1.0),  # 1 + 1 + 1 + 0.8
    ("compiler+recode", OK, PARTIAL, 0.8, 0.7, 0.0, 2 / 3, 0.0, False, -0.3),  # 1 - 0.3 + 0 + 0
    ("compiler+recode", OK, TIMEOUT, None, 0.4, 0.0, 1 / 3, 0.0, False, -0.6),
    ("compiler+recode", OK, SYNTAX, None, 0.0, 0.0, 0.0, 0.0, False, -1.0),
    ("compiler+recode", NO_CODE, None, None, -1.0, 0.0, 0.0, 0.0, False, -1.0),
    # math: R_fmt + R_out + 1[R_out=1] R_proc, the outcome is a one-test answer check
    ("math", MATH_OK, ONE_PASS, 0.7, 2.7, 1.0, 1.0, 0.7, True, None),       # 1 + 1 + 0.7
    ("math", MATH_OK, ONE_WRONG, 0.7, 1.0, 0.0, 0.0, 0.0, False, None),     # 1 + 0
    ("math", NO_CODE, ONE_PASS, 0.5, 1.5, 1.0, 1.0, 0.5, True, None),       # 0 + 1 + 0.5: code irrelevant for math
    # math-outcome (Table 3's +GRPO): R_fmt + R_out, a process score is never used
    ("math-outcome", MATH_OK, ONE_PASS, 0.7, 2.0, 1.0, 1.0, 0.0, False, None),   # 1 + 1 (score ignored)
    ("math-outcome", MATH_OK, ONE_WRONG, None, 1.0, 0.0, 0.0, 0.0, False, None),  # 1 + 0
    ("math-outcome", NO_CODE, ONE_PASS, None, 1.0, 1.0, 1.0, 0.0, False, None),   # 0 + 1: bad format, right answer
    ("math-outcome", NO_CODE, ONE_WRONG, None, 0.0, 0.0, 0.0, 0.0, False, None),  # 0 + 0
]


@pytest.mark.parametrize("kind, parsed, res, process, reward, outcome, pass_rate, term, gate, comp", CASES)
def test_reward_branches(kind, parsed, res, process, reward, outcome, pass_rate, term, gate, comp):
    r = combine(cfg(kind), parsed, res, process)
    assert r.reward == pytest.approx(reward)
    assert r.format == (1.0 if parsed.format_ok else 0.0)
    assert r.outcome == outcome
    assert r.pass_rate == pytest.approx(pass_rate)
    assert r.process_term == pytest.approx(term)
    assert r.gate_open is gate
    assert r.compiler == (None if comp is None else pytest.approx(comp))
    assert r.process == process
    assert r.verdict == (None if res is None else res.summary())
    assert r.errors == []
    assert r.parse_reason == parsed.reason


def test_weights_are_configuration():
    c = cfg("recode", w_format=0.5, w_outcome=2.0, w_process=0.5)
    assert combine(c, OK, ALL_PASS, 0.8).reward == pytest.approx(0.5 + 2.0 + 0.4)
    c = cfg("compiler", w_compiler=2.0, compiler_wrong_answer=-0.5)
    assert combine(c, OK, PARTIAL, None).reward == pytest.approx(1.0 - 1.0)      # 1 + 2 * -0.5
    # compiler+recode with w_outcome=0: the compiler term replaces the binary outcome.
    c = cfg("compiler+recode", w_outcome=0.0)
    assert combine(c, OK, ALL_PASS, 0.8).reward == pytest.approx(1.0 + 1.0 + 0.8)


def test_gate_requires_format():
    c = cfg("recode", gate_requires_format=True)
    r = combine(c, BAD_FORMAT, ALL_PASS, 0.8)
    assert (r.reward, r.gate_open, r.process_term, r.process) == (1.0, False, 0.0, 0.8)  # 0 + 1, score kept
    assert not needs_process_score(c, BAD_FORMAT, ALL_PASS)
    assert needs_process_score(c, OK, ALL_PASS)


# ----- errors are recorded, never silent -----------------------------------------------------------

def test_missing_process_score_is_an_error():
    r = combine(cfg("recode"), OK, ALL_PASS, None)
    assert r.reward == 2.0 and r.process_term == 0.0
    assert r.errors == ["process score required (gate open, think text present) but none was given"]


@pytest.mark.parametrize("bad", [1.5, -0.1, float("nan"), float("inf")])
def test_out_of_range_process_score_is_an_error(bad):
    r = combine(cfg("direct"), OK, ALL_PASS, bad)
    assert r.reward == 2.0 and r.process is None and r.process_term == 0.0
    assert len(r.errors) == 2 and "not a number in [0, 1]" in r.errors[0]


def test_code_without_result_is_an_error():
    r = combine(cfg("recode"), OK, None, None)
    assert r.outcome == 0.0 and r.reward == 1.0 and r.verdict is None
    assert r.errors == ["no execution result for a response that has code"]
    r = combine(cfg("math"), MATH_OK, None, None)
    assert r.errors == ["no answer check result for a response that has an answer"]
    assert combine(cfg("math-outcome"), MATH_OK, None, None).errors == r.errors


def test_result_without_code_is_ignored_with_an_error():
    r = combine(cfg("recode"), NO_CODE, ALL_PASS, None)
    assert r.outcome == 0.0 and r.reward == 0.0 and r.verdict is None
    assert "without extracted code" in r.errors[0]


def test_sandbox_error_never_passes_and_is_counted():
    r = combine(cfg("compiler"), OK, SANDBOX, None)
    assert r.outcome == 0.0 and r.compiler == -0.6 and r.reward == pytest.approx(0.4)
    assert r.errors == ["sandbox error: detail"]


def test_passed_with_zero_tests_is_not_a_pass():
    empty = ExecutionResult(V.PASSED, [])
    r = combine(cfg("compiler+recode"), OK, empty, None)
    assert r.outcome == 0.0 and r.compiler == -0.3 and r.reward == pytest.approx(0.7)
    assert r.errors == ["verdict PASSED but no test was run; counted as not passed"]


def test_compiler_term_mapping():
    c = RewardConfig(kind="compiler")
    assert compiler_term(c, None) == -1.0
    assert compiler_term(c, result(V.WRONG_ANSWER, V.SYNTAX_ERROR)) == -1.0
    assert compiler_term(c, result(V.RUNTIME_ERROR, V.WRONG_ANSWER)) == -0.6   # order-independent
    assert compiler_term(c, result(V.WRONG_ANSWER, V.RUNTIME_ERROR)) == -0.6
    assert compiler_term(c, ExecutionResult(V.NOT_RUN, [])) == -0.6
    assert compiler_term(c, ALL_PASS) == 1.0


# ----- the gating decision before scoring ---------------------------------------------------------

@pytest.mark.parametrize("kind, parsed, res, expected", [
    ("recode", OK, ALL_PASS, True), ("recode", OK, PARTIAL, False), ("recode", NO_THINK, ALL_PASS, False),
    ("recode", NO_CODE, None, False), ("recode", BAD_FORMAT, ALL_PASS, True),
    ("compiler+recode", OK, ALL_PASS, True), ("compiler+recode", OK, ALL_FAIL, False),
    ("math", MATH_OK, ONE_PASS, True), ("math", MATH_OK, ONE_WRONG, False), ("math", MATH_OK, None, False),
    ("soft", OK, PARTIAL, True), ("soft", OK, ALL_FAIL, False), ("soft", NO_CODE, None, False),
    ("direct", OK, ALL_FAIL, True), ("direct", NO_CODE, None, True), ("direct", NO_THINK, ALL_PASS, False),
    ("outcome", OK, ALL_PASS, False), ("compiler", OK, ALL_PASS, False),
    ("math-outcome", MATH_OK, ONE_PASS, False), ("math-outcome", MATH_OK, ONE_WRONG, False),
])
def test_needs_process_score(kind, parsed, res, expected):
    assert needs_process_score(cfg(kind), parsed, res) is expected


@pytest.mark.parametrize("kind", ["recode", "soft", "outcome", "compiler", "compiler+recode", "math", "math-outcome"])
def test_score_failing_scores_but_never_rewards(kind):
    c = cfg(kind, score_failing=True)
    assert needs_process_score(c, OK, ALL_FAIL)
    assert not needs_process_score(c, NO_THINK, ALL_FAIL)      # still nothing to score
    plain = combine(cfg(kind), OK, ALL_FAIL, None)
    monitored = combine(c, OK, ALL_FAIL, 0.9)
    assert monitored.reward == plain.reward and monitored.process == 0.9 and monitored.process_term == 0.0
    assert monitored.errors == []


# ----- groups: why the gate matters for GRPO -------------------------------------------------------

def grpo_advantages(rewards: list[float], eps: float = 1e-4) -> list[float]:
    """(r - mean) / (std + eps) within one group; sample std as torch.std / TRL."""
    mean, std = statistics.fmean(rewards), statistics.stdev(rewards)
    return [(r - mean) / (std + eps) for r in rewards]


def test_gate_separates_an_all_pass_group():
    scores = [0.9, 0.6, 0.3, 0.2]
    recode = [combine(cfg("recode"), OK, ALL_PASS, s).reward for s in scores]
    outcome = [combine(cfg("outcome"), OK, ALL_PASS, s).reward for s in scores]
    assert recode == pytest.approx([2.9, 2.6, 2.3, 2.2]) and outcome == [2.0] * 4
    # Outcome-only: every sample equals the mean -> zero advantage, no learning signal.
    assert grpo_advantages(outcome) == [0.0] * 4
    # ReCode: mean 2.5, deviations [0.4, 0.1, -0.2, -0.3], sample std sqrt(0.30 / 3) = 0.316228.
    expected = [d / (math.sqrt(0.1) + 1e-4) for d in (0.4, 0.1, -0.2, -0.3)]   # ~[1.2645, 0.3161, -0.6323, -0.9484]
    assert grpo_advantages(recode) == pytest.approx(expected)


def test_all_fail_group_gets_no_reasoning_signal_under_the_gate():
    scores = [0.9, 0.6, 0.3, 0.2]
    recode = [combine(cfg("recode"), OK, ALL_FAIL, s).reward for s in scores]
    direct = [combine(cfg("direct"), OK, ALL_FAIL, s).reward for s in scores]
    assert recode == [1.0] * 4 and grpo_advantages(recode) == [0.0] * 4
    # Direct addition pays reasoning style on wrong code: the hacking pathway.
    assert direct == pytest.approx([1.9, 1.6, 1.3, 1.2])
    assert grpo_advantages(direct)[0] > 1.0


def test_config_validation_and_overrides():
    c = load_config(RewardConfig, None, ["kind=soft", "w_process=0.5", "score_failing=true"])
    assert (c.kind, c.w_process, c.score_failing) == ("soft", 0.5, True)
    with pytest.raises(ConfigError, match="kind"):
        load_config(RewardConfig, None, ["kind=bogus"])
    with pytest.raises(ConfigError, match="unknown key"):
        load_config(RewardConfig, None, ["w_proces=1"])


def test_to_dict_is_json_ready():
    import json

    d = combine(cfg("recode"), OK, ALL_PASS, 0.8).to_dict()
    assert json.loads(json.dumps(d))["verdict"] == {"verdict": "passed", "passed": 3, "total": 3,
                                                   "seconds": 0.0, "error_type": None, "message": "detail",
                                                   "trust": "strong"}


def test_think_words_counts_the_reasoning_length():
    cfg = RewardConfig(kind="outcome")
    long = ParsedResponse(True, "keep the big ones,  then\nsum", "```python\nprint(1)\n```", "print(1)", None)
    assert combine(cfg, long, ONE_PASS, None).think_words == 6
    assert combine(cfg, NO_THINK, ONE_PASS, None).think_words == 0
