"""The notebook API: `recode_rl.train / evaluate / score / load` on configs, objects and overrides."""

from __future__ import annotations

import pytest

import recode_rl
from recode_rl.config import ConfigError
from tests.evaluation.conftest import FakeGenerator, prompt_text, wrap
from tests.rl.tiny import ADD, GOOD, WRONG


def test_load_resolves_like_the_cli():
    from recode_rl.rl.config import Config

    cfg = recode_rl.load("train-rl", None, {"train.max_steps": 3})           # embedded default + dict overrides
    assert isinstance(cfg, Config) and cfg.train.max_steps == 3
    again = recode_rl.load("train-rl", cfg, ["train.learning_rate=2e-6"])    # an object + string overrides
    assert again.train.max_steps == 3 and again.train.learning_rate == 2e-6 and cfg.train.learning_rate != 2e-6
    with pytest.raises(ConfigError, match="learning_rat"):
        recode_rl.load("train-rl", cfg, ["train.learning_rat=1"])
    with pytest.raises(ConfigError, match="unknown stage"):
        recode_rl.load("nope")


def test_train_dispatches_on_the_config_type(monkeypatch, tmp_path):
    import recode_rl.rl.sft as sft
    import recode_rl.rl.train as rl_train
    from recode_rl.rl.config import SFTConfig

    seen = {}
    monkeypatch.setattr(rl_train, "train", lambda cfg, **kw: seen.setdefault("rl", (cfg, kw)))
    monkeypatch.setattr(sft, "train_sft", lambda cfg, **kw: seen.setdefault("sft", (cfg, kw)))
    recode_rl.train(overrides=["train.max_steps=2"], callbacks=["cb"])
    assert seen["rl"][0].train.max_steps == 2 and seen["rl"][1] == {"callbacks": ["cb"]}
    recode_rl.train(SFTConfig(), {"train.max_steps": 1})
    assert seen["sft"][0].train.max_steps == 1
    with pytest.raises(ConfigError, match="stage must be"):
        recode_rl.train(stage="eval")


def test_evaluate_returns_the_summary(tmp_path):
    from recode_rl.evaluation.benchmarks import load_benchmark

    refs = {t.prompt.strip(): t.reference_solution for t in load_benchmark("humaneval", limit=2).problems}
    gen = FakeGenerator(lambda p, j: wrap(next(r for s, r in refs.items() if s in prompt_text(p))))
    summary = recode_rl.evaluate(None, {"run_dir": str(tmp_path), "benchmarks": [{"name": "humaneval", "limit": 2}]},
                                 generator=gen, progress=False)
    assert summary["table"]["HE"] == 100.0 and summary["run_dir"] == str(tmp_path)
    assert (tmp_path / "report" / "eval_summary.json").is_file() and (tmp_path / "report" / "results.json").is_file()


def test_score_in_memory():
    out = recode_rl.score(None, ["reward.kind=outcome"], problems=[ADD], responses=[GOOD])
    assert out.rewards and out.results[0].outcome == 1.0 and out.summary["outcome_rate"] == 1.0
    out = recode_rl.score(None, {"reward.kind": "outcome"}, problems=[ADD],
                          responses=[{"task_id": "add", "response": GOOD}, {"task_id": "add", "response": WRONG}])
    assert [r.outcome for r in out.results] == [1.0, 0.0] and out.summary["n"] == 2
    with pytest.raises(ConfigError, match="needs a process scorer"):
        recode_rl.score(problems=[ADD], responses=[GOOD])          # reward recode without a scorer


@pytest.mark.slow
def test_train_sft_for_real(tmp_path):
    import torch

    from recode_rl.rl.sft import SFTResult
    from tests.rl.tiny import chat_tokenizer, tiny_policy_folder, write_problems

    torch.set_num_threads(1)
    policy = tiny_policy_folder(tmp_path / "policy", steps=0)
    problems = write_problems(tmp_path / "problems.jsonl", [ADD])
    result = recode_rl.train(None, {"run_dir": str(tmp_path / "run"), "model.path": str(policy),
                                    "data.train": [str(problems)], "limits.max_workers": 2,
                                    "train.max_steps": 1, "train.per_device_batch_size": 1, "train.use_cpu": True,
                                    "train.num_threads": 1}, stage="train-sft", tokenizer=chat_tokenizer())
    assert isinstance(result, SFTResult) and result.global_step == 1 and (result.final_model / "README.md").is_file()


def test_a_failed_call_leaves_no_skeleton_run_dir_like_the_cli(monkeypatch, tmp_path):
    """The CLI's `discard_if_unused`, worn by the API: a call that fails before working removes the run
    dir it created (old code left folders + config + runs.jsonl); a run dir that held work stays."""
    import recode_rl.rl.train as rl_train
    from recode_rl.errors import DataError
    from recode_rl.rundir import RunDir

    with pytest.raises(DataError, match="/no/such/file.jsonl"):      # evaluate, for real: the data fails to load
        recode_rl.evaluate(None, {"run_dir": str(tmp_path / "e"),
                                  "benchmarks": [{"name": "mbpp+", "path": "/no/such/file.jsonl"}]})
    assert not (tmp_path / "e").exists()

    def fails_after(cfg, *, work: bool, **kw):
        run = RunDir.create(cfg.run_dir, stage="train-rl")
        run.write_config(cfg, "train-rl")
        if work:
            run.log_metrics(1, {"loss": 1.0})
        raise DataError("broke")

    monkeypatch.setattr(rl_train, "train", lambda cfg, **kw: fails_after(cfg, work=False))
    with pytest.raises(DataError):
        recode_rl.train(None, {"run_dir": str(tmp_path / "t")})
    assert not (tmp_path / "t").exists()
    monkeypatch.setattr(rl_train, "train", lambda cfg, **kw: fails_after(cfg, work=True))
    with pytest.raises(DataError):
        recode_rl.train(None, {"run_dir": str(tmp_path / "w")})
    assert (tmp_path / "w" / "metrics.jsonl").is_file()
