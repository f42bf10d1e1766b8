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
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation

__all__ = ["stdio_equal", "values_equal"]

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
        if atol is None:
            return _loose_equal(actual, expected)
        return _evalplus_equal(actual, expected, atol)
    except Exception:  # noqa: BLE001 - e.g. unorderable values, OverflowError, RecursionError
        return False
