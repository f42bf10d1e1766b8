"""Math outcome for the `math` reward kind: is the last ``\\boxed{}`` answer equal to the gold answer?

Rules:
- Format: the think/answer structure of `parsing` (rules 1-7) and, instead of a python block,
  at least one complete ``\\boxed{…}`` inside ``<answer>`` ("no \\boxed{} in <answer>").
- The answer is the content of the *last complete, non-empty* ``\\boxed{…}`` (or ``\\fbox{…}``, braces
  balanced) inside the ``<answer>`` section if the response has one, else in the whole response.
  No boxed answer means wrong (the checker is not run).
- Equivalence is math-verify's: the gold answer is parsed first, then the prediction, both as
  ``\\boxed{…}`` with the same extraction config (a gold written without ``\\boxed`` is wrapped,
  surrounding ``$`` removed), then ``verify(gold, prediction)`` (gold first: it is not symmetric).
- Timeout: math-verify's own timeouts use SIGALRM, which fails off the main thread. We disable
  them and run math-verify in a persistent worker *subprocess* (plain `subprocess`, so it also
  works inside daemonic multiprocessing workers); if a check exceeds its deadline the worker is
  killed (so a runaway sympy computation stops burning CPU) and restarted on the next call. Safe
  to call from any thread; calls from several threads on one verifier are serialised.

The check returns an `ExecutionResult` with one test, so `core.combine` treats math exactly like
code: PASSED (equal), WRONG_ANSWER (different, no boxed answer, or prediction unparseable),
TIMEOUT, SANDBOX_ERROR (gold unparseable — a data problem — or the worker crashed; recorded as an
error by `combine`, never a pass).

Departure from the paper: the paper does not specify its math checker; we follow common practice
(math-verify, last boxed answer).
"""

from __future__ import annotations

import atexit
import json
import os
import select
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from recode_rl.execution.types import ExecutionResult, TestResult, Verdict
from recode_rl.rewards.parsing import ANSWER_OPEN, ParsedResponse, split_tags

__all__ = ["extract_boxed", "parse_math_response", "MathVerifier", "check_answer", "check_answers"]

_BOX_PREFIXES = ("\\boxed{", "\\fbox{")
_STARTUP_SECONDS = 120.0


def _balanced(text: str, open_at: int) -> int | None:
    """Index of the brace closing the one at `open_at`, or None if unbalanced."""
    depth = 0
    for k in range(open_at, len(text)):
        c = text[k]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return k
    return None


def extract_boxed(text: str) -> str | None:
    """Content of the last complete, non-empty ``\\boxed{…}`` / ``\\fbox{…}`` in `text` (stripped)."""
    starts = sorted((i for p in _BOX_PREFIXES for i in _find_all(text, p)), reverse=True)
    for i in starts:
        brace = text.index("{", i)
        end = _balanced(text, brace)
        if end is not None and text[brace + 1:end].strip():
            return text[brace + 1:end].strip()
    return None


def _find_all(text: str, needle: str) -> list[int]:
    out, i = [], text.find(needle)
    while i >= 0:
        out.append(i)
        i = text.find(needle, i + 1)
    return out


def parse_math_response(text: str) -> ParsedResponse:
    """Format check and extraction for math responses (`code` is always None)."""
    split = split_tags(text)
    reason = split.reason
    if reason is None and extract_boxed(split.answer or "") is None:
        reason = f"no \\boxed{{}} in {ANSWER_OPEN}"
    if reason is not None and _math_answer(split.text, split.answer) is None:
        reason += "; no \\boxed{} answer found"
    return ParsedResponse(reason is None, split.think, split.answer, None, reason)


def _math_answer(text: str, answer_section: str | None) -> str | None:
    return extract_boxed(answer_section if answer_section is not None else text)


def _as_boxed(gold: str) -> str:
    gold = gold.strip()
    if "\\boxed" in gold or "\\fbox" in gold:
        return gold
    if len(gold) >= 2 and gold[0] == gold[-1] == "$":
        gold = gold.strip("$").strip()
    return "\\boxed{" + gold + "}"


def _one_test(verdict: Verdict, seconds: float, message: str | None, error_type: str | None = None) -> ExecutionResult:
    test = TestResult(verdict, seconds=seconds, error_type=error_type, message=message)
    return ExecutionResult(verdict, [test], seconds=seconds, error_type=error_type, message=message)


# ----- the worker subprocess ---------------------------------------------------------------------

def _worker_main() -> None:
    """Worker loop: one JSON request per stdin line, one JSON reply per stdout line."""
    import logging

    logging.getLogger("math_verify").setLevel(logging.ERROR)
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

    config = [LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig()]
    # Warm up before saying ready: the first parse/verify imports and initialises much of sympy,
    # which must count toward start-up, not toward the first answer's timeout (under load that
    # first check could otherwise be judged TIMEOUT right after a restart).
    verify(parse("\\boxed{1}", extraction_config=config, parsing_timeout=None),
           parse("\\boxed{1}", extraction_config=config, parsing_timeout=None), timeout_seconds=None)
    # Keep a private handle on the protocol pipe; anything a library prints goes to stderr.
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    out.write('{"ready": true}\n')
    out.flush()
    for line in sys.stdin:
        request = json.loads(line)
        try:
            # No string fallback for the gold: an unparseable gold is a data error, not a string.
            gold = parse(request["gold"], extraction_config=config, parsing_timeout=None,
                         fallback_mode="no_fallback")
            if not gold:
                reply = {"status": "bad_gold"}
            else:
                pred = parse(request["pred"], extraction_config=config, parsing_timeout=None)
                if not pred:
                    reply = {"status": "bad_pred"}
                else:
                    reply = {"status": "ok", "correct": bool(verify(gold, pred, timeout_seconds=None))}
        except Exception as exc:  # reported to the parent as SANDBOX_ERROR, never a pass
            reply = {"status": "error", "message": f"{type(exc).__name__}: {exc}"[:500]}
        out.write(json.dumps(reply) + "\n")
        out.flush()


class MathVerifier:
    """Owns one math-verify worker subprocess; `check` enforces a wall-clock deadline per call."""

    def __init__(self, timeout: float = 5.0, *, worker_argv: Sequence[str] | None = None) -> None:
        self.timeout = timeout
        # Override only to run the worker differently (another interpreter, a wrapper, tests).
        self.worker_argv = list(worker_argv) if worker_argv else [
            sys.executable, "-c", "from recode_rl.rewards.math import _worker_main; _worker_main()"]
        self._proc: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        self._lock = threading.Lock()
        self.restarts = 0    # workers killed after a timeout or crash

    def __enter__(self) -> MathVerifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._kill()

    def _kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            for stream in (self._proc.stdin, self._proc.stdout):
                if stream is None:
                    continue
                try:
                    stream.close()
                except OSError:  # closing stdin flushes unsent bytes into a pipe nobody reads
                    pass
        self._proc, self._buffer = None, b""

    def _start(self) -> None:
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        self._proc = subprocess.Popen(self.worker_argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        try:
            ready = self._read_line(time.monotonic() + _STARTUP_SECONDS)
        except EOFError:
            ready = None
        if ready is None:
            self._kill()
            raise RuntimeError("math-verify worker did not start (is math-verify installed?)")

    def _read_line(self, deadline: float) -> bytes | None:
        """One line from the worker; None at the deadline; EOFError if the worker exited."""
        assert self._proc is not None and self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                raise EOFError("math-verify worker closed its output")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def check(self, response: str, gold: str) -> ExecutionResult:
        """Is the response's last boxed answer equivalent to `gold`? One-test ExecutionResult."""
        predicted = _math_answer(*_text_and_answer(response))
        if predicted is None:
            return _one_test(Verdict.WRONG_ANSWER, 0.0, "no \\boxed{} answer")
        request = json.dumps({"gold": _as_boxed(gold), "pred": "\\boxed{" + predicted + "}"}) + "\n"
        with self._lock:
            if self._proc is None:
                self._start()
            t0 = time.monotonic()
            try:
                assert self._proc is not None and self._proc.stdin is not None
                self._proc.stdin.write(request.encode())
                self._proc.stdin.flush()
            except (BrokenPipeError, OSError) as exc:
                self._kill()
                self.restarts += 1
                return _one_test(Verdict.SANDBOX_ERROR, 0.0, f"math-verify worker died: {exc}")
            try:
                line = self._read_line(t0 + self.timeout)
            except EOFError:
                line = b""
            seconds = time.monotonic() - t0
            if not line:
                self._kill()
                self.restarts += 1
                if line is not None:
                    return _one_test(Verdict.SANDBOX_ERROR, seconds, "math-verify worker crashed")
                return _one_test(Verdict.TIMEOUT, seconds, f"answer check exceeded {self.timeout:g}s")
        reply = json.loads(line)
        status = reply["status"]
        if status == "ok":
            if reply["correct"]:
                return _one_test(Verdict.PASSED, seconds, None)
            return _one_test(Verdict.WRONG_ANSWER, seconds, f"answer {predicted!r} is not equivalent to the gold")
        if status == "bad_pred":
            return _one_test(Verdict.WRONG_ANSWER, seconds, f"answer {predicted!r} could not be parsed")
        if status == "bad_gold":
            return _one_test(Verdict.SANDBOX_ERROR, seconds, f"gold answer {gold!r} could not be parsed", "GoldParseError")
        return _one_test(Verdict.SANDBOX_ERROR, seconds, reply.get("message"), "MathVerifyError")


def _text_and_answer(response: str) -> tuple[str, str | None]:
    split = split_tags(response)
    return split.text, split.answer


_DEFAULT: dict[tuple[int, float], MathVerifier] = {}
_DEFAULT_LOCK = threading.Lock()


def _default_verifier(timeout: float) -> MathVerifier:
    # Keyed by pid: a forked child must not share its parent's worker pipes.
    key = (os.getpid(), timeout)
    with _DEFAULT_LOCK:
        if key not in _DEFAULT:
            _DEFAULT[key] = MathVerifier(timeout)
        return _DEFAULT[key]


@atexit.register
def _close_defaults() -> None:
    for (pid, _), verifier in list(_DEFAULT.items()):
        if pid == os.getpid():
            verifier.close()


def check_answer(response: str, gold: str, *, timeout: float = 5.0) -> ExecutionResult:
    """`MathVerifier.check` on this process's shared verifier (started on first use)."""
    return _default_verifier(timeout).check(response, gold)


def check_answers(items: Sequence[tuple[str, str]], *, timeout: float = 5.0,
                  max_workers: int = 1) -> list[ExecutionResult]:
    """Check (response, gold) pairs, in order, with `max_workers` worker subprocesses."""
    if max_workers <= 1 or len(items) <= 1:
        verifier = _default_verifier(timeout)
        return [verifier.check(r, g) for r, g in items]
    verifiers = [MathVerifier(timeout) for _ in range(max_workers)]
    try:
        shards = [list(range(k, len(items), max_workers)) for k in range(max_workers)]
        results: list[ExecutionResult | None] = [None] * len(items)

        def run(k: int) -> None:
            for i in shards[k]:
                results[i] = verifiers[k].check(*items[i])

        with ThreadPoolExecutor(max_workers) as pool:
            list(pool.map(run, range(max_workers)))
        return [r for r in results if r is not None]
    finally:
        for v in verifiers:
            v.close()
