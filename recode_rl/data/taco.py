"""TACO / APPS / DeepCoder `{"inputs": [...], "outputs": [...], "fn_name"?}` tests -> `TestSuite`.

* With `fn_name`: a `functional` suite. Each input is the list of positional arguments. APPS/TACO
  store each expected return value wrapped in a one-element list (`[[3], [5]]` means the calls
  return 3 and 5); `unwrap="auto"` removes that wrapping when *every* output is a one-element
  list, which is how those datasets are written. `class_name="Solution"` when the starter code
  declares `class Solution`, else a top-level function.
* Without: a `stdio` suite. Inputs/outputs given as lists of lines are joined with newlines (as
  TACO's harness does) and get a trailing newline.

Departure from the APPS harness: it accepts either the wrapped or the unwrapped value at run
time; we decide once, on the trusted side, so the executor compares exactly.
"""

from __future__ import annotations

from typing import Any, Literal

from recode_rl.data.records import Where, parse_json_field
from recode_rl.execution.types import TestSuite

__all__ = ["io_test_suite"]


def _join_lines(value: Any, where: Where, field: str, i: int, what: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "\n".join(value) + "\n"
    raise where.error(field, f"test {i}: stdin {what} must be a string or a list of strings, got {type(value).__name__}")


def io_test_suite(tests: Any, where: Where, *, field: str = "tests", starter_code: str = "",
                  fn_name: str | None = None, unwrap: bool | Literal["auto"] = "auto") -> TestSuite:
    """`{"inputs", "outputs", "fn_name"?}` (dict or JSON string) -> stdio or functional suite."""
    tests = parse_json_field(tests, field, where)
    if not isinstance(tests, dict):
        raise where.error(field, f"expected an object with 'inputs' and 'outputs', got {type(tests).__name__}")
    inputs, outputs = tests.get("inputs"), tests.get("outputs")
    if not isinstance(inputs, list) or not isinstance(outputs, list):
        raise where.error(field, "expected lists under 'inputs' and 'outputs'")
    if len(inputs) != len(outputs):
        raise where.error(field, f"{len(inputs)} inputs but {len(outputs)} outputs")
    if not inputs:
        raise where.error(field, "no test cases")
    fn_name = tests.get("fn_name") or fn_name
    if not fn_name:
        return TestSuite(
            kind="stdio",
            inputs=tuple(_join_lines(x, where, field, i, "input") for i, x in enumerate(inputs)),
            outputs=tuple(_join_lines(y, where, field, i, "output") for i, y in enumerate(outputs)),
        )
    if not isinstance(fn_name, str) or not fn_name.isidentifier():
        raise where.error(field, f"fn_name {fn_name!r} is not a Python identifier")
    for i, args in enumerate(inputs):
        if not isinstance(args, list):
            raise where.error(field, f"test {i}: functional input must be a list of arguments, got {type(args).__name__}")
    if unwrap == "auto":
        unwrap = all(isinstance(y, list) and len(y) == 1 for y in outputs)
    if unwrap:
        bad = [i for i, y in enumerate(outputs) if not (isinstance(y, list) and len(y) == 1)]
        if bad:
            raise where.error(field, f"test {bad[0]}: unwrap=True but the output is not a one-element list")
        outputs = [y[0] for y in outputs]
    class_name = "Solution" if "class Solution" in starter_code else None
    return TestSuite(kind="functional", inputs=tuple(inputs), outputs=tuple(outputs),
                     fn_name=fn_name, class_name=class_name)
