"""The config loader: defaults < YAML < dotted overrides; errors name the key."""

import pytest
from pydantic import Field

from recode_rl.config import ConfigError, StageConfig, apply_overrides, dump_config, load_config


class Inner(StageConfig):
    lr: float = 1e-6
    steps: int = Field(10, ge=1)


class Outer(StageConfig):
    name: str = "x"
    inner: Inner = Inner()
    tags: list[str] = []


def test_defaults_yaml_then_overrides(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("name: from-file\ninner:\n  steps: 5\n")
    cfg = load_config(Outer, path, ["inner.lr=3e-4", "tags=[a, b]"])
    assert (cfg.name, cfg.inner.steps, cfg.inner.lr, cfg.tags) == ("from-file", 5, 3e-4, ["a", "b"])


def test_unknown_key_is_named(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("inner:\n  stpes: 5\n")
    with pytest.raises(ConfigError, match=r"inner\.stpes: unknown key"):
        load_config(Outer, path)


def test_bad_value_is_named():
    with pytest.raises(ConfigError, match=r"inner\.steps: Input should be greater than or equal to 1"):
        load_config(Outer, None, ["inner.steps=0"])


def test_bad_override_syntax():
    with pytest.raises(ConfigError, match="expected KEY=VALUE"):
        apply_overrides({}, ["inner.steps"])
    with pytest.raises(ConfigError, match="is a value, not a section"):
        apply_overrides({"name": "x"}, ["name.sub=1"])


def test_missing_file_and_non_mapping(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(Outer, tmp_path / "nope.yaml")
    bad = tmp_path / "list.yaml"
    bad.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_config(Outer, bad)


def test_dump_round_trips(tmp_path):
    cfg = load_config(Outer, None, ["inner.steps=7"])
    path = tmp_path / "resolved.yaml"
    path.write_text(dump_config(cfg))
    assert load_config(Outer, path) == cfg
