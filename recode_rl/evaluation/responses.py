"""From a policy's response to the program that is run (the prompts are in `recode_rl.prompts.evaluation`).

`extract(task, response, style)`: "policy" responses (instruct models) give their code through
`parse_response` (the python block inside <answer>, or free-form extraction when the format is
broken — evaluation scores the code, and reports the format rate separately); math responses
give no code, only their format verdict. "completion" responses (base models) continue the
task's stub (`stub_of`): the program is stub + completion, cut at the first top-level statement
that is not part of the function (EvalPlus-style stop strings); without a stub the code is
extracted from the completion.

Program to execute (both styles, `program_for`): the import lines of the task's stub
(HumanEval's `from typing import List`, BigCodeBench's `import pandas as pd`) followed by the
code, then the judge prelude the loader recorded (`with_prefix`). Prepending the stub's imports
is a departure from running the code verbatim; EvalPlus's sanitizer does the same.
"""

from __future__ import annotations

import ast

from recode_rl.data.prelude import with_prefix
from recode_rl.data.schema import Problem
from recode_rl.prompts import PromptStyle, stub_of
from recode_rl.rewards.parsing import extract_code, parse_response

__all__ = ["COMPLETION_STOP", "stub_imports", "extract", "program_for"]

# A completion of a function stub ends where the next top-level statement starts.
COMPLETION_STOP = ("\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\nassert ", '\n"""', "\n#")


def stub_imports(task: Problem) -> str:
    """The top-level import statements of the task's stub, one per line."""
    text = stub_of(task) or task.starter_code
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return ""
    lines = [ast.get_source_segment(text, node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    return "\n".join(line for line in lines if line)


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
