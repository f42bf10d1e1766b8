"""`recode train-rl` / `recode train-sft`: flags over config over defaults; help is instant (no torch import)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from recode_rl.cli import build_parser
from recode_rl.config import config_from_args
from recode_rl.rl.cli import FLAGS, Config

ROOT = Path(__file__).resolve().parents[2]


def test_flags_override_config_and_overrides():
    args = build_parser().parse_args(["train-rl", "--config", str(ROOT / "configs/train-rl/default.yaml"),
                                      "--reward", "direct", "--scorer-import", "tests.rl.tiny:ThinkLength",
                                      "--max-steps", "7", "--run-dir", "r", "--no-resume", "train.seed=3"])
    cfg = config_from_args(Config, args, FLAGS)
    assert (cfg.reward.kind, cfg.scorer.factory, cfg.train.max_steps, cfg.run_dir, cfg.resume, cfg.train.seed) == \
        ("direct", "tests.rl.tiny:ThinkLength", 7, "r", False, 3)


def test_sft_parser_and_help_do_not_import_torch():
    code = ("import sys; from recode_rl.cli import build_parser; "
            "build_parser().parse_args(['train-sft', '--responses', 'x.jsonl']); "
            "assert 'torch' not in sys.modules, 'torch imported at parse time'")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True).returncode == 0


def test_flag_that_breaks_a_cross_field_rule_is_a_config_error():
    import pytest

    from recode_rl.config import ConfigError

    args = build_parser().parse_args(["train-rl", "--reward", "math"])
    with pytest.raises(ConfigError, match="data.prompt: math"):
        config_from_args(Config, args, FLAGS)


def test_sft_flags_are_shorthands_for_overrides():
    from recode_rl.rl import sft_cli

    args = build_parser().parse_args(["train-sft", "--responses", "v.jsonl", "--model", "m", "--no-resume",
                                      "targets.source=reference", "model.path=other"])
    cfg = config_from_args(sft_cli.Config, args, sft_cli.FLAGS)
    assert (cfg.targets.source, cfg.targets.responses, cfg.model.path, cfg.resume) == ("responses", "v.jsonl", "m", False)
    cfg = config_from_args(sft_cli.Config, build_parser().parse_args(["train-sft"]), sft_cli.FLAGS)
    assert cfg.resume is True and cfg.targets.responses is None
