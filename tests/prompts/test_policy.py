"""The policy prompt: its structure, and one prompt per problem for training and evaluation."""

from __future__ import annotations

import json

from recode_rl.data.schema import Problem
from recode_rl.execution.types import TestSuite as Suite  # aliased: pytest would try to collect Test*
from recode_rl.evaluation.benchmarks import load_benchmark
from recode_rl.prompts import (CODE_INSTRUCTION, MATH_INSTRUCTION, SYSTEM_PROMPT, build_prompt, math_messages,
                               policy_messages)
from recode_rl.rewards.verl_data import verl_row
from recode_rl.rl.config import DataSection
from recode_rl.rl.data import dataset_rows, load_training_problems

ADD = Problem(task_id="add", prompt="Print a+b.", source="toy",
              tests=Suite(kind="stdio", inputs=("1 2\n", "2 2\n"), outputs=("3\n", "4\n")))
GCD = Problem(task_id="gcd", prompt="Implement g(a, b) returning gcd.", starter_code="def g(a, b):\n    pass",
              tests=Suite(kind="functional", inputs=([4, 6], [9, 3]), outputs=(2, 3), fn_name="g"))


def test_policy_messages():
    msgs = policy_messages(GCD)
    assert [m["role"] for m in msgs] == ["system", "user"]
    assert msgs[0]["content"] == SYSTEM_PROMPT and "<think>" in SYSTEM_PROMPT and "<answer>" in SYSTEM_PROMPT
    user = msgs[1]["content"]
    assert user.startswith(GCD.prompt) and "def g(a, b):" in user and "Implement the function `g`" in user
    assert user.endswith(CODE_INSTRUCTION)
    assert "```python" in user and "<think> </think>" in user and "<answer> </answer>" in user
    assert "standard input" in policy_messages(ADD)[1]["content"]


def test_math_messages_follow_the_code_prompt_structure():
    # the paper's RL prompt: system text, problem, then a task sentence and the think/answer instruction
    msgs = math_messages("  What is 1+1?\n")
    assert msgs == [{"role": "system", "content": SYSTEM_PROMPT},
                    {"role": "user", "content": "What is 1+1?\n\n" + MATH_INSTRUCTION}]
    assert MATH_INSTRUCTION.startswith("Solve the problem. ") and CODE_INSTRUCTION.startswith("Write Python code")
    assert "\\boxed{}" in MATH_INSTRUCTION and "<answer> </answer>" in MATH_INSTRUCTION


def test_code_training_rows_and_evaluation_prompts_are_identical():
    # the bundled training problems, evaluated as tasks, and a benchmark's problems, trained on
    problems = load_training_problems(DataSection())[:5] + [ADD, GCD]
    rows = dataset_rows(problems)
    for problem, row in zip(problems, rows, strict=True):
        assert row["prompt"] == build_prompt(problem, "policy") == verl_row(problem, 0)["prompt"]
    tasks = load_benchmark("humaneval", limit=3).problems
    assert [r["prompt"] for r in dataset_rows(tasks)] == [build_prompt(t, "policy") for t in tasks]


def test_math_training_rows_and_evaluation_prompts_are_identical(tmp_path):
    # one math file read by both sides: `recode train-rl` (data.prompt: math) and `recode eval` (math500)
    path = tmp_path / "math.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in [
        {"problem": "What is $1+1$?", "answer": "2"},
        {"problem": "  Simplify $\\frac{2}{4}$.\n", "answer": "\\frac{1}{2}"},
    ]))
    problems = load_training_problems(DataSection(train=[{"name": str(path)}], prompt="math"))
    rows = dataset_rows(problems, "math")
    tasks = load_benchmark("math500", path=str(path)).problems
    assert len(rows) == len(tasks) == 2
    for row, task in zip(rows, tasks):
        assert row["prompt"] == build_prompt(task, "policy") == math_messages(task.prompt)
