"""Check a config for the machine it will run on, without a GPU and without downloading weights: `recode preflight`.

    recode preflight --config configs/train-rl/paper.yaml --gpus 8 --gpu-mem-gb 80
    recode preflight --config configs/train-rm/paper.yaml --gpus 8 --nodes 2 --json
    recode preflight --config configs/train-rl/paper.yaml --gpus 8 --check-installs   # on the GPU machine

Prints the plan (batch, precision, memory per GPU, scorer placement, checkpoint saving) and one
line per problem naming the config key to change; exits 1 when there is one. Packages missing
here are warnings unless --check-installs (train-rl/train-rm/train-sft always enforce them).
`--set KEY=VALUE` (repeatable) overrides a key of the CHECKED config; trailing KEY=VALUE overrides
are preflight's own settings (gpus, nodes, gpu_mem_gb, ...) like the flags.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from recode_rl.config import ConfigError, Flags
from recode_rl.preflight.config import Config

__all__ = ["Config", "FLAGS", "add_arguments", "run"]

# argparse dest -> preflight's own key (`--config` is the CHECKED file, so not config_from_args)
FLAGS: Flags = {"stage": "stage", "gpus": "gpus", "nodes": "nodes", "gpu_mem_gb": "gpu_mem_gb",
                "check_installs": "check_installs", "json": "as_json", "set": "overrides"}
OVERRIDE_EXAMPLE = "gpu_mem_gb=80"

# stage -> (config module, class name); imported lazily
_STAGE_CONFIGS = {"train-rl": ("recode_rl.rl.config", "Config"), "train-rm": ("recode_rl.reward_model.config", "Config"),
                  "train-sft": ("recode_rl.rl.config", "SFTConfig"), "synth": ("recode_rl.synthesis.config", "Config"),
                  "eval": ("recode_rl.evaluation.config", "EvalConfig")}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stage", choices=sorted(_STAGE_CONFIGS), help="the config's stage (default: its folder name)")
    parser.add_argument("--gpus", type=int, help="GPUs per node, one training process each (default 1)")
    parser.add_argument("--nodes", type=int, help="nodes (default 1)")
    parser.add_argument("--gpu-mem-gb", type=float, help="memory per GPU in GB (default: not checked)")
    parser.add_argument("--check-installs", action="store_true", default=None,
                        help="fail on packages missing on this machine")
    parser.add_argument("--json", action="store_true", default=None, help="print the result as JSON on the last line")
    parser.add_argument("--set", action="append", metavar="KEY=VALUE",
                        help="override a key of the checked config (repeatable), e.g. --set train.deepspeed=null")


def stage_of(path: str, stage: str | None) -> str:
    if stage:
        return stage
    folder = Path(path).resolve().parent.name
    if folder not in _STAGE_CONFIGS:
        raise ConfigError(f"--config {path}: cannot tell its stage from the folder {folder!r}; give --stage")
    return folder


def run(args: argparse.Namespace) -> int:
    import importlib

    from recode_rl.config import load_config
    from recode_rl.preflight.checks import Target, check

    if not args.config:
        raise ConfigError("--config FILE is required (the config to check)")
    tree = {"config": args.config, **{key: getattr(args, dest) for dest, key in FLAGS.items()
                                      if getattr(args, dest, None) is not None}}
    opts = load_config(Config, None, [*(args.overrides or []), *(f"{k}={json.dumps(v)}" for k, v in tree.items())])
    stage = stage_of(args.config, None if opts.stage == "auto" else opts.stage)
    module, name = _STAGE_CONFIGS[stage]
    cfg = load_config(getattr(importlib.import_module(module), name), opts.config, opts.overrides)
    report = check(stage, cfg, Target(gpus=opts.gpus, nodes=opts.nodes, gpu_mem_gb=opts.gpu_mem_gb))
    result = report.as_json(enforce_installs=opts.check_installs)
    print(f"recode preflight: {opts.config} ({stage}) on {opts.nodes} node(s) x {opts.gpus} GPU(s)"
          + (f" x {opts.gpu_mem_gb:g} GB" if opts.gpu_mem_gb else ""))
    for key, value in report.plan.items():
        print(f"  {key}: {json.dumps(value)}")
    for w in result["warnings"]:
        print(f"  warning {w['key']}: {w['message']}")
    for p in result["problems"]:
        print(f"{p['key']}: {p['message']}")
    print("ok" if result["ok"] else f"{len(result['problems'])} problem(s)")
    if opts.as_json:
        print(json.dumps(result))
    return 0 if result["ok"] else 1
