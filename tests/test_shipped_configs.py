"""Every config file shipped under configs/<command>/ parses with that command's schema."""

import importlib
from pathlib import Path

import pytest

from recode_rl.cli import COMMANDS
from recode_rl.config import load_config

ROOT = Path(__file__).resolve().parents[1]
YAMLS = sorted(p for p in (ROOT / "configs").glob("*/*.yaml"))


def test_configs_exist():
    assert YAMLS, "no shipped configs found"


@pytest.mark.parametrize("path", YAMLS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_shipped_config_parses(path):
    command = path.parent.name
    if command not in COMMANDS:
        pytest.skip(f"configs/{command}/ is not a command's config folder (e.g. accelerate/deepspeed files)")
    module = importlib.import_module(COMMANDS[command][0])
    load_config(module.Config, path)
