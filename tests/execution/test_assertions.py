"""Assertion tests compiled into functional units on the trusted side (no sandbox here): the
compiler's shapes, its refusals, the per-unit checks, and the restricted interpreter it uses."""

from __future__ import annotations

import math

import pytest

from recode_rl.execution.assertions import NotCompilable, compile_or_keep, compile_suite
from recode_rl.execution.compare import check_value
from recode_rl.execution.trusted_eval import EvalError, Interpreter, Scope
from recode_rl.execution.types import Check
from recode_rl.execution.types import TestSuite as Suite  # aliased: pytest would try to collect Test*


def compiled(*assertions: str, preamble: str = "", entry: str = "f", helpers: str = "") -> Suite:
    return compile_suite(Suite(kind="assertion", preamble=preamble, assertions=assertions, entry_point=entry),
                         helpers=helpers)


def units(suite: Suite) -> list[tuple]:
    return [(a, e, c.op, c.wrap, c.tol) for a, e, c in zip(suite.inputs, suite.outputs, suite.checks)]


def test_each_shape_becomes_one_unit():
    s = compiled("assert f(1, [2]) == (3, 'x')",
                 "assert (4,) != f(5)",                       # flipped
                 "assert f(6)", "assert not f(7)",
                 "assert f(8) is None", "assert True is f(9)",
                 "assert set(f(10)) == set([1, 1, 2])",        # expected: the test's own set() of it
                 "assert sorted(f(11)) == [1, 2]", "assert tuple(f(12)) == tuple([3])",
                 "assert abs(f(13) - 2.0/3.0) < 1e-6", "assert abs(0.5 - f(14)) <= 0.01",
                 "assert math.isclose(f(15), 1.5, rel_tol=0.001)", preamble="import math")
    assert s.kind == "functional" and s.fn_name == "f" and s.trust == "strong"
    assert units(s) == [
        ([1, [2]], (3, "x"), "==", None, None), ([5], (4,), "!=", None, None),
        ([6], None, "truthy", None, None), ([7], None, "falsy", None, None),
        ([8], None, "is", None, None), ([9], True, "is", None, None),
        ([10], {1, 2}, "==", "set", None), ([11], [1, 2], "==", "sorted", None), ([12], (3,), "==", "tuple", None),
        ([13], 2.0 / 3.0, "abs<", None, 1e-6), ([14], 0.5, "abs<=", None, 0.01),
        ([15], 1.5, "isclose", None, None)]
    assert s.checks[-1].rel_tol == 0.001


def test_humaneval_check_with_loops_random_and_prompt_helpers():
    helpers = ('import math\n\ndef shift(s: str):\n    """doc"""\n    return "".join(chr(ord(c) + 1) for c in s)\n\n'
               'def f(s: str):\n    """the entry point\'s own stub is never a helper"""\n')
    test = ("def check(candidate):\n"
            "    for x in range(2, 4):\n"
            "        assert candidate(shift(str(x))) == str(x)\n"
            "    import random\n"
            "    rng = random.Random(42)\n"
            "    assert candidate('a' * rng.randint(1, 3)) == 'b'\n")
    s = compiled("check(candidate)", preamble=test, helpers=helpers)
    # shift("2") == "3", shift("3") == "4": the inputs were computed here with the prompt's helper
    assert units(s)[:2] == [(["3"], "2", "==", None, None), (["4"], "3", "==", None, None)]
    import random
    assert s.inputs[2] == ["a" * random.Random(42).randint(1, 3)]     # the same draw as the test's own


def test_a_result_used_by_a_later_assertion_becomes_an_expr_check():
    helpers = "import math\n\ndef poly(xs, x):\n    return sum([c * math.pow(x, i) for i, c in enumerate(xs)])\n"
    test = ("def check(candidate):\n"
            "    import math\n"
            "    coeffs = [-6, 11, -6, 1]\n"
            "    solution = candidate(coeffs)\n"
            "    assert math.fabs(poly(coeffs, solution)) < 1e-4\n")
    s = compiled("check(candidate)", preamble=test, entry="find_zero", helpers=helpers)
    (check,) = s.checks
    assert s.inputs == ([[-6, 11, -6, 1]],) and check.op == "expr"
    assert check.expr == "math.fabs(poly(coeffs, __value__)) < 0.0001"
    assert check.env == {"coeffs": [-6, 11, -6, 1]} and check.refs == {"math": "math"} and "def poly" in check.helpers
    # (x - 1)(x - 2)(x - 3): any of the three roots passes, nothing else does
    assert [check_value(x, None, check) for x in (1.0, 2.0, 3.0000000001, 2.5, "2", None)] == \
        [True, True, True, False, False, False]


def test_the_candidate_compared_with_itself_only_asks_for_a_value():
    s = compiled("assert tuple(f([1, 2])) == tuple(f([1, 2]))", "assert tuple(f([3])) == tuple([3])")
    assert units(s) == [([[1, 2]], None, "ok", "tuple", None), ([[3]], (3,), "==", "tuple", None)]
    with pytest.raises(NotCompilable, match="two candidate calls"):
        compiled("assert f(1) == f(2)")


def test_assertions_without_the_candidate_run_here():
    s = compiled("assert True, 'fine'", "x = [1, 2]\nassert f(x) == sum(x)")
    assert units(s) == [([[1, 2]], 3, "==", None, None)]
    with pytest.raises(NotCompilable, match="assertion failed"):
        compiled("assert 1 == 2", "assert f(1) == 1")


@pytest.mark.parametrize(("assertions", "preamble", "why"), [
    (("assert f(x=1) == 1",), "", "keyword arguments"),
    (("assert f(Node(1)) == 1",), "", "name 'Node' is not defined"),
    (("assert f(int) == 1",), "", "not plain data"),
    (("assert all(f(x) for x in [1, 2])",), "", "inside a comprehension"),
    (("assert f(f(1)) == 1",), "", "inside another candidate call"),
    (("y = f(1) + 1",), "", "beyond `name = candidate"),
    (("assert f(1) == open('x').read()",), "", "'open' is not defined"),
    (("assert f(1) == ().__class__",), "", "attribute '__class__'"),
    (("import os\nassert f(1) == os.sep",), "", "module 'os' is not available"),
    (("assert True",), "", "no assertion calls the candidate"),
    (("assert f(1) == 1",), "class A:\n    pass\n", "unsupported statement: ClassDef"),
])
def test_what_cannot_compile_says_why(assertions, preamble, why):
    suite = Suite(kind="assertion", preamble=preamble, assertions=assertions, entry_point="f")
    kept, reason = compile_or_keep(suite)
    assert kept is suite and kept.trust == "weak" and why in reason


def test_unittest_and_entry_less_suites_are_not_compiled():
    with pytest.raises(NotCompilable, match="not an assertion suite"):
        compile_suite(Suite(kind="unittest", preamble="import unittest\n"))
    with pytest.raises(NotCompilable, match="no entry point"):
        compile_suite(Suite(kind="assertion", assertions=("assert g(1) == 1",)))


def test_shadowed_builtins_in_the_test_are_not_wrappers():
    # HumanEval/50 names a variable `str`; `str(f(x))` is then no wrapper but an "expr" check
    s = compiled("str = 'abc'\nassert f(str) == str", "assert len(f('ab')) == 2")
    assert units(s) == [(["abc"], "abc", "==", None, None), (["ab"], 2, "==", "len", None)]


def test_a_suite_round_trips_through_json_with_tuples_and_checks():
    import json

    s = compiled("assert f((1, 2)) == {1: (2,)}", "assert abs(f(1.5) - float('inf')) < 1")
    back = Suite.from_dict(json.loads(json.dumps(s.to_dict())))
    assert back == s and back.inputs[0] == [(1, 2)] and back.outputs[1] == math.inf


CHECK_CASES = [
    ((1, 2), [1, 2], Check("=="), False),               # Python's ==: a tuple is not a list
    ([1, 2], [1, 2], Check("=="), True),
    (1, True, Check("=="), True),                        # 1 == True in Python, as in the original assert
    (1, True, Check("is"), False),                        # `is True` is stricter
    (True, True, Check("is"), True),
    ([2, 1, 2], {1, 2}, Check("==", "set"), True),
    ([2, 1], [1, 2], Check("==", "sorted"), True),
    ([[1], 2], None, Check("ok", "tuple"), True),
    (None, None, Check("ok", "tuple"), False),           # tuple(None) raises: a mismatch
    (0.6666667, 2 / 3, Check("abs<", tol=1e-6), True),
    (0.667, 2 / 3, Check("abs<", tol=1e-6), False),
    ("0.5", 0.5, Check("abs<", tol=1.0), False),          # a str minus a float: a mismatch, not an error
    (10 ** 5000, 1.0, Check("abs<", tol=1.0), False),     # OverflowError: a mismatch
    (1.0015, 1.0, Check("isclose", rel_tol=0.01), True),
    (float("nan"), float("nan"), Check("=="), False),
    ([], None, Check("falsy"), True),
    ("x" * 10, None, Check("truthy"), True),
    (10 ** 5000, None, Check("==", "str"), False),        # str() of a huge int raises: a mismatch
]


@pytest.mark.parametrize(("value", "expected", "check", "ok"), CHECK_CASES, ids=[str(i) for i in range(len(CHECK_CASES))])
def test_check_value(value, expected, check, ok):
    assert check_value(value, expected, check) is ok


def test_the_interpreter_refuses_and_bounds():
    it = Interpreter()
    scope = Scope()
    for source, why in [("().__class__.__bases__", "attribute '__class__'"), ("__import__('os')", "not defined"),
                        ("'{0.__class__}'.format(1)", "str.format"), ("getattr(1, 'real')", "not defined"),
                        ("2 ** 10 ** 7", "exceeds"), ("'x' * 10 ** 8", "would build"), ("list(range(10 ** 9))", "range"),
                        ("[x for x in range(10 ** 6)]", "step budget"), ("type(1)", "not defined"),
                        ("'%9999999d' % 1", "huge width")]:
        with pytest.raises(EvalError, match=why):
            Interpreter(max_steps=10_000).eval(source, scope)
    it.run("def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n", scope)
    assert it.eval("fib(15)", scope) == 610
    with pytest.raises(EvalError, match="nested deeper"):
        Interpreter().eval("fib(200)", scope)   # recursion depth, not Python's own RecursionError


def test_an_expr_check_on_a_hostile_value_stays_cheap():
    # grading meets values the program chose: a small step budget, a mismatch when exceeded
    check = Check("expr", expr="all(x >= 0 for x in __value__)")
    assert check_value([1, 2, 3], None, check) is True and check_value([1, -2], None, check) is False
    assert check_value(list(range(10 ** 6)), None, check) is False    # beyond GRADE_STEPS: a mismatch
