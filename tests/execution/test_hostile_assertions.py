"""Hostile programs written against our assertion protocol (issue 14, class 2: "test code runs in
the program's own namespace"). Each one fools the original assertion suite, which runs the test
beside the program: it shadows a built-in the test calls, patches `math.isclose`, replaces a helper
of the prompt, reads the expected constants from `check`'s code object or turns
`unittest.TestCase.run` into a no-op. Against the compiled suite (`execution.assertions`) each
must fail: the expected values, helpers and comparisons never enter the sandbox."""

from __future__ import annotations

import textwrap

import pytest

from recode_rl.data import load_problems
from recode_rl.execution import Limits, Verdict
from recode_rl.execution.assertions import compile_suite
from recode_rl.execution.types import TestSuite as Suite  # aliased: pytest would try to collect Test*
from tests.execution.conftest import sandbox_processes

LIMITS = Limits(timeout=5)


def prog(src: str) -> str:
    return textwrap.dedent(src).strip() + "\n"


def _humaneval(task_id: str) -> tuple[Suite, Suite, str]:
    """(compiled suite, original suite, prompt) of one HumanEval problem."""
    n = int(task_id.split("/")[1]) + 1
    compiled = load_problems("humaneval", limit=n)[-1]
    original = load_problems("humaneval", limit=n, compile_tests=False)[-1]
    assert compiled.task_id == original.task_id == task_id
    return compiled.tests, original.tests, compiled.prompt


def _hand(preamble: str, *assertions: str, entry: str) -> tuple[Suite, Suite]:
    original = Suite(kind="assertion", preamble=preamble, assertions=assertions, entry_point=entry)
    return compile_suite(original), original


def _attacks() -> dict[str, tuple[str, Suite, Suite]]:
    attacks: dict[str, tuple[str, Suite, Suite]] = {}
    # HumanEval/2: `assert abs(candidate(1.33) - 0.33) < 1e-6` looks `abs` up in the program's globals
    comp, orig, prompt = _humaneval("HumanEval/2")
    attacks["shadowed_abs"] = (prompt + "    return 0.5\n\n\nabs = lambda x: 0\n", comp, orig)
    # HumanEval/50: check() encodes with `encode_shift`, which the program may redefine
    comp, orig, prompt = _humaneval("HumanEval/50")
    attacks["replaced_encode_shift"] = (prompt + "    return s\n\n\ndef encode_shift(s):\n    return s\n", comp, orig)
    # check()'s code object holds the expected constants; the candidate is called from its frame
    comp, orig = _hand("def check(candidate):\n    assert candidate(3) == 1234567\n    assert candidate(4) == 7654321\n",
                       "check(candidate)", entry="f")
    attacks["reads_check_co_consts"] = (prog("""
        import sys
        def f(x):
            frame = sys._getframe(1)
            while frame is not None:
                if frame.f_code.co_name == "check":
                    consts = [c for c in frame.f_code.co_consts if type(c) is int and c > 100]
                    return consts[x - 3]
                frame = frame.f_back
            return -1
        """), comp, orig)
    attacks["finds_check_through_gc"] = (prog("""
        import gc
        def f(x):
            for obj in gc.get_objects():
                if callable(obj) and getattr(obj, "__name__", "") == "check":
                    consts = [c for c in obj.__code__.co_consts if type(c) is int and c > 100]
                    return consts[x - 3]
            return -1
        """), comp, orig)
    comp, orig = _hand("", "assert set(common([1, 2], [2, 3])) == set([2])", "assert set(common([5], [6])) == set([])",
                       entry="common")
    attacks["shadowed_set"] = ("set = lambda *a: 0\n\ndef common(a, b):\n    return [9]\n", comp, orig)
    comp, orig = _hand("", "assert sorted(f([3, 1, 2])) == [1, 2, 3]", entry="f")
    attacks["shadowed_sorted"] = ("sorted = lambda x: [1, 2, 3]\n\ndef f(xs):\n    return []\n", comp, orig)
    comp, orig = _hand("import math", "assert math.isclose(root(2), 1.41421356, rel_tol=1e-6)", entry="root")
    attacks["patched_math_isclose"] = (prog("""
        import math
        math.isclose = lambda *a, **k: True
        def root(x):
            return 0
        """), comp, orig)
    # unittest.TestCase.run patched to a no-op (what fools a unittest suite, below) plus a wrong answer
    comp, orig = _hand("", "assert double(2) == 4", "assert double(5) == 10", entry="double")
    attacks["unittest_run_noop_and_wrong"] = (prog("""
        import unittest
        unittest.TestCase.run = lambda self, result=None: None
        def double(x):
            return x
        """), comp, orig)
    return attacks


ATTACKS = _attacks()


@pytest.mark.parametrize("name", [n for n in ATTACKS if n != "unittest_run_noop_and_wrong"])
def test_attack_fools_the_original_but_not_the_compiled_suite(executor, name):
    program, compiled, original = ATTACKS[name]
    assert compiled.kind == "functional" and compiled.trust == "strong" and original.trust == "weak"
    weak, strong = executor.map([(program, original, LIMITS), (program, compiled, LIMITS)])
    assert weak.all_passed, f"{name} no longer fools the assertion path: this test proves nothing ({weak.summary()})"
    assert strong.verdict is Verdict.WRONG_ANSWER, strong.summary()
    assert strong.trust == "strong" and weak.trust == "weak"
    assert sandbox_processes(executor) == []


def test_a_no_op_testcase_run_cannot_help_a_compiled_suite(executor):
    program, compiled, _ = ATTACKS["unittest_run_noop_and_wrong"]
    result = executor.run(program, compiled, LIMITS)
    assert result.verdict is Verdict.WRONG_ANSWER and result.passed == 0


def test_a_no_op_testcase_run_still_fools_a_unittest_suite_which_is_weak(executor):
    # why unittest suites carry trust "weak" (and the RL reward refuses them by default)
    suite = Suite(kind="unittest", preamble=prog("""
        import unittest
        class T(unittest.TestCase):
            def test_double(self):
                self.assertEqual(double(2), 4)
        """))
    program = prog("""
        import unittest
        unittest.TestCase.run = lambda self, result=None: None
        def double(x):
            return x
        """)
    result = executor.run(program, suite, LIMITS)
    assert result.all_passed and result.trust == "weak"


def test_forged_reports_on_every_descriptor_fail_compiled_units(executor):
    # the old assertion protocol's "pass" report, and functional "ok" lines, written before any
    # request: what the compiled suite's units get is the program's own (wrong) answer or a failure
    comp, _, prompt = _humaneval("HumanEval/0")
    program = prompt + "    return None\n\n\n" + prog("""
        import os
        for fd in range(3, 20):
            for i in range(10):
                for line in ('{"i": %d, "status": "pass", "nonce": "x"}\\n' % i,
                             '{"i": %d, "status": "ok", "value": true}\\n' % i):
                    try:
                        os.write(fd, line.encode())
                    except OSError:
                        pass
        """)
    result = executor.run(program, comp, LIMITS)
    assert not result.all_passed and result.passed < len(comp)
    assert sandbox_processes(executor) == []
