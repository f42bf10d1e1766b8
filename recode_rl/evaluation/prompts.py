"""Prompts for policies under evaluation, and the program that is run for a response.

Two prompt styles:

* "policy" (default, instruct models): the paper's training prompt,
  `recode_rl.rewards.verl_data.policy_messages` (system text on <think>/<answer>, the problem,
  its starter code, the I/O convention, the instruction to put the code in a python block).
  Code is taken from the response with `parse_response` (the python block inside <answer>, or
  free-form extraction when the format is broken — evaluation scores the code, and reports the
  format rate separately). Math uses the same system text and asks for a \\boxed{} answer.
* "completion" (base models): the model continues a code prefix. Problems with a function stub
  (HumanEval, BigCodeBench complete prompt) are continued from the stub and the program is
  stub + completion, cut at the first top-level statement that is not part of the function
  (EvalPlus-style stop strings). Problems without a stub (MBPP, LiveCodeBench) get the statement
  in a docstring and the code is extracted from the completion. Math: "Problem: ...\\nSolution:".

Program to execute (both styles): the import lines of the task's stub (HumanEval's
`from typing import List`, BigCodeBench's `import pandas as pd`) followed by the code, then the
judge prelude the loader recorded (`with_prefix`). Prepending the stub's imports is a departure
from running the code verbatim; EvalPlus's sanitizer does the same.
"""

from __future__ import annotations

import ast
from typing import Literal

from recode_rl.data.prelude import with_prefix
from recode_rl.data.schema import Problem
from recode_rl.generation.types import Prompt
from recode_rl.rewards.parsing import extract_code, parse_response
from recode_rl.rewards.verl_data import SYSTEM_PROMPT, policy_messages

__all__ = ["PromptStyle", "MATH_INSTRUCTION", "COMPLETION_STOP", "build_prompt", "stub_of", "stub_imports",
           "extract", "program_for"]

PromptStyle = Literal["policy", "completion"]

MATH_INSTRUCTION = (
    "Think step by step inside <think> </think> tags, then give the final answer in \\boxed{} "
    "inside <answer> </answer> tags."
)
# A completion of a function stub ends where the next top-level statement starts.
COMPLETION_STOP = ("\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\nassert ", '\n"""', "\n#")


def stub_of(task: Problem) -> str:
    """The code prefix a base model continues: HumanEval's prompt, BigCodeBench's complete prompt."""
    p = task
    if p.tests is None:
        return ""
    if p.source.startswith("bigcodebench"):
        return p.metadata.get("complete_prompt", "")
    if p.tests.kind in ("assertion", "functional") and not p.tests.class_name and p.starter_code.strip():
        return p.starter_code
    return ""


def stub_imports(task: Problem) -> str:
    """The top-level import statements of the task's stub, one per line."""
    text = stub_of(task) or task.starter_code
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return ""
    lines = [ast.get_source_segment(text, node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    return "\n".join(line for line in lines if line)


def build_prompt(task: Problem, style: PromptStyle) -> Prompt:
    if task.is_math:
        if style == "policy":
            return [{"role": "system", "content": SYSTEM_PROMPT},
                    {"role": "user", "content": f"{task.prompt.strip()}\n\n{MATH_INSTRUCTION}"}]
        return f"Problem: {task.prompt.strip()}\nSolution:"
    if style == "policy":
        return policy_messages(task)
    stub = stub_of(task)
    if stub:
        return stub
    return f'"""\n{task.prompt.strip()}\n"""\n\n'


def _cut(text: str, stops: tuple[str, ...]) -> str:
    cut = min((i for i in (text.find(s) for s in stops) if i >= 0), default=len(text))
    return text[:cut]


def extract(task: Problem, response: str, style: PromptStyle) -> tuple[str | None, bool]:
    """(code, format_ok) from a response. Math tasks have no code (None)."""
    if task.is_math:
        from recode_rl.rewards.math import parse_math_response

        return None, parse_math_response(response).format_ok if style == "policy" else False
    if style == "policy":
        parsed = parse_response(response)
        return parsed.code, parsed.format_ok
    stub = stub_of(task)
    if stub:
        return stub + _cut(response, COMPLETION_STOP), False
    return extract_code(response), False


def program_for(task: Problem, code: str) -> str:
    """The full program run against the task's tests."""
    imports = stub_imports(task)
    return with_prefix(task, f"{imports}\n{code}" if imports else code)
