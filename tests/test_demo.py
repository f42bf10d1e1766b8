"""`recode demo`'s plan: every stage is a valid command line, in pipeline order, and resumable."""

import argparse
import json

from recode_rl.cli import build_parser, main
from recode_rl.demo import Config, stages


def _argv(plan, name):
    return next(step.argv for step in plan if step.name == name)


def test_every_stage_parses_with_the_real_cli():
    parser = build_parser()
    plan = stages(Config(run_dir="runs/x"))
    assert [s.name for s in plan] == [
        "train-sft", "train-rm", "eval-rm-train", "eval-rm-heldout", "eval-base", "eval-sft",
        "train-rl-outcome-s0", "eval-outcome-s0", "train-rl-recode-s0", "eval-recode-s0",
        "train-rl-direct-s0", "eval-direct-s0", "report"]
    for step in plan:
        args = parser.parse_args(step.argv)
        assert isinstance(args, argparse.Namespace) and args.command == step.argv[0], step.name
    # every RL arm starts from the SFT warm start and scores with the trained CRPL reward model
    for arm, kind in (("outcome", "outcome"), ("recode", "recode"), ("direct", "direct")):
        argv = _argv(plan, f"train-rl-{arm}-s0")
        assert argv[argv.index("--model") + 1].endswith("sft/checkpoints/final")
        assert argv[argv.index("--reward") + 1] == kind
        assert argv[argv.index("--scorer-path") + 1].endswith("rm/checkpoints/reward_model")
    # the reward model is validated on pairs of the held-out problems, never trained on them
    rm = _argv(plan, "train-rm")
    assert any(a.endswith("pairs.train.jsonl") for a in rm if a.startswith("data.train="))
    assert any(a.endswith("pairs.heldout.jsonl") for a in rm if a.startswith("data.validation="))


def test_finished_stages_are_skipped_and_the_summary_is_written(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("recode_rl.twin.plot", lambda summary, out: [])   # matplotlib: covered in test_twin
    run = tmp_path / "demo"
    (run / ".demo").mkdir(parents=True)
    plan = stages(Config(run_dir=str(run)))
    for step in plan:
        (run / ".demo" / f"{step.name}.done").write_text("1\n")
    assert main(["demo", "--run-dir", str(run)]) == 0
    out = capsys.readouterr().out
    assert out.count("done earlier, skipped") == len(plan) - 1 and "report:" in out   # the report always runs
    summary = json.loads((run / "report" / "summary.json").read_text())
    assert set(summary["heldout_pass_at_1"]) == {"base", "sft", "outcome-s0", "recode-s0", "direct-s0"}
    assert summary["rl_steps"] == Config().rl_steps and isinstance(summary["seconds"], float)
    assert (run / "pairs" / "pairs.train.jsonl").is_file() and (run / "pairs" / "pairs.heldout.jsonl").is_file()
