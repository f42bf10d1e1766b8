"""`recode` — one command per pipeline stage.

Each command lives in its stage's `cli.py` module, a thin shell that exposes `Config` (the
stage's config class, defined in `<stage>/config.py`), `add_arguments(parser)`, `run(args) -> int`
and optionally `FLAGS` (argparse dest -> dotted key, applied by `recode_rl.config.config_from_args`),
`OVERRIDE_EXAMPLE` (shown in `--help`) and `resolve_config(args)` (for commands whose positionals
mix with the KEY=VALUE overrides; `resolve_config` below is how every command's config is built).
Command modules must not import torch (or anything heavy) at module level: `recode --help` and
`recode <cmd> --help` stay instant. Heavy imports go inside `run`; library functions live in the
library.

Common to every command: `--config FILE.yaml`, trailing `key.sub=value` overrides (`list.0.key=v`
indexes a list, `key+=[v]` appends), `--print-config` (print the resolved config as YAML, run
nothing) and `--json`. Every stage ends the same way: a short human summary on stdout, or with
`--json` the human summary on stderr and one JSON object as the last stdout line — what `run` put
in `args.result` plus `command` and `exit_code` (an error gives `{"command", "exit_code", "error"}`).
Commands in `OWN_JSON` print their own JSON line instead.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import sys
from typing import Any

from recode_rl import __version__
from recode_rl.errors import ConfigError, DataError

# name -> (module, one-line help). Order is the pipeline order shown by --help.
COMMANDS: dict[str, tuple[str, str]] = {
    "data": ("recode_rl.data.cli", "download benchmarks and training sets from their pinned sources (`fetch`), or `list` them"),
    "check": ("recode_rl.execution.cli", "run solutions against a problem set's tests in the sandbox"),
    "synth": ("recode_rl.synthesis.cli", "synthesize contrastive reasoning pairs (CRPL) with a generator LLM"),
    "train-rm": ("recode_rl.reward_model.cli", "train the reasoning reward model (Bradley-Terry) or the score-based baseline"),
    "eval-rm": ("recode_rl.reward_model.eval_cli", "pairwise accuracy of a reward model or LLM judge on preference files"),
    "score": ("recode_rl.rewards.cli", "score recorded policy responses with a ReCode reward (format, tests, gated process score)"),
    "serve-scorer": ("recode_rl.rewards.serve_cli", "serve a process scorer (reward model, server or your code) over HTTP"),
    "eval": ("recode_rl.evaluation.cli", "pass@k of a policy on HumanEval(+), MBPP(+), LiveCodeBench, BigCodeBench and math benchmarks"),
    "build-lcbrb": ("recode_rl.evaluation.lcbrb_cli", "build LCB-RB: sample, execute, LLM-judge, adjudicate and pair reasoning processes"),
    "analyze": ("recode_rl.evaluation.analyze_cli", "correlation study (chi-square) and training-dynamics plots from judged samples and run dirs"),
    "train-rl": ("recode_rl.rl.cli", "train a policy with CG-GRPO (execution-gated process reward) on TRL's GRPOTrainer"),
    "train-sft": ("recode_rl.rl.sft_cli", "SFT baseline on verified think/answer targets (TRL's SFTTrainer)"),
    "preflight": ("recode_rl.preflight.cli", "check a train-rl/train-rm/train-sft/synth/eval config for N GPUs on CPU before launching"),
    "demo": ("recode_rl.demo", "the whole method end to end, offline on CPU, on the embedded default"),
    "reproduce": ("recode_rl.reproduce.cli", "reproduce one experiment of the paper (table row or figure): its whole chain, resumable"),
    "report": ("recode_rl.report.cli", "tables and plots from run directories (markdown + self-contained HTML)"),
}


# Commands that keep finished work on disk (caches, sample stores, checkpoints) and resume from it
# when rerun with the same run directory; the others redo everything after an interrupt.
RESUMABLE = {"synth", "train-rm", "eval-rm", "eval", "build-lcbrb", "train-rl", "train-sft", "demo", "reproduce"}


# The embedded default (offline, CPU, small) each command runs when no --config is given: the same
# file the README and docs point to, so a bare command does what they promise.
EMBEDDED_DEFAULTS = {
    "check": "check/embedded.yaml", "synth": "synth/default.yaml", "train-rm": "train-rm/default.yaml",
    "eval-rm": "eval-rm/default.yaml", "eval": "eval/embedded.yaml", "build-lcbrb": "build-lcbrb/embedded.yaml",
    "train-rl": "train-rl/default.yaml", "train-sft": "train-sft/default.yaml",
}


# Commands whose `run` prints its own JSON line under --json (a list, a report, a scored summary).
OWN_JSON = {"data", "check", "score", "preflight", "reproduce"}


def _use_embedded_default(args: argparse.Namespace) -> None:
    from recode_rl.config import shipped_config

    relative = EMBEDDED_DEFAULTS.get(args.command)
    path = shipped_config(relative) if relative and args.config is None else None
    if path is not None:
        args.config = str(path)
        print(f"recode {args.command}: no --config given, using the embedded default configs/{relative}",
              file=sys.stderr)


def override_example(module: Any) -> str:
    """A KEY=VALUE this command accepts: its `OVERRIDE_EXAMPLE`, else its first scalar config default."""
    example = getattr(module, "OVERRIDE_EXAMPLE", None)
    if example:
        return example
    for name, field in module.Config.model_fields.items():
        default = field.get_default(call_default_factory=True)
        if isinstance(default, (bool, int, float, str)):
            return f"{name}={json.dumps(default) if isinstance(default, bool) else default}"
    return "KEY=VALUE"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="recode",
        description="ReCode: execution-gated reasoning-process rewards for code LLMs.",
    )
    parser.add_argument("--version", action="version", version=f"recode-rl {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        cmd = sub.add_parser(name, help=help_text, description=(module.__doc__ or help_text).strip().split("\n\n")[0])
        cmd.add_argument("--config", metavar="FILE", help="YAML config file for this stage")
        cmd.add_argument("--print-config", action="store_true",
                         help="print the resolved config (file + overrides + flags) as YAML and exit")
        cmd.add_argument("overrides", nargs="*", metavar="KEY=VALUE",
                         help=f"dotted config overrides, e.g. {override_example(module)}; flags win over them")
        module.add_arguments(cmd)
        if name not in OWN_JSON:
            cmd.add_argument("--json", action="store_true",
                             help="machine output: the human summary goes to stderr, and the last stdout "
                                  "line is one JSON object (the stage's result)")
        # dest -> the flag as typed, so config errors can name `--max-steps` rather than `max_steps`
        flag_names = {a.dest: (max(a.option_strings, key=len) if a.option_strings else str(a.metavar or a.dest))
                      for a in cmd._actions}
        cmd.set_defaults(_module=module, _flag_names=flag_names)
    return parser


def resolve_config(args: argparse.Namespace) -> Any:
    """The config a parsed command line runs with: the command's `resolve_config`, else
    `--config` + overrides + FLAGS through `config_from_args` (validated, nothing run)."""
    from recode_rl.config import config_from_args

    module = args._module
    own = getattr(module, "resolve_config", None)
    return own(args) if own else config_from_args(module.Config, args, getattr(module, "FLAGS", None))


def _print_config(args: argparse.Namespace) -> int:
    from recode_rl.config import dump_config

    print(dump_config(resolve_config(args)), end="")
    return 0


def error_line(exc: Exception) -> str:
    """The error's text, on one line when it lists a single problem ("header:\n  problem" -> "header: problem");
    several problems stay one per line under the header."""
    head, *rest = str(exc).split("\n")
    if len(rest) == 1 and head.endswith(":") and rest[0].startswith(" "):
        return f"{head} {rest[0].strip()}"
    return str(exc)


def _fail(args: argparse.Namespace, exc: Exception, json_out: bool) -> int:
    text = error_line(exc)
    print(f"recode {args.command}: error: {text}", file=sys.stderr)
    if json_out:
        print(json.dumps({"command": args.command, "exit_code": 2, "error": text}))
    return 2


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    _use_embedded_default(args)
    json_out = bool(getattr(args, "json", False)) and args.command not in OWN_JSON
    try:
        if args.print_config:
            return _print_config(args)
        from recode_rl.rundir import discard_if_unused

        with discard_if_unused():   # a command that fails before working leaves no skeleton run dir
            if not json_out:
                return int(args._module.run(args) or 0)
            args.result = {}
            with contextlib.redirect_stdout(sys.stderr):   # the human summary; stdout keeps the JSON only
                code = int(args._module.run(args) or 0)
        print(json.dumps({"command": args.command, "exit_code": code, **(args.result or {})}, default=str))
        return code
    except (ConfigError, DataError) as exc:
        return _fail(args, exc, json_out)
    except Exception as exc:
        # a server the run depends on is unusable: one line naming it, no traceback
        from recode_rl.generation.types import ServerError

        if not isinstance(exc, ServerError):
            raise
        return _fail(args, exc, json_out)
    except KeyboardInterrupt:
        if args.command in RESUMABLE:
            print(f"recode {args.command}: interrupted; finished work is saved, rerun with the same run "
                  "directory to resume", file=sys.stderr)
        else:
            print(f"recode {args.command}: interrupted; nothing was saved", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
