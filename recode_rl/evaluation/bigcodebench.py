"""Which BigCodeBench tasks can run in our sandbox (the loader is `recode_rl.data.bigcodebench`).

Tasks need many third-party libraries. `missing_modules(problems)` imports every top-level
module a task's prompt, reference and tests import *inside the sandbox* (the sandbox sees the
same site-packages as the executor) and reports which cannot be imported; `recode eval` skips
those tasks and lists them with the reason — they are never counted as failures or passes.
`failing_references(problems)` runs each task's reference solution in the sandbox: a task
whose reference fails here (it needs the network — the sandbox has none —, a system tool, or
more time than the limit) cannot tell a good policy from a bad one, so it is skipped too, with
the reference's error as the reason. BigCodeBench's own harness only warns about such tasks;
skipping them and listing them is our departure.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import Any

from recode_rl.data.schema import Problem
from recode_rl.execution.types import TestSuite

__all__ = ["imported_modules", "missing_modules", "failing_references"]


def imported_modules(*sources: str) -> set[str]:
    """Top-level module names imported anywhere in these sources (unparseable ones are skipped)."""
    names: set[str] = set()
    for src in sources:
        try:
            tree = ast.parse(src)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return names


def missing_modules(problems: Sequence[Problem], limits: Any = None) -> dict[str, list[str]]:
    """task_id -> modules its prompt/reference/tests import that the sandbox cannot import."""
    from recode_rl.execution import Limits, Verdict, execute_many

    needs = {p.task_id: imported_modules(p.metadata.get("complete_prompt", p.prompt),
                                         p.reference_solution or "", p.tests.preamble) for p in problems}
    modules = sorted(set().union(*needs.values())) if needs else []
    jobs = [("", TestSuite(kind="assertion", assertions=(f"import {m}",))) for m in modules]
    results = execute_many(jobs, limits or Limits(timeout=60.0, memory_mb=4096))
    importable = {m for m, r in zip(modules, results) if r.verdict is Verdict.PASSED}
    return {tid: sorted(mods - importable) for tid, mods in needs.items() if mods - importable}


def failing_references(problems: Sequence[Problem], limits: Any = None) -> dict[str, str]:
    """task_id -> why its reference solution fails in the sandbox (tasks that pass are absent)."""
    from recode_rl.execution import Limits, Verdict, execute_many

    todo = [p for p in problems if p.reference_solution]
    results = execute_many([(p.reference_solution, p.tests) for p in todo], limits or Limits(timeout=30.0))
    out = {p.task_id: "no reference solution to validate the task with" for p in problems if not p.reference_solution}
    for p, r in zip(todo, results):
        if r.verdict is not Verdict.PASSED:
            bad = next((t for t in r.tests if t.verdict is not Verdict.PASSED), None)
            detail = (bad.message if bad and bad.message else r.message) or ""
            out[p.task_id] = f"reference solution fails in the sandbox ({r.verdict.value}: {detail[:160]})"
    return out
