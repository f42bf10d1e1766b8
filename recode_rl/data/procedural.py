"""`listops`: procedurally generated list-pipeline problems sized to a small CPU policy.

    load_problems("listops", split="train", n=256, seed=0)      # or data.train: [{name: listops, ...}]

Each problem asks for `solve(xs)` over a list of integers, built from `min_ops` to `max_ops`
steps (default 2 to 3) and a final reduction::

    Write a function `solve(xs)` that takes a list of integers `xs`. Keep only the numbers
    greater than 3, then multiply each number by 2, and return their sum.

A step is a filter (greater/less than k, even, odd, positive, divisible or not by k) or a map
(add, subtract or multiply by k, square, negate, absolute value, modulo k, floor division by k);
the reduction is sum, count, largest, smallest, product, the list, or the list sorted descending.
The reference solution is one list comprehension per step; the tests (`functional`, expected
values computed here from the reference pipeline, never by running model code) are six seeded
lists, among them an empty one and one where every element is dropped. Every problem carries
in `metadata`:

- `ops`: the pipeline as data (`[["gt", 3], ["mul", 2], ["sum", None]]`);
- `reasoning`: a correct step-by-step explanation (one sentence per step, in order, with the
  constants), used as the SFT think text and as the "original" reasoning of preference pairs.
  With `explanations="mixed"` about half of the problems (a stable hash) carry the *checked*
  explanation instead: the same sentences plus a short worked example (`worked_check`), so a
  policy warm-started on them writes both kinds and a reward model that prefers the checked kind
  has something to rank among correct samples (the twin's `explanations: mixed`).

Splits are reproducible from `seed`: a stable hash of (seed, pipeline) puts about one pipeline in
five in `heldout`, so the splits share no pipeline (the same ops and constants never appear in
both) and `n` can grow without moving a problem from one split to the other; held-out
pass@1 measures generalisation to new combinations, not recall. The family exists to make the
method's effect measurable on a 2-core machine (`benchmarks/learning.py`, `recode demo`): a
135M policy after a short SFT passes some of these and fails others, so GRPO groups have reward
variance. It is ours; the paper trains on DeepCoder's data.

`reasoning_pairs(problems, seed)` builds CRPL-style preference pairs for this family without an
LLM: an *optimized* reasoning (the correct steps plus a worked example), the *original* (the
correct steps), and *degraded* ones that break one of the paper's three reasoning features —
factual accuracy (a wrong constant or operation), logical rigor (steps out of order, a step
missing) or coherence (generic filler that never names the steps). The pair types are the
paper's `opt>deg`, `opt>ori`, `ori>deg`. With `optimized="checked"` the optimized reasoning is the
checked explanation (about 90 tokens, against about 160 for the default "full" one, which does not
fit a 160-token completion together with its code).
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Callable
from typing import Any

from recode_rl.data.schema import Problem
from recode_rl.errors import DataError
from recode_rl.execution.types import TestSuite

__all__ = ["generate", "load_listops", "reasoning_pairs", "apply_ops", "worked_check", "has_worked_check",
           "EXPLANATIONS", "FAMILY"]

FAMILY = "listops"
Op = tuple[str, int | None]

# name -> (statement phrase, reasoning phrase, comprehension, python function)
_FILTERS: dict[str, tuple[str, str, str, Callable[[int, int], bool]]] = {
    "gt": ("keep only the numbers greater than {k}", "drop every number that is not greater than {k}",
           "[x for x in ys if x > {k}]", lambda x, k: x > k),
    "lt": ("keep only the numbers less than {k}", "drop every number that is not less than {k}",
           "[x for x in ys if x < {k}]", lambda x, k: x < k),
    "even": ("keep only the even numbers", "drop the odd numbers, keeping those with x % 2 == 0",
             "[x for x in ys if x % 2 == 0]", lambda x, k: x % 2 == 0),
    "odd": ("keep only the odd numbers", "drop the even numbers, keeping those with x % 2 == 1",
            "[x for x in ys if x % 2 == 1]", lambda x, k: x % 2 == 1),
    "div": ("keep only the numbers divisible by {k}", "keep the numbers with x % {k} == 0",
            "[x for x in ys if x % {k} == 0]", lambda x, k: x % k == 0),
    "ndiv": ("remove the numbers divisible by {k}", "drop every number with x % {k} == 0",
             "[x for x in ys if x % {k} != 0]", lambda x, k: x % k != 0),
    "pos": ("keep only the positive numbers", "drop every number that is zero or negative",
            "[x for x in ys if x > 0]", lambda x, k: x > 0),
}
_MAPS: dict[str, tuple[str, str, str, Callable[[int, int], int]]] = {
    "add": ("add {k} to each number", "add {k} to every number", "[x + {k} for x in ys]", lambda x, k: x + k),
    "sub": ("subtract {k} from each number", "subtract {k} from every number", "[x - {k} for x in ys]",
            lambda x, k: x - k),
    "mul": ("multiply each number by {k}", "multiply every number by {k}", "[x * {k} for x in ys]",
            lambda x, k: x * k),
    "square": ("square each number", "replace every number x by x * x", "[x * x for x in ys]", lambda x, k: x * x),
    "neg": ("negate each number", "replace every number x by -x", "[-x for x in ys]", lambda x, k: -x),
    "abs": ("replace each number by its absolute value", "replace every number x by abs(x)",
            "[abs(x) for x in ys]", lambda x, k: abs(x)),
    "mod": ("replace each number by its remainder modulo {k}", "replace every number x by x % {k}",
            "[x % {k} for x in ys]", lambda x, k: x % k),
    "fdiv": ("integer-divide each number by {k}", "replace every number x by x // {k} (floor division)",
             "[x // {k} for x in ys]", lambda x, k: x // k),
}
# the last step: statement phrase, reasoning phrase, return expression, python function
_REDUCE: dict[str, tuple[str, str, str, Callable[[list[int]], Any]]] = {
    "sum": ("return their sum", "return the sum of what is left (0 for an empty list)", "sum(ys)", sum),
    "count": ("return how many numbers there are", "return how many numbers are left", "len(ys)", len),
    "max": ("return the largest of them, or 0 if there are none",
            "return the largest number left, or 0 when nothing is left", "max(ys) if ys else 0",
            lambda ys: max(ys) if ys else 0),
    "min": ("return the smallest of them, or 0 if there are none",
            "return the smallest number left, or 0 when nothing is left", "min(ys) if ys else 0",
            lambda ys: min(ys) if ys else 0),
    "list": ("return the resulting list", "return the list that is left, in the original order", "ys", list),
    "sorted": ("return them sorted in descending order", "return the numbers left sorted from largest to smallest",
               "sorted(ys, reverse=True)", lambda ys: sorted(ys, reverse=True)),
    "product": ("return their product, or 1 if there are none", "return the product of what is left (1 when "
                "nothing is left)", "math.prod(ys)", lambda ys: math.prod(ys)),
}
_NEEDS_K = {"gt": (0, 9), "lt": (1, 10), "div": (2, 5), "ndiv": (2, 5), "add": (1, 9), "sub": (1, 9), "mul": (2, 5),
            "mod": (2, 7), "fdiv": (2, 4)}
_SPLITS = ("train", "heldout")


def _trace(ops: list[Op], xs: list[int]) -> list[list[int]]:
    """The list after each step before the reduction (one entry per step)."""
    lists, ys = [], list(xs)
    for name, k in ops[:-1]:
        if name in _FILTERS:
            ys = [x for x in ys if _FILTERS[name][3](x, k or 0)]
        else:
            ys = [_MAPS[name][3](x, k or 0) for x in ys]
        lists.append(ys)
    return lists


def apply_ops(ops: list[Op], xs: list[int]) -> Any:
    """The pipeline's answer for one input (the trusted reference)."""
    lists = _trace(ops, xs)
    return _REDUCE[ops[-1][0]][3](lists[-1] if lists else list(xs))


def _random_ops(rng: random.Random, n_steps: int) -> list[Op]:
    ops: list[Op] = []
    for i in range(n_steps):
        pool = list(_MAPS) if ops and ops[-1][0] in _FILTERS else [*_FILTERS, *_MAPS]  # no two filters in a row
        name = rng.choice(pool)
        lo_hi = _NEEDS_K.get(name)
        ops.append((name, rng.randint(*lo_hi) if lo_hi else None))
    ops.append((rng.choice(list(_REDUCE)), None))
    return ops


def _phrase(name: str, k: int | None, which: int) -> str:
    table = _FILTERS if name in _FILTERS else _MAPS if name in _MAPS else _REDUCE
    return table[name][which].format(k=k)


def statement(ops: list[Op]) -> str:
    steps = [_phrase(n, k, 0) for n, k in ops[:-1]]
    body = ", then ".join(steps)
    body = (body[0].upper() + body[1:] + ", and " if body else "") + _phrase(ops[-1][0], None, 0)
    if not steps:
        body = body[0].upper() + body[1:]
    return f"Write a function `solve(xs)` that takes a list of integers `xs`. {body}."


def reference_code(ops: list[Op]) -> str:
    lines = ["def solve(xs):", "    ys = list(xs)"]
    if ops[-1][0] == "product":
        lines.insert(0, "import math\n")
    for name, k in ops[:-1]:
        table = _FILTERS if name in _FILTERS else _MAPS
        lines.append(f"    ys = {table[name][2].format(k=k)}")
    lines.append(f"    return {_REDUCE[ops[-1][0]][2]}")
    return "\n".join(lines) + "\n"


def reasoning(ops: list[Op]) -> str:
    """The correct explanation: one sentence per step, in order, constants named."""
    words = ["First", "Next", "Then", "After that"]
    out = [f"{words[min(i, 3)]}, {_phrase(n, k, 1)}." for i, (n, k) in enumerate(ops[:-1])]
    out.append(f"{'Finally' if out else 'So'}, {_phrase(ops[-1][0], None, 1)}.")
    return " ".join(out)


_CHECK = "Check with xs = "
EXPLANATIONS = ("plain", "mixed")


def worked_check(ops: list[Op], xs: list[int]) -> str:
    """A short worked example: `Check with xs = [8, -3]: [-8, 3] -> [-4, 1] -> the answer is -4.`"""
    steps = " -> ".join(str(ys) for ys in _trace(ops, xs))
    return f"{_CHECK}{xs}: {steps + ' -> ' if steps else ''}the answer is {apply_ops(ops, xs)}."


def has_worked_check(text: str) -> bool:
    """Does a reasoning text contain a worked example in `worked_check`'s form?"""
    return _CHECK in text


def _example_input(problem: Problem) -> list[int]:
    """The list a worked example runs on: the problem's first test input."""
    return list(problem.tests.inputs[0][0]) if problem.tests and problem.tests.inputs else [1, 2, 3]


def _checked(ops: list[Op], problem: Problem) -> str:
    return f"{reasoning(ops)} {worked_check(ops, _example_input(problem))}"


def _inputs(rng: random.Random, ops: list[Op]) -> list[list[int]]:
    cases = [[rng.randint(-3, 12) for _ in range(rng.randint(3, 7))] for _ in range(4)]
    cases.append([])
    first, k = ops[0]
    if first in _FILTERS:     # a list the first filter empties completely: the 'or 0' / empty-list branch
        drop = [x for x in range(-3, 13) if not _FILTERS[first][3](x, k or 0)]
        cases.append([rng.choice(drop) for _ in range(3)])
    else:
        cases.append([rng.randint(-3, 12)])
    return cases


def _problem(ops: list[Op], rng: random.Random, split: str, index: int, seed: int) -> Problem:
    inputs = _inputs(rng, ops)
    suite = TestSuite(kind="functional", fn_name="solve", inputs=tuple([xs] for xs in inputs),
                      outputs=tuple(apply_ops(ops, xs) for xs in inputs))
    return Problem(task_id=f"{FAMILY}/{split}/{seed}/{index}", prompt=statement(ops), tests=suite, source=FAMILY,
                   reference_solution=reference_code(ops), difficulty=f"{len(ops) - 1} step" + ("s" if len(ops) > 2 else ""),
                   metadata={"ops": [list(op) for op in ops], "reasoning": reasoning(ops)})


def _split_of(ops: list[Op], seed: int) -> str:
    """A pipeline's split, fixed by a stable hash: about one pipeline in five is held out."""
    digest = hashlib.sha256(f"{seed}:{ops!r}".encode()).digest()
    return "heldout" if digest[0] % 5 == 0 else "train"


def generate(split: str = "train", n: int = 256, seed: int = 0, max_ops: int = 3, min_ops: int = 2,
             explanations: str = "plain") -> list[Problem]:
    """`n` problems of `split` ('train' or 'heldout') of `min_ops`..`max_ops` steps before the reduction;
    the two splits share no pipeline. `explanations="mixed"`: about half carry the checked explanation."""
    if split not in _SPLITS:
        raise DataError(f"listops: split must be one of {list(_SPLITS)}, got {split!r}")
    if explanations not in EXPLANATIONS:
        raise DataError(f"listops: explanations must be one of {list(EXPLANATIONS)}, got {explanations!r}")
    if n < 1 or not 0 <= min_ops <= max_ops <= 4:
        raise DataError(f"listops: need n >= 1 and 0 <= min_ops <= max_ops <= 4, got n={n}, min_ops={min_ops}, "
                        f"max_ops={max_ops}")
    rng = random.Random(f"{FAMILY}:{seed}:{split}")
    problems: list[Problem] = []
    seen: set[tuple[Op, ...]] = set()
    for _ in range(n * 200):
        if len(problems) >= n:
            break
        ops = _random_ops(rng, rng.randint(min_ops, max_ops))
        if tuple(ops) in seen or _split_of(ops, seed) != split:
            continue
        seen.add(tuple(ops))
        index = len(problems)
        problem = _problem(ops, random.Random(f"{FAMILY}:{seed}:{split}:{index}"), split, index, seed)
        if explanations == "mixed" and hashlib.sha256(problem.task_id.encode()).digest()[0] % 2:
            problem.metadata["reasoning"] = _checked(ops, problem)
        problems.append(problem)
    if len(problems) < n:
        raise DataError(f"listops: only {len(problems)} distinct {split} pipelines for n={n} (raise max_ops)")
    return problems


def load_listops(split: str = "train", n: int = 256, seed: int = 0, max_ops: int = 3, min_ops: int = 2,
                 explanations: str = "plain") -> list[Problem]:
    """Registered loader: `load_problems("listops", split=..., n=..., seed=..., max_ops=..., min_ops=...,
    explanations=...)`."""
    return generate(split=split, n=n, seed=seed, max_ops=max_ops, min_ops=min_ops, explanations=explanations)


# ---- CRPL-style reasoning variants -------------------------------------------------------------

def _ops_of(problem: Problem) -> list[Op]:
    try:
        return [(str(name), None if k is None else int(k)) for name, k in problem.metadata["ops"]]
    except (KeyError, TypeError, ValueError):
        raise DataError(f"{problem.task_id}: metadata.ops missing or malformed (not a listops problem?)") from None


def _optimized(ops: list[Op], problem: Problem) -> str:
    xs = _example_input(problem)
    check = "; ".join(f"{_phrase(name, k, 1)} gives {ys}" for (name, k), ys in zip(ops, _trace(ops, xs)))
    result = apply_ops(ops, xs)
    example = f"Check with xs = {xs}: {check + '; ' if check else ''}the answer is {result}."
    return (f"The function applies the steps in the order the statement gives them. {reasoning(ops)} "
            f"{example} Each step is one list comprehension over ys, so empty lists need no special case "
            "except for the largest/smallest.")


def _factual(ops: list[Op], rng: random.Random) -> str:
    bad = list(ops)
    i = rng.randrange(len(bad))
    name, k = bad[i]
    if k is not None:
        bad[i] = (name, k + rng.choice([-2, -1, 1, 2]) or k + 3)
    else:
        table = _FILTERS if name in _FILTERS else _MAPS if name in _MAPS else _REDUCE
        others = [o for o in table if o != name and _NEEDS_K.get(o) is None]
        bad[i] = (rng.choice(others), None) if others else (name, k)
    return reasoning(bad)


def _logical(ops: list[Op], rng: random.Random) -> str:
    if len(ops) >= 3:
        body = list(ops[:-1])
        body.reverse()
        return reasoning(body + [ops[-1]])
    if len(ops) == 2:
        return reasoning([ops[-1]])           # the middle step is skipped
    return f"Finally, {_phrase(ops[0][0], None, 1)}. First, sort the numbers."


_FILLER = ("I need to think about this problem carefully and write correct code. The function takes a list and "
           "returns a value. I will use Python because it is simple, and then I will return the result.")


def reasoning_pairs(problems: list[Problem], seed: int = 0, optimized: str = "full") -> list[dict[str, Any]]:
    """Preference pairs in `recode synth`'s format (prompt, chosen, rejected, problem_id, pair_type, generator).
    `optimized`: "full" (steps, a step-by-step worked example, a remark) or "checked" (`worked_check`)."""
    if optimized not in ("full", "checked"):
        raise DataError(f"listops pairs: optimized must be 'full' or 'checked', got {optimized!r}")
    rng = random.Random(f"{FAMILY}-pairs:{seed}")
    pairs: list[dict[str, Any]] = []
    for p in problems:
        ops = _ops_of(p)
        opt, ori = (_optimized(ops, p) if optimized == "full" else _checked(ops, p)), reasoning(ops)
        degraded = {"factual": _factual(ops, rng), "logical": _logical(ops, rng), "coherence": _FILLER}
        feature = rng.choice(sorted(degraded))
        deg = degraded[feature]
        if deg == ori:                         # a perturbation that happened to be a no-op
            feature, deg = "coherence", _FILLER
        for chosen, rejected, kind in ((opt, deg, "opt>deg"), (opt, ori, "opt>ori"), (ori, deg, "ori>deg")):
            pairs.append({"prompt": p.prompt, "chosen": chosen, "rejected": rejected, "problem_id": p.task_id,
                          "pair_type": kind, "degraded_feature": feature, "generator": f"{FAMILY}-templates"})
    return pairs
