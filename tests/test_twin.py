"""The learning twin's plan and its summary, computed from hand-written run directories (no training)."""

import json

import pytest

from recode_rl.config import ConfigError
from recode_rl.twin import ARMS, TwinConfig, collect, render_markdown, steps, write_pairs


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _eval(root, name, pass1):
    _write(root / "eval" / name / "report" / "eval_summary.json",
           json.dumps({"benchmarks": {"listops": {"pass@1": pass1}}}))


def _metrics(root, run, rows):
    _write(root / "rl" / run / "metrics.jsonl", "".join(json.dumps(r) + "\n" for r in rows))


def test_plan_runs_every_arm_and_seed_from_the_sft_policy():
    cfg = TwinConfig(run_dir="runs/t", seeds=[0, 1], arms=list(ARMS))
    plan = steps(cfg)
    rl = [s for s in plan if s.name.startswith("train-rl-")]
    assert len(rl) == 2 * len(ARMS)
    hack = next(s.argv for s in rl if s.name == "train-rl-hack-direct-s1")
    assert "scorer.factory=recode_rl.rewards.probes:LengthScorer" in hack and "train.seed=1" in hack
    assert hack[hack.index("--reward") + 1] == "direct"
    recode = next(s.argv for s in rl if s.name == "train-rl-recode-s0")
    assert recode[recode.index("--scorer-path") + 1].endswith("rm/checkpoints/reward_model")
    with pytest.raises(ValueError, match="unknown arm"):
        TwinConfig(arms=["gated"])


def test_summary_by_hand(tmp_path):
    root = tmp_path / "twin"
    cfg = TwinConfig(run_dir=str(root), seeds=[0, 1], arms=["outcome", "recode"], rl_steps=2)
    _eval(root, "base", 0.0)
    _eval(root, "sft", 25.0)
    _eval(root, "outcome-s0", 30.0)
    _eval(root, "outcome-s1", 40.0)
    _eval(root, "recode-s0", 50.0)          # recode-s1 never evaluated: counted as missing, not as 0
    for run, first, last in (("outcome-s0", 0.25, 0.5), ("outcome-s1", 0.5, 0.5), ("recode-s0", 0.0, 1.0),
                             ("recode-s1", 0.5, 0.5)):
        _metrics(root, run, [{"step": 1, "recode/outcome_rate": first, "frac_reward_zero_std": 0.5,
                              "time/step_s": 10.0, "time/generation_s": 4.0, "recode/time_execution_s": 1.0,
                              "recode/time_scoring_s": 0.5},
                             {"step": 2, "recode/outcome_rate": last, "recode/think_words_mean": 30.0,
                              "frac_reward_zero_std": 0.0},
                             {"step": 2, "train_runtime": 9.0}])     # the trainer's final line has no reward keys
    _write(root / "rl" / "recode-s0" / "report" / "hacking_flags.jsonl", '{"step": 2}\n')
    _write(root / "eval-rm" / "train" / "report" / "eval_rm.json", json.dumps({"overall": {"accuracy": 0.9}}))
    _write(root / "eval-rm" / "heldout" / "report" / "eval_rm.json", json.dumps({"overall": {"accuracy": 0.7}}))

    _write(root / ".twin" / "train-sft.done", "30.5\n")
    _write(root / ".twin" / "eval-sft.done", "9.5\n")
    s = collect(cfg, seconds=12.5)
    assert s["stage_seconds"] == {"eval-sft": 9.5, "train-sft": 30.5} and s["stage_seconds_total"] == 40.0
    assert s["heldout_pass_at_1"] == {"base": 0.0, "sft": 0.25, "outcome-s0": 0.3, "outcome-s1": 0.4,
                                      "recode-s0": 0.5, "recode-s1": None}
    assert s["rl_steps"] == 2 and s["seconds"] == 12.5
    assert s["reward_model_accuracy"] == {"train_pairs": 0.9, "heldout_pairs": 0.7}
    out = s["arms"]["outcome"]
    assert out["heldout_pass_at_1"]["mean"] == pytest.approx(0.35)
    assert out["heldout_pass_at_1"]["sd"] == pytest.approx(0.0707106781)      # stdev([0.3, 0.4])
    assert out["pass_first"]["mean"] == pytest.approx(0.375) and out["pass_last"]["mean"] == pytest.approx(0.5)
    assert out["zero_std_share"]["mean"] == pytest.approx(0.25)               # each seed: mean(0.5, 0.0)
    rec = s["arms"]["recode"]
    assert rec["heldout_pass_at_1"] == {"mean": 0.5, "sd": 0.0, "n": 1}
    assert rec["hacking_flags"] == 1 and rec["think_words_last"]["mean"] == 30.0
    table = render_markdown(s)
    assert "| sft | 25.0 |" in table and "| outcome (outcome GRPO (RM monitors only)) | 35 ± 7 |" in table
    assert "train pairs 90.0%, held-out pairs 70.0%" in table
    # one timed step per run (4 runs): 10 s = 4 generation + 1 execution + 0.5 scoring + 4.5 update
    assert s["step_seconds"] == {"step": 10.0, "generation": 4.0, "execution": 1.0, "scoring": 0.5, "update": 4.5,
                                 "steps": 4}
    assert "10.0 s = generation 4.0 s (40%), execution 1.0 s (10%), scoring 0.5 s (5%), update 4.5 s (45%)" in table


def test_pairs_are_written_once_from_both_splits(tmp_path):
    cfg = TwinConfig(run_dir=str(tmp_path), train_problems=8, heldout_problems=4)
    train, held = write_pairs(cfg)
    assert len(train.read_text().splitlines()) == 24 and len(held.read_text().splitlines()) == 12
    assert "listops/heldout/" in held.read_text() and "listops/heldout/" not in train.read_text()


def test_every_stage_of_every_arm_parses_with_the_real_cli():
    from recode_rl.cli import build_parser

    parser = build_parser()
    for step in steps(TwinConfig(run_dir="runs/t", seeds=[0, 1], arms=list(ARMS))):
        args = parser.parse_args(step.argv)          # argparse exits (SystemExit) on a bad command line
        assert args.command == step.argv[0], step.name


def test_mixed_explanations_reach_the_sft_stage_and_the_pairs_only(tmp_path):
    cfg = TwinConfig(run_dir=str(tmp_path), train_problems=8, heldout_problems=4, explanations="mixed")
    plan = {s.name: s.argv for s in steps(cfg)}
    assert any("explanations: mixed" in a for a in plan["train-sft"])
    assert not any("explanations:" in a for a in plan["train-rl-recode-s0"])      # RL sees the same prompts
    train, held = write_pairs(cfg)
    assert train.name == "pairs-checked.train.jsonl" and plan["train-rm"][plan["train-rm"].index(
        "--run-dir") + 2] == f"data.train={train}"
    chosen = [json.loads(line)["chosen"] for line in train.read_text().splitlines()]
    assert sum("Check with xs = " in c for c in chosen) == 16                 # opt>deg and opt>ori of 8 problems
    with pytest.raises(ValueError):
        TwinConfig(explanations="fancy")


def test_worked_example_share_from_the_rollouts(tmp_path):
    root = tmp_path / "twin"
    cfg = TwinConfig(run_dir=str(root), seeds=[0], arms=["recode"], explanations="mixed")
    rollouts = root / "rl" / "recode-s0" / "samples" / "rollouts"
    checked, plain = "<think>First, ... Check with xs = [1]: [2] -> the answer is 2.</think>", "<think>First</think>"
    _write(rollouts / "step-000001.jsonl", "".join(json.dumps({"completion": c}) + "\n"
                                                   for c in (checked, plain, plain, plain)))
    _write(rollouts / "step-000002.jsonl", "".join(json.dumps({"completion": c}) + "\n"
                                                   for c in (checked, checked, checked, plain)))
    s = collect(cfg)
    arm = s["arms"]["recode"]
    assert arm["seeds"][0]["curves"]["checked"] == [0.25, 0.75]
    assert arm["checked_first"]["mean"] == 0.25 and arm["checked_last"]["mean"] == 0.75
    assert "| recode | 0.25 -> 0.75 |" in render_markdown(s)
    assert "worked-example share" not in render_markdown(collect(TwinConfig(run_dir=str(root), arms=["recode"])))
