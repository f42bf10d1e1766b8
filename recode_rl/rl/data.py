"""Training problems for RL/SFT: load the configured sources, drop excluded ids, build TRL rows.

Code problems become rows with `trl_dataset_rows` (the policy prompt of
`recode_rl.prompts.policy_messages` in a conversational `prompt` column, tests as a
JSON column the reward reads). Math problems (`data.prompt: math`, reward kind `math`) use
`recode_rl.prompts.math_messages`, the prompt `recode eval` gives math benchmarks; the gold
`Problem.answer` travels in an `answer` column (the math reward checks it with math-verify and
never executes code). Math files are read by `recode_rl.data.math.load_math_file`.

The prompts and their departures from the paper are in `recode_rl.prompts.policy`.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any, Sequence

from recode_rl.data.math import load_math_file
from recode_rl.data.schema import Problem
from recode_rl.errors import DataError
from recode_rl.rl.config import DataSection

__all__ = ["load_training_problems", "dataset_rows", "drop_long_prompts", "split_holdout"]


def load_training_problems(section: DataSection) -> list[Problem]:
    """Every configured source, in order, each shuffled by `shuffle_seed` and cut to its limit."""
    from recode_rl.data import load_problems

    problems: list[Problem] = []
    for source in section.train:
        if section.prompt == "math" and Path(source.name).is_file():
            loaded = load_math_file(source.name)
        else:
            loaded = load_problems(source.name, **source.options)
        if section.shuffle_seed:
            loaded = list(loaded)
            random.Random(section.shuffle_seed).shuffle(loaded)
        problems.extend(loaded[:source.limit] if source.limit else loaded)
    excluded = set(section.exclude)
    kept = [p for p in problems if p.task_id not in excluded]
    if not kept:
        raise DataError(f"data.train: no problems left ({len(problems)} loaded, {len(problems) - len(kept)} excluded)")
    return kept


def dataset_rows(problems: Sequence[Problem], prompt: str = "code") -> list[dict[str, Any]]:
    """Rows for GRPOTrainer: `prompt` (chat messages) and the columns the reward reads (+ `answer` for math).

    `prompt` is the configured `data.prompt`; it must match the problems (math needs gold answers)."""
    from recode_rl.rewards.trl_reward import trl_dataset_rows

    wrong = [p.task_id for p in problems if p.is_math != (prompt == "math")]
    if wrong:
        need = "a gold answer" if prompt == "math" else "tests"
        raise DataError(f"data.prompt {prompt!r} needs problems with {need}; {len(wrong)} do not "
                        f"(e.g. {wrong[0]!r})")
    return trl_dataset_rows(problems)  # math problems get `math_messages` and an `answer` column


def prompt_tokens(tokenizer: Any, messages: list[dict[str, str]]) -> int:
    """Tokens of a conversational prompt as the policy sees it (chat template + generation prompt)."""
    ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)
    if isinstance(ids, dict) or hasattr(ids, "keys"):   # some tokenizers return a BatchEncoding
        ids = ids["input_ids"]
    return len(ids)


def drop_long_prompts(rows: list[dict[str, Any]], tokenizer: Any, max_tokens: int | None
                      ) -> tuple[list[dict[str, Any]], list[str]]:
    """(kept rows, task ids dropped): prompts over `max_tokens` tokens leave the training set.

    A long prompt eats the completion budget (vLLM's max_model_length is prompt + completion) or
    fails in vLLM; veRL filters them the same way (`data.filter_overlong_prompts`). The caller
    reports the count; it is never silent."""
    if max_tokens is None:
        return rows, []
    kept, dropped = [], []
    for row in rows:
        if prompt_tokens(tokenizer, row["prompt"]) > max_tokens:
            dropped.append(str(row.get("task_id", "?")))
        else:
            kept.append(row)
    if not kept:
        raise DataError(f"data.max_prompt_length={max_tokens}: every one of the {len(rows)} prompts is longer")
    return kept, dropped


def split_holdout(problems: Sequence[Problem], fraction: float, seed: int = 0) -> tuple[list[Problem], list[Problem]]:
    """(train, held-out): a seeded random `fraction` of the problems held out (at least one each side)."""
    if not 0 < fraction < 1:
        raise ValueError(f"holdout fraction must be in (0, 1), got {fraction}")
    order = list(range(len(problems)))
    random.Random(seed).shuffle(order)
    n_hold = min(max(1, round(len(problems) * fraction)), len(problems) - 1)
    held = set(order[:n_hold])
    return ([p for i, p in enumerate(problems) if i not in held], [p for i, p in enumerate(problems) if i in held])
