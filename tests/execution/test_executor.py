"""Executor semantics per test kind (real sandboxed subprocesses)."""

import os
import textwrap

import pytest

from recode_rl.execution.types import TestSuite
from recode_rl.execution import Executor, Limits, Verdict, compute_outputs
from recode_rl.execution import executor as executor_mod, sandbox
from recode_rl.execution.harness import from_wire

QUICK = Limits(timeout=2.0)


def test_stdio_grades_each_test(executor):
    suite = TestSuite(kind="stdio", inputs=("1 2\n", "5 5\n", "0 0\n"), outputs=("3", "10", "1"))
    r = executor.run("a, b = map(int, input().split())\nprint(a + b)\n", suite, QUICK)
    assert [t.verdict for t in r.tests] == [Verdict.PASSED, Verdict.PASSED, Verdict.WRONG_ANSWER]
    assert (r.passed, r.total, r.pass_rate, r.verdict) == (2, 3, pytest.approx(2 / 3), Verdict.WRONG_ANSWER)


def test_stdio_exit_status(executor):
    suite = TestSuite(kind="stdio", inputs=("",), outputs=("ok",))
    # Printing the answer and leaving via os._exit(0) is a finished, correct program.
    assert executor.run("import os, sys\nprint('ok')\nsys.stdout.flush()\nos._exit(0)\n", suite, QUICK).verdict is Verdict.PASSED
    assert executor.run("import sys\nprint('ok')\nsys.exit(0)\n", suite, QUICK).verdict is Verdict.PASSED
    r = executor.run("import sys\nprint('ok')\nsys.exit(3)\n", suite, QUICK)
    assert r.verdict is Verdict.RUNTIME_ERROR and r.tests[0].error_type == "SystemExit"
    r = executor.run("print('ok')\n[][1]\n", suite, QUICK)
    assert r.verdict is Verdict.RUNTIME_ERROR and r.tests[0].error_type == "IndexError"
    assert "IndexError" in r.tests[0].error_type


def test_stdio_reads_all_of_stdin(executor):
    suite = TestSuite(kind="stdio", inputs=("3\n1\n2\n3\n",), outputs=("6",))
    program = "import sys\ndata = sys.stdin.buffer.read().split()\nprint(sum(map(int, data[1:])))\n"
    assert executor.run(program, suite, QUICK).verdict is Verdict.PASSED


def test_timeout_then_remaining_tests_still_run(executor):
    suite = TestSuite(kind="functional", inputs=([1], [0], [2]), outputs=(1, 0, 2), fn_name="f")
    program = "def f(x):\n    while x == 0:\n        pass\n    return x\n"
    r = executor.run(program, suite, Limits(timeout=0.5))
    assert [t.verdict for t in r.tests] == [Verdict.PASSED, Verdict.TIMEOUT, Verdict.PASSED]


def test_stop_on_first_failure(executor):
    suite = TestSuite(kind="functional", inputs=([1], [0], [2]), outputs=(1, 0, 2), fn_name="f")
    program = "def f(x):\n    return 1 / x and x\n"
    r = executor.run(program, suite, Limits(timeout=1.0, stop_on_first_failure=True))
    assert [t.verdict for t in r.tests] == [Verdict.PASSED, Verdict.RUNTIME_ERROR, Verdict.NOT_RUN]
    assert r.tests[1].error_type == "ZeroDivisionError"


def test_functional_leetcode_class_and_tuple_result(executor):
    suite = TestSuite(kind="functional", inputs=([[2, 7, 11, 15], 9],), outputs=([0, 1],),
                      fn_name="twoSum", class_name="Solution")
    program = textwrap.dedent("""
        from typing import List
        class Solution:
            def twoSum(self, nums: List[int], target: int) -> List[int]:
                seen = {}
                for i, x in enumerate(nums):
                    if target - x in seen:
                        return (seen[target - x], i)
                    seen[x] = i
        """)
    assert executor.run(program, suite, QUICK).verdict is Verdict.PASSED


def test_functional_atol(executor):
    suite = TestSuite(kind="functional", inputs=([2],), outputs=(1.4142135,), fn_name="root", atol=1e-6)
    assert executor.run("def root(x):\n    return x ** 0.5\n", suite, QUICK).verdict is Verdict.PASSED
    exact = TestSuite(kind="functional", inputs=([2],), outputs=(1.4142135,), fn_name="root")
    assert executor.run("def root(x):\n    return x ** 0.5\n", exact, QUICK).verdict is Verdict.WRONG_ANSWER


def test_load_error_fails_every_test_once(executor):
    suite = TestSuite(kind="functional", inputs=([1], [2], [3]), outputs=(1, 2, 3), fn_name="f")
    r = executor.run("import not_a_module_xyz\ndef f(x): return x\n", suite, QUICK)
    assert [t.error_type for t in r.tests] == ["ModuleNotFoundError"] * 3


def test_assertion_suite_one_test_per_assert(executor):
    suite = TestSuite(kind="assertion", assertions=("assert f(1) == 2", "assert f(2) == 3", "assert f(3) == 5"),
                      entry_point="f")
    r = executor.run("def f(x):\n    return x + 1\n", suite, QUICK)
    assert [t.verdict for t in r.tests] == [Verdict.PASSED, Verdict.PASSED, Verdict.WRONG_ANSWER]


def test_syntax_error(executor):
    suite = TestSuite(kind="stdio", inputs=("",) * 3, outputs=("",) * 3)
    r = executor.run("print('unclosed'\n", suite, QUICK)
    assert r.verdict is Verdict.SYNTAX_ERROR and r.total == 3 and r.error_type == "SyntaxError"


def test_unittest_suite(executor):
    tests = textwrap.dedent("""
        import unittest
        class TestCases(unittest.TestCase):
            def test_one(self):
                self.assertEqual(task_func(2), 4)
            def test_two(self):
                self.assertEqual(task_func(3), 9)
            def test_three(self):
                self.assertEqual(task_func(-1), 2)
        """)
    suite = TestSuite(kind="unittest", preamble=tests)
    r = executor.run("def task_func(x):\n    return x * x\n", suite, QUICK)
    # sorted by id: test_one, test_three, test_two
    assert [t.verdict for t in r.tests] == [Verdict.PASSED, Verdict.WRONG_ANSWER, Verdict.PASSED]


def test_expected_outputs_never_sent_to_the_sandbox(executor, monkeypatch):
    sent = []
    real = executor_mod.send_msg
    monkeypatch.setattr(executor_mod, "send_msg",
                        lambda sock, obj, segments=(): (sent.append((obj, segments)), real(sock, obj, segments)))
    secret = "expected-output-7f3a"
    suite = TestSuite(kind="stdio", inputs=("x\n",), outputs=(secret,))
    executor.run("print(input())\n", suite, QUICK)
    fsuite = TestSuite(kind="functional", inputs=([1],), outputs=(secret,), fn_name="f")
    executor.run("def f(x): return x\n", fsuite, QUICK)
    assert len(sent) == 2 and secret not in repr(sent)
    assert [segments for _, segments in sent] == [[b"x\n"], [b"[1]"]]  # the inputs, as each child reads them


def test_compute_outputs_runs_a_reference_solution():
    out = compute_outputs("def f(x):\n    return [x, x * 0.5]\n", "f", [[2], ["a"]])
    assert out[0] == (True, [2, 1.0])
    assert out[1][0] is False and out[1][1].startswith("TypeError")


def test_batch_results_in_job_order(executor):
    suite = TestSuite(kind="stdio", inputs=("",), outputs=("",))
    jobs = [(f"import time\ntime.sleep({0.2 if i % 3 == 0 else 0})\nprint({i})\n",
             TestSuite(kind="stdio", inputs=("",), outputs=(str(i),))) for i in range(12)]
    results = executor.map(jobs, QUICK, progress=False)
    assert all(r.verdict is Verdict.PASSED for r in results)


def test_executor_restarts_a_dead_server():
    with Executor(max_workers=1) as ex:
        suite = TestSuite(kind="stdio", inputs=("",), outputs=("1",))
        assert ex.run("print(1)\n", suite, QUICK).verdict is Verdict.PASSED
        ex._proc.kill()
        ex._proc.wait()
        assert ex.run("print(1)\n", suite, QUICK).verdict is Verdict.PASSED


def test_isolation_layers_reported(executor):
    assert list(executor.isolation) == list(sandbox.LAYERS)
    assert all(state.startswith(("on", "off: ", "partial: ")) for state in executor.isolation.values())


def test_no_descriptor_leak_over_many_failing_jobs():
    """Regression: pipe ends closed on EOF were once leaked, exhausting select() after ~40 jobs."""
    crash = TestSuite(kind="stdio", inputs=("",), outputs=("x",))
    with Executor(max_workers=1) as ex:
        server = ex._proc.pid
        results = ex.map([("import os\nos._exit(3)\n", crash)] * 60 + [("raise ValueError\n", crash)] * 60, QUICK)
        assert all(r.verdict is Verdict.RUNTIME_ERROR for r in results)
        # Neither a slot's supervisor nor the slot's init (which receives every child's
        # descriptors) keeps any after a job.
        assert len(os.listdir(f"/proc/{server}/fd")) < 32
        for sup in map(int, open(f"/proc/{server}/task/{server}/children").read().split()):
            init = int(open(f"/proc/{sup}/task/{sup}/children").read().split()[0])
            assert len(os.listdir(f"/proc/{sup}/fd")) < 32 and len(os.listdir(f"/proc/{init}/fd")) < 32
        assert ex.run("print('x')\n", crash, QUICK).verdict is Verdict.PASSED


def test_huge_integers_cross_the_wire(executor):
    # 10**5000 has 5,001 digits: beyond CPython's int<->str limit; must still compare exactly.
    suite = TestSuite(kind="functional", inputs=([5000],), outputs=(10 ** 5000,), fn_name="p")
    assert executor.run("def p(n):\n    return 10 ** n\n", suite, QUICK).verdict is Verdict.PASSED
    wrong = TestSuite(kind="functional", inputs=([5000],), outputs=(10 ** 5000 + 1,), fn_name="p")
    assert executor.run("def p(n):\n    return 10 ** n\n", wrong, QUICK).verdict is Verdict.WRONG_ANSWER


def test_set_order_is_deterministic_across_executors():
    program = "def f():\n    return list({'apple', 'kiwi', 'fig', 'plum', 'pear', 'lime'})\n"
    orders = []
    for _ in range(2):
        with Executor(max_workers=1) as ex:
            orders.append(from_wire(ex.raw(program, TestSuite(kind="functional", inputs=([],), outputs=(None,),
                                                              fn_name="f"), QUICK)["units"]["0"]["value"]))
    assert orders[0] == orders[1]


def test_multi_megabyte_result(executor):
    suite = TestSuite(kind="functional", inputs=([2_000_000],), outputs=("x" * 2_000_000,), fn_name="f")
    assert executor.run("def f(n):\n    return 'x' * n\n", suite, QUICK).verdict is Verdict.PASSED


def test_each_child_starts_like_a_fresh_interpreter(executor):
    """Children are forked without os.fork's after-fork hooks (world._raw_fork): `random` is
    still reseeded per child, and threads and subprocess-free concurrency work in it."""
    program = textwrap.dedent("""
        import random, threading
        from concurrent.futures import ThreadPoolExecutor
        def f():
            seen = []
            t = threading.Thread(target=lambda: seen.append(threading.current_thread().name))
            t.start()
            t.join()
            with ThreadPoolExecutor(2) as pool:
                squares = list(pool.map(lambda x: x * x, range(4)))
            return [random.random(), seen == [t.name], squares]
        """)
    suite = TestSuite(kind="functional", inputs=([],), outputs=(None,), fn_name="f")
    draws = set()
    for _ in range(12):  # more jobs than slots: slots serve several jobs each
        raw = executor.raw(program, suite)
        value = from_wire(raw["units"]["0"]["value"])
        assert value[1:] == [True, [0, 1, 4, 9]], raw
        draws.add(value[0])
    assert len(draws) == 12  # a fresh seed per child, as in a new process
