"""How a policy under evaluation is prompted, per task: `build_prompt(task, style)`.

* "policy" (default, instruct models): the training prompt of `recode_rl.prompts.policy` —
  `policy_messages` for code (think/answer tags, the problem, its starter code, the I/O
  convention, a python block), `math_messages` for math (a \\boxed{} answer inside the answer
  tags). Training and evaluation build the prompt with the same functions, so they match.
* "completion" (base models): the model continues a code prefix. Problems with a function stub
  (HumanEval, BigCodeBench complete prompt; `stub_of`) are continued from the stub; problems
  without one (MBPP, LiveCodeBench) get the statement in a docstring. Math: "Problem: ...\\nSolution:".

Departure from the paper: it does not say which prompt it evaluates with; we evaluate instruct
models on their training prompt, and the completion style for base models is ours
(EvalPlus-like). The policy prompt's own departures are listed in `recode_rl.prompts.policy`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from recode_rl.prompts.policy import math_messages, policy_messages

if TYPE_CHECKING:
    from recode_rl.data.schema import Problem
    from recode_rl.generation.types import Prompt

__all__ = ["PromptStyle", "build_prompt", "stub_of"]

PromptStyle = Literal["policy", "completion"]


def stub_of(p: Problem) -> str:
    """The code prefix a base model continues: HumanEval's prompt, BigCodeBench's complete prompt."""
    if p.tests is None:
        return ""
    if p.source.startswith("bigcodebench"):
        return p.metadata.get("complete_prompt", "")
    if p.tests.kind in ("assertion", "functional") and not p.tests.class_name and p.starter_code.strip():
        return p.starter_code
    return ""


def build_prompt(task: Problem, style: PromptStyle) -> Prompt:
    """The prompt for one task: chat messages ("policy") or a text prefix ("completion")."""
    if task.is_math:
        if style == "policy":
            return math_messages(task.prompt)
        return f"Problem: {task.prompt.strip()}\nSolution:"
    if style == "policy":
        return policy_messages(task)
    stub = stub_of(task)
    if stub:
        return stub
    return f'"""\n{task.prompt.strip()}\n"""\n\n'
