"""Truncation policy: nothing is dropped, the right tokens are kept, and counts are reported."""

from __future__ import annotations

import random

import pytest

from rm_helpers import tiny_tokenizer
from recode_rl.reward_model.config import ModelSection
from recode_rl.reward_model.data import PreferencePair
from recode_rl.reward_model.encoding import check_template, encode, render
from recode_rl.reward_model.train import encode_pairs

TEMPLATE = "### Problem\n{problem}\n\n### Reasoning\n{reasoning}"
# With the word-level tokenizer every word is one token and the template adds exactly 4 tokens
# ("###", "Problem", "###", "Reasoning") and no special tokens.
PROBLEM6 = " ".join(f"w{i}" for i in range(6))          # w0..w5
REASONING20 = " ".join(f"w{i}" for i in range(10, 30))  # w10..w29


def words(tok, ids):
    return tok.convert_ids_to_tokens(ids)


def test_fitting_input_is_plain_tokenization(tokenizer):
    enc = encode(tokenizer, PROBLEM6, REASONING20, template=TEMPLATE, max_length=64)
    assert not enc.truncated
    assert enc.ids == tokenizer(render(TEMPLATE, PROBLEM6, REASONING20))["input_ids"]
    assert len(enc.ids) == 30


def test_reasoning_middle_keeps_problem_head_and_both_reasoning_ends(tokenizer):
    # max 14 -> content budget 14 - 4 = 10; problem keeps min(6, max(10-20, int(10*0.5))) = 5,
    # reasoning keeps 10 - 5 = 5: its first 2 and last 3 tokens.
    enc = encode(tokenizer, PROBLEM6, REASONING20, template=TEMPLATE, max_length=14, truncation="reasoning_middle")
    assert words(tokenizer, enc.ids) == ["###", "Problem", "w0", "w1", "w2", "w3", "w4", "###", "Reasoning",
                                         "w10", "w11", "w27", "w28", "w29"]
    assert (enc.truncated, enc.problem_cut, enc.reasoning_cut) == (True, 1, 15)


def test_reasoning_left_keeps_reasoning_tail(tokenizer):
    enc = encode(tokenizer, PROBLEM6, REASONING20, template=TEMPLATE, max_length=14, truncation="reasoning_left")
    assert words(tokenizer, enc.ids)[-5:] == ["w25", "w26", "w27", "w28", "w29"]
    assert (enc.problem_cut, enc.reasoning_cut) == (1, 15)


def test_short_problem_gives_its_unused_share_to_the_reasoning(tokenizer):
    # problem 2 tokens: keeps both; reasoning gets 10 - 2 = 8 (first 4, last 4)
    enc = encode(tokenizer, "w0 w1", REASONING20, template=TEMPLATE, max_length=14)
    assert words(tokenizer, enc.ids)[4:] == ["###", "Reasoning", "w10", "w11", "w12", "w13", "w26", "w27", "w28", "w29"]
    assert (enc.problem_cut, enc.reasoning_cut) == (0, 12)


def test_long_problem_is_cut_from_its_tail(tokenizer):
    problem = " ".join(f"w{i}" for i in range(20))
    # budget 10, reasoning 3 -> problem keeps max(10 - 3, 5) = 7
    enc = encode(tokenizer, problem, "w30 w31 w32", template=TEMPLATE, max_length=14)
    assert words(tokenizer, enc.ids) == ["###", "Problem", *[f"w{i}" for i in range(7)], "###", "Reasoning",
                                         "w30", "w31", "w32"]
    assert (enc.problem_cut, enc.reasoning_cut) == (13, 0)


def test_plain_left_and_right(tokenizer):
    left = encode(tokenizer, PROBLEM6, REASONING20, template=TEMPLATE, max_length=14, truncation="left")
    assert words(tokenizer, left.ids) == [f"w{i}" for i in range(16, 30)]
    assert (left.problem_cut, left.reasoning_cut, left.other_cut) == (6, 6, 4)
    right = encode(tokenizer, PROBLEM6, REASONING20, template=TEMPLATE, max_length=14, truncation="right")
    assert words(tokenizer, right.ids)[-4:] == ["w10", "w11", "w12", "w13"]
    assert right.reasoning_cut == 16


def test_special_tokens_are_never_removed():
    from tokenizers import processors

    tok = tiny_tokenizer()
    tok._tokenizer.post_processor = processors.TemplateProcessing(
        single="<eos> $A <eos>", special_tokens=[("<eos>", tok.convert_tokens_to_ids("<eos>"))])
    enc = encode(tok, PROBLEM6, REASONING20, template=TEMPLATE, max_length=16)
    toks = words(tok, enc.ids)
    assert len(toks) == 16 and toks[0] == "<eos>" and toks[-1] == "<eos>" and toks[-2] == "w29"


def test_template_must_hold_each_field_once(tokenizer):
    with pytest.raises(ValueError, match="reasoning"):
        check_template("{problem} only")
    with pytest.raises(ValueError, match="problem"):
        check_template("{problem} {problem} {reasoning}")
    with pytest.raises(ValueError, match="no room"):
        encode(tokenizer, PROBLEM6, REASONING20, template=TEMPLATE, max_length=5)


def test_braces_in_the_problem_are_not_substituted():
    assert render("P:{problem} R:{reasoning}", "use {reasoning} here", "ok") == "P:use {reasoning} here R:ok"


def test_nothing_dropped_and_truncated_pairs_counted(tokenizer):
    """Random lengths: every sequence fits, a pair whose rejected side is the chosen cut halfway still
    differs after truncation (both keep their endings), and the touched-pair count is exact."""
    rng = random.Random(0)
    pairs, expect_touched = [], 0
    cfg = ModelSection(template=TEMPLATE, max_length=24)
    for i in range(60):
        problem = " ".join(rng.choice(["w1", "w2", "w3"]) for _ in range(rng.randint(1, 15)))
        full = " ".join(rng.choice(["w5", "w6", "w7"]) for _ in range(rng.randint(4, 40))) + " therefore done"
        cut = " ".join(full.split()[: len(full.split()) // 2])
        pairs.append(PreferencePair(problem, full, cut, str(i)))
        n_problem, n_full = len(problem.split()), len(full.split())
        expect_touched += 4 + n_problem + n_full > 24  # the chosen side is the longer one
    ids, stats = encode_pairs(tokenizer, pairs, cfg)
    assert len(ids["chosen_ids"]) == len(ids["rejected_ids"]) == 60
    assert all(len(x) <= 24 for x in ids["chosen_ids"] + ids["rejected_ids"])
    assert all(c != r for c, r in zip(ids["chosen_ids"], ids["rejected_ids"]))
    assert all(words(tokenizer, c)[-2:] == ["therefore", "done"] for c in ids["chosen_ids"])
    assert stats.touched_records == expect_touched > 0
    assert stats.records == 60 and stats.per_record.count(True) == expect_touched
