"""`recode synth` command wiring: config + overrides, run directory, printed output paths, resume."""

from __future__ import annotations

import argparse
import json

import pytest

import recode_rl.data
import recode_rl.generation.config as generation_config
from recode_rl.config import ConfigError
from recode_rl.synthesis import cli
from tests.synthesis.fakes import ScriptedGenerator, make_problems


def parse(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--config")
    parser.add_argument("overrides", nargs="*")
    cli.add_arguments(parser)
    return parser.parse_args(argv)


@pytest.fixture
def fake_world(monkeypatch):
    made = []

    def fake_build(cfg):
        gen = ScriptedGenerator(cfg.model)
        made.append(gen)
        return gen

    monkeypatch.setattr(generation_config, "build_generator", fake_build)
    monkeypatch.setattr(recode_rl.data, "load_problems", lambda name, **kw: make_problems(5))
    return made


def test_synth_cli_runs_and_resumes(tmp_path, fake_world, capsys):
    run_dir = tmp_path / "run"
    argv = ["--run-dir", str(run_dir), "generator.backend=openai", "generator.model=m", "parse.min_chars=20",
            "limit=4", "pair_types=[opt>deg]"]
    assert cli.run(parse(argv)) == 0
    printed = capsys.readouterr().out
    assert str(run_dir / "data" / "pairs.train.jsonl") in printed and "stats.json" in printed
    assert "4 problems" in printed
    stats = json.loads((run_dir / "data" / "stats.json").read_text())
    assert stats["pairs"]["opt>deg"] == 4 and "opt>ori" not in stats["pairs"]
    assert (run_dir / "config.synth.yaml").read_text().count("pair_types") == 1
    assert len(fake_world[0].produced) == 4 * 3
    assert cli.run(parse(argv)) == 0  # rerun: everything from the cache, the backend is never even built
    assert len(fake_world) == 1
    assert "0 generated, 12 from cache" in capsys.readouterr().out


def test_cross_generator_needs_distinct_labels(tmp_path, fake_world):
    argv = ["--run-dir", str(tmp_path / "r"), "generator.model=m", "second_generator.model=m"]
    with pytest.raises(ConfigError, match="second_generator"):
        cli.run(parse(argv))


def test_bad_override_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="pair_types"):
        cli.run(parse(["pair_types=[best>worst]"]))
