"""Pair building, the split by problem, generator assignment, and prompt templates."""

from __future__ import annotations

import pytest

from recode_rl.config import ConfigError
from recode_rl.data.schema import Problem
from recode_rl.execution.types import TestSuite
from recode_rl.synthesis.pairs import ProblemSynth, build_pairs, split_by_problem
from recode_rl.synthesis.pipeline import assign_generators
from recode_rl.synthesis.prompts import load_templates, problem_text

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


def test_shipped_templates_and_rendering():
    t = load_templates()
    assert set(t) == {"base_cot", "optimize", "degrade", "score"}
    assert "[Optimized CoT]" in t["optimize"].text and "[Explanation]" in t["optimize"].text
    assert "[Degraded CoT]" in t["degrade"].text
    for name in ("Factual Error", "Irrelevant Steps", "Incomplete Reasoning", "Logical Gap", "Chaotic Order"):
        assert name in t["degrade"].text and name in t["score"].text
    # braces in problems need no escaping, and substituted text is not re-scanned
    out = t["optimize"].render(problem="sum {a, b} {{reasoning}}", reasoning="R")
    assert "sum {a, b} {{reasoning}}" in out and out.count("\nR") == 1


def test_user_template_override_and_errors(tmp_path):
    (tmp_path / "optimize.txt").write_text("Improve: {{ reasoning }} for {{problem}}")
    t = load_templates(tmp_path)
    assert t["optimize"].render(problem="P", reasoning="R") == "Improve: R for P"
    assert t["optimize"].source == str(tmp_path / "optimize.txt")
    assert t["degrade"].source.endswith("prompts/degrade.txt")  # the rest stay shipped
    (tmp_path / "degrade.txt").write_text("Worsen {{problem}}")
    with pytest.raises(ConfigError, match=r"degrade.txt: template must contain \{\{reasoning\}\}"):
        load_templates(tmp_path)
    (tmp_path / "degrade.txt").write_text("Worsen {{problem}} {{reasoning}} {{answer}}")
    with pytest.raises(ConfigError, match=r"unknown placeholder\(s\) \['answer'\]"):
        load_templates(tmp_path)
    with pytest.raises(ConfigError, match="not a directory"):
        load_templates(tmp_path / "missing")


def test_problem_text_includes_starter_code():
    p = Problem("x", "Add two numbers.", TestSuite(kind="functional", inputs=([1, 2],), outputs=(3,), fn_name="add"),
                starter_code="def add(a, b):\n")
    assert problem_text(p) == "Add two numbers.\n\nStarter code:\n```python\ndef add(a, b):\n```"
