"""`recode build-lcbrb`: build the LCB-RB reasoning-process benchmark (MISSION Part 3).

    recode build-lcbrb --config configs/build-lcbrb/paper.yaml generator.model=Qwen/Qwen2.5-Coder-7B-Instruct
    # annotators fill <run>/data/lcbrb_adjudication.csv, then:
    recode build-lcbrb --config configs/build-lcbrb/paper.yaml run_dir=<run> annotations=<run>/data/lcbrb_adjudication.csv

Steps: sample N responses per problem (T = 1.0) -> execute -> judge -> adjudication sheet ->
(import annotations, Cohen's kappa, consensus) -> pairs. Outputs in <run>/data/:
lcbrb_samples.jsonl (executed samples), lcbrb_judged.jsonl (+ judge label; `recode analyze`
reads it), lcbrb_adjudication.csv, lcbrb_pairs.jsonl (for `recode eval-rm`), and
<run>/report/lcbrb_summary.json. LLM calls are cached in <run>/data/*_calls.jsonl, so a rerun
resumes and re-judging after an interruption costs nothing twice.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from recode_rl.config import ConfigError, StageConfig, load_config
from recode_rl.generation.config import GeneratorConfig
from recode_rl.generation.types import Generator, SamplingParams

__all__ = ["Config", "add_arguments", "run", "build_lcbrb"]


class Config(StageConfig):
    run_dir: str | None = None
    problems: str = "livecodebench"          # problem set name or file (recode_rl.data.load_problems)
    problem_options: dict[str, Any] = {}     # e.g. {start: 2023-05-01, end: 2024-09-30}
    limit: int | None = Field(None, ge=1)    # first N problems (after the window exclusion)
    exclude_start: str | None = "2024-10-01"  # contest window reserved for code-generation evaluation
    exclude_end: str | None = "2025-02-28"
    generator: GeneratorConfig = GeneratorConfig()
    sampling: SamplingParams = SamplingParams(temperature=1.0, max_new_tokens=4096)
    n: int = Field(50, ge=1)                 # responses per problem
    judge: GeneratorConfig = GeneratorConfig(backend="openai", model="gpt-4o", base_url="https://api.openai.com/v1")
    judge_sampling: SamplingParams = SamplingParams(temperature=0.0, max_new_tokens=256)
    annotations: str | None = None           # a filled adjudication sheet (CSV)
    labels_from: Literal["auto", "judge", "annotations"] = "auto"  # auto: annotations when given
    seed: int = 0
    timeout: float = Field(6.0, gt=0)
    memory_mb: int = Field(2048, ge=64)
    max_workers: int | None = None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run-dir", help="run directory (also config key run_dir)")


def _window(cfg: Config) -> tuple[str, str] | None:
    if cfg.exclude_start is None and cfg.exclude_end is None:
        return None
    return (cfg.exclude_start or "0001-01-01", cfg.exclude_end or "9999-12-31")


def build_lcbrb(cfg: Config, root: str | Path, policy: Generator, judge: Generator,
                problems: list[Any] | None = None) -> dict[str, Any]:
    """The whole pipeline with the given generators (the CLI builds them from the config)."""
    from recode_rl.data import load_problems
    from recode_rl.evaluation.adjudication import merge, read_sheet, write_sheet
    from recode_rl.data.records import load_records, write_records
    from recode_rl.evaluation.lcbrb import build_pairs, in_window, judge_items, sample_items
    from recode_rl.execution.types import Limits
    from recode_rl.synthesis.cache import CachedGenerator, CallCache

    root = Path(root)
    data, report = root / "data", root / "report"
    data.mkdir(parents=True, exist_ok=True)
    report.mkdir(parents=True, exist_ok=True)
    window = _window(cfg)
    if problems is None:
        problems = load_problems(cfg.problems, **cfg.problem_options)
    n_loaded = len(problems)
    problems = [p for p in problems if not in_window(p.contest_date, window)]
    excluded = n_loaded - len(problems)
    if cfg.limit:
        problems = problems[: cfg.limit]
    if not problems:
        raise ConfigError(f"build-lcbrb: no problems left from {cfg.problems!r} after excluding {window}")

    policy_cache, judge_cache = CallCache(data / "lcbrb_policy_calls.jsonl"), CallCache(data / "lcbrb_judge_calls.jsonl")
    try:
        done = {r["item_id"]: r for r in load_records(data / "lcbrb_samples.jsonl", missing_ok=True)}
        items, sample_stats = sample_items(problems, CachedGenerator(policy, policy_cache), n=cfg.n,
                                           sampling=cfg.sampling, limits=Limits(timeout=cfg.timeout, memory_mb=cfg.memory_mb),
                                           done=done, max_workers=cfg.max_workers, progress="sampling")
        write_records(data / "lcbrb_samples.jsonl", items)
        judged, label_counts = judge_items(items, CachedGenerator(judge, judge_cache), cfg.judge_sampling,
                                           progress="judging")
    finally:
        policy_cache.close()
        judge_cache.close()
    write_records(data / "lcbrb_judged.jsonl", judged)
    consistent = [it for it in judged if it["label"] in ("sound", "flawed")]
    sheet = data / "lcbrb_adjudication.csv"
    write_sheet(consistent, sheet)

    use_annotations = cfg.labels_from == "annotations" or (cfg.labels_from == "auto" and cfg.annotations)
    adjudication: dict[str, Any] | None = None
    if use_annotations:
        if not cfg.annotations:
            raise ConfigError("labels_from=annotations needs annotations=<filled adjudication sheet>")
        labels, adjudication = merge(read_sheet(cfg.annotations))
        known = {it["item_id"] for it in judged}
        stray = sorted(set(labels) - known)
        if stray:
            raise ConfigError(f"{cfg.annotations}: {len(stray)} item_id(s) not in this run, e.g. {stray[0]!r}")
        source = "human consensus (two annotators)"
    else:
        labels = {it["item_id"]: it["label"] for it in consistent}
        source = "LLM judge only (not human-adjudicated)"
    pairs, pair_stats = build_pairs(judged, labels, seed=cfg.seed, exclude_window=window)
    write_records(data / "lcbrb_pairs.jsonl", pairs)
    summary = {
        "problems": len(problems), "exclude_window": window,
        "samples": dict(sample_stats), "passed": sum(bool(it.get("passed")) for it in items),
        "failed": sum(not it.get("passed") for it in items), "judge_labels": dict(label_counts),
        "labels_from": source, "adjudication": adjudication, **pair_stats,
        "problems_excluded_by_window": excluded + pair_stats["problems_excluded_by_window"],
        "pairs_path": str(data / "lcbrb_pairs.jsonl"), "sheet_path": str(sheet),
        "generator": policy.model_id, "judge": judge.model_id,
    }
    if adjudication and isinstance(adjudication.get("kappa"), float) and math.isnan(adjudication["kappa"]):
        adjudication["kappa"] = None
    (report / "lcbrb_summary.json").write_text(json.dumps(summary, indent=1))
    return summary


def run(args: argparse.Namespace) -> int:
    from recode_rl.generation.config import build_generator
    from recode_rl.rundir import RunDir

    overrides = list(args.overrides or [])
    if getattr(args, "run_dir", None):
        overrides.append(f"run_dir={args.run_dir}")
    cfg = load_config(Config, args.config, overrides)
    run_dir = RunDir.create(cfg.run_dir, stage="build-lcbrb")
    run_dir.write_config(cfg, "build-lcbrb")
    s = build_lcbrb(cfg, run_dir.root, build_generator(cfg.generator), build_generator(cfg.judge))
    print(f"{s['problems']} problems, {s['samples'].get('kept', 0)} judged samples "
          f"({s['passed']} pass / {s['failed']} fail); judge labels {s['judge_labels']}")
    if s["adjudication"]:
        print(f"annotators: kappa {s['adjudication']['kappa']}, {s['adjudication']}")
    print(f"{s['pairs']} pairs from {s['problems_with_pairs']} problems ({s['labels_from']}): {s['pairs_path']}")
    print(f"adjudication sheet: {s['sheet_path']}")
    return 0
