"""The executor's contract types (no heavy imports; safe to use anywhere).

`TestSuite` is what a program is run against; `Limits` bounds one job; `ExecutionResult` /
`TestResult` / `Verdict` say what happened. Expected outputs live in the `TestSuite` on the
trusted side and, for `stdio` and `functional` suites, never enter the sandbox. Problems
(`recode_rl.data.schema.Problem`) carry a `TestSuite`; this package never imports `data`.

Test-suite kinds
----------------
stdio       program reads stdin, writes stdout. `inputs[i]` / `outputs[i]` are strings.
            Compared with LiveCodeBench's rule (see execution.compare).
functional  call `fn_name(*inputs[i])` — or `class_name().fn_name(*inputs[i])` for LeetCode
            `class Solution` — and compare the returned value with `outputs[i]` (exact
            equality of plain data; `atol` enables EvalPlus float tolerance; `oracle` names a
            special rule), or, when `checks` is given, judge unit i by `checks[i]` (assertion
            tests compiled into units by `execution.assertions`).
assertion   run `preamble` (e.g. HumanEval's `def check(candidate): ...` or MBPP's
            `test_setup_code`) after the program, then each statement in `assertions` as one
            test. `entry_point` (if set) is wrapped so that only plain built-in values reach
            the test's `==`, and is also bound to the name `candidate`.
unittest    `preamble` defines `unittest.TestCase` classes (BigCodeBench); every test method
            is one test.

Trust (`TestSuite.trust`): "strong" when the trusted side judges every unit from observations
(stdio, functional: expected values never enter the sandbox); "weak" when test code runs beside
the program, in its process (assertion, unittest): a program can then reach the test's
namespace, so the RL reward refuses such problems unless `reward.allow_weak_trust` is set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

__all__ = ["TestKind", "Trust", "Check", "CHECK_OPS", "TestSuite", "Verdict", "Limits", "TestResult",
           "ExecutionResult"]

TestKind = Literal["stdio", "functional", "assertion", "unittest"]
Trust = Literal["strong", "weak"]
ORACLES = ("equal", "set", "not_none")
CHECK_OPS = ("==", "!=", "<", "<=", ">", ">=", "in", "not in", "contains", "is", "is not", "truthy", "falsy", "ok",
             "abs<", "abs<=", "isclose", "expr")
CHECK_WRAPS = ("tuple", "list", "set", "frozenset", "sorted", "len", "int", "float", "str", "bool", "abs", "round",
               "sum", "min", "max")


def _wire(value: Any) -> Any:
    from recode_rl.execution.harness import to_wire  # lazy: keeps this module import-light

    return to_wire(value)


def _unwire(value: Any) -> Any:
    from recode_rl.execution.harness import from_wire

    return from_wire(value)


@dataclass(frozen=True)
class Check:
    """How one unit's returned value is judged on the trusted side (`compare.check_value`).

    `v` is the returned value, passed first through the built-in `wrap` if one is named (`tuple`,
    `set`, `sorted`, ...: the test's own `set(candidate(x)) == ...`), and `e` is the unit's
    expected output (`TestSuite.outputs[i]`), computed from the test's own expressions:
      "==" "!=" "<" "<=" ">" ">=" "in" "not in"   `v OP e`, Python's operator on fresh plain values
      "contains"          `e in v`
      "is" "is not"       `v is e`, e being None, True or False
      "truthy" "falsy"    `bool(v)` / `not v` (`assert candidate(x)`, `assert not candidate(x)`)
      "ok"                the call returned a plain value that `wrap` accepts
      "abs<" "abs<="      `abs(v - e) < tol` / `<= tol`
      "isclose"           `math.isclose(v, e, rel_tol=rel_tol, abs_tol=tol)`
      "expr"              the test's own expression `expr`, `__value__` standing for v, evaluated by
                          `execution.trusted_eval` with `env` (names -> plain values), `refs` (names
                          -> whitelisted modules or their members, e.g. "math", "math.fabs") and
                          `helpers` (trusted code of the problem, e.g. HumanEval/32's `poly`)
    """

    op: str = "=="
    wrap: str | None = None
    tol: float | None = None
    rel_tol: float | None = None
    expr: str | None = None
    env: dict[str, Any] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    helpers: str = ""

    def __post_init__(self) -> None:
        if self.op not in CHECK_OPS:
            raise ValueError(f"check op must be one of {', '.join(CHECK_OPS)}, not {self.op!r}")
        if self.wrap is not None and self.wrap not in CHECK_WRAPS:
            raise ValueError(f"check wrap must be one of {', '.join(CHECK_WRAPS)}, not {self.wrap!r}")
        if self.op in ("abs<", "abs<=") and not isinstance(self.tol, (int, float)):
            raise ValueError(f"check {self.op!r} needs a numeric tol")
        if self.op == "expr" and not self.expr:
            raise ValueError("check 'expr' needs the expression")

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"op": self.op}
        for key in ("wrap", "tol", "rel_tol", "expr", "helpers"):
            if getattr(self, key):
                d[key] = getattr(self, key)
        if self.env:
            d["env"] = {k: _wire(v) for k, v in self.env.items()}
        if self.refs:
            d["refs"] = dict(self.refs)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Check":
        d = dict(d)
        if "env" in d:
            d["env"] = {k: _unwire(v) for k, v in d["env"].items()}
        return cls(**d)


@dataclass(frozen=True)
class TestSuite:
    __test__ = False  # not a pytest test class

    kind: TestKind
    inputs: tuple[Any, ...] = ()        # stdio: str per test; functional: list of positional args per test
    outputs: tuple[Any, ...] = ()       # expected outputs; trusted side only
    fn_name: str | None = None          # functional: function / method name
    class_name: str | None = None       # functional: e.g. "Solution" for LeetCode-style problems
    atol: float | None = None           # functional: None = JSON-sourced data (a tuple equals a list);
                                        # a number, 0 included = EvalPlus rules (types kept, float tolerance)
    oracle: Literal["equal", "set", "not_none"] = "equal"  # functional, EvalPlus's special oracles: "set" =
                                        # compare as sets (its set-equality MBPP tasks); "not_none" = the
                                        # sandbox reports only `v if type(v) is bool else v is not None`
                                        # (tasks whose reference returns an re.Match)
    checks: tuple[Check, ...] = ()      # functional: one per unit, judging it instead of atol/oracle
    preamble: str = ""                  # assertion/unittest: test code run after the program
    assertions: tuple[str, ...] = ()    # assertion: one statement (or block) per test
    entry_point: str | None = None      # assertion: user function wrapped for plain-value results
                                        # (kept by suites compiled from assertions, = fn_name)

    def __post_init__(self) -> None:
        if self.kind in ("stdio", "functional") and len(self.inputs) != len(self.outputs):
            raise ValueError(f"{self.kind} tests: {len(self.inputs)} inputs but {len(self.outputs)} outputs")
        if self.oracle not in ORACLES:
            raise ValueError(f"oracle must be one of {', '.join(ORACLES)}, not {self.oracle!r}")
        if self.checks and (self.kind != "functional" or len(self.checks) != len(self.inputs)):
            raise ValueError(f"checks: one per unit of a functional suite ({len(self.checks)} checks, "
                             f"{self.kind} suite of {len(self.inputs)} inputs)")
        if not all(isinstance(c, Check) for c in self.checks):
            raise ValueError("checks: expected Check objects")
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

    @property
    def trust(self) -> Trust:
        """"strong": every unit is judged on the trusted side from observations; "weak": test
        code runs in the program's process (see the module doc)."""
        return "strong" if self.kind in ("stdio", "functional") else "weak"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe. Functional inputs/outputs are written in the executor's tagged wire form
        (`"values": "wire"`), so tuples, sets and non-finite floats survive a JSON round trip."""
        d = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}
        d["checks"] = [c.to_dict() for c in self.checks]
        if self.kind == "functional":
            try:
                d["inputs"] = [_wire(list(a)) for a in self.inputs]
                d["outputs"] = [_wire(v) for v in self.outputs]
                d["values"] = "wire"
            except TypeError:   # a value outside the wire whitelist: plain, as given
                d["inputs"], d["outputs"] = list(self.inputs), list(self.outputs)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TestSuite":
        d = dict(d)
        wire = d.pop("values", None) == "wire"
        for key in ("inputs", "outputs", "assertions"):
            if key in d and d[key] is not None:
                d[key] = tuple(_unwire(v) for v in d[key]) if wire and key != "assertions" else tuple(d[key])
        d["checks"] = tuple(c if isinstance(c, Check) else Check.from_dict(c) for c in d.get("checks") or ())
        return cls(**d)


class Verdict(str, Enum):
    PASSED = "passed"
    WRONG_ANSWER = "wrong_answer"      # ran to completion, output differs (or no completion report)
    RUNTIME_ERROR = "runtime_error"    # uncaught exception / non-zero exit / killed by a signal
    TIMEOUT = "timeout"                # wall-clock or CPU limit
    MEMORY_LIMIT = "memory_limit"      # address-space limit hit (MemoryError / failed allocation)
    SYNTAX_ERROR = "syntax_error"      # the program does not compile
    NOT_RUN = "not_run"                # skipped: an earlier test failed with stop_on_first_failure,
                                       # or the job was killed before reaching it
    SANDBOX_ERROR = "sandbox_error"    # the harness itself failed; never counts as a pass

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Limits:
    """Resource limits of one job. A job = one program against one test suite."""

    timeout: float = 6.0               # wall seconds per test (LiveCodeBench uses 6)
    job_timeout: float | None = None   # wall seconds for the whole job; default timeout*n_tests+2
    memory_mb: int = 2048              # RLIMIT_AS of the sandboxed process
    max_processes: int = 32            # RLIMIT_NPROC for the sandbox's uid (fork bombs)
    max_output_bytes: int = 4 << 20    # stdout/stderr captured per test; beyond that the test fails
    max_file_mb: int = 64              # RLIMIT_FSIZE
    max_open_files: int = 256          # RLIMIT_NOFILE
    stop_on_first_failure: bool = False  # tests after the first failure are NOT_RUN (execution
                                         # stops early on crashes/timeouts; wrong answers are
                                         # only known on the trusted side, after the run)

    def job_deadline(self, n_tests: int) -> float:
        if self.job_timeout is not None:
            return self.job_timeout
        return self.timeout * max(n_tests, 1) + 2.0


@dataclass
class TestResult:
    verdict: Verdict
    seconds: float = 0.0
    error_type: str | None = None      # exception class name for runtime errors, e.g. "IndexError"
    message: str | None = None         # short human-readable detail (never the expected output)

    def to_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict.value, "seconds": round(self.seconds, 6),
                "error_type": self.error_type, "message": self.message}


@dataclass
class ExecutionResult:
    verdict: Verdict                   # PASSED iff every test passed; else the first failing test's verdict
    tests: list[TestResult] = field(default_factory=list)
    seconds: float = 0.0
    stderr_tail: str = ""              # last ~2 KB of the program's stderr
    error_type: str | None = None      # for SYNTAX_ERROR / job-level failures
    message: str | None = None
    trust: Trust = "strong"            # the suite's trust (TestSuite.trust): "weak" = test code ran in the sandbox

    @property
    def passed(self) -> int:
        return sum(t.verdict is Verdict.PASSED for t in self.tests)

    @property
    def total(self) -> int:
        return len(self.tests)

    @property
    def all_passed(self) -> bool:
        return self.verdict is Verdict.PASSED

    @property
    def pass_rate(self) -> float:
        return self.passed / self.total if self.tests else 0.0

    def count(self, verdict: Verdict) -> int:
        return sum(t.verdict is verdict for t in self.tests)

    def summary(self) -> dict[str, Any]:
        """Compact, JSON-safe summary for logs and reward results."""
        return {"verdict": self.verdict.value, "passed": self.passed, "total": self.total,
                "seconds": round(self.seconds, 4), "error_type": self.error_type, "message": self.message,
                "trust": self.trust}

    def to_dict(self) -> dict[str, Any]:
        return {**self.summary(), "tests": [t.to_dict() for t in self.tests], "stderr_tail": self.stderr_tail}

    @staticmethod
    def overall(tests: list[TestResult]) -> Verdict:
        for t in tests:
            if t.verdict is not Verdict.PASSED:
                return t.verdict
        return Verdict.PASSED if tests else Verdict.WRONG_ANSWER
