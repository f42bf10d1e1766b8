"""Local files with per-record schema detection, the registry, user loaders, HF errors."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

from recode_rl.data import Problem, load_problems, register_loader
from recode_rl.execution.types import TestSuite
from recode_rl.data.files import detect_schema
from recode_rl.errors import DataError


def _own() -> Problem:
    return Problem(task_id="own/1", prompt="Echo.", source="mine",
                   tests=TestSuite(kind="stdio", inputs=("a\n",), outputs=("a\n",)),
                   reference_solution="print(input())", metadata={"k": [1, 2]})


def test_problem_round_trip() -> None:
    p = _own()
    assert Problem.from_dict(p.to_dict()) == p
    assert Problem.from_dict(json.loads(json.dumps(p.to_dict()))) == p
    for q in load_problems("embedded"):
        assert Problem.from_dict(json.loads(json.dumps(q.to_dict()))) == q


def test_mixed_schema_file(tmp_path: Path) -> None:
    records = [
        _own().to_dict(),
        {"question_id": "q9", "question_content": "Print 1.", "starter_code": "", "contest_date": "2024-01-01T00:00:00",
         "public_test_cases": json.dumps([{"input": "", "output": "1\n", "testtype": "stdin"}]),
         "private_test_cases": "", "metadata": "{}"},
        {"task_id": "HE/x", "prompt": "def f():\n", "canonical_solution": "    return 1\n",
         "test": "def check(candidate):\n    assert candidate() == 1\n", "entry_point": "f"},
        {"task_id": 3, "text": "Double.", "code": "def dbl(x):\n    return 2 * x\n",
         "test_list": ["assert dbl(2) == 4"], "test_setup_code": "", "challenge_test_list": []},
        {"question": "Sum.", "input_output": json.dumps({"inputs": ["1 2\n"], "outputs": ["3\n"]}),
         "solutions": json.dumps(["print(sum(map(int, input().split())))"])},
        {"problem": "Sum.", "tests": [{"input": "1 2\n", "output": "3\n", "testtype": "stdin"}]},
    ]
    assert [detect_schema(r) for r in records] == ["recode", "lcb", "humaneval", "mbpp", "taco", "rllm"]
    f = tmp_path / "mixed.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in records))
    problems = load_problems(str(f))
    assert [p.task_id for p in problems] == ["own/1", "q9", "HE/x", "mbpp/3", "mixed/4", "mixed/5"]
    assert problems[0] == _own()
    # the HumanEval and MBPP records' asserts are compiled into functional units
    assert [p.tests.kind for p in problems] == ["stdio", "stdio", "functional", "functional", "stdio", "stdio"]
    assert problems[3].tests.inputs == ([2],) and problems[3].tests.outputs == (4,)
    assert len(load_problems(str(f), limit=2)) == 2

    from recode_rl.execution import execute_many

    runnable = [p for p in problems if p.reference_solution]
    results = execute_many([(p.reference_solution, p.tests) for p in runnable])
    assert [r.verdict.value for r in results] == ["passed"] * len(runnable), [r.summary() for r in results]


def test_json_and_parquet_files(tmp_path: Path) -> None:
    j = tmp_path / "own.json"
    j.write_text(json.dumps([_own().to_dict()]))
    assert load_problems(str(j)) == [_own()]
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    lcb = {"question_id": "q1", "question_content": "x", "starter_code": "", "public_test_cases":
           json.dumps([{"input": "1\n", "output": "1\n", "testtype": "stdin"}]), "private_test_cases": "", "metadata": "{}"}
    pq.write_table(pa.Table.from_pylist([lcb, {**lcb, "question_id": "q2"}]), tmp_path / "lcb.parquet")
    assert [p.task_id for p in load_problems(str(tmp_path / "lcb.parquet"))] == ["q1", "q2"]


def test_unknown_and_bad_records(tmp_path: Path) -> None:
    f = tmp_path / "odd.jsonl"
    f.write_text(json.dumps(_own().to_dict()) + "\n" + json.dumps({"foo": 1}) + "\n")
    with pytest.raises(DataError, match=r"odd.jsonl, line 2: unrecognised problem schema \(fields: \['foo'\]\)"):
        load_problems(str(f))
    bad_own = _own().to_dict()
    bad_own["tests"] = {"kind": "functional", "inputs": [[1]], "outputs": [1]}  # no fn_name
    g = tmp_path / "bad.jsonl"
    g.write_text(json.dumps(bad_own) + "\n")
    with pytest.raises(DataError, match=r"bad.jsonl, line 1, field 'tests': not a valid Problem: functional tests need fn_name"):
        load_problems(str(g))


def test_registry_names_options_and_user_loaders(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(DataError, match="unknown problem set 'nope'.*embedded"):
        load_problems("nope")
    with pytest.raises(DataError, match=r"unknown option\(s\) \['colour'\]"):
        load_problems("embedded", colour="red")

    def tiny(*, n: int = 1) -> list[Problem]:
        return [_own()] * n

    register_loader("tiny-test-set", tiny)
    assert len(load_problems("tiny-test-set", n=3)) == 3
    with pytest.raises(ValueError, match="already registered"):
        register_loader("tiny-test-set", lambda: [])

    module = types.ModuleType("user_loaders_for_test")
    module.load_mine = tiny  # type: ignore[attr-defined]
    module.not_problems = lambda: [1]  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "user_loaders_for_test", module)
    assert load_problems("user_loaders_for_test:load_mine", n=2) == [_own(), _own()]
    with pytest.raises(DataError, match="must return a list of Problem"):
        load_problems("user_loaders_for_test:not_problems")
    with pytest.raises(DataError, match="has no function 'missing'"):
        load_problems("user_loaders_for_test:missing")
    with pytest.raises(DataError, match="cannot import"):
        load_problems("no_such_module_xyz:fn")


def test_hf_offline_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    datasets = pytest.importorskip("datasets")

    def offline(*args: object, **kwargs: object) -> None:
        raise ConnectionError("Couldn't reach 'someone/set' on the Hub (LocalEntryNotFoundError)")

    monkeypatch.setattr(datasets, "load_dataset", offline)
    with pytest.raises(DataError, match=r"hf:someone/set: could not load split 'test'.*offline.*ConnectionError"):
        load_problems("hf:someone/set")


def test_hf_records_are_detected(monkeypatch: pytest.MonkeyPatch) -> None:
    datasets = pytest.importorskip("datasets")
    rows = [{"task_id": 5, "text": "Id.", "code": "def ident(x):\n    return x\n", "test_list": ["assert ident(1) == 1"],
             "test_setup_code": "", "challenge_test_list": []}]
    monkeypatch.setattr(datasets, "load_dataset", lambda name, config, split, revision: rows)
    (p,) = load_problems("hf:google-research-datasets/mbpp", split="test")
    assert p.task_id == "mbpp/5" and p.tests.entry_point == "ident"
