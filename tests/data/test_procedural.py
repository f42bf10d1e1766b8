"""The procedural `listops` family: reproducible, verifiable, splits disjoint, references pass, pairs well-formed."""

import pytest

from recode_rl.data import load_problems
from recode_rl.data.procedural import apply_ops, generate, reasoning, reasoning_pairs, reference_code, statement
from recode_rl.errors import DataError
from recode_rl.execution.types import Verdict


def test_pipeline_semantics_by_hand():
    ops = [("gt", 3), ("mul", 2), ("sum", None)]
    assert apply_ops(ops, [1, 4, 5, 3]) == 18            # keep 4, 5 -> 8, 10 -> 18
    assert apply_ops(ops, []) == 0
    assert apply_ops([("odd", None), ("max", None)], [2, 4]) == 0          # nothing left -> 0
    assert apply_ops([("sub", 5), ("lt", 0), ("list", None)], [7, 2, 5]) == [-3]
    assert apply_ops([("square", None), ("count", None)], [1, 2]) == 2
    assert statement(ops) == ("Write a function `solve(xs)` that takes a list of integers `xs`. Keep only the numbers "
                              "greater than 3, then multiply each number by 2, and return their sum.")
    assert reasoning(ops) == ("First, drop every number that is not greater than 3. Next, multiply every number by 2. "
                              "Finally, return the sum of what is left (0 for an empty list).")
    namespace: dict = {}
    exec(reference_code(ops), namespace)                  # our own reference, not model output
    assert namespace["solve"]([1, 4, 5, 3]) == 18


def test_reproducible_and_splits_share_no_pipeline():
    a, b = generate("train", n=40, seed=3), generate("train", n=40, seed=3)
    assert [p.to_dict() for p in a] == [p.to_dict() for p in b]
    assert [p.prompt for p in generate("train", n=40, seed=4)] != [p.prompt for p in a]
    held = generate("heldout", n=40, seed=3)
    key = lambda p: tuple(map(tuple, p.metadata["ops"]))  # noqa: E731
    assert not {key(p) for p in a} & {key(p) for p in held}
    assert len({key(p) for p in a}) == 40                  # no duplicate pipeline inside a split
    # growing n keeps the earlier problems: a problem never moves between splits
    assert [p.task_id for p in generate("train", n=60, seed=3)[:40]] == [p.task_id for p in a]


def test_registered_loader_and_clear_errors():
    problems = load_problems("listops", split="heldout", n=5, seed=0)
    assert len(problems) == 5 and all(p.task_id.startswith("listops/heldout/0/") for p in problems)
    with pytest.raises(DataError, match="split must be one of"):
        load_problems("listops", split="test")
    with pytest.raises(DataError, match="unknown option"):
        load_problems("listops", size=3)


def test_every_reference_passes_its_tests_in_the_sandbox():
    from recode_rl.execution import Executor

    problems = generate("train", n=12, seed=0) + generate("heldout", n=12, seed=0)
    with Executor(max_workers=2) as executor:
        results = executor.map([(p.reference_solution, p.tests) for p in problems])
        # the tests tell a wrong pipeline apart: returning the input unchanged fails every problem
        wrong = executor.map([("def solve(xs):\n    return xs\n", p.tests) for p in problems])
    assert [r.verdict for r in results] == [Verdict.PASSED] * len(problems)
    assert all(r.verdict is Verdict.WRONG_ANSWER for r in wrong)


def test_reasoning_pairs_follow_the_crpl_ordering():
    problems = generate("train", n=20, seed=0)
    pairs = reasoning_pairs(problems, seed=0)
    assert len(pairs) == 3 * len(problems)
    assert {p["pair_type"] for p in pairs} == {"opt>deg", "opt>ori", "ori>deg"}
    by_problem = {}
    for pair in pairs:
        by_problem.setdefault(pair["problem_id"], {})[pair["pair_type"]] = pair
    for p in problems:
        got = by_problem[p.task_id]
        ori = p.metadata["reasoning"]
        assert got["opt>ori"]["rejected"] == ori and got["ori>deg"]["chosen"] == ori
        assert got["opt>deg"]["chosen"] == got["opt>ori"]["chosen"] != ori
        assert got["opt>deg"]["rejected"] == got["ori>deg"]["rejected"] != ori
        assert got["opt>deg"]["degraded_feature"] in ("factual", "logical", "coherence")
    assert {p["degraded_feature"] for p in pairs} == {"factual", "logical", "coherence"}


def test_mixed_explanations_add_a_correct_worked_example_to_about_half():
    from recode_rl.data.procedural import apply_ops, has_worked_check, worked_check

    plain = load_problems("listops", split="train", n=64, seed=0)
    mixed = load_problems("listops", split="train", n=64, seed=0, explanations="mixed")
    assert [p.prompt for p in mixed] == [p.prompt for p in plain]           # the same problems and tests
    checked = [p for p in mixed if has_worked_check(p.metadata["reasoning"])]
    assert 20 <= len(checked) <= 44 and not any(has_worked_check(p.metadata["reasoning"]) for p in plain)
    ops = [("gt", 0), ("mul", 2), ("sum", None)]
    assert worked_check(ops, [3, -1, 2]) == "Check with xs = [3, -1, 2]: [3, 2] -> [6, 4] -> the answer is 10."
    for p in checked:                                                        # the worked answer is the truth
        ops = [(n, k) for n, k in p.metadata["ops"]]
        xs = p.tests.inputs[0][0]
        assert p.metadata["reasoning"].endswith(f"the answer is {apply_ops(ops, xs)}.")
        assert apply_ops(ops, xs) == p.tests.outputs[0]
    with pytest.raises(DataError, match="explanations must be one of"):
        load_problems("listops", explanations="fancy")
    with pytest.raises(DataError, match="optimized must be"):
        reasoning_pairs(plain[:1], optimized="long")
