"""`recode analyze`: the correlation study and training-dynamics plots, as JSON, markdown and PNG.

    recode analyze judged=[runs/build-lcbrb-.../data/lcbrb_judged.jsonl]     # 2x2 + chi-square
    recode analyze table=[16586,5051,8376,3133]                              # a table given directly
    recode analyze runs=[runs/rl-recode,runs/rl-outcome,runs/rl-direct]      # training dynamics

`table` is [pass & flawless, pass & flawed, fail & flawless, fail & flawed]. `judged` entries
may be files or build-lcbrb run directories. Writes <run>/report/analysis.json,
<run>/report/analysis.md and <run>/report/figures/dynamics_*.png.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from pydantic import Field

from recode_rl.config import ConfigError, StageConfig, load_config

__all__ = ["Config", "add_arguments", "run", "analyze", "render_markdown"]


class Config(StageConfig):
    run_dir: str | None = None
    judged: list[str] = []                      # lcbrb_judged.jsonl files or build-lcbrb run dirs
    table: list[int] | None = None              # [pass_flawless, pass_flawed, fail_flawless, fail_flawed]
    runs: list[str] = []                        # training run directories (metrics.jsonl)
    labels: list[str] | None = None             # one per run; default reward.kind from the run's config
    pass_key: str | None = None                 # default: auto-detect (pass_rate, */outcome_rate, ...)
    process_key: str | None = None              # default: auto-detect (process/mean, */process_ungated_mean, ...)
    window: int = Field(50, ge=2)               # hacking-monitor window (steps)
    process_max: float = Field(1.0, gt=0)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run-dir", help="output run directory (also config key run_dir)")


def _judged_file(entry: str) -> Path:
    p = Path(entry)
    if p.is_dir():
        p = p / "data" / "lcbrb_judged.jsonl"
    if not p.is_file():
        raise ConfigError(f"judged: {entry}: no such file (expected lcbrb_judged.jsonl or a build-lcbrb run dir)")
    return p


def analyze(cfg: Config, out_root: str | Path) -> dict[str, Any]:
    from recode_rl.evaluation.analyze import contingency, correlation_test, dynamics, plot_dynamics
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


def run(args: argparse.Namespace) -> int:
    from recode_rl.rundir import RunDir

    overrides = list(args.overrides or [])
    if getattr(args, "run_dir", None):
        overrides.append(f"run_dir={args.run_dir}")
    cfg = load_config(Config, args.config, overrides)
    run_dir = RunDir.create(cfg.run_dir, stage="analyze")
    run_dir.write_config(cfg, "analyze")
    analyze(cfg, run_dir.root)
    print((run_dir.report / "analysis.md").read_text())
    print(f"written: {run_dir.report / 'analysis.json'}")
    return 0
