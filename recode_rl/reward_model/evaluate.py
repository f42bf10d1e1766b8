"""Reward-model evaluation: pairwise accuracy per file, per subset, and RewardBench sections.

A pair is correct when score(chosen) > score(rejected), strictly: ties and pairs with a
missing (NaN) score count as wrong, and are counted separately so they are visible.

Files: our preference JSONL (subset = pair type), LCB-RB-style files (MISSION Part 3) and
RewardBench-format files (`prompt, chosen, rejected, subset, id`). RewardBench weights its
Reasoning section by example counts in which `math-prm` counts 984 (its real size is 447,
up-weighted to equal the six `hep-*` code subsets of 164 each), so Reasoning is
`(984 * acc(math-prm) + 164 * sum(acc(hep-*))) / (984 + 6 * 164)` over the subsets present —
half math, half code when all are there. We also report the paper's two columns:
"code" (the hep-* subsets, same weights) and "math" (math-prm).

Scorers: anything with `raw_scores(problems, responses, batch_size=, progress=)` ->
(scores, n_truncated): `RewardModel` (our checkpoints or any HF sequence classifier) or
`JudgeScorer` (a generator as judge).
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from recode_rl.config import ConfigError
from recode_rl.data.records import load_records, write_records
from recode_rl.reward_model.config import EvalRmConfig
from recode_rl.reward_model.data import PreferencePair

if TYPE_CHECKING:
    from recode_rl.rundir import RunDir

__all__ = ["REWARDBENCH_COUNTS", "REWARDBENCH_SECTIONS", "PAPER_COLUMNS", "pair_outcomes", "accuracy_table",
           "weighted_sections", "score_pairs", "evaluate_files", "format_report"]

# RewardBench example counts (allenai/reward-bench, rewardbench/constants.py) used as weights.
REWARDBENCH_COUNTS: dict[str, int] = {
    "alpacaeval-easy": 100, "alpacaeval-length": 95, "alpacaeval-hard": 95, "mt-bench-easy": 28,
    "mt-bench-med": 40, "mt-bench-hard": 37, "llmbar-natural": 100, "llmbar-adver-neighbor": 134,
    "llmbar-adver-GPTInst": 92, "llmbar-adver-GPTOut": 47, "llmbar-adver-manual": 46,
    "refusals-dangerous": 100, "refusals-offensive": 100, "xstest-should-refuse": 154,
    "xstest-should-respond": 250, "donotanswer": 136,
    "math-prm": 984,  # 447 real examples, up-weighted to equal the code subsets (6 x 164)
    "hep-cpp": 164, "hep-go": 164, "hep-java": 164, "hep-js": 164, "hep-python": 164, "hep-rust": 164,
}
_HEP = ["hep-cpp", "hep-go", "hep-java", "hep-js", "hep-python", "hep-rust"]
REWARDBENCH_SECTIONS: dict[str, list[str]] = {
    "Chat": ["alpacaeval-easy", "alpacaeval-length", "alpacaeval-hard", "mt-bench-easy", "mt-bench-med"],
    "Chat Hard": ["mt-bench-hard", "llmbar-natural", "llmbar-adver-neighbor", "llmbar-adver-GPTInst",
                  "llmbar-adver-GPTOut", "llmbar-adver-manual"],
    "Safety": ["refusals-dangerous", "refusals-offensive", "xstest-should-refuse", "xstest-should-respond",
               "donotanswer"],
    "Reasoning": ["math-prm", *_HEP],
}
# The paper's RewardBench columns (Table: "RewardBench Code / Math").
PAPER_COLUMNS: dict[str, list[str]] = {"code": _HEP, "math": ["math-prm"]}


def pair_outcomes(chosen: Sequence[float], rejected: Sequence[float]) -> list[str]:
    """Per pair: "correct" (chosen > rejected), "wrong", "tie" or "missing" (a NaN score)."""
    if len(chosen) != len(rejected):
        raise ValueError(f"{len(chosen)} chosen scores but {len(rejected)} rejected")
    out = []
    for c, r in zip(chosen, rejected):
        if math.isnan(c) or math.isnan(r):
            out.append("missing")
        elif c > r:
            out.append("correct")
        elif c == r:
            out.append("tie")
        else:
            out.append("wrong")
    return out


def accuracy_table(subsets: Sequence[str | None], outcomes: Sequence[str]) -> dict[str, Any]:
    """{"overall": {...}, "subsets": {name: {...}}}; each entry n, correct, ties, missing, accuracy."""
    def entry(items: list[str]) -> dict[str, Any]:
        n = len(items)
        correct = items.count("correct")
        return {"n": n, "correct": correct, "ties": items.count("tie"), "missing": items.count("missing"),
                "accuracy": correct / n if n else None}

    groups: dict[str, list[str]] = defaultdict(list)
    for subset, outcome in zip(subsets, outcomes, strict=True):
        groups[subset or "all"].append(outcome)
    return {"overall": entry(list(outcomes)), "subsets": {k: entry(v) for k, v in sorted(groups.items())}}


def weighted_sections(subset_accuracy: dict[str, float], sections: dict[str, list[str]] = REWARDBENCH_SECTIONS,
                      counts: dict[str, int] = REWARDBENCH_COUNTS) -> dict[str, float]:
    """RewardBench's section scores: example-count-weighted means over the subsets present."""
    out: dict[str, float] = {}
    for section, names in sections.items():
        present = [s for s in names if s in subset_accuracy]
        if present:
            total = sum(counts[s] for s in present)
            out[section] = sum(subset_accuracy[s] * counts[s] for s in present) / total
    return out


def score_pairs(scorer: Any, pairs: Sequence[PreferencePair], *, batch_size: int = 8,
                progress: bool | str = False) -> tuple[list[float], list[float], int]:
    """(chosen scores, rejected scores, inputs truncated) — both sides scored in one batch run."""
    problems = [p.prompt for p in pairs] * 2
    responses = [p.chosen for p in pairs] + [p.rejected for p in pairs]
    scores, truncated = scorer.raw_scores(problems, responses, batch_size=batch_size, progress=progress)
    n = len(pairs)
    return scores[:n], scores[n:], truncated


def file_report(pairs: Sequence[PreferencePair], chosen: Sequence[float], rejected: Sequence[float]) -> dict[str, Any]:
    """Accuracy overall and per subset, plus RewardBench sections / paper columns when they apply."""
    outcomes = pair_outcomes(chosen, rejected)
    table = accuracy_table([p.subset for p in pairs], outcomes)
    accs = {k: v["accuracy"] for k, v in table["subsets"].items() if v["accuracy"] is not None}
    if any(s in REWARDBENCH_COUNTS for s in accs):
        table["rewardbench_sections"] = weighted_sections(accs)
        table["paper_columns"] = weighted_sections(accs, PAPER_COLUMNS)
    return table


def write_pair_scores(path: Path, source: str, pairs: Sequence[PreferencePair], chosen: Sequence[float],
                      rejected: Sequence[float], scorer: str, judge_texts: Sequence[list[str]] | None = None) -> None:
    """One JSON line per pair; with a judge, its raw replies too (so unparseable ones can be read)."""
    outcomes = pair_outcomes(chosen, rejected)
    n = len(pairs)
    rows = []
    for i, (p, c, r, o) in enumerate(zip(pairs, chosen, rejected, outcomes)):
        row = {"file": source, "scorer": scorer, "id": p.id, "subset": p.subset,
               "chosen_score": None if math.isnan(c) else c,
               "rejected_score": None if math.isnan(r) else r, "outcome": o}
        if judge_texts is not None and len(judge_texts) == 2 * n:
            row.update(chosen_judge_replies=judge_texts[i], rejected_judge_replies=judge_texts[n + i])
        rows.append(row)
    write_records(path, rows)


def read_pair_scores(path: Path, pairs: Sequence[PreferencePair], scorer: str) -> tuple[list[float], list[float]] | None:
    """Scores saved by an earlier (interrupted) run of the same scorer on exactly these pairs, else None."""
    if not path.is_file():
        return None
    rows = load_records(path)
    if len(rows) != len(pairs) or any(row["id"] != p.id or row.get("scorer") != scorer for row, p in zip(rows, pairs)):
        return None
    nan = float("nan")
    return ([nan if r["chosen_score"] is None else r["chosen_score"] for r in rows],
            [nan if r["rejected_score"] is None else r["rejected_score"] for r in rows])


def load_pair_files(cfg: EvalRmConfig) -> list[tuple[str, list[PreferencePair]]]:
    """Every file of `cfg.files`, read and checked: cheap, so it runs before any model is loaded."""
    from recode_rl.reward_model.data import load_pairs

    loaded = []
    for file in cfg.files:
        pairs = load_pairs(file, subsets=cfg.subsets, limit=cfg.limit)
        if not pairs:
            raise ConfigError(f"{file}: no pairs left (subsets={cfg.subsets})")
        loaded.append((file, pairs))
    return loaded


def evaluate_files(cfg: EvalRmConfig, scorer: Any, run_dir: RunDir,
                   loaded: list[tuple[str, list[PreferencePair]]] | None = None) -> dict[str, Any]:
    """Score every file of `cfg.files` (or the `loaded` pairs); write per-pair scores to <run>/samples/
    (reused on a rerun); the report."""
    name = getattr(scorer, "name", type(scorer).__name__)
    report: dict[str, Any] = {"scorer": name, "files": {}}
    all_outcomes: list[tuple[float, float]] = []
    for i, (file, pairs) in enumerate(loaded if loaded is not None else load_pair_files(cfg)):
        out = run_dir.samples / f"{i:02d}-{Path(file).stem}.scores.jsonl"
        saved = read_pair_scores(out, pairs, name)
        truncated = None
        if saved is not None:
            chosen, rejected = saved
        else:
            chosen, rejected, truncated = score_pairs(scorer, pairs, batch_size=cfg.batch_size,
                                                      progress=f"scoring {Path(file).name}")
            write_pair_scores(out, file, pairs, chosen, rejected, name, getattr(scorer, "last_texts", None))
        entry = file_report(pairs, chosen, rejected)
        entry.update(pair_scores=str(out), inputs_truncated=truncated, reused=saved is not None)
        report["files"][file] = entry
        all_outcomes.extend(zip(chosen, rejected))
    outcomes = pair_outcomes([c for c, _ in all_outcomes], [r for _, r in all_outcomes])
    report["overall"] = {"n": len(outcomes), "correct": outcomes.count("correct"), "ties": outcomes.count("tie"),
                         "missing": outcomes.count("missing"),
                         "accuracy": outcomes.count("correct") / len(outcomes) if outcomes else math.nan}
    if hasattr(scorer, "failures"):
        report["judge_parse_failures"] = scorer.failures
    return report


def format_report(report: dict[str, Any]) -> str:
    """The human-readable summary of an `evaluate_files` report: accuracy per file, subset and section."""
    lines = [f"recode eval-rm: {report['scorer']}"]
    for file, entry in report["files"].items():
        o = entry["overall"]
        lines.append(f"  {file}: accuracy {o['accuracy']:.3f} ({o['correct']}/{o['n']}, ties {o['ties']}, missing {o['missing']})")
        if len(entry["subsets"]) > 1 or "all" not in entry["subsets"]:
            for name, s in entry["subsets"].items():
                lines.append(f"      {name:24s} {s['accuracy']:.3f}  (n={s['n']}, ties {s['ties']})")
        for key in ("rewardbench_sections", "paper_columns"):
            if key in entry:
                lines.append(f"    {key}: " + ", ".join(f"{k} {v:.3f}" for k, v in entry[key].items()))
    o = report["overall"]
    lines.append(f"  overall: {o['accuracy']:.3f} ({o['correct']}/{o['n']})")
    if "judge_parse_failures" in report:
        lines.append(f"  judge replies without a parseable rating: {report['judge_parse_failures']}")
    return "\n".join(lines)
