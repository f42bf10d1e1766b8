"""CRPL data synthesis: problems -> base reasoning t -> k optimized t+ / k degraded t- -> pairs.

Reads top to bottom as the paper's recipe (MISSION.md Part 1):
  1. base     the generator writes a reasoning-only chain of thought t per problem;
  2. rewrite  it rewrites each kept t into k optimized and k degraded versions, explaining
              which methods it used;
  3. scores   (optional, score-based baseline) it gives each kept t one 0-1 score (paper Fig. 10);
  4. pairs    opt>deg / opt>ori / ori>deg pairs, split 9:1 by problem.
Every LLM call goes through a `CachedGenerator` on `<run>/data/llm_calls.jsonl`, so an
interrupted run resumes where it stopped. Outputs (all under `<run>/data/`):
  synth.jsonl                 per problem: base, rewrites, explanations, methods, drop reasons, raw outputs
  pairs.train.jsonl / pairs.validation.jsonl   TRL preference format + metadata
  scores.train.jsonl / scores.validation.jsonl (score_based): problem, reasoning, per-flaw scores, overall
  stats.json                  counts per stage, drop reasons, methods named, lengths, cache use

Departures from the paper: one base reasoning per problem as in the paper, but `k` rewrites
of each kind (paper: one); parse rules and the lenient no-header mode are ours (see
`parse.py`); cross-generator mode assigns whole problems to the second generator.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from recode_rl.data.records import write_records
from recode_rl.data.schema import Problem
from recode_rl.generation.types import Completion, Generator, SamplingParams
from recode_rl.prompts import load_templates, problem_text
from recode_rl.rundir import RunDir
from recode_rl.synthesis.cache import CachedGenerator, CallCache
from recode_rl.synthesis.config import Config
from recode_rl.synthesis.pairs import ProblemSynth, build_pairs, split_by_problem
from recode_rl.synthesis.parse import parse_base, parse_rewrite, parse_scores
from recode_rl.synthesis.stats import SynthStats

__all__ = ["SynthOutputs", "assign_generators", "run_synthesis"]


@dataclass(frozen=True)
class SynthOutputs:
    data_dir: Path
    train_pairs: Path
    validation_pairs: Path
    stats: Path
    synth: Path
    scores: tuple[Path, Path] | None
    summary: dict[str, Any]


def assign_generators(problem_ids: Sequence[str], labels: Sequence[str], second_fraction: float,
                      seed: int) -> dict[str, str]:
    """problem id -> generator label. With two labels, a seeded `second_fraction` of the
    problems (at least one and not all, given >= 2 problems) goes to the second."""
    if len(labels) == 1:
        return {pid: labels[0] for pid in problem_ids}
    ids = sorted(problem_ids)
    random.Random(seed).shuffle(ids)
    n_second = round(len(ids) * second_fraction)
    if len(ids) >= 2:
        n_second = min(max(n_second, 1), len(ids) - 1)
    second = set(ids[:n_second])
    return {pid: labels[1] if pid in second else labels[0] for pid in problem_ids}


def _run_stage(gens: dict[str, CachedGenerator], assignment: dict[str, str], prompts: dict[Any, str],
               owner: dict[Any, str], n: int, sampling: SamplingParams, desc: str) -> dict[Any, list[Completion]]:
    """Generate `n` completions for every prompt key, each with its problem's generator."""
    out: dict[Any, list[Completion]] = {}
    for label, gen in gens.items():
        keys = [key for key in prompts if assignment[owner[key]] == label]
        if not keys:
            continue
        bar = desc if len(gens) == 1 else f"{desc} [{label}]"
        results = gen.generate([prompts[key] for key in keys], n, sampling, progress=bar)
        out.update(zip(keys, results))
    return out


def run_synthesis(cfg: Config, problems: Sequence[Problem], generators: dict[str, Generator],
                  run: RunDir) -> SynthOutputs:
    """Run every stage (resuming from the call cache) and write the outputs; see module doc."""
    if len({p.task_id for p in problems}) != len(problems):
        raise ValueError("problem ids must be unique")
    templates = load_templates(cfg.prompts_dir)
    cache = CallCache(run.data / "llm_calls.jsonl")
    gens = {label: CachedGenerator(g, cache) for label, g in generators.items()}
    assignment = assign_generators([p.task_id for p in problems], list(gens), cfg.second_fraction, cfg.seed)
    texts = {p.task_id: problem_text(p) for p in problems}
    identity = {pid: pid for pid in texts}
    stats = SynthStats()
    records: dict[str, dict[str, Any]] = {
        pid: {"problem_id": pid, "generator": assignment[pid], "base": None, "base_drop": None,
              "base_raw": None, "optimized": [], "degraded": [], "scores": None} for pid in texts}
    try:
        # 1. base reasoning t
        base_prompts = {pid: templates["base_cot"].render(problem=texts[pid]) for pid in texts}
        base_raw = _run_stage(gens, assignment, base_prompts, identity, 1, cfg.base_sampling, "base reasoning")
        base: dict[str, str] = {}
        for pid, (completion,) in base_raw.items():
            parsed = parse_base(completion, cfg.parse)
            stats.record("base", completion, parsed)
            records[pid].update(base=parsed.text, base_drop=parsed.reason, base_raw=completion.text)
            if parsed.kept:
                base[pid] = parsed.text  # type: ignore[assignment]

        # 2. k optimized and k degraded rewrites of each kept t
        rewrite_prompts: dict[tuple[str, str], str] = {}
        for pid, t in base.items():
            rewrite_prompts[(pid, "optimized")] = templates["optimize"].render(problem=texts[pid], reasoning=t)
            rewrite_prompts[(pid, "degraded")] = templates["degrade"].render(problem=texts[pid], reasoning=t)
        owner = {key: key[0] for key in rewrite_prompts}
        rewrite_raw = _run_stage(gens, assignment, rewrite_prompts, owner, cfg.k, cfg.rewrite_sampling, "rewrites")
        for (pid, kind), completions in rewrite_raw.items():
            for completion in completions:
                parsed = parse_rewrite(completion, kind, base[pid], cfg.parse)  # type: ignore[arg-type]
                methods = stats.record(kind, completion, parsed)
                records[pid][kind].append({"text": parsed.text, "drop": parsed.reason, "explanation": parsed.explanation,
                                           "methods": methods, "notes": list(parsed.notes), "raw": completion.text,
                                           "finish_reason": completion.finish_reason})

        # 3. score-based baseline: one quality score per kept t
        score_rows: list[dict[str, Any]] = []
        if cfg.score_based:
            score_prompts = {pid: templates["score"].render(problem=texts[pid], reasoning=t) for pid, t in base.items()}
            score_raw = _run_stage(gens, assignment, score_prompts, identity, 1, cfg.score_sampling, "flaw scores")
            for pid, (completion,) in score_raw.items():
                parsed_scores = parse_scores(completion)
                stats.record_scores(completion, parsed_scores)
                records[pid]["scores"] = {"scores": parsed_scores.scores, "overall": parsed_scores.overall,
                                          "drop": parsed_scores.reason, "raw": completion.text}
                if parsed_scores.scores is not None:
                    score_rows.append({"prompt": texts[pid], "reasoning": base[pid], "problem_id": pid,
                                       "scores": parsed_scores.scores, "overall": parsed_scores.overall,
                                       "generator": assignment[pid]})
    finally:
        cache.close()

    # 4. pairs, split by problem
    items = [ProblemSynth(pid, texts[pid], assignment[pid], t,
                          [r["text"] for r in records[pid]["optimized"] if r["text"] is not None],
                          [r["text"] for r in records[pid]["degraded"] if r["text"] is not None])
             for pid, t in base.items()]
    pairs, pair_counts = build_pairs(items, cfg.pair_types, cfg.opt_deg_pairing)
    train, val = split_by_problem(pairs, cfg.val_fraction, cfg.seed)
    data = run.data
    paths = {"train": data / "pairs.train.jsonl", "validation": data / "pairs.validation.jsonl",
             "synth": data / "synth.jsonl", "stats": data / "stats.json"}
    write_records(paths["train"], train)
    write_records(paths["validation"], val)
    write_records(paths["synth"], (records[p.task_id] for p in problems))
    score_paths = None
    s_train: list[dict[str, Any]] = []
    s_val: list[dict[str, Any]] = []
    if cfg.score_based:
        s_train, s_val = split_by_problem(score_rows, cfg.val_fraction, cfg.seed)
        score_paths = (data / "scores.train.jsonl", data / "scores.validation.jsonl")
        write_records(score_paths[0], s_train)
        write_records(score_paths[1], s_val)

    summary = {
        "problems": len(problems),
        "generators": {label: {"model": gen.model_id,
                               "problems": sum(1 for pid in assignment if assignment[pid] == label)}
                       for label, gen in gens.items()},
        **stats.to_dict(),
        "pairs": {**{t: pair_counts.get(t, 0) for t in cfg.pair_types},
                  "identical_skipped": pair_counts.get("identical_skipped", 0),
                  "train": len(train), "validation": len(val),
                  "train_problems": len({p["problem_id"] for p in train}),
                  "validation_problems": len({p["problem_id"] for p in val})},
        "scores": {"train": len(s_train), "validation": len(s_val)} if cfg.score_based else None,
        "llm_calls": {"from_cache": sum(g.hits for g in gens.values()),
                      "generated": sum(g.misses for g in gens.values()), "cache_entries": len(cache)},
    }
    paths["stats"].write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    return SynthOutputs(data, paths["train"], paths["validation"], paths["stats"], paths["synth"],
                        score_paths, summary)
