"""Trusted-side output comparison. Runs in the parent; expected outputs never leave it.

stdio (LiveCodeBench `grade_stdio`): strip both texts, split into lines and strip each line;
the line counts must match; each pair of lines is equal as text, or else equal as lists of
whitespace-separated `Decimal`s (so "1.0" == "1.00", but 0.3333 != 0.33333).

functional: Python `==` between fresh plain values decoded on the trusted side. Where the
expected value is a list and the returned one a tuple, the tuple counts as a list (JSON
data cannot tell them apart; LiveCodeBench does the same). With a tolerance (EvalPlus
`atol`), float results and sequences of floats compare with rtol 1e-7 and atol (1e-6 when
the record's atol is 0), NaN equal to NaN, as EvalPlus does.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation

__all__ = ["stdio_equal", "values_equal"]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.strip().split("\n")]


def _decimals(line: str) -> list[Decimal] | None:
    try:
        return [Decimal(tok) for tok in line.split()]
    except (InvalidOperation, ValueError):
        return None


def stdio_equal(actual: str, expected: str) -> bool:
    a, e = _lines(actual), _lines(expected)
    if len(a) != len(e):
        return False
    for x, y in zip(a, e):
        if x == y:
            continue
        dx, dy = _decimals(x), _decimals(y)
        if dx is None or dy is None or dx != dy:
            return False
    return True


def _is_floats(x: object) -> bool:
    if isinstance(x, float):
        return True
    if isinstance(x, (list, tuple)) and x:
        return all(isinstance(v, float) for v in x)
    return False


def _close(a: object, e: object, atol: float) -> bool:
    if isinstance(e, (list, tuple)):
        if not isinstance(a, (list, tuple)) or len(a) != len(e):
            return False
        return all(_close(x, y, atol) for x, y in zip(a, e))
    if isinstance(a, bool) or not isinstance(a, (int, float)) or not isinstance(e, (int, float)):
        return a == e
    if math.isnan(e) or math.isnan(a):
        return math.isnan(e) and math.isnan(a)
    return abs(a - e) <= atol + 1e-7 * abs(e)


def _loose_equal(a: object, e: object) -> bool:
    """`==`, except that a tuple matches an expected list element-wise."""
    if isinstance(e, list) and isinstance(a, tuple):
        a = list(a)
    if isinstance(e, list) and isinstance(a, list):
        return len(a) == len(e) and all(_loose_equal(x, y) for x, y in zip(a, e))
    if isinstance(e, dict) and isinstance(a, dict):
        return a.keys() == e.keys() and all(_loose_equal(a[k], e[k]) for k in e)
    try:
        return bool(a == e)
    except Exception:  # noqa: BLE001 - e.g. comparing unorderable plain values
        return False


def values_equal(actual: object, expected: object, atol: float | None = None) -> bool:
    if _loose_equal(actual, expected):
        return True
    if atol is None:
        return False
    if atol > 0 or _is_floats(expected):
        return _close(actual, expected, atol if atol > 0 else 1e-6)
    return False
