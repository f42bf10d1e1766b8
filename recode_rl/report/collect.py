"""Find what each run directory holds. Every stage leaves a recognisable artifact:

    report/eval_summary.json   recode eval        (policy benchmarks, paper-layout cells)
    report/eval_rm.json        recode eval-rm     (pairwise accuracy per file)
    report/train_rm.json       recode train-rm    (reward-model training summary)
    report/analysis.md         recode analyze     (correlation study, training dynamics + figures)
    data/stats.json            recode synth       (CRPL synthesis counts)
    metrics.jsonl + config.train-rl.yaml          recode train-rl (per-step training metrics)

Run directories may be nested (the demo keeps one sub-directory per stage), so `collect`
walks each given directory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from recode_rl.data.records import read_records
from recode_rl.errors import DataError

__all__ = ["Found", "collect"]


@dataclass
class Found:
    evals: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    eval_tables: list[tuple[str, str]] = field(default_factory=list)
    rm_evals: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    rm_trains: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    synths: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    rl_runs: list[tuple[str, dict[str, Any], list[dict[str, Any]]]] = field(default_factory=list)
    analyses: list[tuple[str, Path]] = field(default_factory=list)  # (label, run dir) of `recode analyze` runs
    twins: list[tuple[str, Path]] = field(default_factory=list)     # (label, run dir) of learning twins (recode demo)
    problems: list[str] = field(default_factory=list)
    roots: list[Path] = field(default_factory=list)       # the run directories given, resolved

    def empty(self) -> bool:
        return not (self.evals or self.rm_evals or self.rm_trains or self.synths or self.rl_runs or self.analyses
                    or self.twins)


def _load_json(path: Path, found: Found) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        found.problems.append(f"{path}: unreadable ({exc})")
        return None
    if not isinstance(data, dict):
        found.problems.append(f"{path}: expected a JSON object")
        return None
    return data


def _label(path: Path, roots: list[Path]) -> str:
    for root in roots:
        try:
            rel = path.relative_to(root)
            return str(Path(root.name) / rel) if str(rel) != "." else root.name
        except ValueError:
            continue
    return str(path)


def _rl_config(run: Path) -> dict[str, Any]:
    for name in ("config.train-rl.yaml", "config.train_rl.yaml"):
        p = run / name
        if p.exists():
            try:
                return yaml.safe_load(p.read_text()) or {}
            except yaml.YAMLError:
                return {}
    return {}


def collect(run_dirs: list[str | Path]) -> Found:
    found = Found()
    roots = [Path(d).resolve() for d in run_dirs]
    found.roots = roots
    seen: set[Path] = set()
    for root in roots:
        if not root.is_dir():
            found.problems.append(f"{root}: not a directory")
            continue
        for run in sorted({root, *[p.parent for p in root.rglob("*") if p.is_dir() and p.name in ("report", "data")],
                           *[p.parent for p in root.rglob("metrics.jsonl")]}):
            if run in seen:
                continue
            seen.add(run)
            label = _label(run, roots)
            rep = run / "report"
            if (rep / "eval_summary.json").exists() and (s := _load_json(rep / "eval_summary.json", found)):
                found.evals.append((label, s))
                if (rep / "eval_table.md").exists():
                    found.eval_tables.append((label, (rep / "eval_table.md").read_text()))
            if (rep / "eval_rm.json").exists() and (s := _load_json(rep / "eval_rm.json", found)):
                found.rm_evals.append((label, s))
            if (rep / "train_rm.json").exists() and (s := _load_json(rep / "train_rm.json", found)):
                found.rm_trains.append((label, s))
            if (run / "data" / "stats.json").exists() and (s := _load_json(run / "data" / "stats.json", found)):
                found.synths.append((label, s))
            cfg = _rl_config(run)
            if cfg and (run / "metrics.jsonl").exists():
                records: list[dict[str, Any]] = []
                try:
                    for _, rec in read_records(run / "metrics.jsonl", torn_tail=True):
                        records.append(rec)
                except DataError as exc:  # the report still shows the records before the bad line
                    found.problems.append(f"{run}: {exc} (rest of metrics.jsonl skipped)")
                found.rl_runs.append((label, cfg, records))
            if (rep / "analysis.md").exists():
                found.analyses.append((label, run))
            if (rep / "twin.md").exists():
                found.twins.append((label, run))
            for stage in _stages(run) - _SHOWN:
                found.problems.append(f"{label}: a {stage} run; the report has no section for {stage} (not shown)")
    return found


# stages whose outputs the report renders; a run dir of any other stage is named, never silently skipped
_SHOWN = {"synth", "train-rm", "eval-rm", "train-rl", "eval", "analyze"}


def _stages(run: Path) -> set[str]:
    """The stages whose resolved config this directory holds (`config.<stage>.yaml`, see RunDir)."""
    return {p.name[len("config."):-len(".yaml")].replace("_", "-") for p in run.glob("config.*.yaml")}
