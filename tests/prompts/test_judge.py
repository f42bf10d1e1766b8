"""Judge prompts: the LCB-RB consistency judge and the generator-as-judge rating prompt."""

from __future__ import annotations

from recode_rl.evaluation.judge import parse_judgement
from recode_rl.prompts import RATING_JUDGE_PROMPT, lcbrb_judge_prompt, rating_judge_prompt
from recode_rl.reward_model.judge import parse_rating


def test_lcbrb_judge_prompt_has_the_three_parts():
    text = lcbrb_judge_prompt("Add two numbers.", "Read a and b, print a+b.", "print(sum(map(int, input().split())))")
    assert "Add two numbers." in text and "print a+b" in text and "```python" in text
    assert "Line 1" in text and "Yes" in text and "None" in text
    assert parse_judgement("Yes\nwrong bound").label == "flawed"  # the words it asks for are the ones parsed
    # Fig. 9's structure: both criteria, the question it asks, the whole <think>/<answer> solution
    assert "Reasoning Soundness" in text and "Implementation-Thought Consistency" in text
    assert "a correct and robust way to solve the problem" in text
    assert "[Problem Description]\nAdd two numbers." in text
    assert "<think>\nRead a and b, print a+b.\n</think>\n<answer>\n```python" in text
    # each word maps to the label the prompt defines for it
    assert [parse_judgement(w).label for w in ("Yes", "No", "None")] == ["flawed", "sound", "inconsistent"]
    assert "'Yes' ONLY when the reasoning in '<think>' is flawed" in text
    assert "'No' ONLY when the reasoning in '<think>' is sound" in text


def test_lcbrb_judge_prompt_from_a_user_template_keeps_braces():
    text = lcbrb_judge_prompt("Sum {a}.", "use {code}", "print({})", "P={problem} R={reasoning} C={code}")
    assert text == "P=Sum {a}. R=use {code} C=print({})"


def test_rating_judge_prompt_fills_both_fields_and_keeps_braces():
    text = rating_judge_prompt("Sum {a, b}.", "Use a dict {k: v}.")
    assert "Sum {a, b}." in text and "Use a dict {k: v}." in text and "{problem}" not in text
    assert text.rstrip().endswith('"Score: N".') and parse_rating("fine\nScore: 7") == 7.0
    assert rating_judge_prompt("P", "R", "{problem}|{reasoning}") == "P|R"
    assert RATING_JUDGE_PROMPT.count("{problem}") == RATING_JUDGE_PROMPT.count("{reasoning}") == 1
