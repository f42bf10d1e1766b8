"""Math problems: one record layout, registered benchmarks, local files detected as math."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recode_rl.data import load_problems
from recode_rl.data.math import load_math_file
from recode_rl.errors import DataError


def test_math_file_layouts_and_ids(tmp_path: Path) -> None:
    f = tmp_path / "m.jsonl"
    f.write_text(json.dumps({"problem": "1+1?", "answer": 2, "level": 1}) + "\n\n"
                 + json.dumps({"prompt": "half?", "solution": "so \\boxed{\\frac{1}{2}}", "id": 9}) + "\n")
    a, b = load_math_file(f)
    assert (a.task_id, a.answer, a.difficulty, a.tests) == ("m/0", "2", "level 1", None)
    assert (b.task_id, b.answer, b.prompt) == ("9", "\\frac{1}{2}", "half?")
    assert [p.task_id for p in load_math_file(f, id_prefix="set", task_ids=["set/9"])] == ["set/9"]


@pytest.mark.parametrize("record, field", [
    ({"answer": "2"}, "problem"),
    ({"problem": "x", "solution": "no box"}, "answer"),
])
def test_math_record_errors_name_file_line_field(tmp_path: Path, record: dict, field: str) -> None:
    f = tmp_path / "bad.jsonl"
    f.write_text(json.dumps({"problem": "ok", "answer": "1"}) + "\n" + json.dumps(record) + "\n")
    with pytest.raises(DataError, match=f"bad.jsonl, line 2, field '{field}'"):
        load_math_file(f)


def test_registered_math_benchmarks(shared_data: Path) -> None:
    m500 = load_problems("math500", limit=2)
    assert all(p.is_math and p.source == "math500" and p.task_id.startswith("math500/") for p in m500)
    assert m500[0].difficulty and m500[0].difficulty.startswith("level ")
    minerva = load_problems("minerva", limit=1)[0]
    assert minerva.answer and minerva.task_id == "minerva/0"   # answer from the solution's \boxed{}
    assert load_problems("aime24", task_ids=["aime24/60"])[0].answer == "204"


def test_local_files_detect_math_and_round_trip_problem_dicts(tmp_path: Path) -> None:
    f = tmp_path / "mixed.jsonl"
    f.write_text(json.dumps({"problem": "1+1?", "answer": "2"}) + "\n")
    (p,) = load_problems(f)
    assert p.is_math and p.answer == "2"
    ours = tmp_path / "ours.jsonl"
    ours.write_text(json.dumps(p.to_dict()) + "\n")
    assert load_problems(ours) == [p]


def test_dapo_rows_become_bare_statements_without_duplicates(tmp_path, monkeypatch):
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    from recode_rl.data import load_problems

    def row(statement, answer, index):
        content = ("Solve the following math problem step by step. The last line of your response should be of the "
                   "form Answer: $Answer (without quotes) where $Answer is the answer to the problem.\n\n"
                   f"{statement}\n\nRemember to put your answer on its own line after \"Answer:\".")
        return {"data_source": "math_dapo", "prompt": [{"content": content, "role": "user"}], "ability": "MATH",
                "reward_model": {"ground_truth": answer, "style": "rule-lighteval/MATH_v2"},
                "extra_info": {"index": index}}

    rows = [row("What is $1+1$?", "2", "a"), row("What is $1+1$?", "2", "b"), row("Find $x$ if $2x = 6$.", "3", "c")]
    path = tmp_path / "cache/data/math_train/dapo-math-17k.parquet"
    path.parent.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows), path)
    monkeypatch.setenv("RECODE_DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("RECODE_CACHE_DIR", str(tmp_path / "cache"))
    problems = load_problems("dapo-math-17k")
    assert [(p.task_id, p.prompt, p.answer) for p in problems] == [
        ("dapo/a", "What is $1+1$?", "2"), ("dapo/c", "Find $x$ if $2x = 6$.", "3")]
    assert all(p.is_math and p.source == "dapo-math-17k" for p in problems)
