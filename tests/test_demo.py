"""`recode demo`'s plan: every stage is a valid command line, in pipeline order, and resumable."""

import argparse

from recode_rl.cli import build_parser, main
from recode_rl.demo import Config, stages


def test_every_stage_parses_with_the_real_cli():
    parser = build_parser()
    plan = stages(Config(run_dir="runs/x"))
    names = [name for name, _ in plan]
    assert names == ["synth", "train-rm", "eval-rm", "train-sft", "train-rl-recode", "train-rl-outcome",
                     "eval-base", "eval-sft", "eval-recode", "eval-outcome", "report"]
    for name, argv in plan:
        args = parser.parse_args(argv)
        assert isinstance(args, argparse.Namespace) and args.command == argv[0], name
    # both RL runs start from the SFT warm start; the gated run scores with the trained RM
    rl = dict(plan)
    for kind in ("recode", "outcome"):
        argv = rl[f"train-rl-{kind}"]
        assert argv[argv.index("--model") + 1].endswith("sft/checkpoints/final")
    assert rl["train-rl-recode"][rl["train-rl-recode"].index("--scorer-path") + 1].endswith("rm/checkpoints/reward_model")


def test_finished_stages_are_skipped(tmp_path, monkeypatch, capsys):
    run = tmp_path / "demo"
    (run / ".demo").mkdir(parents=True)
    for name, _ in stages(Config(run_dir=str(run))):
        (run / ".demo" / f"{name}.done").write_text("1\n")
    assert main(["demo", "--run-dir", str(run)]) == 0
    out = capsys.readouterr().out
    assert out.count("done earlier, skipped") == 11 and "report:" in out
