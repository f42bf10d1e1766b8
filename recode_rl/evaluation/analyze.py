"""Analyses: the reasoning-quality / correctness correlation study, and training dynamics.

Correlation study (MISSION Part 4): judged samples (`lcbrb_judged.jsonl`: `passed` and a judge
`label`) form a 2x2 table, rows pass/fail, columns flawless ("sound") / flawed; inconsistent and
unparseable items are dropped and counted. `correlation_test(table)` reports Pearson's
chi-square with and without Yates' continuity correction (scipy `chi2_contingency`), Fisher's
exact test, the odds ratio, phi and the pass rates given flawless / flawed reasoning.

On the paper's own table (Appendix A.4, Table 7; N = 33,146: flawless reasoning 3,133 pass /
8,376 fail, flawed reasoning 5,051 pass / 16,586 fail, pass rates 27.2% vs 23.3%), Pearson's
chi-square gives 60.76 (p = 6.4e-15) uncorrected and 60.55 (p = 7.2e-15) with Yates; the paper's
p = 9.3e-15 is what Fisher's exact test gives (9.27e-15).

Training dynamics: `load_history(run_dir)` reads `metrics.jsonl`; `dynamics(...)` extracts the
pass rate and the process reward per step for each run (reward variant), runs the hacking
monitor (`recode_rl.rewards.monitor.scan`) over them, and `plot_dynamics` draws the curves
(matplotlib, Agg backend, PNG). Metric names are auto-detected from common spellings (see
`PASS_KEYS`, `PROCESS_KEYS`: an exact name, else the same name after a `prefix/`) or given
explicitly.

`analyze(cfg, out_root)` runs what an `AnalyzeConfig` asks for and writes analysis.json/.md
(`recode analyze`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from recode_rl.config import ConfigError
from recode_rl.evaluation.config import AnalyzeConfig

__all__ = ["contingency", "correlation_test", "load_history", "detect_key", "run_label", "dynamics",
           "plot_dynamics", "analyze", "render_markdown", "PASS_KEYS", "PROCESS_KEYS"]

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


def _judged_file(entry: str) -> Path:
    p = Path(entry)
    if p.is_dir():
        p = p / "data" / "lcbrb_judged.jsonl"
    if not p.is_file():
        raise ConfigError(f"judged: {entry}: no such file (expected lcbrb_judged.jsonl or a build-lcbrb run dir)")
    return p


def analyze(cfg: AnalyzeConfig, out_root: str | Path) -> dict[str, Any]:
    """Run the configured analyses; write <out_root>/report/analysis.{json,md} (+ figures) and return the result."""
    from recode_rl.data.records import load_records

    if not (cfg.judged or cfg.table or cfg.runs):
        raise ConfigError("nothing to analyze: give judged=[...], table=[a,b,c,d] and/or runs=[...]")
    if cfg.labels is not None and len(cfg.labels) != len(cfg.runs):
        raise ConfigError(f"labels: {len(cfg.labels)} labels for {len(cfg.runs)} runs")
    report = Path(out_root) / "report"
    report.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {}
    if cfg.table is not None:
        if len(cfg.table) != 4 or min(cfg.table) < 0:
            raise ConfigError("table: expected 4 non-negative counts [pass_flawless, pass_flawed, fail_flawless, fail_flawed]")
        result["correlation"] = correlation_test([cfg.table[:2], cfg.table[2:]])
        result["correlation"]["source"] = "table given in the config"
    elif cfg.judged:
        items = [it for f in cfg.judged for it in load_records(_judged_file(f))]
        table, dropped = contingency(items)
        result["correlation"] = {**correlation_test(table), "dropped": dropped, "source": cfg.judged}
    if cfg.runs:
        runs = dynamics(cfg.runs, cfg.labels, pass_key=cfg.pass_key, process_key=cfg.process_key,
                        window=cfg.window, process_max=cfg.process_max)
        figures = plot_dynamics(runs, report / "figures")
        result["dynamics"] = runs
        result["figures"] = [str(p) for p in figures]
    (report / "analysis.json").write_text(json.dumps(result, indent=1))
    (report / "analysis.md").write_text(render_markdown(result))
    return result


def _g(v: Any, fmt: str = ".3g") -> str:
    return "—" if v is None else format(v, fmt)


def render_markdown(result: dict[str, Any]) -> str:
    """The markdown page of an `analyze` result (2x2 table + tests, dynamics table, figures)."""
    lines = ["# Analyses", ""]
    c = result.get("correlation")
    if c:
        t = c["table"]
        lines += ["## Reasoning quality vs. test outcome", "",
                  "| | flawless reasoning | flawed reasoning |", "|---|---|---|",
                  f"| pass | {t['pass_flawless']} | {t['pass_flawed']} |",
                  f"| fail | {t['fail_flawless']} | {t['fail_flawed']} |", ""]
        if "error" in c:
            lines.append(f"N = {c['n']}: {c['error']}.")
        else:
            lines += [f"N = {c['n']}. Pearson chi-square = {c['chi2']:.2f} (dof 1), p = {_g(c['p_value'])}; "
                      f"with Yates' correction {c['chi2_yates']:.2f}, p = {_g(c['p_value_yates'])}; "
                      f"Fisher's exact p = {_g(c['fisher_p_value'])}.",
                      f"Pass rate given flawless reasoning {100 * c['pass_rate_given_flawless']:.1f}%, "
                      f"given flawed reasoning {100 * c['pass_rate_given_flawed']:.1f}%; "
                      f"odds ratio {c['odds_ratio']:.3f}, phi {c['phi']:.3f}."]
        if c.get("dropped"):
            lines.append(f"Dropped (not flawless/flawed or not executed): {c['dropped']}.")
        lines.append("")
    runs = result.get("dynamics")
    if runs:
        lines += ["## Training dynamics", "",
                  "| Run | Steps | Pass rate first → last (max) | Process first → last (max) | Hacking flags |",
                  "|---|---|---|---|---|"]
        for r in runs:
            pr = f"{_g(r.get('pass_rate_first'), '.3f')} → {_g(r.get('pass_rate_last'), '.3f')} ({_g(r.get('pass_rate_max'), '.3f')})"
            pc = f"{_g(r.get('process_first'), '.3f')} → {_g(r.get('process_last'), '.3f')} ({_g(r.get('process_max'), '.3f')})"
            lines.append(f"| {r['label']} | {r['steps']} | {pr} | {pc} | {len(r['hacking_flags'])} |")
        lines.append("")
        for r in runs:
            if not (r["pass_key"] and r["process_key"]):
                lines.append(f"- {r['label']}: metric not found (pass: {r['pass_key']}, process: {r['process_key']})")
            for f in r["hacking_flags"]:
                lines.append(f"- {r['label']}: {f['message']}")
        for p in result.get("figures", []):
            lines.append(f"\n![{Path(p).stem}](figures/{Path(p).name})")
    return "\n".join(lines) + "\n"
