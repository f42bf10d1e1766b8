"""The policy prompts: what the policy model sees in RL, SFT and evaluation (one of each kind).

`policy_messages(problem)` (code) and `math_messages(statement)` (math) build the [system, user]
chat prompt; training rows (`recode_rl.rl.data`, `rewards.trl_reward`, veRL parquet), the SFT
baseline, LCB-RB response sampling and policy evaluation all call these two functions, so a
model is evaluated on the prompt it was trained on.

The structure is the paper's RL prompt (Appendix A.3, Fig. 5), in our own words: a system text
(an assistant that solves the user's question, first reasoning, then giving the final answer,
the reasoning in <think> </think> and the answer in <answer> </answer>, with the one-line
`<think> ... </think><answer> ... </answer>` example), then the problem, then the instruction
(write Python code; first the thinking process in the think tags, then the code in a python
block inside the answer tags). Departures: the code prompt adds the problem's starter code and
one sentence on the I/O convention the tests use (`io_hint`), without which functional (LeetCode)
and stdin problems are ambiguous. The appendix prints only the code prompt (the paper's math
extension, RQ3, shows none); our math prompt mirrors the code one and asks for the final answer
in \\boxed{} inside the answer tags; training and evaluation use this one function.
"""

from __future__ import annotations

from recode_rl.data.schema import Problem

__all__ = ["SYSTEM_PROMPT", "CODE_INSTRUCTION", "MATH_INSTRUCTION", "io_hint", "policy_messages", "math_messages"]

SYSTEM_PROMPT = (
    "You are an AI assistant, and your task is to solve the user's question. You first think the reasoning "
    "process through in your mind, and then give the user the final answer. The reasoning process goes inside "
    "<think> </think> tags and the answer inside <answer> </answer> tags, i.e., "
    "<think> reasoning process here </think><answer> answer here </answer>."
)

CODE_INSTRUCTION = (
    "Write Python code to solve the problem. First, give your thinking process inside <think> </think> tags. "
    "Then, give the code in a ```python code block inside <answer> </answer> tags."
)

MATH_INSTRUCTION = ("Solve the problem. First, give your thinking process inside <think> </think> tags. "
                    "Then, give the final answer in \\boxed{} inside <answer> </answer> tags.")


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
