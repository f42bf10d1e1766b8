"""`recode_rl.execution.check.check`: the library behind `recode check`."""

from __future__ import annotations

import json

import pytest

from recode_rl.data import load_problems
from recode_rl.errors import DataError
from recode_rl.execution.check import check
from recode_rl.execution.config import CheckConfig


def _solutions(tmp_path, records):
    path = tmp_path / "sols.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return str(path)


def test_given_solutions_get_verdicts_and_the_rest_no_solution(tmp_path):
    first = load_problems("embedded")[0]
    sols = _solutions(tmp_path, [{"task_id": first.task_id, "solution": first.reference_solution},
                                 {"task_id": "emb002-spread", "solution": "print('nope')"}])
    report = check(CheckConfig(dataset="embedded", solutions=sols, limits={"timeout": 20}))
    by_id = {r["task_id"]: r for r in report.records}
    assert by_id[first.task_id]["verdict"] == "passed"
    assert by_id["emb002-spread"]["verdict"] == "wrong_answer" and not by_id["emb002-spread"]["passed"]
    assert report.passed == 1 and report.total == 30 and report.missing == 28
    assert report.counts == {"no_solution": 28, "passed": 1, "wrong_answer": 1}


def test_unknown_task_id_is_an_error_naming_the_file(tmp_path):
    sols = _solutions(tmp_path, [{"task_id": "no-such-task", "solution": "pass"}])
    with pytest.raises(DataError, match=r"sols\.jsonl.*not in the problem set"):
        check(CheckConfig(dataset="embedded", solutions=sols))


def test_no_problem_source_is_an_error():
    with pytest.raises(DataError, match="--dataset NAME or --problems FILE"):
        check(CheckConfig())


def test_empty_problem_or_solution_file_is_an_error(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(DataError, match="no solutions"):
        check(CheckConfig(dataset="embedded", solutions=str(empty)))
    with pytest.raises(DataError, match="no problems"):
        check(CheckConfig(problems=str(empty)))
