"""Training rows: code and math prompts, held-out split, math files with errors naming record and field."""

from __future__ import annotations

import json

import pytest

from recode_rl.errors import DataError
from recode_rl.data.math import load_math_file
from recode_rl.execution.types import TestSuite
from recode_rl.prompts import MATH_INSTRUCTION
from recode_rl.rl.config import DataSection
from recode_rl.rl.data import dataset_rows, load_training_problems, split_holdout


def test_embedded_rows_carry_prompt_and_tests():
    problems = load_training_problems(DataSection())
    assert len(problems) == 30
    rows = dataset_rows(problems)
    assert rows[0]["prompt"][0]["role"] == "system" and problems[0].prompt in rows[0]["prompt"][1]["content"]
    assert TestSuite.from_dict(json.loads(rows[0]["tests"])) == problems[0].tests


def test_exclude_and_limit():
    section = DataSection.model_validate({"train": [{"name": "embedded", "limit": 5}],
                                          "exclude": ["emb001-digit-sums"]})
    problems = load_training_problems(section)
    assert len(problems) == 4 and "emb001-digit-sums" not in {p.task_id for p in problems}
    with pytest.raises(DataError, match="no problems left"):
        load_training_problems(DataSection.model_validate({"train": [{"name": "embedded", "limit": 1}],
                                                           "exclude": ["emb001-digit-sums"]}))


def test_split_holdout_is_seeded_and_disjoint():
    problems = load_training_problems(DataSection())
    train, held = split_holdout(problems, 5 / 30, seed=0)
    assert len(held) == 5 and len(train) == 25
    assert not {p.task_id for p in train} & {p.task_id for p in held}
    assert [p.task_id for p in split_holdout(problems, 5 / 30, seed=0)[1]] == [p.task_id for p in held]


def test_math_file_and_math_rows(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps({"problem": "1+1?", "answer": "2"}) + "\n"
                    + json.dumps({"problem": "half of 1?", "solution": "so \\boxed{\\frac{1}{2}}"}) + "\n")
    problems = load_math_file(path)
    assert [p.answer for p in problems] == ["2", "\\frac{1}{2}"] and all(p.tests is None for p in problems)
    rows = dataset_rows(problems, "math")
    assert rows[0]["prompt"][1]["content"].endswith(MATH_INSTRUCTION)
    assert rows[0]["answer"] == "2" and rows[0]["tests"] is None
    with pytest.raises(DataError, match="needs problems with tests"):
        dataset_rows(problems, "code")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"problem": "x"}]))
    with pytest.raises(DataError, match="bad.json, record 0, field 'answer'"):
        load_math_file(bad)


def test_math_reward_reads_the_answer_column(tmp_path):
    from recode_rl.config import load_config
    from recode_rl.rl.config import Config
    from recode_rl.rl.train import build_reward

    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps({"problem": "1+1?", "answer": "2"}) + "\n")
    cfg = load_config(Config, None, ["reward.kind=math", "data.prompt=math", f"data.train=[{path}]",
                                     "scorer.kind=import", "scorer.factory=tests.rl.tiny:ThinkLength"])
    from recode_rl.rl.train import rl_scorer

    problems = load_training_problems(cfg.data)
    row = dataset_rows(problems, "math")[0]
    reward = build_reward(cfg, rl_scorer(cfg))
    cols = {k: [row[k]] * 2 for k in ("problem", "tests", "task_id")}
    out = reward(prompts=[row["prompt"]] * 2, completions=["<think>one plus one</think><answer>\\boxed{2}</answer>",
                                                           "<think>guess</think><answer>\\boxed{3}</answer>"],
                 answer=[row["answer"]] * 2, **cols)
    # right: 1 (format) + 1 (answer) + len("one plus one")/10 capped at 1 = 3; wrong: format only = 1
    assert out == pytest.approx([3.0, 1.0])


def test_prompts_over_the_limit_are_dropped_and_named():
    """Issue 10, defect 8: long prompts leave the training set, counted, never silently."""
    from recode_rl.rl.data import drop_long_prompts, prompt_tokens
    from tests.rl.tiny import chat_tokenizer

    tok = chat_tokenizer()
    rows = [{"task_id": f"t{n}", "prompt": [{"role": "user", "content": "x" * n}]} for n in (5, 50, 500)]
    sizes = [prompt_tokens(tok, r["prompt"]) for r in rows]
    assert sizes[0] < sizes[1] < 100 < sizes[2]
    kept, dropped = drop_long_prompts(rows, tok, 100)
    assert [r["task_id"] for r in kept] == ["t5", "t50"] and dropped == ["t500"]
    assert drop_long_prompts(rows, tok, None) == (rows, [])
    with pytest.raises(DataError, match="max_prompt_length"):
        drop_long_prompts(rows, tok, 3)
