"""Analyses: the reasoning-quality / correctness correlation study, and training dynamics.

Correlation study (MISSION Part 4): judged samples (`lcbrb_judged.jsonl`: `passed` and a judge
`label`) form a 2x2 table, rows pass/fail, columns flawless ("sound") / flawed; inconsistent and
unparseable items are dropped and counted. `correlation_test(table)` reports Pearson's
chi-square with and without Yates' continuity correction (scipy `chi2_contingency`), Fisher's
exact test, the odds ratio, phi and the pass rates given flawless / flawed reasoning.

On the paper's own table (N = 33,146; read row-major as fail/pass x flawed/flawless:
fail-flawed 3,133, fail-flawless 8,376, pass-flawed 5,051, pass-flawless 16,586), Pearson's
chi-square gives 60.76 (p = 6.4e-15) uncorrected and 60.55 (p = 7.2e-15) with Yates; the paper's
p = 9.3e-15 is what Fisher's exact test gives (9.27e-15). The other diagonal arrangement of the
four numbers gives p far below 1e-300, so only this orientation is consistent with the paper.

Training dynamics: `load_history(run_dir)` reads `metrics.jsonl`; `dynamics(...)` extracts the
pass rate and the process reward per step for each run (reward variant), runs the hacking
monitor (`recode_rl.rewards.monitor.scan`) over them, and `plot_dynamics` draws the curves
(matplotlib, Agg backend, PNG). Metric names are auto-detected from common spellings (see
`PASS_KEYS`, `PROCESS_KEYS`: an exact name, else the same name after a `prefix/`) or given
explicitly.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["contingency", "correlation_test", "load_history", "detect_key", "run_label", "dynamics",
           "plot_dynamics", "PASS_KEYS", "PROCESS_KEYS"]

# tried in order: an exact key, else the first key ending with the suffix
PASS_KEYS = ("pass_rate", "outcome_rate", "test_pass_rate")
PROCESS_KEYS = ("process/mean", "process_ungated_mean", "process_gated_mean", "process_mean", "process")


def contingency(items: Iterable[Mapping[str, Any]]) -> tuple[list[list[int]], dict[str, int]]:
    """[[pass & flawless, pass & flawed], [fail & flawless, fail & flawed]] and drop counts."""
    table = [[0, 0], [0, 0]]
    dropped: Counter = Counter()
    for it in items:
        label = it.get("label")
        if label not in ("sound", "flawed"):
            dropped[label or "unparseable"] += 1
            continue
        if it.get("passed") is None:
            dropped["not_executed"] += 1
            continue
        table[0 if it["passed"] else 1][0 if label == "sound" else 1] += 1
    return table, dict(dropped)


def correlation_test(table: Sequence[Sequence[int]]) -> dict[str, Any]:
    """Chi-square (Pearson, with and without Yates), Fisher exact, effect sizes for a 2x2 table
    laid out [[pass & flawless, pass & flawed], [fail & flawless, fail & flawed]]."""
    import math

    from scipy.stats import chi2_contingency, fisher_exact

    (a, b), (c, d) = table
    n = a + b + c + d
    out: dict[str, Any] = {"table": {"pass_flawless": a, "pass_flawed": b, "fail_flawless": c, "fail_flawed": d},
                           "n": n}
    if min(a + b, c + d, a + c, b + d) == 0:
        out["error"] = "a row or column is empty: the test is undefined"
        return out
    plain = chi2_contingency([[a, b], [c, d]], correction=False)
    yates = chi2_contingency([[a, b], [c, d]], correction=True)
    fisher = fisher_exact([[a, b], [c, d]])
    out.update(
        chi2=float(plain[0]), p_value=float(plain[1]), dof=int(plain[2]),
        chi2_yates=float(yates[0]), p_value_yates=float(yates[1]),
        fisher_p_value=float(fisher[1]),
        odds_ratio=(a * d) / (b * c) if b * c else math.inf,
        phi=(a * d - b * c) / math.sqrt((a + b) * (c + d) * (a + c) * (b + d)),
        pass_rate_given_flawless=a / (a + c), pass_rate_given_flawed=b / (b + d),
    )
    return out


# ---- training dynamics ---------------------------------------------------------------------

def load_history(run_dir: str | Path) -> list[dict[str, Any]]:
    """The metrics.jsonl records of a run (a torn last line is ignored)."""
    path = Path(run_dir) / "metrics.jsonl"
    if not path.exists():
        from recode_rl.errors import DataError

        raise DataError.at(path, "no metrics.jsonl in this run directory")
    from recode_rl.data.records import load_records

    return load_records(path, torn_tail=True)  # the trainer may be writing the last line


def detect_key(history: Sequence[Mapping[str, Any]], candidates: Sequence[str]) -> str | None:
    keys: list[str] = []
    for rec in history:
        keys += [k for k in rec if k not in keys and isinstance(rec[k], (int, float)) and not isinstance(rec[k], bool)]
    for cand in candidates:  # exact name first, then the same name under a prefix ("reward/outcome_rate")
        if cand in keys:
            return cand
        for k in keys:
            if k.rsplit("/", 1)[-1] == cand:
                return k
    return None


def run_label(run_dir: str | Path) -> str:
    """The reward variant of a training run (`reward.kind` in its config.*.yaml), else the dir name."""
    import yaml

    root = Path(run_dir)
    for cfg_path in sorted(root.glob("config.*.yaml")):
        try:
            cfg = yaml.safe_load(cfg_path.read_text()) or {}
        except yaml.YAMLError:
            continue
        reward = cfg.get("reward") if isinstance(cfg, dict) else None
        if isinstance(reward, dict) and isinstance(reward.get("kind"), str):
            return reward["kind"]
    return root.name


def _series(history: Sequence[Mapping[str, Any]], key: str | None) -> list[tuple[int, float]]:
    if key is None:
        return []
    out = []
    for i, rec in enumerate(history):
        v = rec.get(key)
        if isinstance(v, (int, float)) and not isinstance(v, bool) and v == v:
            out.append((int(rec.get("step", i)), float(v)))
    return out


def dynamics(runs: Sequence[str | Path], labels: Sequence[str] | None = None, *, pass_key: str | None = None,
             process_key: str | None = None, window: int = 50, process_max: float = 1.0) -> list[dict[str, Any]]:
    """Per run: label, detected keys, pass/process series, first/last/max values, hacking flags."""
    from recode_rl.rewards.monitor import scan

    out = []
    for i, run in enumerate(runs):
        history = load_history(run)
        pk = pass_key or detect_key(history, PASS_KEYS)
        qk = process_key or detect_key(history, PROCESS_KEYS)
        passes, procs = _series(history, pk), _series(history, qk)
        flags = []
        if pk and qk and len(history) >= 2:
            flags = [f.to_dict() for f in scan(history, window=max(2, min(window, len(history))), pass_key=pk,
                                               process_key=qk, process_max=process_max)]
        entry: dict[str, Any] = {"run": str(run), "label": labels[i] if labels else run_label(run),
                                 "steps": len(history), "pass_key": pk, "process_key": qk,
                                 "pass_rate": passes, "process": procs, "hacking_flags": flags}
        for name, s in (("pass_rate", passes), ("process", procs)):
            if s:
                entry[f"{name}_first"], entry[f"{name}_last"] = s[0][1], s[-1][1]
                entry[f"{name}_max"] = max(v for _, v in s)
        out.append(entry)
    return out


def plot_dynamics(runs: Sequence[Mapping[str, Any]], out_dir: str | Path) -> list[Path]:
    """PNG line plots of pass rate and process reward over steps, one line per run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for key, title, fname in (("pass_rate", "Test pass rate", "dynamics_pass_rate.png"),
                              ("process", "Process reward (reasoning score)", "dynamics_process.png")):
        if not any(r[key] for r in runs):
            continue
        fig, ax = plt.subplots(figsize=(6, 3.6), dpi=120)
        for r in runs:
            if r[key]:
                xs, ys = zip(*r[key])
                ax.plot(xs, ys, label=r["label"], linewidth=1.5)
            for f in r["hacking_flags"] if key == "process" else []:
                ax.axvspan(f["start_step"], f["end_step"], color="red", alpha=0.08)
        ax.set_xlabel("training step")
        ax.set_ylabel(title)
        ax.set_title(title + " over training")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        path = out_dir / fname
        fig.savefig(path)
        plt.close(fig)
        paths.append(path)
    return paths
