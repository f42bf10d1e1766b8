"""Prompt styles, program building, and BigCodeBench record layouts (no model)."""

from __future__ import annotations

import json

import pytest

from recode_rl.data.records import Where
from recode_rl.data import load_problems
from recode_rl.data.bigcodebench import load_bigcodebench, problem_from_bigcodebench
from recode_rl.data.schema import Problem
from recode_rl.evaluation.benchmarks import load_benchmark
from recode_rl.evaluation.bigcodebench import imported_modules
from recode_rl.evaluation.policy_eval import evaluate_benchmarks
from recode_rl.evaluation.responses import extract, program_for, stub_imports
from recode_rl.generation.types import SamplingParams
from recode_rl.prompts import build_prompt

from .conftest import FakeGenerator

TEST = "import unittest\nclass TestCases(unittest.TestCase):\n    def test_a(self):\n        self.assertEqual(task_func(2), 4)\n"
W = Where("x.jsonl", line=1)


def test_bigcodebench_layouts():
    official = {"task_id": "BigCodeBench/7", "complete_prompt": "import math\ndef task_func(x):\n    \"\"\"doc\"\"\"\n",
                "instruct_prompt": "Write task_func doubling x.", "code_prompt": "import math\ndef task_func(x):\n",
                "canonical_solution": "    return 2 * x\n", "test": TEST, "entry_point": "task_func", "libs": "['math']"}
    p = problem_from_bigcodebench(official, W, index=0, mode="instruct")
    assert p.task_id == "BigCodeBench/7" and p.prompt == "Write task_func doubling x."
    assert p.reference_solution == "import math\ndef task_func(x):\n    return 2 * x\n"
    assert p.tests.kind == "unittest" and not p.metadata["instruct_fallback"]
    assert problem_from_bigcodebench(official, W, index=0, mode="complete").prompt.startswith("import math")

    sf = {"id": "BigCodeBench/9", "content": "def task_func(x):\n", "canonical_solution": "    return x * 2\n",
          "test": TEST, "labels": json.dumps({"entry_point": "task_func"})}
    p = problem_from_bigcodebench(sf, W, index=0)
    assert p.reference_solution == "def task_func(x):\n    return x * 2\n" and p.metadata["instruct_fallback"]

    rllm = {"problem": "def task_func(x):\n    '''d'''\n", "solutions": "def task_func(x):\n    return x + x\n", "tests": TEST}
    assert problem_from_bigcodebench(rllm, W, index=4).task_id == "BigCodeBench-Hard/4"
    with pytest.raises(Exception, match="not a BigCodeBench record"):
        problem_from_bigcodebench({"foo": 1}, W, index=0)


def test_imported_modules():
    src = "import os.path\nfrom numpy import array\nfrom . import sibling\nimport pandas as pd, re\n"
    assert imported_modules(src, "this is not python (") == {"os", "numpy", "pandas", "re"}


def test_shared_bigcodebench_files_parse(shared_data):
    hard = load_bigcodebench(shared_data / "bigcodebench/rllm_bigcodebench_hard.json")
    sample = load_bigcodebench(shared_data / "bigcodebench/sandboxfusion_bigcodebench_sample20.jsonl")
    assert len(hard) == 148 and len(sample) == 20
    assert sample[0].task_id == "BigCodeBench/0"
    # the same sets through the one registry (ids, sources and limits as the loaders set them)
    assert [p.task_id for p in load_problems("bigcodebench-sample", limit=2)] == [p.task_id for p in sample[:2]]
    assert load_problems("bigcodebench-hard", limit=1)[0].source == "bigcodebench-hard"
    if not (shared_data / "bigcodebench/BigCodeBench.jsonl.gz").exists():
        with pytest.raises(Exception, match="recode data fetch bigcodebench"):
            load_problems("bigcodebench")


def test_stub_imports_and_program():
    task = load_benchmark("humaneval", limit=1).problems[0]
    assert stub_imports(task) == "from typing import List"
    prog = program_for(task, "def has_close_elements(numbers, threshold):\n    return False\n")
    assert prog.startswith("from typing import List\n")


def test_completion_style_humaneval(tmp_path):
    # a base model continues the stub; whatever follows the function body is cut off
    tasks = load_benchmark("humaneval", limit=3).problems
    bodies = {t.starter_code: t.reference_solution[len(t.starter_code):] for t in tasks}
    assert all(isinstance(build_prompt(t, "completion"), str) for t in tasks)
    gen = FakeGenerator(lambda p, j: bodies[p] + "\n\ndef check_it():\n    assert False\n\nprint('junk')\n")
    s = evaluate_benchmarks([{"name": "humaneval", "limit": 3}], gen, tmp_path, style="completion",
                            sampling=SamplingParams(temperature=0.0, max_new_tokens=64), progress=False)
    assert s["benchmarks"]["humaneval"]["pass@1"] == 100.0
    code, fmt = extract(tasks[0], bodies[tasks[0].starter_code] + "\ndef x(): pass", "completion")
    assert "def x" not in code and fmt is False


def test_math_prompt_asks_for_boxed():
    task = Problem(task_id="m/1", prompt="What is 1+1?", answer="2", source="math500")
    msgs = build_prompt(task, "policy")
    assert msgs[0]["role"] == "system" and "\\boxed{}" in msgs[1]["content"] and "1+1" in msgs[1]["content"]
    assert build_prompt(task, "completion") == "Problem: What is 1+1?\nSolution:"
