"""Strict format check and code extraction (recode_rl.rewards.parsing)."""

from __future__ import annotations

import pytest

from recode_rl.rewards import parsing
from recode_rl.rewards.parsing import extract_code, longest_parseable_span, parse_response

FENCE = "```"
CODE = "n = int(input())\nprint(n * 2)"
GOOD = f"<think>\nRead n, print 2n.\n</think>\n<answer>\n{FENCE}python\n{CODE}\n{FENCE}\n</answer>"


def respond(think: str = "Read n, print 2n.", answer: str = f"{FENCE}python\n{CODE}\n{FENCE}") -> str:
    return f"<think>{think}</think>\n<answer>\n{answer}\n</answer>"


# ----- valid format ------------------------------------------------------------------------------

def test_well_formed_response():
    p = parse_response(GOOD)
    assert p.format_ok and p.reason is None
    assert p.think == "Read n, print 2n."
    assert p.code == CODE
    assert p.answer == f"{FENCE}python\n{CODE}\n{FENCE}"


@pytest.mark.parametrize("text", [
    "  \n" + GOOD + "\n\n  ",                                          # surrounding whitespace
    GOOD.replace("\n", "\r\n"),                                        # CRLF
    GOOD.replace("\n", "\r"),                                          # old-Mac CR
    f"<think>x</think><answer>{FENCE}python\n{CODE}\n{FENCE}</answer>",  # fence glued to the tags
    respond(answer=f"Explanation first.\n{FENCE}py\n{CODE}\n{FENCE}\nDone."),  # prose + ```py
    respond(answer=f"{FENCE}text\nexample\n{FENCE}\n{FENCE}Python3\n{CODE}\n{FENCE}"),  # non-python block ok
    respond(think=f"Sketch:\n{FENCE}python\nprint('<answer>')\n{FENCE}\nthen finalize"),  # tag inside code
    respond(think="I must put code in `</think>` and `<answer>` tags."),                # tags in inline code
])
def test_valid_variants(text):
    p = parse_response(text)
    assert p.format_ok, p.reason
    assert p.code is not None and "print" in p.code


def test_crlf_is_normalised_in_every_field():
    p = parse_response(GOOD.replace("\n", "\r\n"))
    assert p.code == CODE and "\r" not in p.answer


def test_closing_tag_inside_code_block_is_not_a_tag():
    code = 'print("</answer>")\nprint("<think>")'
    p = parse_response(respond(answer=f"{FENCE}python\n{code}\n{FENCE}"))
    assert p.format_ok and p.code == code


# ----- invalid format: reason, and code still extracted ------------------------------------------

@pytest.mark.parametrize("text, reason", [
    (GOOD.replace("<think>", ""), "missing <think>"),
    (GOOD.replace("</think>", ""), "missing </think>"),
    (GOOD.replace("<answer>", ""), "missing <answer>"),
    (GOOD.replace("</answer>", ""), "missing </answer>"),
    ("<think>a</think><think>b</think>" + GOOD[GOOD.index("<answer>"):], "2 <think> tags"),
    (GOOD.replace("</answer>", "</answer>\n<answer>x</answer>"), "2 <answer> tags"),
    ("<think><think>nested</think></think>" + GOOD[GOOD.index("\n<answer>"):], "2 <think> tags"),
    (f"<answer>{FENCE}python\n{CODE}\n{FENCE}</answer><think>late</think>", "tags out of order"),
    (f"<think>a<answer>{FENCE}python\n{CODE}\n{FENCE}</answer></think>", "tags out of order"),
    ("Sure! " + GOOD, "text before <think>"),
    (GOOD.replace("</think>\n", "</think>\nNow the code:\n"), "text between </think> and <answer>"),
    (GOOD + "\nHope this helps!", "text after </answer>"),
    (GOOD + "<|im_end|>", "text after </answer>"),
    (respond(think="  \n "), "empty <think>"),
    (respond(answer=f"{FENCE}python\nx = 1\n{FENCE}\n{FENCE}python\n{CODE}\n{FENCE}"), "2 python code blocks in <answer>"),
    (respond(answer=f"{FENCE}cpp\nint main() {{}}\n{FENCE}\n\n{CODE}"), "no python code block in <answer>"),
    (respond(answer=f"{FENCE}python\n\n{FENCE}"), "empty python code block in <answer>"),
])
def test_format_failures(text, reason):
    p = parse_response(text)
    assert not p.format_ok
    assert p.reason is not None and p.reason.startswith(reason), p.reason


def test_failed_format_still_extracts_code_from_the_answer():
    # Text after </answer> breaks the format, but the outcome can still be computed.
    p = parse_response(GOOD + "\nHope this helps!")
    assert p.code == CODE and p.think == "Read n, print 2n."
    # Two blocks: the last python block of the answer is used.
    p = parse_response(respond(answer=f"{FENCE}python\nx = 1\n{FENCE}\n{FENCE}python\n{CODE}\n{FENCE}"))
    assert p.code == CODE
    # Unfenced code in the answer: the sanitizer finds it.
    p = parse_response(respond(answer=f"Here it is:\n{CODE}"))
    assert not p.format_ok and p.code == CODE


def test_failed_format_without_answer_extracts_free_form():
    p = parse_response(f"Let me solve it.\n{FENCE}python\n{CODE}\n{FENCE}")
    assert p.reason == "missing <think>" and p.code == CODE and p.think is None and p.answer is None


def test_unclosed_fence_truncated_response():
    text = f"<think>plan</think>\n<answer>\n{FENCE}python\n{CODE}\n"
    p = parse_response(text)
    # The open fence hides everything after it: rule 1 fails first.
    assert p.reason.startswith("unclosed code fence")
    assert p.answer == f"{FENCE}python\n{CODE}" and p.code == CODE


def test_no_code_anywhere_has_a_reason():
    p = parse_response(respond(answer="I could not solve it."))
    assert not p.format_ok and p.code is None
    assert p.reason == "no python code block in <answer>; no python code found in the answer"
    p = parse_response("just words, no structure at all")
    assert p.code is None and p.reason == "missing <think>; no python code found in the response"


def test_garbage_never_raises():
    for text in ["", "<", "</answer>", "```", "``````", "<think></think><answer></answer>", "\x00\ud800", "\r\r\r"]:
        p = parse_response(text)
        assert not p.format_ok and p.reason


# ----- free-form extraction ------------------------------------------------------------------------

def test_last_python_block_wins():
    text = f"Draft:\n{FENCE}python\nx = 1\n{FENCE}\nFinal:\n{FENCE}python\n{CODE}\n{FENCE}\n"
    assert extract_code(text) == CODE


def test_python_block_with_syntax_error_is_still_returned():
    # The executor must see it and report SYNTAX_ERROR (compiler reward -1), not "no code".
    assert extract_code(f"{FENCE}python\ndef f(:\n{FENCE}") == "def f(:"


def test_unlabelled_block_only_if_it_parses():
    text = f"{FENCE}\n{CODE}\n{FENCE}\n\n{FENCE}\nthis is not python at all\n{FENCE}"
    assert extract_code(text) == CODE
    assert extract_code(f"{FENCE}\nnot python code here\n{FENCE}") is None


def test_labelled_python_preferred_over_later_unlabelled():
    text = f"{FENCE}python\n{CODE}\n{FENCE}\n{FENCE}\nx = 2\n{FENCE}"
    assert extract_code(text) == CODE


def test_sanitizer_longest_span():
    text = (
        "We need the sum. Let's think about it carefully.\n"
        "Note: x\n"                     # parses (annotation) but is not code-like
        "Hello\n"                       # parses (a name) but is not code-like
        "\n"
        "import sys\n"
        "\n"
        "@staticmethod\n"
        "def solve(a, b):\n"
        "    return (\n"
        "        a + b\n"
        ")\n"
        "try:\n"
        "    print(solve(1, 2))\n"
        "except ValueError:\n"
        "    pass\n"
        "That's the solution; it runs in O(1).\n"
        "x = 1\n"
    )
    expected = ("import sys\n\n@staticmethod\ndef solve(a, b):\n    return (\n        a + b\n)\n"
                "try:\n    print(solve(1, 2))\nexcept ValueError:\n    pass")
    assert extract_code(text) == expected


def test_sanitizer_truncated_fence():
    text = f"Reasoning...\n{FENCE}python\n{CODE}\nfor i in range(3):\n    print(i"
    # The last statement is cut mid-way; the complete statements before it survive.
    assert extract_code(text) == CODE


def test_huge_response_is_linear(monkeypatch):
    # ~100 KB of prose with code in the middle; count the characters handed to the parser.
    parsed_chars = []
    real_parse = parsing._parse

    def counting_parse(source):
        parsed_chars.append(len(source))
        return real_parse(source)

    monkeypatch.setattr(parsing, "_parse", counting_parse)
    prose = "".join(f"Step {i}: consider the case where it's {i} (maybe).\n" for i in range(1200))
    code = "def f(x):\n" + "".join(f"    y{i} = x + {i}\n" for i in range(200)) + "    return x\n"
    text = prose + code + prose
    assert len(text) > 100_000
    assert extract_code(text) == code.rstrip("\n")
    # Every chunk is parsed once plus one final parse of the winning span: linear, never quadratic.
    assert sum(parsed_chars) <= len(text) + len(code)
    assert len(parsed_chars) <= text.count("\n") + 2


def test_huge_all_code_response_parses_each_character_at_most_twice(monkeypatch):
    parsed_chars = []
    real_parse = parsing._parse
    monkeypatch.setattr(parsing, "_parse", lambda source: parsed_chars.append(len(source)) or real_parse(source))
    text = "x = 1\n" * 20_000          # 20,000 one-line chunks, all code: one run
    assert extract_code(text) == text.rstrip("\n")
    assert sum(parsed_chars) <= 2 * len(text) and len(parsed_chars) == 20_001  # 20,000 chunks + the final join


def test_huge_well_formed_response():
    think = "reasoning line\n" * 20_000
    p = parse_response(respond(think=think))
    assert p.format_ok and p.code == CODE and len(p.think) == len(think.strip())


def test_longest_parseable_span_none_for_prose():
    assert longest_parseable_span("Hello\nThis is prose.\nNote: nothing") is None
