"""Parsers: the variants real models emit, and every drop reason."""

from __future__ import annotations

import pytest

from recode_rl.generation import Completion
from recode_rl.synthesis.parse import (
    DEGRADATION_METHODS, OPTIMIZATION_METHODS, ParseRules, find_methods, parse_base, parse_rewrite,
    parse_scores, strip_code,
)

R = ParseRules(min_chars=20)
ORIG = "Sort the array, then the closest pair is adjacent; scan neighbours. O(n log n)."
BODY = "Sort the numbers first (O(n log n)); the closest pair must then be neighbours, so one scan finds it."


def rw(text: str, kind: str = "optimized", finish: str = "stop", rules: ParseRules = R):
    return parse_rewrite(Completion(text, finish), kind, ORIG, rules)


@pytest.mark.parametrize("text", [
    f"[Optimized CoT]\n{BODY}\n\n[Explanation]\nRemove Redundancy.",
    f"**[Optimized CoT]**\n{BODY}\n**[Explanation]**\nRemove Redundancy.",
    f"## Optimized CoT\n{BODY}\n## Explanation\nRemove Redundancy.",
    f"### Optimised Chain of Thought:\n{BODY}\n\nExplanation: Remove Redundancy.",
    f"**Optimized Reasoning:** {BODY}\n**Explanation:** Remove Redundancy.",
    f"[optimized cot]: {BODY}\n[EXPLANATION]: Remove Redundancy.",
    f"```markdown\n[Optimized CoT]\n{BODY}\n[Explanation]\nRemove Redundancy.\n```",
    f"Sure! Here is the rewrite.\n\n[Optimized CoT]\n```markdown\n{BODY}\n```\n[Explanation]\nRemove Redundancy.",
])
def test_rewrite_header_variants(text):
    p = rw(text)
    assert p.kept and p.text == BODY and p.explanation == "Remove Redundancy."


def test_rewrite_notes_are_reported():
    assert rw(f"```markdown\n[Optimized CoT]\n{BODY}\n[Explanation]\nx\n```").notes == ("outer_fence",)
    assert "extra_prose" in rw(f"Sure!\n[Optimized CoT]\n{BODY}\n[Explanation]\nx").notes
    p = rw(f"[Optimized CoT]\n{BODY}")
    assert p.kept and p.notes == ("no_explanation",)
    p = rw(f"[Optimized CoT]\n{BODY}\n[Explanation]\nx\n[Optimized CoT]\nsecond one that is long enough")
    assert p.text == BODY and "multiple_sections" in p.notes
    p = rw(f"## Optimized CoT\n\n[Optimized CoT]\n{BODY}\n[Explanation]\nx")  # repeated header, first one empty
    assert p.text == BODY and "multiple_sections" in p.notes


def test_prose_line_is_not_a_header():
    # "Optimized reasoning is ..." (no brackets/#/bold/colon, text follows) is prose
    p = rw("Optimized reasoning is what I give here: sort first and compare neighbours only, always.")
    assert p.reason == "no_header"


@pytest.mark.parametrize("text, kind, finish, reason", [
    ("", "optimized", "stop", "empty"),
    ("[Optimized CoT]\n\n[Explanation]\nnothing", "optimized", "stop", "empty"),
    (f"[Degraded CoT]\n{BODY}\n[Explanation]\nFactual Error", "optimized", "stop", "wrong_section"),
    (f"[Optimized CoT]\n{BODY}\n[Explanation]\nx", "degraded", "stop", "wrong_section"),
    (f"{BODY}", "optimized", "stop", "no_header"),
    (f"[Degraded CoT]\n{BODY} and then it keeps going without", "degraded", "length", "truncated"),
    ("[Degraded CoT]\nshort\n[Explanation]\nx", "degraded", "stop", "too_short"),
    (f"[Optimized CoT]\n**{ORIG.upper()}**\n[Explanation]\nnone", "optimized", "stop", "unchanged"),
    ("[Optimized CoT]\n```python\nprint(sorted(map(int, input().split())))\n```\n[Explanation]\nx", "optimized", "stop",
     "code_only"),
])
def test_rewrite_drop_reasons(text, kind, finish, reason):
    p = rw(text, kind, finish)
    assert not p.kept and p.text is None and p.reason == reason


def test_truncated_inside_explanation_is_kept():
    p = rw(f"[Degraded CoT]\n{BODY}\n[Explanation]\nI used Factual Err", "degraded", "length")
    assert p.kept and "truncated_in_explanation" in p.notes
    assert rw(f"[Degraded CoT]\n{BODY} and on", "degraded", "length", ParseRules(min_chars=20, drop_truncated=False)).kept


def test_generation_error_dropped():
    assert parse_rewrite(Completion("", "error", error="HTTP 400"), "optimized", ORIG, R).reason == "generation_error"
    assert parse_base(Completion("", "error", error="x"), R).reason == "generation_error"
    assert parse_scores(Completion("", "error", error="x")).reason == "generation_error"


def test_lenient_no_header_mode():
    lenient = ParseRules(min_chars=20, require_header=False)
    p = rw(f"{BODY}\n\nExplanation: I used Bridge Logical Gaps.", rules=lenient)
    assert p.kept and p.text == BODY and p.explanation == "I used Bridge Logical Gaps."
    assert "no_header_lenient" in p.notes
    # lenient mode still refuses the other section kind, copies and code
    assert rw(f"[Degraded CoT]\n{BODY}", rules=lenient).reason == "wrong_section"
    assert rw(ORIG, rules=lenient).reason == "unchanged"


def test_code_policy():
    text = (f"[Optimized CoT]\n{BODY}\n```python\ndef f(a):\n    return sorted(a)\n```\n"
            "def g(x):\n    return x\n\nThen output the answer.\n[Explanation]\nx")
    p = rw(text)
    assert p.kept and p.text == f"{BODY}\n\nThen output the answer." and "code_stripped" in p.notes
    assert rw(text, rules=ParseRules(min_chars=20, code_policy="drop")).reason == "contains_code"


def test_strip_code_rules():
    # prose fences are unwrapped, untagged fences holding prose kept, code fences and unclosed fences removed
    assert strip_code("a\n```text\nkeep me\n```\nb") == ("a\nkeep me\nb", 0)
    assert strip_code("a\n```\nn = 5 so the answer is 3\n```\nb") == ("a\nn = 5 so the answer is 3\nb", 0)
    assert strip_code("a\n```\nimport sys\n```\nb") == ("a\nb", 1)
    assert strip_code("a\n```python\nx = 1\nand never closed") == ("a", 1)
    assert strip_code("Use `dict` lookups in O(1).") == ("Use `dict` lookups in O(1).", 0)


def test_parse_base():
    assert parse_base(Completion(BODY, "stop"), R).text == BODY
    assert parse_base(Completion(f"```md\n{BODY}\n```", "stop"), R).text == BODY
    assert parse_base(Completion(BODY, "length"), R).reason == "truncated"
    assert parse_base(Completion(BODY, "length"), ParseRules(min_chars=20, drop_truncated=False)).kept
    assert parse_base(Completion("   ", "stop"), R).reason == "empty"
    assert parse_base(Completion("Too short.", "stop"), R).reason == "too_short"
    only_code = "```python\nimport sys\nprint(sum(map(int, sys.stdin.read().split())))\n```"
    assert parse_base(Completion(only_code, "stop"), R).reason == "code_only"
    assert parse_base(Completion(f"{BODY}\n{only_code}", "stop"), ParseRules(code_policy="drop")).reason == "contains_code"
    kept = parse_base(Completion(f"{BODY}\n{only_code}", "stop"), R)
    assert kept.text == BODY and kept.notes == ("code_stripped",)


def test_parse_scores_variants():
    p = parse_scores(Completion(
        "Factual Error: 0.8\nIrrelevant Steps: 1.0\nIncomplete Reasoning: 0.7\nLogical Gap: 0.9\nChaotic Order: 1", "stop"))
    assert p.scores == {"factual_error": 0.8, "irrelevant_steps": 1.0, "incomplete_reasoning": 0.7,
                        "logical_gap": 0.9, "chaotic_order": 1.0}
    assert p.overall == pytest.approx(0.88)  # (0.8 + 1.0 + 0.7 + 0.9 + 1.0) / 5 = 4.4 / 5
    p = parse_scores(Completion("Sure:\n1. **Factual Error**: 8/10\n2. **Irrelevant Steps** = 0.33\n"
                                "3. Incomplete reasoning: .6\n4. Logical gap: 0.5 (a jump)\n5. Chaotic order: 0.0\n"
                                "Overall: 0.2", "stop"))
    # 8/10 -> 0.8; 0.33 -> 0.3 (off grid); mean = (0.8+0.3+0.6+0.5+0.0)/5 = 0.44; "Overall" ignored
    assert p.scores == {"factual_error": 0.8, "irrelevant_steps": 0.3, "incomplete_reasoning": 0.6,
                        "logical_gap": 0.5, "chaotic_order": 0.0}
    assert p.overall == pytest.approx(0.44) and p.notes == ("off_grid", "per_flaw")


def test_parse_single_score_as_in_the_paper():
    """Fig. 10: one overall score in {0, 0.1, ..., 1.0}, the score only."""
    for text, score, notes in [("0.7", 0.7, ()), ("**0.7**", 0.7, ()), ("Score: 1.0", 1.0, ()), ("1", 1.0, ()),
                               ("7/10", 0.7, ()), ("0.66", 0.7, ("off_grid",)),
                               ("0.3\nThe plan skips the edge case n = 0.", 0.3, ("extra_text",))]:
        p = parse_scores(Completion(text, "stop"))
        assert (p.scores, p.overall, p.reason, p.notes) == ({"score": score}, score, None, notes), text
    assert parse_scores(Completion("1.5", "stop")).reason == "out_of_range"
    assert parse_scores(Completion("8", "stop")).reason == "out_of_range"


def test_parse_scores_drops():
    four = "Factual Error: 0.8\nIrrelevant Steps: 1.0\nIncomplete Reasoning: 0.7\nLogical Gap: 0.9"
    assert parse_scores(Completion(four, "stop")).reason == "missing_scores"
    assert parse_scores(Completion(four + "\nChaotic Order: 7", "stop")).reason == "out_of_range"
    assert parse_scores(Completion("The reasoning looks fine to me.", "stop")).reason == "missing_scores"


def test_find_methods():
    # the paper's method names (Figs. 7 and 8), as the prompts ask for them
    assert find_methods("Used Factually Incorrect Reasoning (wrong complexity) and Chaotic or Acausal Reasoning.",
                        DEGRADATION_METHODS) == ["factually_incorrect_reasoning", "chaotic_or_acausal_reasoning"]
    assert find_methods("I stopped early: Incomplete Reasoning; also a Logical Gap / Jump.", DEGRADATION_METHODS) == [
        "incomplete_reasoning", "logical_gap_jump"]
    assert find_methods("Irrelevant or Misleading Path: a detour.", DEGRADATION_METHODS) == [
        "irrelevant_or_misleading_path"]
    assert find_methods("Focusing Logic and Enhancing Logical Flow.", OPTIMIZATION_METHODS) == [
        "focusing_logic", "enhancing_logical_flow"]
    assert find_methods("Factual Verification & Correction, Comprehensive Reasoning, Bridging Logical Gaps.",
                        OPTIMIZATION_METHODS) == ["factual_verification_correction", "comprehensive_reasoning",
                                                  "bridging_logical_gaps"]
    assert find_methods("Looks good.", OPTIMIZATION_METHODS) == []
