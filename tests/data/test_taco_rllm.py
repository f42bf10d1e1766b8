"""TACO/APPS `{inputs, outputs, fn_name?}` tests and the rllm/DeepCoder files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recode_rl.data import load_problems
from recode_rl.data.records import Where
from recode_rl.data.rllm import leetcode_check_suite, problem_from_rllm
from recode_rl.data.taco import io_test_suite
from recode_rl.errors import DataError

W = Where("taco.json", index=3)


def test_stdio_joins_lists_of_lines() -> None:
    suite = io_test_suite(json.dumps({"inputs": [["2", "1 2"], "3\n"], "outputs": [["3"], "3\n"]}), W)
    assert suite.kind == "stdio" and suite.inputs == ("2\n1 2\n", "3\n") and suite.outputs == ("3\n", "3\n")


def test_functional_unwraps_apps_style_outputs() -> None:
    # every output is a one-element list -> APPS wrapping: the calls return 3 and [1, 2]
    suite = io_test_suite({"inputs": [[1, 2], [[1], [2]]], "outputs": [[3], [[1, 2]]], "fn_name": "f"}, W)
    assert suite.kind == "functional" and suite.outputs == (3, [1, 2]) and suite.class_name is None
    # not all one-element lists -> taken literally
    raw = io_test_suite({"inputs": [[1], [2]], "outputs": [[1], [1, 2]], "fn_name": "f"}, W)
    assert raw.outputs == ([1], [1, 2])
    assert io_test_suite({"inputs": [[1]], "outputs": [[5]], "fn_name": "f"}, W, unwrap=False).outputs == ([5],)
    cls = io_test_suite({"inputs": [[1]], "outputs": [2], "fn_name": "f"}, W, starter_code="class Solution:\n")
    assert cls.class_name == "Solution"


@pytest.mark.parametrize(
    ("tests", "message"),
    [
        ("{oops", "invalid JSON string"),
        ({"inputs": [1, 2], "outputs": [1]}, "2 inputs but 1 outputs"),
        ({"inputs": [], "outputs": []}, "no test cases"),
        ({"inputs": [3], "outputs": ["3"]}, "test 0: stdin input must be a string"),
        ({"inputs": [3], "outputs": [3], "fn_name": "f"}, "test 0: functional input must be a list"),
        ({"inputs": [[1]], "outputs": [3], "fn_name": "bad name"}, "not a Python identifier"),
    ],
)
def test_malformed_io_tests(tests: object, message: str) -> None:
    with pytest.raises(DataError, match=rf"taco.json, record 3, field 'tests': .*{message}"):
        io_test_suite(tests, W)


def test_leetcode_check_suite_shapes() -> None:
    code = "def check(candidate):\n    assert candidate(nums=[1, 2]) == 3\n\n\ncheck(Solution().total)"
    suite, plain = leetcode_check_suite(code, W)
    assert plain and suite.entry_point == "_solution_method" and suite.assertions == ("check(candidate)",)
    assert "return Solution().total(*args, **kwargs)" in suite.preamble
    assert "check(Solution().total)" not in suite.preamble  # the call is the test, not the preamble
    linked = "def check(candidate):\n    assert is_same_list(candidate(head=list_node([1])), list_node([1]))\n\ncheck(Solution().rev)"
    suite2, plain2 = leetcode_check_suite(linked, W)
    assert not plain2 and suite2.entry_point is None and suite2.assertions == ("check(Solution().rev)",)
    with pytest.raises(DataError, match="expected 'def check"):
        leetcode_check_suite("assert True", W)


def test_leetcode_checks_compile_with_keywords_by_the_reference_signature() -> None:
    from recode_rl.data.rllm import compile_leetcode_check
    from recode_rl.execution.assertions import NotCompilable

    code = ("def check(candidate):\n    assert candidate(nums=[1, 2], k=3) == 6\n"
            "    assert candidate([4], k=1) == 4\n\n\ncheck(Solution().total)")
    reference = "class Solution:\n    def total(self, nums: List[int], k: int) -> int:\n        return sum(nums) * k\n"
    suite, prefix = compile_leetcode_check(code, reference, W)
    assert suite.kind == "functional" and suite.fn_name == "_solution_method" and suite.trust == "strong"
    assert suite.inputs == ([[1, 2], 3], [[4], 1]) and suite.outputs == (6, 4)
    assert prefix.endswith("def _solution_method(*args, **kwargs):\n    return Solution().total(*args, **kwargs)\n\n\n")
    with pytest.raises(NotCompilable, match="keyword arguments"):      # no reference: no signature
        compile_leetcode_check(code, None, W)
    with pytest.raises(NotCompilable, match="'k' does not match the signature \\(nums, kk\\)"):
        compile_leetcode_check(code, reference.replace("k: int", "kk: int"), W)
    p = problem_from_rllm({"problem": "p", "tests": {"functional": code}, "solutions": [reference]}, W)
    assert p.tests == suite and p.metadata["program_prefix"] == prefix and p.reference_solution.startswith(prefix)
    raw = problem_from_rllm({"problem": "p", "tests": {"functional": code}, "solutions": [reference]}, W,
                            compile_tests=False)
    assert raw.tests.kind == "assertion" and raw.tests.trust == "weak"


def test_rllm_record_shapes() -> None:
    lcb = problem_from_rllm({"problem": "p", "starter_code": "", "tests": [
        {"input": "1\n", "output": "1\n", "testtype": "stdin"}]}, W, stem="f", index=3)
    assert lcb.task_id == "f/3" and lcb.tests.kind == "stdio"
    taco = problem_from_rllm({"problem": "p", "tests": json.dumps({"inputs": ["1\n"], "outputs": ["2\n"]}),
                              "solutions": json.dumps(["print(2)"])}, W)
    assert taco.tests.kind == "stdio" and taco.reference_solution.endswith("print(2)")
    with pytest.raises(DataError, match="field 'tests': expected a list"):
        problem_from_rllm({"problem": "p", "tests": {"weird": 1}}, W)


def test_rllm_file_counts(shared_data: Path) -> None:
    counts = {name: len(load_problems(name)) for name in
              ("livecodebench-train", "leetcode-train", "livecodebench-rllm", "livecodebench-deepcoder-test")}
    assert counts == {"livecodebench-train": 580, "leetcode-train": 1889, "livecodebench-rllm": 879,
                      "livecodebench-deepcoder-test": 279}
    train = load_problems("livecodebench-train")
    # PROVENANCE: 871 stdin and 672 functional tests in total
    assert sum(len(p.tests) for p in train if p.tests.kind == "stdio") == 871
    assert sum(len(p.tests) for p in train if p.tests.kind == "functional") == 672


def test_leetcode_reference_solutions_pass_in_sandbox(shared_data: Path) -> None:
    from recode_rl.execution import execute_many

    problems = load_problems("leetcode-train")
    # 1,768 compile; 46 compare linked lists/trees, 75 build TreeNode/ListNode arguments: weak
    weak = [p for p in problems if p.tests.trust == "weak"]
    assert len(weak) == 121 and sum(not p.metadata["plain_values"] for p in weak) == 46
    linked = [p for p in problems if not p.metadata["plain_values"]][:3]
    sample = [p for p in problems if p.tests.kind == "functional"][:6] + linked
    assert all(p.tests.trust == "weak" and p.tests.kind == "assertion" for p in linked)
    results = execute_many([(p.reference_solution, p.tests) for p in sample])
    assert [r.verdict.value for r in results] == ["passed"] * len(sample), [r.summary() for r in results]
    broken = execute_many([(p.reference_solution + "\nSolution = None\n", p.tests) for p in sample])
    assert not any(r.all_passed for r in broken)
