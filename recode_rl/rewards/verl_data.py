"""The policy prompt, and our problems as a veRL RL-dataset parquet.

`policy_messages(problem)` is THE training prompt of CG-GRPO (MISSION.md Part 2): a system
text saying the assistant thinks inside <think></think> and answers inside <answer></answer>,
then the problem, then the instruction to write Python code, reasoning in think tags and the
code in a python block inside answer tags. Departure from the paper: we add one sentence on
the I/O convention the tests use (stdin/stdout, or the starter code's function/class), and
the starter code itself when the problem has one; the paper's prompt text is not published.

`write_verl_parquet(problems, path)` writes the columns veRL's RL dataset reads:
    data_source   problem.source (or "recode")
    prompt        the chat messages above
    ability       "code" ("math" for problems with a gold answer)
    reward_model  {"style": "rule", "ground_truth": JSON of TestSuite.to_dict(), or of
                   {"answer": Problem.answer} for math (prompt: `rl.data.math_messages`)}
    extra_info    {"task_id", "problem" (statement for the process scorer),
                   "program_prefix" (judge prelude prepended before execution), "split", "index"}
`recode_rl.rewards.verl_reward.compute_score` reads exactly these back.

Run as `python -m recode_rl.rewards.verl_data PROBLEMS OUT.parquet [--split train]`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Sequence

from recode_rl.data.schema import Problem
from recode_rl.errors import DataError
from recode_rl.execution.types import TestSuite

__all__ = ["SYSTEM_PROMPT", "INSTRUCTION", "policy_messages", "io_hint", "verl_row", "write_verl_parquet",
           "checker_from_ground_truth"]

SYSTEM_PROMPT = (
    "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. "
    "The Assistant first thinks about the reasoning process in the mind and then provides the user with "
    "the answer. The reasoning process and the answer are enclosed within <think> </think> and "
    "<answer> </answer> tags, respectively, i.e., <think> reasoning process here </think>"
    "<answer> answer here </answer>."
)

INSTRUCTION = (
    "Write Python code to solve the problem. Think step by step inside <think> </think> tags, "
    "then give the code in a ```python code block inside <answer> </answer> tags."
)


def io_hint(problem: Problem) -> str:
    tests = problem.tests
    if tests.kind == "stdio":
        return "Your program must read from standard input and write to standard output."
    if tests.kind == "functional" and tests.class_name:
        return f"Implement the method `{tests.fn_name}` of class `{tests.class_name}` in the starter code."
    if tests.kind == "functional":
        return f"Implement the function `{tests.fn_name}`."
    if tests.entry_point:
        return f"Implement the function `{tests.entry_point}`."
    return "Write a self-contained solution."


def policy_messages(problem: Problem) -> list[dict[str, str]]:
    """The chat prompt for one problem: [system, user]."""
    parts = [problem.prompt.strip()]
    if problem.starter_code.strip():
        parts.append(f"Starter code:\n```python\n{problem.starter_code.rstrip()}\n```")
    parts.append(io_hint(problem))
    parts.append(INSTRUCTION)
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": "\n\n".join(parts)}]


def verl_row(problem: Problem, index: int, split: str = "train", data_source: str | None = None) -> dict[str, Any]:
    if problem.is_math:
        from recode_rl.rl.data import math_messages  # lazy: the math prompt lives with the RL data

        prompt, truth = math_messages(problem), {"answer": problem.answer}
    else:
        assert problem.tests is not None  # a Problem holds tests or an answer
        prompt, truth = policy_messages(problem), problem.tests.to_dict()
    return {
        "data_source": data_source or problem.source or "recode",
        "prompt": prompt,
        "ability": "math" if problem.is_math else "code",
        "reward_model": {"style": "rule", "ground_truth": json.dumps(truth)},
        "extra_info": {
            "task_id": problem.task_id,
            "problem": problem.prompt,
            "program_prefix": str(problem.metadata.get("program_prefix", "")),
            "split": split,
            "index": index,
        },
    }


def write_verl_parquet(problems: Sequence[Problem], path: str | Path, *, split: str = "train",
                       data_source: str | None = None) -> Path:
    """Write `problems` as a veRL RL-dataset parquet; returns the path."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not problems:
        raise DataError.at(path, "no problems to write")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [verl_row(p, i, split, data_source) for i, p in enumerate(problems)]
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def checker_from_ground_truth(ground_truth: Any, where: str = "ground_truth") -> dict[str, Any]:
    """Decode `reward_model.ground_truth` (JSON text or a decoded dict) into `{"tests": TestSuite}`
    or, for math rows, `{"answer": str}` — the keyword `Problem` takes."""
    data = ground_truth
    if isinstance(ground_truth, (str, bytes)):
        try:
            data = json.loads(ground_truth)
        except json.JSONDecodeError as exc:
            raise DataError.at(where, f"not valid JSON: {exc}", field="reward_model.ground_truth") from None
    if not isinstance(data, dict):
        raise DataError.at(where, f"expected a JSON object of tests, got {type(data).__name__}",
                           field="reward_model.ground_truth")
    if "kind" not in data and "answer" in data:
        if not isinstance(data["answer"], str) or not data["answer"].strip():
            raise DataError.at(where, "the gold answer must be a non-empty string", field="reward_model.ground_truth")
        return {"answer": data["answer"]}
    try:
        return {"tests": TestSuite.from_dict(data)}
    except (TypeError, ValueError) as exc:
        raise DataError.at(where, f"not a test suite: {exc}", field="reward_model.ground_truth") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recode_rl.rewards.verl_data", description=__doc__.split("\n\n")[0])
    parser.add_argument("problems", help="problem set name or file (see recode_rl.data.load_problems)")
    parser.add_argument("out", help="output .parquet")
    parser.add_argument("--split", default="train")
    parser.add_argument("--data-source", default=None)
    args = parser.parse_args(argv)
    from recode_rl.data import load_problems

    try:
        path = write_verl_parquet(load_problems(args.problems), args.out, split=args.split, data_source=args.data_source)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
