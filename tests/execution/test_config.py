"""`LimitsConfig`: the one config section for the executor's limits."""

from __future__ import annotations

import dataclasses

import pytest

from recode_rl.config import ConfigError, load_config
from recode_rl.execution.config import LimitsConfig
from recode_rl.execution.types import Limits


def test_defaults_are_the_executors():
    assert LimitsConfig().to_limits() == Limits()
    # every runtime field is configurable, and nothing else ends up in Limits
    assert set(LimitsConfig.model_fields) == {f.name for f in dataclasses.fields(Limits)}


def test_to_limits_carries_every_field_and_drops_subclass_fields():
    from recode_rl.rl.config import LimitsSection

    section = LimitsSection(timeout=2.5, memory_mb=512, max_processes=4, stop_on_first_failure=True, max_workers=3)
    assert section.to_limits() == Limits(timeout=2.5, memory_mb=512, max_processes=4, stop_on_first_failure=True)


def test_bad_limits_name_the_key(tmp_path):
    from recode_rl.execution.cli import Config

    path = tmp_path / "check.yaml"
    path.write_text("limits:\n  timeout: 0\n")
    with pytest.raises(ConfigError, match=r"limits\.timeout"):
        load_config(Config, path)
    with pytest.raises(ConfigError, match=r"limits\.memmory_mb: unknown key"):
        load_config(Config, None, ["limits.memmory_mb=10"])


@pytest.mark.parametrize("module", ["recode_rl.execution.cli", "recode_rl.rewards.cli", "recode_rl.rl.cli",
                                    "recode_rl.rl.sft_cli"])
def test_every_stage_uses_the_one_limits_section(module):
    import importlib

    cfg = importlib.import_module(module).Config()
    assert isinstance(cfg.limits, LimitsConfig) and cfg.limits.to_limits() == Limits()
