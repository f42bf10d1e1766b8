"""MBPP (`text, code, task_id, test_list, test_setup_code, challenge_test_list`) -> `Problem`s.

The asserts (`test_list`, with `test_setup_code` run first) are compiled on the trusted side into
a `functional` suite, one unit per assert (`recode_rl.execution.assertions`): 969 of the 974
problems compile (with the challenge tests). The others (MBPP/367 and 927 build trees of the
program's own `Node` class, 601 its `Pair`, 533 passes the type `int`, 596 uses the program's
`import sys`), and every problem with `compile_tests=False`, keep one `assertion` test per
assert, run beside the program (`trust: "weak"`; the reason in `metadata["not_compiled"]`).
The entry point is derived from the data: the first function the asserts call that the
reference `code` defines at top level.

The prompt follows MBPP's convention of showing the tests with the task text (without them the
function name is unknowable); the bare text is kept in `metadata["text"]`.
Splits by task_id, as in the MBPP paper: prompt 1-10, test 11-510, validation 511-600,
train 601-974.
"""

from __future__ import annotations

import ast
import re
import warnings
from pathlib import Path
from typing import Any

from recode_rl.data.records import Where, find_data_file, get_str, get_str_list, read_records
from recode_rl.data.schema import Problem
from recode_rl.errors import DataError
from recode_rl.execution.assertions import compile_or_keep
from recode_rl.execution.types import TestSuite

__all__ = ["MBPP_FILE", "MBPP_SPLITS", "mbpp_entry_point", "problem_from_mbpp", "load_mbpp"]

MBPP_FILE = "mbpp/mbpp.jsonl"
MBPP_SPLITS: dict[str, range] = {
    "prompt": range(1, 11),
    "test": range(11, 511),
    "validation": range(511, 601),
    "train": range(601, 975),
}


def _parse(source: str) -> ast.Module:
    with warnings.catch_warnings():  # MBPP code has "\d"-style escapes in plain strings
        warnings.simplefilter("ignore", (SyntaxWarning, DeprecationWarning))
        return ast.parse(source)


def _called_names(statements: list[str]) -> list[str]:
    """Names of plain-name calls in the statements, outermost first, in statement order."""
    names: list[str] = []
    for stmt in statements:
        try:
            tree = _parse(stmt)
        except SyntaxError:
            continue
        for node in ast.walk(tree):  # breadth-first: outer calls before nested ones
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id not in names:
                names.append(node.func.id)
    return names


def _defined_functions(code: str) -> list[str]:
    try:
        tree = _parse(code)
    except SyntaxError:
        return re.findall(r"^def\s+([A-Za-z_]\w*)", code, flags=re.M)
    return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def mbpp_entry_point(code: str, tests: list[str]) -> str | None:
    """The first function called by the tests that the reference code defines."""
    defined = set(_defined_functions(code))
    for name in _called_names(tests):
        if name in defined:
            return name
    return None


def problem_from_mbpp(rec: dict[str, Any], where: Where, *, source: str = "mbpp",
                      include_challenge: bool = False, compile_tests: bool = True) -> Problem:
    task_id = get_str(rec, "task_id", where)
    text = get_str(rec, "text", where)
    code = get_str(rec, "code", where)
    tests = get_str_list(rec, "test_list", where)
    if not tests:
        raise where.error("test_list", "expected a non-empty list of strings")
    challenge = get_str_list(rec, "challenge_test_list", where, default=[])
    entry_point = mbpp_entry_point(code, tests)
    if entry_point is None:
        raise where.error("test_list", "cannot tell which function the asserts test: none of the "
                                       "functions they call is defined by the reference 'code'")
    assertions = tuple(tests + (challenge if include_challenge else []))
    suite = TestSuite(kind="assertion", preamble=get_str(rec, "test_setup_code", where, default=""),
                      assertions=assertions, entry_point=entry_point)
    metadata: dict[str, Any] = {"text": text, "entry_point": entry_point,
                                "n_challenge": len(challenge) if include_challenge else 0}
    if compile_tests:
        suite, why = compile_or_keep(suite)
        if why:
            metadata["not_compiled"] = why
    return Problem(
        task_id=f"mbpp/{task_id}",
        prompt=f"{text}\nYour code should pass these tests:\n" + "\n".join(tests),
        tests=suite,
        source=source,
        reference_solution=code,
        metadata=metadata,
    )


def load_mbpp(path: str | Path | None = None, *, split: str = "all", include_challenge: bool = False,
              limit: int | None = None, compile_tests: bool = True) -> list[Problem]:
    """MBPP problems of one split (`all`, `test`, `train`, `validation`, `prompt`);
    `compile_tests=False` keeps every test as the original assertion suite."""
    if split != "all" and split not in MBPP_SPLITS:
        raise DataError(f"mbpp: unknown split {split!r}; choose all, {', '.join(MBPP_SPLITS)}")
    ids = MBPP_SPLITS.get(split)
    problems = []
    for where, rec in read_records(path or find_data_file(MBPP_FILE)):
        if ids is not None:
            raw = rec.get("task_id")
            if not isinstance(raw, int) and not (isinstance(raw, str) and raw.isdigit()):
                raise where.error("task_id", f"split {split!r} needs an integer task_id, got {raw!r}")
            if int(raw) not in ids:
                continue
        problems.append(problem_from_mbpp(rec, where, include_challenge=include_challenge,
                                          compile_tests=compile_tests))
        if limit and len(problems) >= limit:
            break
    return problems
