"""Result and limit types of the executor (no heavy imports; safe to use anywhere)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

__all__ = ["Verdict", "Limits", "TestResult", "ExecutionResult"]


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
                "seconds": round(self.seconds, 4), "error_type": self.error_type, "message": self.message}

    def to_dict(self) -> dict[str, Any]:
        return {**self.summary(), "tests": [t.to_dict() for t in self.tests], "stderr_tail": self.stderr_tail}

    @staticmethod
    def overall(tests: list[TestResult]) -> Verdict:
        for t in tests:
            if t.verdict is not Verdict.PASSED:
                return t.verdict
        return Verdict.PASSED if tests else Verdict.WRONG_ANSWER
