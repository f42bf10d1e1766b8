"""Serve a process scorer over HTTP with recode's JSON protocol: `recode serve-scorer`.

    recode serve-scorer --scorer-path runs/rm/checkpoints/reward_model --host 0.0.0.0 --port 8001 scorer.device=cuda
    recode serve-scorer --config scorer.yaml                # {scorer: {...}, host: ..., port: ...}

The protocol is in `recode_rl.rewards.scorer`; point `scorer: {kind: http, url: http://HOST:PORT/score}`
of `recode train-rl` / `recode score` (or the veRL adapter) at it. `--port 0` picks a free port.
"""

from __future__ import annotations

import argparse

from recode_rl.config import ConfigError, Flags, config_from_args
from recode_rl.rewards.config import SCORER_FLAGS, ServeScorerConfig, add_scorer_arguments

__all__ = ["Config", "FLAGS", "add_arguments", "run"]

Config = ServeScorerConfig
FLAGS: Flags = {"host": "host", "port": "port", **SCORER_FLAGS}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_scorer_arguments(parser)
    parser.add_argument("--host", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default 8000; 0 = any free port)")


def run(args: argparse.Namespace) -> int:
    cfg = config_from_args(Config, args, FLAGS)
    if not cfg.scorer.enabled:
        raise ConfigError("nothing to serve (scorer.kind is none); give --scorer-path, "
                          "--scorer-url or --scorer-import")
    from recode_rl.rewards.config import build_scorer
    from recode_rl.rewards.scorer import serve

    serve(build_scorer(cfg.scorer), cfg.host, cfg.port)
    print(f"recode serve-scorer: stopped serving on {cfg.host}:{cfg.port}")
    args.result = {"host": cfg.host, "port": cfg.port}
    return 0
