"""Judge prompts: the LCB-RB consistency judge and the generator-as-judge rating baseline.

`lcbrb_judge_prompt(problem, reasoning, code)` asks, per sampled response, for line 1 exactly
`Yes` (reasoning flawed AND code consistent with it), `No` (reasoning sound AND code consistent)
or `None` (the code does not implement the reasoning), line 2 a justification; the reply is read
by `recode_rl.evaluation.judge.parse_judgement`. The paper's version is its "Reasoning Flaw
Assessment Prompt" (Appendix A.6, Fig. 9). Departure: ours is our own wording, following that
prompt's two-line Yes/No/None structure, until it is rewritten; it shows the reasoning and the
code as separate sections (Fig. 9 shows the whole <think>/<answer> solution) and names the five
flaw types of MISSION Part 1.

`rating_judge_prompt(problem, reasoning)` asks a generator to rate a reasoning 0-10 and end
with `Score: N` (read by `recode_rl.reward_model.judge.parse_rating`). The paper compares
against LLM judges (GPT-4-Turbo, ...) without printing their prompt; ours is our own wording,
written from the five flaw types.
"""

from __future__ import annotations

__all__ = ["LCBRB_JUDGE_PROMPT", "lcbrb_judge_prompt", "RATING_JUDGE_PROMPT", "rating_judge_prompt"]

LCBRB_JUDGE_PROMPT = """You are reviewing a solution to a programming problem. The solution has two parts: the \
reasoning written before coding, and the code.

First decide whether the code implements the approach described in the reasoning. If it does not (it \
uses a different algorithm, skips or contradicts steps of the reasoning, or the reasoning does not \
describe an approach at all), the answer is None.

If the code does implement the reasoning, decide whether the reasoning is flawed. Reasoning is flawed \
if it has any of: a factual error (a misstated constraint, a wrong formula, a wrong complexity claim); \
an irrelevant or misleading step; incomplete reasoning that stops before reaching a solution; a \
logical gap where a key step is missing; a chaotic or acausal order of steps. Judge the reasoning \
itself, not whether the code would pass hidden tests.

Reply in exactly two lines.
Line 1: exactly one word: Yes (the reasoning is flawed and the code is consistent with it), No (the \
reasoning is sound and the code is consistent with it), or None (the code is not consistent with the \
reasoning).
Line 2: a one-sentence justification.

## Problem
{problem}

## Reasoning
{reasoning}

## Code
```python
{code}
```"""

RATING_JUDGE_PROMPT = """You are reviewing the reasoning someone wrote before coding a solution to a programming problem.
Judge only the reasoning, for these flaws:
1. factual errors (misstated constraints, wrong formulas, wrong complexity);
2. irrelevant or misleading steps;
3. incomplete reasoning (it stops before reaching a solution);
4. logical gaps (a key step is missing);
5. chaotic or acausal order.

## Problem
{problem}

## Reasoning
{reasoning}

Rate the reasoning from 0 (useless or wrong) to 10 (correct, complete, clear and efficient).
Answer with one short justification line, then a last line of the form "Score: N"."""


def lcbrb_judge_prompt(problem: str, reasoning: str, code: str) -> str:
    """The LCB-RB judge prompt for one response."""
    return LCBRB_JUDGE_PROMPT.format(problem=problem.strip(), reasoning=reasoning.strip(), code=code.rstrip())


def rating_judge_prompt(problem: str, reasoning: str, template: str = RATING_JUDGE_PROMPT) -> str:
    """The rating prompt for one (problem, reasoning); `template` holds `{problem}` and `{reasoning}`."""
    # str.replace, not str.format: a user template (or the reasoning) may contain other braces
    return template.replace("{problem}", problem).replace("{reasoning}", reasoning)
