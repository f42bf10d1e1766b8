"""The policy prompts: what the policy model sees in RL, SFT and evaluation (one of each kind).

`policy_messages(problem)` (code) and `math_messages(statement)` (math) build the [system, user]
chat prompt; training rows (`recode_rl.rl.data`, `rewards.trl_reward`, veRL parquet), the SFT
baseline, LCB-RB response sampling and policy evaluation all call these two functions, so a
model is evaluated on the prompt it was trained on.

Structure follows the paper's RL prompt (Appendix A.3, Fig. 5): a system text saying the
assistant reasons inside <think> </think> and answers inside <answer> </answer>, then the
problem, then an instruction (code: a ```python block inside the answer tags).
Departures from the paper: the wording is our own, following that structure, until it is
rewritten; the code prompt adds the problem's starter code and one sentence on the I/O
convention the tests use (`io_hint`). The appendix prints only the code prompt (the paper's math
extension, RQ3, shows none); our math prompt mirrors the code one and asks for the final answer
in \\boxed{} inside the answer tags.
"""

from __future__ import annotations

from recode_rl.data.schema import Problem

__all__ = ["SYSTEM_PROMPT", "CODE_INSTRUCTION", "MATH_INSTRUCTION", "io_hint", "policy_messages", "math_messages"]

SYSTEM_PROMPT = (
    "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. "
    "The Assistant first thinks about the reasoning process in the mind and then provides the user with "
    "the answer. The reasoning process and the answer are enclosed within <think> </think> and "
    "<answer> </answer> tags, respectively, i.e., <think> reasoning process here </think>"
    "<answer> answer here </answer>."
)

CODE_INSTRUCTION = (
    "Write Python code to solve the problem. Think step by step inside <think> </think> tags, "
    "then give the code in a ```python code block inside <answer> </answer> tags."
)

MATH_INSTRUCTION = ("Solve the problem. Think step by step inside <think> </think> tags, then give the final "
                    "answer in \\boxed{} inside <answer> </answer> tags.")


def io_hint(problem: Problem) -> str:
    """One sentence on the I/O convention the problem's tests use."""
    tests = problem.tests
    if tests.kind == "stdio":
        return "Your program must read from standard input and write to standard output."
    if tests.kind == "functional" and tests.class_name:
        return f"Implement the method `{tests.fn_name}` of class `{tests.class_name}` in the starter code."
    if tests.kind == "functional":
        return f"Implement the function `{tests.fn_name}`."
    if tests.entry_point:
        return f"Implement the function `{tests.entry_point}`."
    return "Write a self-contained solution."


def policy_messages(problem: Problem) -> list[dict[str, str]]:
    """The chat prompt for one code problem: [system, user]."""
    parts = [problem.prompt.strip()]
    if problem.starter_code.strip():
        parts.append(f"Starter code:\n```python\n{problem.starter_code.rstrip()}\n```")
    parts.append(io_hint(problem))
    parts.append(CODE_INSTRUCTION)
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": "\n\n".join(parts)}]


def math_messages(statement: str) -> list[dict[str, str]]:
    """The chat prompt for one math problem statement: [system, user]."""
    return [{"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": f"{statement.strip()}\n\n{MATH_INSTRUCTION}"}]
