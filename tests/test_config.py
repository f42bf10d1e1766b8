"""The config loader: defaults < YAML < dotted overrides < flags; errors name the key (and the flag)."""

import argparse

import pytest
from pydantic import Field

from recode_rl.config import (ConfigError, StageConfig, apply_overrides, config_from_args, dump_config,
                              flag_overrides, load_config)


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


# --- flags: shorthands for dotted overrides, applied after KEY=VALUE overrides -----------------

FLAGS = {"steps": "inner.steps", "name": "name", "tag": "tags+", "quick": lambda _: {"inner.steps": 1, "name": "q"}}


def _args(**kw):
    base = {"config": None, "overrides": [], "steps": None, "name": None, "tag": None, "quick": False}
    return argparse.Namespace(**{**base, **kw})


def test_flags_win_over_overrides_and_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("name: from-file\ninner:\n  steps: 5\n")
    cfg = config_from_args(Outer, _args(config=str(path), overrides=["inner.steps=6", "inner.lr=1e-3"], steps=7), FLAGS)
    assert (cfg.name, cfg.inner.steps, cfg.inner.lr) == ("from-file", 7, 1e-3)


def test_absent_flags_change_nothing():
    assert flag_overrides(_args(), FLAGS) == ([], {})
    assert config_from_args(Outer, _args(overrides=["inner.steps=3"]), FLAGS) == load_config(Outer, None, ["inner.steps=3"])


def test_string_flag_stays_a_string():
    # a plain YAML override `name=1e-3` would parse as a float and fail validation
    assert config_from_args(Outer, _args(name="1e-3"), FLAGS).name == "1e-3"
    assert config_from_args(Outer, _args(name="yes"), FLAGS).name == "yes"


def test_flag_function_sets_several_keys():
    cfg = config_from_args(Outer, _args(quick=True, overrides=["name=x"]), FLAGS)
    assert (cfg.inner.steps, cfg.name) == (1, "q")


def test_append_flag_extends_the_list_from_file_and_overrides(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("tags: [a]\n")
    cfg = config_from_args(Outer, _args(config=str(path), overrides=["tags+=[b]"], tag=["c", "d"]), FLAGS)
    assert cfg.tags == ["a", "b", "c", "d"]
    assert config_from_args(Outer, _args(tag=["c"]), FLAGS).tags == ["c"]
    with pytest.raises(ConfigError, match="is not a list"):
        load_config(Outer, None, ["name=x", "name+=y"])


def test_error_names_the_flag():
    args = _args(steps=0, overrides=["inner.lr=1e-3"])
    args._flag_names = {"steps": "--max-steps"}
    with pytest.raises(ConfigError, match=r"flags --max-steps\).*\n  inner\.steps \(from --max-steps\): Input should be"):
        config_from_args(Outer, args, FLAGS)


class Item(StageConfig):
    name: str
    limit: int | None = None


class WithList(StageConfig):
    items: list[Item] = Field(default_factory=lambda: [Item(name="a"), Item(name="b")])
    nested: Inner | None = None


def test_unknown_key_suggests_the_close_one(tmp_path):
    with pytest.raises(ConfigError, match=r"inner\.stpes: unknown key; did you mean 'steps'\?"):
        load_config(Outer, None, ["inner.stpes=5"])
    with pytest.raises(ConfigError, match=r"items\.0\.limt: unknown key; did you mean 'limit'\?"):
        load_config(WithList, None, ["items.0.limt=3"])
    with pytest.raises(ConfigError, match=r"nested\.lrr: unknown key; did you mean 'lr'\?"):
        load_config(WithList, None, ["nested.lrr=1"])
    with pytest.raises(ConfigError) as err:   # nothing close: no guess
        load_config(Outer, None, ["zzzz=1"])
    assert "did you mean" not in str(err.value)


def test_list_index_overrides(tmp_path):
    # a list from the class default is copied, then indexed; a list from the file is indexed in place
    cfg = load_config(WithList, None, ["items.1.limit=3"])
    assert [(i.name, i.limit) for i in cfg.items] == [("a", None), ("b", 3)]
    path = tmp_path / "c.yaml"
    path.write_text("items:\n  - name: x\n")
    cfg = load_config(WithList, path, ["items.0.limit=7", "items.0.name=y"])
    assert [(i.name, i.limit) for i in cfg.items] == [("y", 7)]
    with pytest.raises(ConfigError, match=r"index 1 is out of range \(the list has 1 items\)"):
        load_config(WithList, path, ["items.1.limit=7"])


def test_print_config_prints_the_resolved_yaml_and_runs_nothing(capsys):
    import yaml

    from recode_rl.cli import main

    assert main(["train-rl", "--print-config", "--max-steps", "3", "train.learning_rate=2e-6"]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["train"]["max_steps"] == 3 and printed["train"]["learning_rate"] == 2e-6
    assert main(["eval", "--print-config", "benchmarks.0.limit=2"]) == 0
    assert yaml.safe_load(capsys.readouterr().out)["benchmarks"][0]["limit"] == 2
