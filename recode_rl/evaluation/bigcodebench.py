"""BigCodeBench records -> `unittest` `Problem`s, and which tasks can run in our sandbox.

Three record layouts are read:
* official (`task_id, complete_prompt, instruct_prompt, code_prompt, canonical_solution, test,
  entry_point, libs`) — the release files / HF dataset; reference = code_prompt + solution body;
* SandboxFusion's sample (`id, content, canonical_solution, test, labels`) — official ids, the
  solution is a body that continues `content`;
* rllm's hard set (`problem, solutions, tests`) — no ids (task_id = `BigCodeBench-Hard/<index>`),
  no instruct prompt, `solutions` is the full function.

Modes: "complete" shows the complete prompt (imports, signature, docstring); "instruct" shows
the natural-language instruct prompt. Departure: records without an instruct prompt (rllm,
SandboxFusion) fall back to the complete prompt in instruct mode, and the summary says so.

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
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from recode_rl.data.records import Where, get_str, read_records
from recode_rl.data.schema import Problem
from recode_rl.execution.types import TestSuite

__all__ = ["problem_from_bigcodebench", "load_bigcodebench", "imported_modules", "missing_modules",
           "failing_references"]

Mode = Literal["complete", "instruct"]


def problem_from_bigcodebench(rec: dict[str, Any], where: Where, *, index: int, mode: Mode = "instruct",
                              source: str = "bigcodebench", default_prefix: str = "BigCodeBench-Hard") -> Problem:
    if "complete_prompt" in rec:  # official schema
        task_id = get_str(rec, "task_id", where)
        complete = get_str(rec, "complete_prompt", where)
        instruct = get_str(rec, "instruct_prompt", where, default="")
        reference = get_str(rec, "code_prompt", where, default=complete) + get_str(rec, "canonical_solution", where)
        test = get_str(rec, "test", where)
        entry = get_str(rec, "entry_point", where, default="task_func")
        libs = rec.get("libs")
    elif "content" in rec:  # SandboxFusion sample
        task_id = get_str(rec, "id", where)
        complete = get_str(rec, "content", where)
        instruct = ""
        reference = complete + get_str(rec, "canonical_solution", where)
        test = get_str(rec, "test", where)
        labels = rec.get("labels") or "{}"
        try:
            labels = json.loads(labels) if isinstance(labels, str) else labels
        except json.JSONDecodeError as exc:
            raise where.error("labels", f"invalid JSON string: {exc}") from None
        entry = (labels or {}).get("entry_point", "task_func")
        libs = None
    elif "problem" in rec and "tests" in rec:  # rllm hard set
        task_id = str(rec.get("task_id") or f"{default_prefix}/{index}")
        complete = get_str(rec, "problem", where)
        instruct = ""
        reference = get_str(rec, "solutions", where)
        test = get_str(rec, "tests", where)
        entry = "task_func"
        libs = None
    else:
        raise where.error(None, "not a BigCodeBench record: expected complete_prompt/test (official), "
                                "content/test (SandboxFusion) or problem/tests (rllm)")
    if "TestCase" not in test:
        raise where.error("test", "expected unittest code defining a TestCase class")
    prompt = instruct if (mode == "instruct" and instruct.strip()) else complete
    return Problem(
        task_id=task_id, prompt=prompt, source=source,
        tests=TestSuite(kind="unittest", preamble=test),
        starter_code="",  # the complete prompt already is the stub; kept in metadata for completion mode
        reference_solution=reference,
        metadata={"entry_point": entry, "libs": libs, "mode": mode,
                  "instruct_fallback": mode == "instruct" and prompt is complete,
                  "complete_prompt": complete},
    )


def load_bigcodebench(path: str | Path, *, mode: Mode = "instruct", limit: int | None = None,
                      task_ids: Sequence[str] | None = None, source: str = "bigcodebench") -> list[Problem]:
    wanted = set(task_ids) if task_ids is not None else None
    problems = []
    for i, (where, rec) in enumerate(read_records(path)):
        p = problem_from_bigcodebench(rec, where, index=i, mode=mode, source=source)
        if wanted is not None and p.task_id not in wanted:
            continue
        problems.append(p)
        if limit and len(problems) >= limit:
            break
    return problems


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
