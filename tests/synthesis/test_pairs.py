"""Pair building, the split by problem, and generator assignment (templates: tests/prompts)."""

from __future__ import annotations

import pytest

from recode_rl.synthesis.pairs import ProblemSynth, build_pairs, split_by_problem
from recode_rl.synthesis.pipeline import assign_generators

ITEM = ProblemSynth("p1", "prompt", "gen", base="base t", optimized=["opt a", "opt b"], degraded=["deg c"])


def kinds(pairs):
    return [(p["pair_type"], p["chosen"], p["rejected"]) for p in pairs]


def test_pair_types_and_counts():
    pairs, counts = build_pairs([ITEM], ["opt>deg", "opt>ori", "ori>deg"])
    # matched opt>deg: zip([a, b], [c]) -> 1; opt>ori: 2; ori>deg: 1
    assert kinds(pairs) == [("opt>deg", "opt a", "deg c"), ("opt>ori", "opt a", "base t"),
                            ("opt>ori", "opt b", "base t"), ("ori>deg", "base t", "deg c")]
    assert counts == {"opt>deg": 1, "opt>ori": 2, "ori>deg": 1}
    assert pairs[0] == {"prompt": "prompt", "chosen": "opt a", "rejected": "deg c", "problem_id": "p1",
                        "pair_type": "opt>deg", "generator": "gen"}
    all_pairs, _ = build_pairs([ITEM], ["opt>deg"], pairing="all")
    assert kinds(all_pairs) == [("opt>deg", "opt a", "deg c"), ("opt>deg", "opt b", "deg c")]
    only, counts = build_pairs([ITEM], ["ori>deg"])
    assert kinds(only) == [("ori>deg", "base t", "deg c")] and counts == {"ori>deg": 1}
    with pytest.raises(ValueError, match="unknown pair type"):
        build_pairs([ITEM], ["deg>opt"])


def test_identical_sides_skipped_and_counted():
    item = ProblemSynth("p", "x", "g", base="Same **text**", optimized=["same text"], degraded=[])
    pairs, counts = build_pairs([item], ["opt>ori"])
    assert pairs == [] and counts == {"identical_skipped": 1}


def pairs_for(n_problems: int, per: int = 2):
    return [{"problem_id": f"p{i}", "k": j} for i in range(n_problems) for j in range(per)]


@pytest.mark.parametrize("n_problems, expected_val", [(10, 1), (20, 2), (5, 1), (2, 1), (1, 0)])
def test_split_by_problem(n_problems, expected_val):
    # round(n * 0.1) problems, at least 1 once there are >= 2 problems, never all of them
    train, val = split_by_problem(pairs_for(n_problems), 0.1, seed=3)
    val_ids, train_ids = {p["problem_id"] for p in val}, {p["problem_id"] for p in train}
    assert len(val_ids) == expected_val and not (val_ids & train_ids)
    assert len(train) + len(val) == 2 * n_problems
    assert split_by_problem(pairs_for(n_problems), 0.1, seed=3) == (train, val)  # seeded


def test_split_zero_fraction_and_seed_changes_choice():
    assert split_by_problem(pairs_for(10), 0.0, seed=0)[1] == []
    chosen = {frozenset(p["problem_id"] for p in split_by_problem(pairs_for(30), 0.1, seed=s)[1]) for s in range(5)}
    assert len(chosen) > 1


def test_assign_generators():
    ids = [f"p{i}" for i in range(10)]
    one = assign_generators(ids, ["a"], 0.5, 0)
    assert set(one.values()) == {"a"}
    two = assign_generators(ids, ["a", "b"], 0.5, 0)
    assert sum(v == "b" for v in two.values()) == 5 and set(two) == set(ids)
    assert assign_generators(ids, ["a", "b"], 0.5, 0) == two
    assert sum(v == "b" for v in assign_generators(ids, ["a", "b"], 0.3, 1).values()) == 3
    assert sorted(assign_generators(["x", "y"], ["a", "b"], 0.01, 0).values()) == ["a", "b"]
