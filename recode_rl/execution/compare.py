"""Trusted-side output comparison. Runs in the parent; expected outputs never leave it.

Both functions are total: any exception while comparing (a printed `sNaN`, a huge integer
against a float, a recursion limit) is a mismatch, never an error of the grader.

stdio (LiveCodeBench `grade_stdio`): strip both texts, split into lines and strip each line;
the line counts must match; each pair of lines is equal as text, or else equal as lists of
whitespace-separated `Decimal`s (so "1.0" == "1.00", but 0.3333 != 0.33333).

functional, decided per source by the suite's `atol`:
* `atol is None` — JSON-sourced expectations (LiveCodeBench/LeetCode, TACO/APPS): Python `==`
  between fresh plain values, except that a returned tuple matches an expected list, since
  JSON cannot tell them apart (LiveCodeBench does the same).
* `atol` a number, 0 included — EvalPlus (`evalplus/eval/__init__.py`, `unsafe_execute`):
  exact `out == exp` with Python types kept (a tuple never equals a list); otherwise, when the
  tolerance is non-zero — `atol`, or 1e-6 when `atol == 0` and the expected value is a float or
  a non-empty list/tuple of floats (`is_floats`) — the types must match, the lengths must
  match, and `np.allclose(out, exp, rtol=1e-7, atol=tol)` must hold (NaN is never close).
  Departure: EvalPlus keeps the 1e-6 for the task's later inputs once one float was seen (its
  loop variable); we decide per input.
* `oracle == "set"` — `set(out) == set(exp)`: the suite says so (the EvalPlus loader marks
  EvalPlus's eight set-equality MBPP tasks); the executor knows no task names.
* `oracle == "not_none"` — EvalPlus's MBPP_OUTPUT_NOT_NONE_TASKS (a reference returning an
  `re.Match` or None): the sandbox reports `v if type(v) is bool else v is not None` for the
  program and for the reference alike, and the two booleans must be equal.

Per-unit checks (`check_value`, a `types.Check` per unit): assertion tests compiled into units
(`execution.assertions`) keep their own comparison — Python's `==` and the other operators on
fresh plain values, truthiness, `is None/True/False`, `abs(v - e) < tol`, `math.isclose`, a
built-in applied to the value first (`set`, `sorted`, `tuple`, ...), or the test's own expression
evaluated by `execution.trusted_eval` (HumanEval/32's root check through the prompt's `poly`).
"""

from __future__ import annotations

import math
import operator
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

__all__ = ["stdio_equal", "values_equal", "check_value"]

_RTOL = 1e-7  # np.testing.assert_allclose's default, which EvalPlus sets explicitly


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.strip().split("\n")]


def _decimals(line: str) -> list[Decimal] | None:
    try:
        return [Decimal(tok) for tok in line.split()]
    except (InvalidOperation, ValueError):
        return None


def stdio_equal(actual: str, expected: str) -> bool:
    try:
        a, e = _lines(actual), _lines(expected)
        if len(a) != len(e):
            return False
        for x, y in zip(a, e):
            if x == y:
                continue
            dx, dy = _decimals(x), _decimals(y)
            if dx is None or dy is None or dx != dy:  # sNaN raises InvalidOperation here
                return False
        return True
    except Exception:  # noqa: BLE001 - a comparison that cannot be made is a mismatch
        return False


def _is_floats(x: object) -> bool:
    """EvalPlus `is_floats`: a float, or a non-empty list/tuple of floats."""
    if isinstance(x, float):
        return True
    if isinstance(x, (list, tuple)) and x:
        return all(isinstance(v, float) for v in x)
    return False


def _allclose(a: object, e: object, atol: float) -> bool:
    """`np.allclose(a, e, rtol=1e-7, atol=atol)` on nested lists/tuples of real numbers."""
    if isinstance(e, (list, tuple)):
        if not isinstance(a, (list, tuple)) or len(a) != len(e):
            return False
        return all(_allclose(x, y, atol) for x, y in zip(a, e))
    if type(a) not in (int, float, bool) or type(e) not in (int, float, bool):
        return False
    a, e = float(a), float(e)  # a huge int raises OverflowError: a mismatch (numpy fails too)
    if math.isinf(a) or math.isinf(e):
        return a == e
    return abs(a - e) <= atol + _RTOL * abs(e)  # False for NaN, as np.allclose (equal_nan=False)


def _loose_equal(a: object, e: object) -> bool:
    """`==`, except that a tuple matches an expected list element-wise."""
    if isinstance(e, list) and isinstance(a, tuple):
        a = list(a)
    if isinstance(e, list) and isinstance(a, list):
        return len(a) == len(e) and all(_loose_equal(x, y) for x, y in zip(a, e))
    if isinstance(e, dict) and isinstance(a, dict):
        return a.keys() == e.keys() and all(_loose_equal(a[k], e[k]) for k in e)
    return bool(a == e)


def _evalplus_equal(a: object, e: object, atol: float) -> bool:
    if a == e:
        return True
    tol = 1e-6 if atol == 0 and _is_floats(e) else atol
    if tol == 0 or type(a) is not type(e):
        return False
    if isinstance(e, (list, tuple)) and len(a) != len(e):  # type: ignore[arg-type]
        return False
    return _allclose(a, e, tol)


def values_equal(actual: object, expected: object, atol: float | None = None, oracle: str = "equal") -> bool:
    try:
        if oracle == "set":   # EvalPlus: set(out) == set(exp) for its set-equality tasks
            return set(actual) == set(expected)  # type: ignore[call-overload]
        if oracle == "not_none":  # both sides already projected to a bool in the sandbox
            return type(actual) is bool and type(expected) is bool and actual == expected
        if atol is None:
            return _loose_equal(actual, expected)
        return _evalplus_equal(actual, expected, atol)
    except Exception:  # noqa: BLE001 - e.g. unorderable values, OverflowError, RecursionError
        return False


_WRAPS: dict[str, Callable[[Any], Any]] = {
    "tuple": tuple, "list": list, "set": set, "frozenset": frozenset, "sorted": sorted, "len": len, "int": int,
    "float": float, "str": str, "bool": bool, "abs": abs, "round": round, "sum": sum, "min": min, "max": max}
_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "in": lambda v, e: v in e, "not in": lambda v, e: v not in e, "contains": lambda v, e: e in v,
    "is": operator.is_, "is not": operator.is_not,
    "truthy": lambda v, e: bool(v), "falsy": lambda v, e: not v, "ok": lambda v, e: True}


def check_value(actual: object, expected: object, check: Any) -> bool:
    """Does a unit's returned value pass its `types.Check` (see the module doc)? Total: any
    exception (an unorderable value, `str()` of a huge int, an expression that fails) is a
    mismatch. `actual` must be a fresh plain value decoded on this side."""
    try:
        v = _WRAPS[check.wrap](actual) if check.wrap else actual
        op = check.op
        if op in _OPS:
            return bool(_OPS[op](v, expected))
        if op in ("abs<", "abs<="):
            diff = abs(v - expected)  # type: ignore[operator]
            return bool(diff < check.tol if op == "abs<" else diff <= check.tol)
        if op == "isclose":
            return math.isclose(v, expected, rel_tol=1e-9 if check.rel_tol is None else check.rel_tol,  # type: ignore[arg-type]
                                abs_tol=0.0 if check.tol is None else check.tol)
        if op == "expr":
            from recode_rl.execution.trusted_eval import evaluate_check

            return bool(evaluate_check(check, v))
        return False
    except Exception:  # noqa: BLE001 - a comparison that cannot be made is a mismatch
        return False
