"""LiveCodeBench records: test parsing, private-test decoding, the restricted unpickler, windows."""

from __future__ import annotations

import base64
import json
import pickle
import zlib
from pathlib import Path

import pytest

from recode_rl.data import load_problems
from recode_rl.data.livecodebench import decode_private_tests, func_name_from_starter, problem_from_lcb
from recode_rl.data.records import Where
from recode_rl.errors import DataError

W = Where("lcb.jsonl", line=5)


def _lcb(**over: object) -> dict:
    rec = {
        "question_title": "t", "question_content": "Add two numbers.", "platform": "leetcode",
        "question_id": "q1", "contest_id": "c", "contest_date": "2024-09-01T00:00:00",
        "starter_code": "class Solution:\n    def add(self, a: int, b: int) -> int:\n        ",
        "difficulty": "easy",
        "public_test_cases": json.dumps([{"input": "1\n2", "output": "3", "testtype": "functional"}]),
        "private_test_cases": "", "metadata": json.dumps({"func_name": "add"}),
    }
    rec.update(over)
    return rec


def _compress(obj: object) -> str:
    return base64.b64encode(zlib.compress(pickle.dumps(obj))).decode()


def test_functional_record_one_json_value_per_line() -> None:
    p = problem_from_lcb(_lcb(), W)
    assert p.task_id == "q1" and p.contest_date == "2024-09-01" and p.difficulty == "easy"
    assert p.tests.kind == "functional" and p.tests.class_name == "Solution" and p.tests.fn_name == "add"
    assert p.tests.inputs == ([1, 2],) and p.tests.outputs == (3,)
    assert "class ListNode" in p.metadata["program_prefix"]


def test_stdin_record_keeps_strings() -> None:
    cases = [{"input": "3\n1 2 3\n", "output": "6\n", "testtype": "stdin"}]
    p = problem_from_lcb(_lcb(public_test_cases=json.dumps(cases), starter_code="", metadata="{}"), W)
    assert p.tests.kind == "stdio" and p.tests.inputs == ("3\n1 2 3\n",) and p.tests.outputs == ("6\n",)


def test_private_tests_plain_and_compressed_are_appended() -> None:
    private = [{"input": "5\n6", "output": "11", "testtype": "functional"}]
    for encoded in (json.dumps(private), _compress(json.dumps(private))):
        p = problem_from_lcb(_lcb(private_test_cases=encoded), W)
        assert p.tests.inputs == ([1, 2], [5, 6]) and p.tests.outputs == (3, 11)
        assert (p.metadata["n_public"], p.metadata["n_private"]) == (1, 1)
    assert len(problem_from_lcb(_lcb(private_test_cases=_compress(json.dumps(private))), W,
                                include_private=False).tests) == 1


class _Boom:
    def __reduce__(self):  # would run os.system("echo pwned") if unpickled normally
        import os

        return (os.system, ("echo pwned",))


@pytest.mark.parametrize("payload", [_Boom(), [1, 2, 3], {"a": "b"}, pickle.dumps("x")])
def test_restricted_unpickler_only_yields_str(payload: object) -> None:
    with pytest.raises(ValueError, match="bad pickle payload"):
        decode_private_tests(_compress(payload))


def test_malicious_pickle_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (Path.touch, (marker,))

    rec = _lcb(private_test_cases=_compress(Evil()))
    with pytest.raises(DataError, match=r"lcb.jsonl, line 5, field 'private_test_cases': bad pickle payload.*refused"):
        problem_from_lcb(rec, W)
    assert not marker.exists()


def test_private_tests_garbage_and_zip_bomb_guard() -> None:
    with pytest.raises(ValueError, match="neither JSON nor base64"):
        decode_private_tests("not base64 !!")
    with pytest.raises(ValueError, match="not zlib"):
        decode_private_tests(base64.b64encode(b"plain bytes").decode())
    assert decode_private_tests("") == [] and decode_private_tests(None) == []


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        ({"public_test_cases": "[{"}, "public_test_cases", "invalid JSON string"),
        ({"public_test_cases": json.dumps([{"input": 1, "output": "2"}])}, "public_test_cases", "test 0: expected an object"),
        ({"public_test_cases": json.dumps([{"input": "x", "output": "2", "testtype": "functional"}])},
         "public_test_cases", "not JSON"),
        ({"public_test_cases": json.dumps([{"input": "1", "output": "2", "testtype": "weird"}])},
         "public_test_cases", "unknown testtype"),
        ({"public_test_cases": "[]"}, "public_test_cases", "no test cases"),
        ({"metadata": "{}", "starter_code": ""}, "public_test_cases", "no function name"),
        ({"question_content": None}, "question_content", "missing"),
    ],
)
def test_malformed_lcb_records(over: dict, field: str, message: str) -> None:
    with pytest.raises(DataError, match=rf"lcb.jsonl, line 5, field '{field}': .*{message}"):
        problem_from_lcb(_lcb(**over), W)


def test_func_name_from_starter() -> None:
    assert func_name_from_starter("class Solution:\n    def maxSum(self, nums):\n") == "maxSum"
    assert func_name_from_starter("") is None


def test_lcb_v5_counts_and_window(shared_data: Path) -> None:
    problems = load_problems("livecodebench")
    assert len(problems) == 879
    kinds = {k: sum(p.tests.kind == k for p in problems) for k in ("stdio", "functional")}
    # PROVENANCE: 381 LeetCode problems (functional) + 489 AtCoder + 9 Codeforces (stdin)
    assert kinds == {"stdio": 498, "functional": 381}
    # DeepCoder's test window 2024-08-01..2025-02-01 holds the 279 problems of its test file
    window = load_problems("livecodebench", start="2024-08-01", end="2025-02-01")
    assert len(window) == 279 and all("2024-08-01" <= p.contest_date <= "2025-02-01" for p in window)
    # the 166-problem subset file is exactly the 2024-10-01..2025-02-28 window
    assert len(load_problems("livecodebench", start="2024-10-01", end="2025-02-28")) == 166
    with pytest.raises(DataError, match="ISO date"):
        load_problems("livecodebench", start="last year")
