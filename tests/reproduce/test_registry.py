"""The experiment registry: every table and figure of the paper, its numbers, and a chain that resolves offline."""

import json
import re

import pytest

from recode_rl.cli import main
from recode_rl.config import ConfigError
from recode_rl.reproduce.config import ReproduceConfig
from recode_rl.reproduce.experiments import CPU_STAGES, EXPERIMENTS, PAPER_STAGES
from recode_rl.reproduce.plan import dry_run, find, plan
from recode_rl.reproduce.registry import Metric, Ratio, expand, flags_first, plan_stages

REFS = {f"Table {i}" for i in range(1, 9)} | {"Figure 3a", "Figure 3b", "Figure 3c", "Figure 3d", "Figure 4"}


def test_list_json_covers_every_table_and_figure(capsys):
    assert main(["reproduce", "--list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {r["ref"] for r in rows} == REFS
    assert all(set(r) == {"id", "ref", "title", "needs", "paper"} for r in rows)
    assert all(re.fullmatch(r"Table [1-8]|Figure (3[a-d]|4)", r["ref"]) for r in rows)
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids))
    assert all(r["paper"] and {"gpus"} <= set(r["needs"]) for r in rows)
    # Table 1: each row; Table 2: CRPL, score-based, untrained, judges, other RMs; Table 3: +GRPO, +ReCode
    assert {"table1-base", "table1-sft", "table1-grpo", "table1-recode", "table2-crpl-7b", "table2-crpl-3b",
            "table2-score-7b", "table2-score-3b", "table2-gpt-4-turbo", "table2-deepseek-v3", "table2-skywork-8b",
            "table2-starling-rm-34b", "table2-eurus-rm-7b", "table3-grpo", "table3-recode"} <= set(ids)


@pytest.mark.parametrize("exp_id, key, value", [
    ("table1-base", "Avg", 50.4), ("table1-sft", "LCB Hard", 0.0), ("table1-grpo", "BCB hard", 29.7),
    ("table1-recode", "HE", 90.9), ("table1-recode", "LCB Easy", 68.3), ("table2-crpl-7b", "RewardBench Math", 99.8),
    ("table2-score-3b", "LCB-RB", 51.0), ("table2-base-7b", "RewardBench Code", 43.9),
    ("table2-gpt-4-turbo", "LCB-RB", 63.7), ("table2-skywork-8b", "LCB-RB", 61.6),
    ("table3-grpo", "AIME24", 26.7), ("table3-recode", "Minerva", 38.2), ("table4-recode", "Avg", 36.1),
    ("table4-base", "LCB Medium", 32.1), ("table5-compiler", "LCB Easy", 63.4), ("table5-base", "Avg", 18.1),
    ("table5-compiler-recode", "Avg", 27.1),
    ("table6-cross-7b", "RewardBench Code", 81.5), ("table6-cross-3b", "RewardBench Math", 81.7),
    ("table7", "pass_flawless", 3133), ("table7", "fail_flawless", 8376), ("table7", "pass_flawed", 5051),
    ("table7", "fail_flawed", 16586), ("table7", "N", 33146), ("table8", "ReCode Hard tokens", 619.8),
    ("table8", "GRPO Easy tokens", 427.3), ("table8", "token reduction %", -23.4),
])
def test_paper_numbers(exp_id, key, value):
    assert find(exp_id).paper[key] == value


def test_table7_counts_add_up_to_the_paper_totals():
    p = find("table7").paper
    assert p["pass_flawless"] + p["fail_flawless"] == 11509 and p["pass_flawed"] + p["fail_flawed"] == 21637
    assert p["N"] == 11509 + 21637


def test_table8_reduction_follows_from_its_token_counts():
    exp = find("table8")
    assert round(exp.ours["token reduction %"].compute(exp.paper), 1) == exp.paper["token reduction %"]


@pytest.mark.parametrize("exp", EXPERIMENTS, ids=lambda e: e.id)
def test_paper_dry_run_resolves_every_stage(exp, tmp_path):
    steps = plan(ReproduceConfig(experiments=[exp.id], run_dir=str(tmp_path / "run")))
    resolved = dry_run(steps)
    assert resolved[-1]["stage"] == "report" and resolved[-1]["config"].experiments == [exp.id]
    assert not (tmp_path / "run").exists(), "a dry run writes nothing"
    for metric in exp.ours.values():  # every number we report comes from a stage this experiment runs
        if isinstance(metric, Metric):
            assert metric.stage in PAPER_STAGES


@pytest.mark.parametrize("exp", [e for e in EXPERIMENTS if e.cpu_stages], ids=lambda e: e.id)
def test_cpu_dry_run_resolves_every_stage(exp, tmp_path):
    dry_run(plan(ReproduceConfig(experiments=[exp.id], scale="cpu", run_dir=str(tmp_path))))
    assert set(exp.cpu_stages) <= set(CPU_STAGES)


def test_experiments_without_a_cpu_twin_say_so(capsys):
    none = [e for e in EXPERIMENTS if e.cpu_stages is None]
    assert none and all(e.cpu_note for e in EXPERIMENTS)
    assert main(["reproduce", none[0].id, "--scale", "cpu", "--dry-run"]) == 2
    assert f"no CPU twin for {none[0].id}" in capsys.readouterr().err
    assert {"table7", "figure3d"} <= {e.id for e in EXPERIMENTS if e.cpu_stages}


def test_shared_stages_run_once_and_after_what_they_read(tmp_path):
    cfg = ReproduceConfig(experiments=["table1-recode", "table8", "figure3a", "figure3d", "table5-recode"],
                          run_dir=str(tmp_path))
    names = [s.name for s in plan(cfg)]
    assert len(names) == len(set(names))
    assert names.count("rl-recode") == 1 and names.count("rm-crpl-7b") == 1
    # one reward model serves every gated run
    for rl in ("rl-recode", "rl-direct", "rl-recode-400"):
        assert names.index("rm-crpl-7b") < names.index(rl)
        assert PAPER_STAGES[rl].after == ("rm-crpl-7b",)
    assert names.index("synth") < names.index("rm-crpl-7b") and names[-1] == "report"


def test_table_order_is_a_topological_order():
    for table in (PAPER_STAGES, CPU_STAGES):
        order = list(table)
        for name, spec in table.items():
            assert all(order.index(dep) < order.index(name) for dep in spec.after), name
        assert [s.name for s in plan_stages(table, tuple(table))] == order


def test_unknown_ids_and_vars_are_errors(tmp_path):
    with pytest.raises(ConfigError, match="unknown experiment"):
        plan(ReproduceConfig(experiments=["table9"], run_dir=str(tmp_path)))
    with pytest.raises(ConfigError, match="vars: unknown"):
        plan(ReproduceConfig(experiments=["table7"], vars={"nope": "x"}, run_dir=str(tmp_path)))


def test_vars_reach_the_commands(tmp_path):
    cfg = ReproduceConfig(experiments=["table2-crpl-7b"], vars={"rewardbench": "/x/rb.jsonl"}, run_dir=str(tmp_path))
    step = next(s for s in plan(cfg) if s.name == "rewardbench-crpl-7b")
    assert step.argv[step.argv.index("--data") + 1] == "/x/rb.jsonl"


def test_expand_and_flag_order():
    text = "{run}/a benchmarks=[{name: humaneval}] {other}"
    assert expand(text, {"run": "R"}) == "R/a benchmarks=[{name: humaneval}] {other}"
    assert flags_first(["eval", "a=1", "--run-dir", "d", "b=2"]) == ["eval", "--run-dir", "d", "a=1", "b=2"]


def test_metric_reads_dotted_keys_with_a_wildcard(tmp_path):
    (tmp_path / "s" / "report").mkdir(parents=True)
    (tmp_path / "s" / "report" / "eval_rm.json").write_text(json.dumps(
        {"overall": {"accuracy": 0.5}, "files": {"/any/path.jsonl": {"paper_columns": {"code": 0.25}}}}))
    assert Metric("s", "report/eval_rm.json", "overall.accuracy", 100).read(tmp_path) == 50.0
    assert Metric("s", "report/eval_rm.json", "files.*.paper_columns.code", 100).read(tmp_path) == 25.0
    assert Metric("s", "report/eval_rm.json", "files.*.paper_columns.math").read(tmp_path) is None
    assert Metric("missing", "report/eval_rm.json", "overall.accuracy").read(tmp_path) is None
    assert Ratio(("a",), ("b",)).compute({"a": 75.0, "b": 100.0}) == -25.0
    assert Ratio(("a",), ("b",)).compute({"a": 75.0}) is None


def test_print_config_splits_ids_from_overrides(capsys):
    assert main(["reproduce", "table7", "scale=cpu", "figure3d", "--print-config"]) == 0
    out = capsys.readouterr().out
    assert "experiments:\n- table7\n- figure3d\nscale: cpu" in out
