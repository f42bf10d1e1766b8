"""LCB-RB: a benchmark of reasoning processes, built from sampled LiveCodeBench responses.

Pipeline (MISSION Part 3), each step a function so it can be tested and resumed:

1. `sample_items`: N responses per problem at temperature 1.0 with the policy prompt; parse
   think + code; run the code against the problem's tests (one executor batch). Responses without
   reasoning or code cannot be judged and are counted (`no_reasoning_or_code`), not kept.
2. `judge_items`: the LLM judge's three-way answer per item (prompt in `recode_rl.prompts.judge`,
   reply read by `judge.py`); unparseable replies are counted (`unparseable`) and dropped.
3. Adjudication (`adjudication.py`): a CSV sheet of the consistent items for two annotators;
   their labels come back, Cohen's kappa is reported and consensus labels replace the judge's.
4. `build_pairs`: as in the paper, responses are split into pass and fail by their tests and
   the judge purifies each side: chosen candidates are sound reasoning whose code passed,
   rejected candidates are flawed reasoning whose code failed (`pair_rule="outcome"`, the
   default; `pair_rule="label"` ignores the test outcome and pairs on the labels alone). Per
   problem, each rejected reasoning is paired with ONE chosen reasoning of the same problem drawn
   with `random.Random(f"{seed}:{problem_id}")`, so pairs do not depend on the order problems are
   processed in; problems lacking either side are dropped; problems whose contest date falls in
   the window reserved for code-generation evaluation (default 2024-10-01..2025-02-28) are
   excluded.

`build_lcbrb(cfg, root, policy, judge)` runs the steps in order (`recode build-lcbrb`).

Pairs are written in the preference format `recode eval-rm` reads (`reward_model/data.py`):
`prompt` (problem statement), `chosen` / `rejected` (reasoning texts), `problem_id`,
`pair_type="lcbrb"`, `subset` (difficulty), `id`, plus the codes, pass/fail and contest date.

The paper (final version, Sec. 3) partitions the solutions into pass and fail sets, then lets
the judge and two annotators purify them; the earlier version says outright that chosen =
sound reasoning of correct code, rejected = flawed reasoning of incorrect code. Its generator
is Qwen2.5-Coder-32B-Instruct on LiveCodeBench v6 problems (set `generator` and `problems`).
Departure: the paper pairs after human adjudication of all judged items, while we let the
judge's labels stand for items no annotator has labelled when `labels_from="judge"` (the
default without an annotation file) and say so in the summary.
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Literal

from recode_rl.config import ConfigError
from recode_rl.data.schema import Problem
from recode_rl.evaluation.config import LcbRbConfig
from recode_rl.evaluation.judge import parse_judgement
from recode_rl.execution.types import Limits, Verdict
from recode_rl.generation.types import Generator, SamplingParams
from recode_rl.prompts import LCBRB_JUDGE_PROMPT, lcbrb_judge_prompt, policy_messages, problem_text
from recode_rl.rewards.parsing import ParsedResponse, parse_response

__all__ = ["in_window", "sample_items", "judge_items", "build_pairs", "build_lcbrb"]


def in_window(contest_date: str | None, window: tuple[str, str] | None) -> bool:
    """Is the date inside [start, end] (inclusive)? Unknown dates are never in a window."""
    if window is None or not contest_date:
        return False
    d = date.fromisoformat(contest_date[:10])
    return date.fromisoformat(window[0]) <= d <= date.fromisoformat(window[1])


def sample_items(problems: Sequence[Problem], generator: Generator, *, n: int, sampling: SamplingParams,
                 limits: Limits | None = None, done: Mapping[str, dict[str, Any]] | None = None,
                 max_workers: int | None = None, progress: str | None = None) -> tuple[list[dict[str, Any]], Counter]:
    """Sample, parse and execute; returns (items, counts). `done` (item_id -> item) is reused.
    `progress` (a bar label) is passed to generators that take it (synthesis' CachedGenerator)."""
    from recode_rl.rewards.verify import verify_batch

    done = dict(done or {})
    stats: Counter = Counter()
    extra = {"progress": progress} if progress else {}
    outputs = generator.generate([policy_messages(p) for p in problems], n, sampling, **extra)
    items: list[dict[str, Any]] = []
    jobs: list[tuple[int, Problem, str, ParsedResponse]] = []   # (item index, problem, response, parse)
    for p, completions in zip(problems, outputs):
        for j, c in enumerate(completions):
            item_id = f"{p.task_id}#{j}"
            stats["samples"] += 1
            if item_id in done and done[item_id].get("response") == c.text:  # executed before: reuse
                items.append(done[item_id])
                continue
            if c.finish_reason == "error":
                stats["generation_errors"] += 1
                continue
            parsed = parse_response(c.text)
            if not (parsed.think and parsed.think.strip()) or not (parsed.code and parsed.code.strip()):
                stats["no_reasoning_or_code"] += 1
                continue
            items.append({"item_id": item_id, "problem_id": p.task_id, "sample": j, "difficulty": p.difficulty,
                          "contest_date": p.contest_date, "problem": problem_text(p), "response": c.text,
                          "reasoning": parsed.think, "code": parsed.code, "format_ok": parsed.format_ok,
                          "completion_tokens": c.completion_tokens})
            jobs.append((len(items) - 1, p, c.text, parsed))
    if jobs:
        verified = verify_batch([p for _, p, _, _ in jobs], [t for _, _, t, _ in jobs], parsed=[x for *_, x in jobs],
                                limits=limits, max_workers=max_workers, progress="executing LCB-RB samples")
        for (idx, *_), v in zip(jobs, verified):
            r = v.result
            assert r is not None  # every job has code (checked above)
            items[idx].update(passed=r.all_passed and r.total > 0, verdict=r.verdict.value,
                              sandbox_error=r.verdict is Verdict.SANDBOX_ERROR)
    stats["kept"] = len(items)
    return items, stats


def judge_items(items: Sequence[dict[str, Any]], judge: Generator, sampling: SamplingParams,
                progress: str | None = None, template: str = LCBRB_JUDGE_PROMPT) -> tuple[list[dict[str, Any]], Counter]:
    """Ask the judge about every item; returns (items with label/reason/judge_raw, label counts).

    Items whose reply is unparseable keep `label=None` (counted as "unparseable")."""
    prompts = [lcbrb_judge_prompt(it["problem"], it["reasoning"], it["code"], template) for it in items]
    extra = {"progress": progress} if progress else {}
    replies = judge.generate(prompts, 1, sampling, **extra)
    out, counts = [], Counter()
    for it, (reply,) in zip(items, replies):
        if reply.finish_reason == "error":
            counts["judge_errors"] += 1
            out.append({**it, "label": None, "reason": "", "judge_raw": reply.error or ""})
            continue
        j = parse_judgement(reply.text)
        counts[j.label or "unparseable"] += 1
        out.append({**it, "label": j.label, "reason": j.reason, "judge_raw": reply.text})
    return out, counts


PairRule = Literal["outcome", "label"]


def build_pairs(items: Sequence[Mapping[str, Any]], labels: Mapping[str, str], *, seed: int = 0,
                exclude_window: tuple[str, str] | None = None,
                rule: PairRule = "outcome") -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Pairs (each rejected with one random chosen of the same problem) and drop statistics.

    rule="outcome" (the paper): chosen = sound AND passed, rejected = flawed AND failed; sound
    reasoning whose code failed and flawed reasoning whose code passed are counted, not paired.
    rule="label": the judge's/annotators' label alone decides the side.
    """
    if rule not in ("outcome", "label"):
        raise ConfigError(f"pair_rule must be 'outcome' or 'label', got {rule!r}")
    by_problem: dict[str, dict[str, list[Mapping[str, Any]]]] = defaultdict(lambda: {"sound": [], "flawed": []})
    excluded: set[str] = set()
    off_side: Counter = Counter()
    for it in items:
        if in_window(it.get("contest_date"), exclude_window):
            excluded.add(it["problem_id"])
            continue
        label = labels.get(it["item_id"])
        if label not in ("sound", "flawed"):
            continue
        if rule == "outcome" and bool(it.get("passed")) != (label == "sound"):
            off_side["sound_but_failed" if label == "sound" else "flawed_but_passed"] += 1
            continue
        by_problem[it["problem_id"]][label].append(it)
    pairs, no_chosen, no_rejected = [], 0, 0
    for pid in sorted(by_problem):
        sides = by_problem[pid]
        if not sides["sound"]:
            no_chosen += 1
            continue
        if not sides["flawed"]:
            no_rejected += 1
            continue
        rng = random.Random(f"{seed}:{pid}")
        chosen_pool = sorted(sides["sound"], key=lambda x: x["sample"])
        for rej in sorted(sides["flawed"], key=lambda x: x["sample"]):
            cho = rng.choice(chosen_pool)
            pairs.append({
                "id": f"lcbrb/{rej['item_id']}", "prompt": rej["problem"], "chosen": cho["reasoning"],
                "rejected": rej["reasoning"], "problem_id": pid, "pair_type": "lcbrb",
                "subset": rej.get("difficulty") or "unknown", "contest_date": rej.get("contest_date"),
                "chosen_code": cho["code"], "rejected_code": rej["code"],
                "chosen_passed": cho.get("passed"), "rejected_passed": rej.get("passed"),
                "chosen_item": cho["item_id"], "rejected_item": rej["item_id"],
            })
    stats = {"pairs": len(pairs), "problems_with_pairs": len({p["problem_id"] for p in pairs}),
             "problems_without_chosen": no_chosen, "problems_without_rejected": no_rejected,
             "problems_excluded_by_window": len(excluded), "pair_rule": rule,
             "dropped_sound_but_failed": off_side["sound_but_failed"],
             "dropped_flawed_but_passed": off_side["flawed_but_passed"]}
    return pairs, stats


def _judge_template(cfg: LcbRbConfig) -> str:
    """The shipped judge prompt, or the text of `judge_prompt_file` (it must hold all three placeholders)."""
    if cfg.judge_prompt_file is None:
        return LCBRB_JUDGE_PROMPT
    try:
        text = Path(cfg.judge_prompt_file).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"judge_prompt_file: {exc}") from None
    missing = [k for k in ("{problem}", "{reasoning}", "{code}") if k not in text]
    if missing:
        raise ConfigError(f"judge_prompt_file {cfg.judge_prompt_file}: must contain {', '.join(missing)}")
    return text


def _window(cfg: LcbRbConfig) -> tuple[str, str] | None:
    if cfg.exclude_start is None and cfg.exclude_end is None:
        return None
    return (cfg.exclude_start or "0001-01-01", cfg.exclude_end or "9999-12-31")


def build_lcbrb(cfg: LcbRbConfig, root: str | Path, policy: Generator, judge: Generator,
                problems: list[Problem] | None = None) -> dict[str, Any]:
    """The whole pipeline with the given generators; outputs in <root>/data and <root>/report.

    Resumable: executed samples and every LLM call are cached under <root>/data.
    """
    from recode_rl.data import load_problems
    from recode_rl.data.records import load_records, write_records
    from recode_rl.evaluation.adjudication import merge, read_sheet, write_sheet
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
                                           sampling=cfg.sampling, limits=cfg.limits.to_limits(),
                                           done=done, max_workers=cfg.max_workers, progress="sampling")
        write_records(data / "lcbrb_samples.jsonl", items)
        judged, label_counts = judge_items(items, CachedGenerator(judge, judge_cache), cfg.judge_sampling,
                                           progress="judging", template=_judge_template(cfg))
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
    pairs, pair_stats = build_pairs(judged, labels, seed=cfg.seed, exclude_window=window, rule=cfg.pair_rule)
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
