"""The ReCode reward family: one typed config, one result type, one `combine` for every kind.

Per sample (F = R_fmt in {0,1}, O = R_out in {0,1}, p = pass rate, P = process score in [0,1],
C = compiler term; weights w_* from `RewardConfig`, all 1 by default):

    recode           w_fmt F + w_out O + 1[O = 1] w_proc P          (CG-GRPO, the paper's method)
    direct           w_fmt F + w_out O + w_proc P                   (ablation: no gate)
    soft             w_fmt F + w_out O + p w_proc P                 (ablation: soft gate)
    outcome          w_fmt F + w_out O                              (plain GRPO)
    compiler         w_fmt F + w_comp C                             (StepCoder-style ablation)
    compiler+recode  w_fmt F + w_comp C + w_out O + 1[O = 1] w_proc P
    math             w_fmt F + w_out O + 1[O = 1] w_proc P          (O = boxed answer correct; see math.py)
    math-outcome     w_fmt F + w_out O                              (plain GRPO on math: Table 3's +GRPO)

O = 1 iff the executor verdict is PASSED with at least one test. A response without extractable
code gets O = 0 and the executor is not run (`result` must be None). C follows CodeRL's
`get_reward`, on which StepCoder builds, and is order-independent: the most severe outcome over
the job verdict and every test verdict wins — syntax error (or no code) -1 > runtime error,
timeout, memory limit -0.6 > wrong answer -0.3; +1 only if all pass. NOT_RUN tests (skipped
after an earlier failure) are ignored; a job whose own verdict is NOT_RUN scores -0.6. A
SANDBOX_ERROR (the harness failed, not the program) never counts as a pass, scores like a runtime
error, and is recorded in `errors` so it is counted, not hidden.

The process term needs think text: a response with no (or empty) think text gets a process term
of 0 and the scorer is not called — there is no reasoning to reward. When the gate is open and
think text exists but no score was given, the term is 0 *and* an error is recorded (never a
silent 0). `score_failing=True` asks for scores of gated-out samples too (monitoring); they are
stored in `process` but never enter the reward. `gate_requires_format=True` additionally closes
the gate for malformed responses (the paper gates on the outcome only; default False).

Departures from the paper: the weights, `gate_requires_format`, the `score_failing` monitor and
the exact compiler mapping are ours; the paper fixes all weights to 1.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from recode_rl.config import StageConfig
from recode_rl.execution.types import ExecutionResult, Verdict
from recode_rl.rewards.parsing import ParsedResponse

__all__ = ["RewardKind", "REWARD_KINDS", "MATH_KINDS", "NO_PROCESS_KINDS", "RewardConfig", "RewardResult",
           "needs_process_score", "combine", "compiler_term"]

RewardKind = Literal["recode", "direct", "soft", "outcome", "compiler", "compiler+recode", "math", "math-outcome"]
REWARD_KINDS: tuple[str, ...] = ("recode", "direct", "soft", "outcome", "compiler", "compiler+recode", "math",
                                 "math-outcome")
MATH_KINDS = frozenset({"math", "math-outcome"})        # scored by the gold answer, not by tests
NO_PROCESS_KINDS = frozenset({"outcome", "compiler", "math-outcome"})  # never use a process score

_HARD_GATE = frozenset({"recode", "compiler+recode", "math"})
_NO_PROCESS = NO_PROCESS_KINDS
_COMPILER = frozenset({"compiler", "compiler+recode"})
_RUNTIME_LIKE = frozenset({Verdict.RUNTIME_ERROR, Verdict.TIMEOUT, Verdict.MEMORY_LIMIT,
                           Verdict.NOT_RUN, Verdict.SANDBOX_ERROR})


class RewardConfig(StageConfig):
    """Which reward, its weights and its gate. Every field is overridable from the CLI."""

    kind: RewardKind = "recode"
    w_format: float = 1.0
    w_outcome: float = 1.0
    w_process: float = 1.0
    w_compiler: float = 1.0
    compiler_pass: float = 1.0            # all tests pass
    compiler_wrong_answer: float = -0.3   # some test fails, nothing worse
    compiler_runtime_error: float = -0.6  # exception, timeout, memory limit, killed (any test)
    compiler_syntax_error: float = -1.0   # does not compile, or no code could be extracted
    gate_requires_format: bool = False    # also close the gate when the format is invalid
    score_failing: bool = False           # score gated-out samples for monitoring (never rewarded)
    # Problems whose tests run beside the program (TestSuite.trust "weak": uncompiled assertion
    # suites, unittest suites such as BigCodeBench) can be fooled by a program that reaches the
    # test's namespace, which a policy would learn to do; they are refused unless this is true.
    allow_weak_trust: bool = False

    @property
    def uses_process(self) -> bool:
        """Can a process score ever enter this kind's reward (so a scorer is required)?"""
        return self.kind not in _NO_PROCESS


@dataclass
class RewardResult:
    reward: float
    format: float                  # R_fmt in {0, 1}
    outcome: float                 # R_out in {0, 1}
    pass_rate: float               # passed / total tests (0 without a result)
    process: float | None          # raw scorer output in [0, 1] if the scorer was called
    process_term: float            # what entered the reward (weight and gate applied)
    gate_open: bool                # would a process score enter the reward for this sample?
    compiler: float | None         # compiler term C (compiler kinds only)
    verdict: dict[str, Any] | None  # ExecutionResult.summary(), None if nothing was run
    errors: list[str] = field(default_factory=list)
    parse_reason: str | None = None  # ParsedResponse.reason (why the format failed / no code)
    think_words: int = 0           # words of think text (reasoning length; hacking probes watch it)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _has_think(parsed: ParsedResponse) -> bool:
    return bool(parsed.think and parsed.think.strip())


def _outcome(cfg: RewardConfig, parsed: ParsedResponse, result: ExecutionResult | None,
             errors: list[str]) -> tuple[float, float, ExecutionResult | None]:
    """(R_out, pass rate, the result actually used). Records inconsistencies in `errors`."""
    if cfg.kind not in MATH_KINDS and parsed.code is None:
        if result is not None:
            errors.append("an execution result was given for a response without extracted code; ignored")
        return 0.0, 0.0, None
    if result is None:
        is_math = cfg.kind in MATH_KINDS
        what = "answer check" if is_math else "execution"
        errors.append(f"no {what} result for a response that has {'an answer' if is_math else 'code'}")
        return 0.0, 0.0, None
    if result.verdict is Verdict.SANDBOX_ERROR:
        errors.append(f"sandbox error: {result.message or result.error_type or 'unknown'}")
    if result.all_passed and result.total == 0:
        errors.append("verdict PASSED but no test was run; counted as not passed")
        return 0.0, 0.0, result
    return (1.0 if result.all_passed else 0.0), result.pass_rate, result


def compiler_term(cfg: RewardConfig, result: ExecutionResult | None) -> float:
    """StepCoder/CodeRL compiler feedback; `result=None` means no extractable code (-1)."""
    if result is None:
        return cfg.compiler_syntax_error
    # NOT_RUN tests only follow an earlier failure (stop_on_first_failure) that already counts.
    verdicts = {result.verdict} | {t.verdict for t in result.tests if t.verdict is not Verdict.NOT_RUN}
    if Verdict.SYNTAX_ERROR in verdicts:
        return cfg.compiler_syntax_error
    if verdicts & _RUNTIME_LIKE:
        return cfg.compiler_runtime_error
    if result.all_passed and result.total > 0:
        return cfg.compiler_pass
    return cfg.compiler_wrong_answer


def _gate(cfg: RewardConfig, parsed: ParsedResponse, outcome: float, pass_rate: float) -> bool:
    if cfg.kind in _NO_PROCESS:
        return False
    if cfg.gate_requires_format and not parsed.format_ok:
        return False
    if cfg.kind in _HARD_GATE:
        return outcome == 1.0
    if cfg.kind == "soft":
        return pass_rate > 0.0
    return True  # direct


def needs_process_score(cfg: RewardConfig, parsed: ParsedResponse, result: ExecutionResult | None) -> bool:
    """Should the scorer be called for this sample? Decided before scoring, from the outcome."""
    if not _has_think(parsed):
        return False
    if cfg.score_failing:
        return True
    outcome, pass_rate, _ = _outcome(cfg, parsed, result, [])
    return _gate(cfg, parsed, outcome, pass_rate)


def combine(cfg: RewardConfig, parsed: ParsedResponse, result: ExecutionResult | None,
            process: float | None) -> RewardResult:
    """The reward of one sample and all its components (formulas in the module docstring)."""
    errors: list[str] = []
    fmt = 1.0 if parsed.format_ok else 0.0
    outcome, pass_rate, used = _outcome(cfg, parsed, result, errors)
    gate_open = _gate(cfg, parsed, outcome, pass_rate)

    if process is not None and not (isinstance(process, (int, float)) and not isinstance(process, bool)
                                     and math.isfinite(process)
                                     and 0.0 <= process <= 1.0):
        errors.append(f"process score {process!r} is not a number in [0, 1]; not used")
        process = None
    process_term = 0.0
    if gate_open and _has_think(parsed):
        if process is None:
            errors.append("process score required (gate open, think text present) but none was given")
        else:
            scale = pass_rate if cfg.kind == "soft" else 1.0
            process_term = cfg.w_process * scale * float(process)

    compiler = compiler_term(cfg, used) if cfg.kind in _COMPILER else None
    reward = cfg.w_format * fmt
    if cfg.kind != "compiler":
        reward += cfg.w_outcome * outcome
    if compiler is not None:
        reward += cfg.w_compiler * compiler
    reward += process_term
    return RewardResult(
        reward=reward, format=fmt, outcome=outcome, pass_rate=pass_rate,
        process=None if process is None else float(process), process_term=process_term,
        gate_open=gate_open, compiler=compiler, verdict=used.summary() if used is not None else None,
        errors=errors, parse_reason=parsed.reason, think_words=len((parsed.think or "").split()),
    )
