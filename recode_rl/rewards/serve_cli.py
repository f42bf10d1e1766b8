"""Serve a process scorer over HTTP with recode's JSON protocol: `recode serve-scorer`.

    recode serve-scorer --scorer-path runs/rm/checkpoints/reward_model --host 0.0.0.0 --port 8001 scorer.device=cuda
    recode serve-scorer --config scorer.yaml                # {scorer: {...}, host: ..., port: ...}

The protocol is in `recode_rl.rewards.scorer`; point `scorer: {kind: http, url: http://HOST:PORT/score}`
of `recode train-rl` / `recode score` (or the veRL adapter) at it. `--port 0` picks a free port.
"""

from __future__ import annotations

import argparse
import json

from recode_rl.config import ConfigError, load_config
from recode_rl.rewards.config import ServeScorerConfig, add_scorer_arguments, scorer_overrides

__all__ = ["Config", "add_arguments", "run"]

Config = ServeScorerConfig


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_scorer_arguments(parser)
    parser.add_argument("--host", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default 8000; 0 = any free port)")


def run(args: argparse.Namespace) -> int:
    overrides = list(args.overrides) + scorer_overrides(args)
    overrides += [f"{key}={json.dumps(value)}" for key, value in (("host", args.host), ("port", args.port))
                  if value is not None]
    cfg = load_config(Config, args.config, overrides)
    if not cfg.scorer.enabled:
        raise ConfigError("nothing to serve (scorer.kind is none); give --scorer-path, "
                          "--scorer-url or --scorer-import")
    from recode_rl.rewards.config import build_scorer
    from recode_rl.rewards.scorer import serve

    serve(build_scorer(cfg.scorer), cfg.host, cfg.port)
    return 0
