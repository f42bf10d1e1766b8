"""Score recorded policy responses with any ReCode reward: `recode score`.

    recode score --problems livecodebench --responses samples.jsonl --reward recode \\
                 --scorer-path runs/rm/checkpoints/best --out scored.jsonl --json

Input: one JSON object per line, {"task_id": ..., "response": ...}; other fields are copied to
the output under "input". Output (`--out`, default `<responses>.scored.jsonl`): one record per
response, in input order: task_id, line, and every reward component (reward, format, outcome,
pass_rate, process, process_term, gate_open, compiler, verdict, errors, parse_reason).
`--json` prints a summary as the LAST stdout line: the mean reward and the mean of each component,
executor verdict counts, scorer calls / calls saved and the time split (see
`recode_rl.rewards.pipeline`). Flags override `--config` and KEY=VALUE overrides; the scorer is
`scorer: {kind, ...}` (`recode_rl.rewards.config.ScorerConfig`), `--scorer-path/--scorer-url/--scorer-import`
for short.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from recode_rl.config import ConfigError, Flags, config_from_args
from recode_rl.errors import DataError
from recode_rl.rewards.config import SCORER_FLAGS, ScoreConfig, add_scorer_arguments
from recode_rl.rewards.core import REWARD_KINDS

__all__ = ["Config", "FLAGS", "add_arguments", "run", "read_responses"]

Config = ScoreConfig
FLAGS: Flags = {"problems": "problems", "responses": "responses", "out": "out", "reward": "reward.kind", **SCORER_FLAGS}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--problems", help="problem set name or file (e.g. humaneval, livecodebench, FILE.jsonl)")
    parser.add_argument("--responses", help="JSONL file of {\"task_id\", \"response\"} records")
    parser.add_argument("--reward", choices=REWARD_KINDS, help="reward kind (default: recode)")
    add_scorer_arguments(parser)
    parser.add_argument("--out", help="output JSONL (default: <responses>.scored.jsonl)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary as the last stdout line")


def read_responses(path: str | Path) -> list[tuple[int, dict[str, Any]]]:
    """(line number, record) for each non-blank line; DataError names file, line and field."""
    from recode_rl.data.records import read_records

    path = Path(path)
    if not path.is_file():
        raise DataError.at(path, "responses file not found")
    records = []
    for where, rec in read_records(path):
        for key in ("task_id", "response"):
            if key not in rec:
                raise where.error(key, "missing")
        if not isinstance(rec["task_id"], (str, int)) or isinstance(rec["task_id"], bool):
            raise where.error("task_id", f"must be a string, got {rec['task_id']!r}")
        if not isinstance(rec["response"], str):
            raise where.error("response", f"must be a string, got {type(rec['response']).__name__}")
        records.append((where.line if where.line is not None else (where.index or 0) + 1, rec))
    if not records:
        raise DataError.at(path, "no responses")
    return records


def _config_from_args(args: argparse.Namespace) -> Config:
    cfg = config_from_args(Config, args, FLAGS)
    if cfg.reward.uses_process and not cfg.scorer.enabled:   # before any file is read or program run
        raise ConfigError(f"reward.kind {cfg.reward.kind!r} needs a process scorer: give --scorer-path, "
                          "--scorer-url or --scorer-import (or reward.kind=outcome)")
    if not cfg.problems:
        raise DataError("recode score: --problems is required (a problem set name or file)")
    if not cfg.responses:
        raise DataError("recode score: --responses is required (a JSONL file)")
    return cfg


def run(args: argparse.Namespace) -> int:
    from recode_rl.data import load_problems
    from recode_rl.data.records import Where
    from recode_rl.rewards.config import ready_scorer
    from recode_rl.rewards.pipeline import score_in_chunks

    cfg = _config_from_args(args)
    scorer = ready_scorer(cfg.scorer)   # before reading responses or running programs
    records = read_responses(cfg.responses)
    problems = {p.task_id: p for p in load_problems(cfg.problems)}
    for line_no, rec in records:
        if str(rec["task_id"]) not in problems:
            raise Where(Path(cfg.responses).name, line=line_no).error(
                "task_id", f"unknown task_id {rec['task_id']!r} (not in {cfg.problems})")
    out_path = Path(cfg.out) if cfg.out else Path(cfg.responses).with_suffix(".scored.jsonl")
    limits = cfg.limits.to_limits()

    def progress(done: int, total: int) -> None:
        if not args.json:
            print(f"scored {done}/{total}", file=sys.stderr, flush=True)

    results, summary = score_in_chunks([problems[str(rec["task_id"])] for _, rec in records],
                                       [rec["response"] for _, rec in records], cfg.reward, scorer,
                                       chunk_size=cfg.chunk_size, limits=limits, max_workers=cfg.max_workers,
                                       on_chunk=progress)

    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(out_path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for (line_no, rec), res in zip(records, results):
            extra = {k: v for k, v in rec.items() if k not in ("task_id", "response")}
            row = {"task_id": rec["task_id"], "line": line_no, **res.to_dict()}
            if extra:
                row["input"] = extra
            f.write(json.dumps(row) + "\n")
    tmp.replace(out_path)

    summary["out"] = str(out_path)
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"scored {len(results)} responses with reward {cfg.reward.kind!r} -> {out_path}")
        for key, value in summary.items():
            if key not in ("reward_kind", "out") and value is not None:
                print(f"  {key:24s} {value:.4g}" if isinstance(value, float) else f"  {key:24s} {value}")
    return 0
