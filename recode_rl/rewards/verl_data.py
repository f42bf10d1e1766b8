"""Our problems as a veRL RL-dataset parquet (the paper trains with veRL).

`write_verl_parquet(problems, path)` writes the columns veRL's RL dataset reads:
    data_source   problem.source (or "recode")
    prompt        the policy prompt, `recode_rl.prompts.policy_messages` (math: `math_messages`)
    ability       "code" ("math" for problems with a gold answer)
    reward_model  {"style": "rule", "ground_truth": JSON of TestSuite.to_dict(), or of
                   {"answer": Problem.answer} for math}  ("rule": veRL's `_validate` skips
                   validation for "model" rows when reward_model.enable)
    extra_info    {"task_id", "problem" (the process scorer's text: `prompts.problem_text`, statement + starter code),
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
from recode_rl.prompts import math_messages, policy_messages, problem_text

__all__ = ["verl_row", "write_verl_parquet", "checker_from_ground_truth"]


def verl_row(problem: Problem, index: int, split: str = "train", data_source: str | None = None) -> dict[str, Any]:
    if problem.is_math:
        prompt, truth = math_messages(problem.prompt), {"answer": problem.answer}
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
            "problem": problem_text(problem),
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
