"""rllm / DeepCoder-style records (`problem`, `tests`, `starter_code`?, `solutions`?) -> `Problem`s.

`tests` comes in three shapes in the DeepCoder data:
* a list of `{"input", "output", "testtype"}` (their LiveCodeBench files) -> LiveCodeBench rules;
* `{"inputs", "outputs", "fn_name"?}`, possibly as a JSON string (TACO, APPS, PrimeIntellect,
  CodeContests) -> `taco.io_test_suite`;
* `{"functional": "def check(candidate): ...\\n\\ncheck(Solution().method)"}` (their LeetCode
  files) -> compiled on the trusted side into a `functional` suite (`execution.assertions`) that
  calls a shim `_solution_method(*a) -> Solution().method(*a)`, which the program prefix defines
  after the LeetCode prelude; keyword arguments (`candidate(nums=[1], target=2)`) are passed by
  position, through the parameter names of the reference solution's method. 1,768 of
  leetcode-train's 1,889 compile. The others keep an `assertion` suite (`trust: "weak"`, the reason
  in `metadata["not_compiled"]`): the preamble holds the LeetCode helpers (`list_node`,
  `tree_node`, ...), the shim (wrapped as `candidate`) and the `check` definition; the test is
  `check(candidate)`. When the check compares linked lists/trees (`is_same_list`/`is_same_tree`),
  results are node objects that the plain-value wrapper would refuse, so `entry_point` is left
  unset and the call is `check(Solution().method)` as written; `metadata["plain_values"]` says
  which applies. Departures: a fresh `Solution()` per call (the original reuses one instance);
  compiled, a method whose parameters are named otherwise than the reference's still gets its
  arguments (by position).

Records carry no ids; `task_id` is `<file stem>/<index>` unless the record has one.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from recode_rl.data.livecodebench import func_name_from_starter, lcb_test_suite
from recode_rl.data.prelude import LEETCODE_PRELUDE, STDIN_PRELUDE
from recode_rl.data.records import Where, find_data_file, get_str, parse_json_field, read_records
from recode_rl.data.schema import Problem
from recode_rl.data.taco import io_test_suite
from recode_rl.execution.assertions import NotCompilable, compile_suite
from recode_rl.execution.types import TestSuite

__all__ = ["problem_from_rllm", "leetcode_check_suite", "compile_leetcode_check", "load_rllm", "load_rllm_named",
           "RLLM_FILES"]

RLLM_FILES = {
    "livecodebench-train": "code_train/rllm_train_livecodebench.json",
    "leetcode-train": "code_train/rllm_train_leetcode.json",
    "livecodebench-rllm": "livecodebench/rllm_livecodebench_v5_879.json",
    "livecodebench-deepcoder-test": "livecodebench/rllm_test_livecodebench_2408_2501.json",
}

_CHECK_CALL = re.compile(r"^check\(\s*Solution\(\)\.([A-Za-z_]\w*)\s*\)\s*$", re.M)


def _check_parts(code: str, where: Where, field: str) -> tuple[str, str]:
    """(method name, the check code without its `check(Solution().m)` call)."""
    calls = list(_CHECK_CALL.finditer(code))
    if "def check(" not in code or not calls:
        raise where.error(field, "expected 'def check(candidate)' followed by 'check(Solution().<method>)'")
    return calls[-1].group(1), _CHECK_CALL.sub("", code).rstrip() + "\n"


def _shim(method: str) -> str:
    return f"\n\ndef _solution_method(*args, **kwargs):\n    return Solution().{method}(*args, **kwargs)\n\n\n"


def leetcode_check_suite(code: str, where: Where, field: str = "tests") -> tuple[TestSuite, bool]:
    """`def check(candidate) ... check(Solution().m)` -> (assertion suite, plain_values)."""
    method, body = _check_parts(code, where, field)
    if "is_same_list" in code or "is_same_tree" in code:
        suite = TestSuite(kind="assertion", preamble=LEETCODE_PRELUDE + "\n\n" + body,
                          assertions=(f"check(Solution().{method})",))
        return suite, False
    suite = TestSuite(kind="assertion", preamble=LEETCODE_PRELUDE + _shim(method) + body,
                      assertions=("check(candidate)",), entry_point="_solution_method")
    return suite, True


def _method_params(reference: str | None, method: str) -> list[str] | None:
    """Positional parameter names (after `self`) of `Solution.<method>` in the reference code."""
    try:
        tree = ast.parse(reference or "")
    except (SyntaxError, ValueError):
        return None
    for cls in tree.body:
        if isinstance(cls, ast.ClassDef) and cls.name == "Solution":
            for fn in cls.body:
                if isinstance(fn, ast.FunctionDef) and fn.name == method:
                    return [a.arg for a in fn.args.posonlyargs + fn.args.args][1:]
    return None


def compile_leetcode_check(code: str, reference: str | None, where: Where,
                           field: str = "tests") -> tuple[TestSuite, str]:
    """(functional suite calling `_solution_method`, the program prefix that defines it); raises
    `NotCompilable` with the reason."""
    method, body = _check_parts(code, where, field)
    assertion = TestSuite(kind="assertion", preamble=body, assertions=("check(candidate)",),
                          entry_point="_solution_method")
    suite = compile_suite(assertion, helpers=LEETCODE_PRELUDE, params=_method_params(reference, method))
    return suite, LEETCODE_PRELUDE + _shim(method)


def _reference(rec: dict[str, Any], where: Where) -> str | None:
    """The first reference solution: `solutions` (str, list, or JSON list string) or `solution`."""
    for key in ("solutions", "solution"):
        value = rec.get(key)
        if isinstance(value, str) and value.lstrip().startswith("["):
            value = parse_json_field(value, key, where)
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, str) and value.strip():
            return value
    return None


def problem_from_rllm(rec: dict[str, Any], where: Where, *, source: str = "rllm", index: int = 0,
                      stem: str = "rllm", compile_tests: bool = True) -> Problem:
    prompt = get_str(rec, "problem", where)
    starter = get_str(rec, "starter_code", where, default="")
    meta = parse_json_field(rec.get("metadata") or {}, "metadata", where)
    if not isinstance(meta, dict):
        meta = {}
    tests = rec.get("tests")
    if tests is None:
        raise where.error("tests", "missing")
    if isinstance(tests, str) and tests.lstrip().startswith(("[", "{")):
        tests = parse_json_field(tests, "tests", where)
    extra: dict[str, Any] = {}
    prefix = STDIN_PRELUDE
    if isinstance(tests, list):
        suite = lcb_test_suite(tests, func_name=meta.get("func_name") or func_name_from_starter(starter),
                               where=where, field="tests")
    elif isinstance(tests, dict) and isinstance(tests.get("functional"), str):
        suite, plain = leetcode_check_suite(tests["functional"], where)
        extra["plain_values"] = plain
        prefix = LEETCODE_PRELUDE
        if compile_tests and plain:
            try:
                suite, prefix = compile_leetcode_check(tests["functional"], _reference(rec, where), where)
            except NotCompilable as exc:
                extra["not_compiled"] = str(exc)
    elif isinstance(tests, dict) and "inputs" in tests:
        suite = io_test_suite(tests, where, starter_code=starter, fn_name=meta.get("func_name"))
    else:
        raise where.error("tests", "expected a list of {input, output, testtype}, {inputs, outputs}, "
                                   "or {functional: check code}")
    if suite.kind == "functional" and suite.class_name:
        prefix = LEETCODE_PRELUDE
    reference = _reference(rec, where)
    task_id = rec.get("task_id") or rec.get("question_id") or rec.get("id")
    return Problem(
        task_id=str(task_id) if task_id is not None else f"{stem}/{index}",
        prompt=prompt,
        tests=suite,
        source=source,
        starter_code=starter,
        reference_solution=(prefix + "\n" + reference) if reference else None,
        difficulty=rec.get("difficulty") or None,
        contest_date=str(rec["contest_date"])[:10] if rec.get("contest_date") else None,
        metadata={"program_prefix": prefix, **extra},
    )


def load_rllm(path: str | Path, *, source: str = "rllm", limit: int | None = None,
              compile_tests: bool = True) -> list[Problem]:
    path = Path(path)
    stem = path.name.split(".")[0]
    problems = []
    for where, rec in read_records(path):
        problems.append(problem_from_rllm(rec, where, source=source, index=where.index or len(problems), stem=stem,
                                          compile_tests=compile_tests))
        if limit and len(problems) >= limit:
            break
    return problems


def load_rllm_named(name: str, *, limit: int | None = None, compile_tests: bool = True) -> list[Problem]:
    return load_rllm(find_data_file(RLLM_FILES[name]), source=name, limit=limit, compile_tests=compile_tests)
