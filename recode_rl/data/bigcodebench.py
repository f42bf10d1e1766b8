"""BigCodeBench records -> `unittest` `Problem`s.

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

Registered names: `bigcodebench` (an official file you pass as `path`), `bigcodebench-hard`
(the shared rllm hard set) and `bigcodebench-sample` (the shared 20-task SandboxFusion sample).
Which tasks can run in our sandbox is decided at evaluation time (`evaluation/bigcodebench.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from recode_rl.data.records import Where, find_data_file, get_str, parse_json_field, read_records
from recode_rl.data.schema import Problem, select_problems
from recode_rl.errors import DataError
from recode_rl.execution.types import TestSuite

__all__ = ["BIGCODEBENCH_FILES", "problem_from_bigcodebench", "load_bigcodebench", "load_bigcodebench_named"]

Mode = Literal["complete", "instruct"]

# data-layout files of the named sets; the official full set is not in shared/data:
# `recode data fetch bigcodebench` downloads it (or pass `path`)
BIGCODEBENCH_FILES = {
    "bigcodebench": "bigcodebench/BigCodeBench.jsonl.gz",
    "bigcodebench-hard": "bigcodebench/rllm_bigcodebench_hard.json",
    "bigcodebench-sample": "bigcodebench/sandboxfusion_bigcodebench_sample20.jsonl",
}


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
        labels = parse_json_field(rec.get("labels") or "{}", "labels", where)
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
    records = enumerate(read_records(path))
    return select_problems((problem_from_bigcodebench(rec, where, index=i, mode=mode, source=source)
                            for i, (where, rec) in records), task_ids=task_ids, limit=limit)


def load_bigcodebench_named(name: str, path: str | Path | None = None, *, mode: Mode = "instruct",
                            limit: int | None = None, task_ids: Sequence[str] | None = None) -> list[Problem]:
    """A registered BigCodeBench set, from `path` or the data layout (shared data, then the fetch cache)."""
    if path is None:
        if name not in BIGCODEBENCH_FILES:
            raise DataError(f"{name}: not a BigCodeBench set ({', '.join(BIGCODEBENCH_FILES)}); pass `path`")
        path = find_data_file(BIGCODEBENCH_FILES[name])
    return load_bigcodebench(path, mode=mode, limit=limit, task_ids=task_ids, source=name)
