"""Select experiments, plan their shared chain, print it (`--dry-run`) or run it, list the registry.

`plan(cfg)` gives the steps of one run directory for the selected experiments: stages they share
(one reward model for several RL runs, one RL run for Table 1, Table 8 and Figure 3a) appear
once. `dry_run` resolves every step's config through the command's own config class (offline,
nothing is written), so a typo in a config path or an override fails here, not hours into a run.
"""

from __future__ import annotations

import json
from typing import Any

from recode_rl.config import ConfigError, dump_config
from recode_rl.reproduce.chain import Step, configs_dir, resolve_step, run_chain
from recode_rl.reproduce.config import ReproduceConfig
from recode_rl.reproduce.experiments import CPU_STAGES, EXPERIMENTS, PAPER_STAGES, VARS
from recode_rl.reproduce.registry import Experiment, expand, plan_steps

__all__ = ["find", "select", "plan", "dry_run", "run", "list_text", "list_json"]


def find(exp_id: str) -> Experiment:
    for exp in EXPERIMENTS:
        if exp.id == exp_id:
            return exp
    raise ConfigError(f"unknown experiment {exp_id!r}; `recode reproduce --list` shows them "
                      f"({', '.join(e.id for e in EXPERIMENTS)})")


def select(ids: list[str], scale: str) -> list[Experiment]:
    """The experiments named (`all` = every one with a chain at this scale)."""
    if not ids:
        raise ConfigError("name an experiment (or `all`); `recode reproduce --list` shows them")
    if "all" in ids:
        return [e for e in EXPERIMENTS if scale == "paper" or e.cpu_stages is not None]
    chosen = [find(i) for i in dict.fromkeys(ids)]
    missing = [e for e in chosen if scale == "cpu" and e.cpu_stages is None]
    if missing:
        raise ConfigError("no CPU twin for " + "; ".join(f"{e.id} ({e.cpu_note})" for e in missing)
                          + ". Experiments with one: " + ", ".join(e.id for e in EXPERIMENTS if e.cpu_stages))
    return chosen


def data_path(value: str) -> str:
    """`data:REL` -> the file in the data layout (`$RECODE_DATA_DIR`, then the fetch cache), or where
    `recode data fetch` puts it when it is not there yet (a dry run must not need the data)."""
    if not value.startswith("data:"):
        return value
    from recode_rl.data.fetch import data_search_dirs

    relative = value.removeprefix("data:")
    dirs = data_search_dirs()
    return str(next((d / relative for d in dirs if (d / relative).exists()), dirs[-1] / relative))


def plan(cfg: ReproduceConfig) -> list[Step]:
    unknown = set(cfg.vars) - set(VARS)
    if unknown:
        raise ConfigError(f"vars: unknown {sorted(unknown)}; known: {sorted(VARS)}")
    root = cfg.root()
    base = {"run": root, "configs": str(configs_dir())}
    values = {**{k: data_path(expand(v, base)) for k, v in {**VARS, **cfg.vars}.items()}, **base}
    table = PAPER_STAGES if cfg.scale == "paper" else CPU_STAGES
    return plan_steps(table, select(cfg.experiments, cfg.scale), cfg.scale, values, f"{root}/report")


def dry_run(steps: list[Step]) -> list[dict[str, Any]]:
    """Each step's command and resolved config (raises ConfigError naming the step that does not resolve)."""
    from recode_rl.cli import build_parser

    parser = build_parser()
    out = []
    for step in steps:
        try:
            command, cfg = resolve_step(step.argv, parser)
        except ConfigError as exc:
            raise ConfigError(f"stage {step.name}: recode {' '.join(step.argv)}\n{exc}") from None
        except SystemExit:  # argparse already printed why
            raise ConfigError(f"stage {step.name}: the command line does not parse: recode {' '.join(step.argv)}") from None
        item = {"stage": step.name, "command": command, "argv": step.argv, "config": cfg}
        if step.service is not None and step.service.command[1:3] == ("-m", "recode_rl.cli"):
            item["service_config"] = resolve_step(list(step.service.command[3:]), parser)[1]
        out.append(item)
    return out


def run(cfg: ReproduceConfig) -> int:
    steps = plan(cfg)
    if cfg.dry_run:
        for i, item in enumerate(dry_run(steps), 1):
            service = steps[i - 1].service
            if service is not None:
                print(f"# [{i}/{len(steps)}] {item['stage']}: serves (unless {service.health} answers): "
                      f"{service.command_line()}")
            print(f"# [{i}/{len(steps)}] {item['stage']}\n{steps[i - 1].command_line()}")
            print("  " + dump_config(item["config"]).rstrip().replace("\n", "\n  ") + "\n")
        print(f"recode reproduce: {len(steps)} stages resolve (scale {cfg.scale}, run directory {cfg.root()}); "
              "nothing was run")
        return 0
    dry_run(steps)  # fail before hours of work, not in the middle
    code = run_chain(steps, cfg.root(), marks=".reproduce", prog="recode reproduce")
    if code == 0:
        print(f"report (paper vs ours): {cfg.root()}/report/report.html")
    return code


def _fmt_needs(needs: dict[str, Any]) -> str:
    parts = [f"GPUs: {needs.get('gpus', 'none')}"]
    if needs.get("servers"):
        parts.append("servers: " + "; ".join(needs["servers"]))
    if needs.get("data"):
        parts.append("data: " + ", ".join(needs["data"]))
    return " | ".join(parts)


def list_text() -> str:
    lines = []
    for exp in EXPERIMENTS:
        paper = ", ".join(f"{k} {v}" for k, v in exp.paper.items())
        twin = f"CPU twin: {exp.cpu_note}" if exp.cpu_stages else f"no CPU twin ({exp.cpu_note})"
        lines += [f"{exp.id:24s} {exp.ref:9s}  {exp.title}", f"    paper: {paper}", f"    needs: {_fmt_needs(exp.needs)}",
                  f"    {twin}"]
    return "\n".join(lines)


def list_json() -> str:
    return json.dumps([e.row() for e in EXPERIMENTS])
