"""Judge prompts: the LCB-RB consistency judge and the generator-as-judge rating baseline.

`lcbrb_judge_prompt(problem, reasoning, code)` follows the paper's "Reasoning Flaw Assessment
Prompt" (Appendix A.6, Fig. 9) in our own words and with its structure: a code-reviewer role;
two criteria, Reasoning Soundness (is the plan in <think> a correct and robust way to solve the
problem, or does it have flaws?) and Implementation-Thought Consistency (does the code in
<answer> implement that plan?); the problem and the whole solution (<think> reasoning, then the
code in <answer>); a two-line reply whose line 1 is exactly `Yes` (flawed reasoning, consistent
code), `No` (sound reasoning, consistent code) or `None` (code inconsistent with the reasoning),
and line 2 the justification covering both criteria. The reply is read by
`recode_rl.evaluation.judge.parse_judgement`. The template (placeholders `{problem}`,
`{reasoning}`, `{code}`) can be replaced from a file (`judge_prompt_file` in build-lcbrb).

`rating_judge_prompt(problem, reasoning)` asks a generator to rate a reasoning 0-10 and end
with `Score: N` (read by `recode_rl.reward_model.judge.parse_rating`). The paper compares
against LLM judges (GPT-4-Turbo, ...) without printing their prompt; ours is our own wording,
written from the five flaw types.
"""

from __future__ import annotations

import re

__all__ = ["LCBRB_JUDGE_PROMPT", "lcbrb_judge_prompt", "RATING_JUDGE_PROMPT", "rating_judge_prompt"]

LCBRB_JUDGE_PROMPT = """You are an expert code reviewer and a rigorous logical analyst.

Your task is to analyze a solution to a programming problem carefully, judging both its reasoning \
(inside '<think>') and whether its implementation (inside '<answer>') is consistent with that reasoning.

Criteria:
1. Reasoning Soundness: are the algorithm, the logic and the step-by-step plan described in '<think>' a \
correct and robust way to solve the problem? Or does that logic contain flaws?
2. Implementation-Thought Consistency: does the code in '<answer>' faithfully implement the logic \
described in '<think>'?

[Problem Description]
{problem}

[Solution]
<think>
{reasoning}
</think>
<answer>
```python
{code}
```
</answer>

Your reply must follow this two-line format exactly.

Line 1: only the word 'Yes', 'No' or 'None', chosen as follows:
(1) 'Yes' ONLY when the reasoning in '<think>' is flawed AND the code in '<answer>' is a consistent \
implementation of that flawed reasoning.
(2) 'No' ONLY when the reasoning in '<think>' is sound AND the code in '<answer>' is a consistent \
implementation of that sound reasoning.
(3) 'None' in every other case, above all whenever the code in '<answer>' is NOT a consistent \
implementation of the logic in '<think>', whether that reasoning is sound or flawed.

Line 2: the justification of your judgement, covering both the soundness of the reasoning and its \
consistency with the code."""

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


def lcbrb_judge_prompt(problem: str, reasoning: str, code: str, template: str = LCBRB_JUDGE_PROMPT) -> str:
    """The LCB-RB judge prompt for one response; `template` holds `{problem}`, `{reasoning}`, `{code}`."""
    # one pass, not str.format: problems, reasoning and code are full of braces
    values = {"problem": problem.strip(), "reasoning": reasoning.strip(), "code": code.rstrip()}
    return re.sub(r"\{(problem|reasoning|code)\}", lambda m: values[m.group(1)], template)


def rating_judge_prompt(problem: str, reasoning: str, template: str = RATING_JUDGE_PROMPT) -> str:
    """The rating prompt for one (problem, reasoning); `template` holds `{problem}` and `{reasoning}`."""
    # str.replace, not str.format: a user template (or the reasoning) may contain other braces
    return template.replace("{problem}", problem).replace("{reasoning}", reasoning)
