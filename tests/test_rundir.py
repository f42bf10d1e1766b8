"""The run directory: the files its docstring lists are the files it writes."""

from __future__ import annotations

import json

import yaml

from recode_rl.config import StageConfig
from recode_rl.rundir import RunDir


class _Cfg(StageConfig):
    lr: float = 1e-6
    name: str = "x"


def test_layout_config_per_stage_and_runs_jsonl(tmp_path):
    run = RunDir.create(tmp_path / "r", stage="synth")
    assert {p.name for p in run.root.iterdir()} == {"data", "checkpoints", "samples", "report"}
    assert run.write_config(_Cfg(), "synth") == run.root / "config.synth.yaml"
    run.write_config(_Cfg(lr=2e-6), "train-rm")
    run.write_config(_Cfg(), "synth")   # a restart: its config is rewritten, its start appended
    assert yaml.safe_load((run.root / "config.train-rm.yaml").read_text())["lr"] == 2e-6
    assert not (run.root / "config.yaml").exists() and not (run.root / "run.json").exists()
    lines = run.runs_path.read_text().splitlines()
    assert run.runs_path.name == "runs.jsonl" and len(lines) == 3
    assert [json.loads(line)["stage"] for line in lines] == ["synth", "train-rm", "synth"]
    assert run.read_runs()[1].keys() == {"stage", "version", "started", "host", "python"}


def test_metrics_and_default_root(tmp_path):
    run = RunDir.create(None, stage="eval", base=tmp_path)
    assert run.root.parent == tmp_path and run.root.name.startswith("eval-")
    assert run.read_runs() == [] and run.read_metrics() == []
    run.log_metrics(1, {"loss": 0.5})
    run.log_metrics(2, {"loss": 0.25})
    assert run.read_metrics() == [{"step": 1, "loss": 0.5}, {"step": 2, "loss": 0.25}]


def test_a_failed_command_leaves_no_skeleton_but_never_removes_work_or_a_dir_it_did_not_make(tmp_path):
    import pytest

    from recode_rl.rundir import discard_if_unused

    with pytest.raises(RuntimeError), discard_if_unused():
        RunDir.create(tmp_path / "new", stage="eval").write_config(_Cfg(), "eval")
        raise RuntimeError("bad benchmark")
    assert not (tmp_path / "new").exists()               # only folders + config + runs.jsonl: removed

    with pytest.raises(RuntimeError), discard_if_unused():
        run = RunDir.create(tmp_path / "opened", stage="eval")
        (run.samples / "humaneval.jsonl").touch()        # a store opened, then the server refused every call
        raise RuntimeError("HTTP 401")
    assert not (tmp_path / "opened").exists()            # an empty file holds no work

    with pytest.raises(KeyboardInterrupt), discard_if_unused():
        run = RunDir.create(tmp_path / "worked", stage="synth")
        run.log_metrics(1, {"loss": 0.5})                # some work was saved: kept
        raise KeyboardInterrupt
    assert (tmp_path / "worked" / "metrics.jsonl").is_file()

    (tmp_path / "mine").mkdir()                          # the user's own (empty) directory: never removed
    with pytest.raises(RuntimeError), discard_if_unused():
        RunDir.create(tmp_path / "mine", stage="eval")
        raise RuntimeError
    assert (tmp_path / "mine" / "data").is_dir()

    with discard_if_unused():                            # success: nothing removed
        RunDir.create(tmp_path / "ok", stage="eval")
    assert (tmp_path / "ok").is_dir()
