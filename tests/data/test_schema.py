"""`Problem` holds exactly one checker (tests or a gold answer) and round-trips through dicts."""

from __future__ import annotations

import json

import pytest

from recode_rl.data.schema import Problem
from recode_rl.execution.types import TestSuite as Suite  # aliased: pytest would try to collect Test*

SUITE = Suite(kind="stdio", inputs=("1\n",), outputs=("1\n",))


def test_code_problem_round_trips():
    p = Problem(task_id="c1", prompt="echo", tests=SUITE, source="x", metadata={"n_base": 1})
    back = Problem.from_dict(json.loads(json.dumps(p.to_dict())))
    assert back == p and not back.is_math and back.answer is None


def test_math_problem_round_trips():
    p = Problem(task_id="m1", prompt="1+1?", answer="2", difficulty="level 1")
    d = json.loads(json.dumps(p.to_dict()))
    assert d["tests"] is None and d["answer"] == "2"
    back = Problem.from_dict(d)
    assert back == p and back.is_math and back.tests is None


@pytest.mark.parametrize("kwargs, words", [
    ({}, "neither tests nor an answer"),
    ({"tests": SUITE, "answer": "2"}, "both tests and an answer"),
])
def test_exactly_one_checker(kwargs, words):
    with pytest.raises(ValueError, match=words) as info:
        Problem(task_id="p9", prompt="?", **kwargs)
    assert "'p9'" in str(info.value)


@pytest.mark.parametrize("answer", ["", "   "])
def test_empty_answer_is_rejected(answer):
    with pytest.raises(ValueError, match="non-empty string"):
        Problem(task_id="m", prompt="?", answer=answer)
