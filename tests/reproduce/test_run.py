"""`recode reproduce --scale cpu` end to end: Table 7 and Figure 3d's analysis, resumable, paper beside ours.

Figure 3d's CPU chain trains two tiny RL runs (minutes on 2 cores); here the test writes small
training metrics in their place and marks the upstream stages done, so the real chain runs its
analysis and report stages on them. The whole chain runs by hand with
`recode reproduce figure3d --scale cpu`.
"""

import json

import pytest

from recode_rl.cli import main
from recode_rl.errors import DataError
from recode_rl.reproduce.config import ReproduceConfig
from recode_rl.reproduce.plan import find, plan
from recode_rl.report.paper import comparison_rows


def test_table7_cpu_end_to_end_and_resumable(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["reproduce", "table7", "--scale", "cpu", "--run-dir", str(run)]) == 0
    analysis = json.loads((run / "table7" / "report" / "analysis.json").read_text())["correlation"]
    assert round(100 * analysis["pass_rate_given_flawless"], 1) == 27.2
    assert round(100 * analysis["pass_rate_given_flawed"], 1) == 23.3
    assert f"{analysis['fisher_p_value']:.1e}" == "9.3e-15"  # the paper's p
    report = (run / "report" / "report.md").read_text()
    assert "## Paper vs ours" in report and "| pass_rate_flawless_% | 27.2 | 27.2 | 0.0222 |" in report
    assert "| N | 33146 | 33146 | 0 |" in report and "| p_value | 9.3e-15 | 9.27e-15 |" in report
    assert (run / "report" / "report.html").is_file()
    capsys.readouterr()
    assert main(["reproduce", "table7", "--scale", "cpu", "--run-dir", str(run)]) == 0
    out = capsys.readouterr().out
    assert "table7: done earlier, skipped" in out and "[2/2] report: recode report" in out  # the report reruns


def _metrics(path, process, passed):
    path.mkdir(parents=True)
    path.joinpath("metrics.jsonl").write_text("".join(
        json.dumps({"step": i + 1, "recode/process_ungated_mean": p, "recode/outcome_rate": o}) + "\n"
        for i, (p, o) in enumerate(zip(process, passed))))


def test_figure3d_cpu_chain_analyzes_training_dynamics(tmp_path, capsys):
    run = tmp_path / "run"
    steps = plan(ReproduceConfig(experiments=["figure3d"], scale="cpu", run_dir=str(run)))
    assert [s.name for s in steps] == ["synth", "rm-crpl-7b", "sft", "rl-recode", "rl-direct", "hacking", "report"]
    # the two RL runs, as if trained: direct addition saturates the process reward, the gate keeps it moderate
    _metrics(run / "rl-direct", [0.3, 0.8, 0.97, 0.99, 1.0, 1.0], [0.2, 0.2, 0.21, 0.2, 0.2, 0.2])
    _metrics(run / "rl-recode", [0.3, 0.32, 0.35, 0.37, 0.4, 0.42], [0.2, 0.24, 0.27, 0.3, 0.33, 0.36])
    (run / ".reproduce").mkdir(parents=True)
    for name in ("synth", "rm-crpl-7b", "sft", "rl-recode", "rl-direct"):
        (run / ".reproduce" / f"{name}.done").write_text("1\n")
    assert main(["reproduce", "figure3d", "--scale", "cpu", "--run-dir", str(run)]) == 0
    assert capsys.readouterr().out.count("done earlier, skipped") == 5
    result = json.loads((run / "hacking" / "report" / "analysis.json").read_text())
    by_label = {r["label"]: r for r in result["dynamics"]}
    assert set(by_label) == {"Direct", "ReCode"}
    assert by_label["Direct"]["process_last"] == 1.0 and by_label["ReCode"]["process_last"] == 0.42
    assert by_label["Direct"]["hacking_flags"] and not by_label["ReCode"]["hacking_flags"]
    assert (run / "hacking" / "report" / "figures" / "dynamics_process.png").is_file()
    report = (run / "report" / "report.md").read_text()
    assert "Figure 3d" in report and "## Analysis: run/hacking" in report and "### Training dynamics" in report
    assert "(figures/run_hacking_dynamics_process.png)" in report
    assert (run / "report" / "figures" / "run_hacking_dynamics_process.png").is_file()
    assert "data:image/png;base64" in (run / "report" / "report.html").read_text()
    rows = {k: o for k, _, o in comparison_rows("figure3d", run)}
    assert rows["Direct: process reward (last step)"] == 1.0 and rows["ReCode: pass rate (last step)"] == 0.36


def test_paper_vs_ours_reads_stage_summaries_and_averages(tmp_path):
    exp = find("table1-recode")
    summary = tmp_path / "eval-recode" / "report"
    summary.mkdir(parents=True)
    table = {k: v - 1.0 for k, v in exp.paper.items() if k != "Avg"}
    summary.joinpath("eval_summary.json").write_text(json.dumps({"table": table}))
    rows = {k: (p, o) for k, p, o in comparison_rows("table1-recode", tmp_path)}
    assert rows["HE"] == (90.9, 89.9)
    assert abs(rows["Avg"][1] - (58.5 - 1.0)) < 0.05  # Table 1's Avg is the mean of its nine columns
    table.pop("HE")
    summary.joinpath("eval_summary.json").write_text(json.dumps({"table": table}))
    rows = {k: (p, o) for k, p, o in comparison_rows("table1-recode", tmp_path)}
    assert rows["HE"][1] is None and rows["Avg"][1] is None  # no mean of a partial row


def test_training_stages_run_under_the_launcher_at_paper_scale(tmp_path):
    steps = {s.name: s for s in plan(ReproduceConfig(experiments=["table1-recode"], run_dir=str(tmp_path)))}
    assert steps["rl-recode"].launch[:2] == ("accelerate", "launch") and steps["rm-crpl-7b"].launch
    assert steps["rl-recode"].command_line().startswith("accelerate launch --config_file ")
    assert not steps["eval-recode"].launch and not steps["synth"].launch
    cpu = plan(ReproduceConfig(experiments=["figure3d"], scale="cpu", run_dir=str(tmp_path)))
    assert not any(s.launch for s in cpu)


def test_a_launched_step_runs_as_a_subprocess(tmp_path):
    import sys

    from recode_rl.reproduce.chain import Step, configs_dir, run_chain

    out = tmp_path / "t7"
    step = Step("t7", ["analyze", "--config", str(configs_dir() / "analyze/paper_table.yaml"), "--run-dir", str(out)],
                launch=(sys.executable, "-m", "recode_rl.cli"))
    assert run_chain([step], tmp_path, marks=".m", prog="test") == 0
    assert (out / "report" / "analysis.json").is_file() and (tmp_path / ".m" / "t7.done").is_file()
    failing = Step("bad", ["analyze", "--run-dir", str(tmp_path / "bad")], launch=(sys.executable, "-m", "recode_rl.cli"))
    assert run_chain([failing], tmp_path, marks=".m", prog="test") != 0  # nothing to analyze: exit 2, no marker
    assert not (tmp_path / ".m" / "bad.done").exists()


def test_gated_rl_runs_get_the_reward_model_served(tmp_path):
    from recode_rl.reproduce.plan import dry_run

    cfg = ReproduceConfig(experiments=["table1-recode", "table1-grpo"], run_dir=str(tmp_path),
                          vars={"scorer_port": "8123", "scorer_gpu": "6"})
    steps = {s.name: s for s in plan(cfg)}
    service = steps["rl-recode"].service
    assert service is not None and not steps["rl-grpo"].service and not steps["eval-recode"].service
    assert steps["rl-recode"].argv[steps["rl-recode"].argv.index("--scorer-url") + 1] == "http://localhost:8123/score"
    assert service.health == "http://localhost:8123/health" and ("CUDA_VISIBLE_DEVICES", "6") in service.env
    assert f"{tmp_path}/rm-crpl-7b/checkpoints/reward_model" in service.command
    served = next(i for i in dry_run(list(steps.values())) if i["stage"] == "rl-recode")["service_config"]
    assert served.port == 8123 and served.scorer.kind == "hf"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_SERVER = """
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


def test_a_service_runs_for_its_step_and_is_stopped(tmp_path):
    import sys

    from recode_rl.reproduce.chain import Service, Step, _answers, run_chain

    port = _free_port()
    health = f"http://127.0.0.1:{port}/health"
    service = Service((sys.executable, "-c", _SERVER, str(port)), health, timeout=60)
    probe = (sys.executable, "-c", f"import urllib.request; urllib.request.urlopen({health!r}, timeout=5)")
    assert run_chain([Step("uses-it", [], launch=probe, service=service)], tmp_path, marks=".m", prog="test") == 0
    assert not _answers(health), "the chain stops the server it started"
    broken = Service((sys.executable, "-c", "raise SystemExit(3)"), health, timeout=60)
    with pytest.raises(DataError, match="exited with code 3"):
        run_chain([Step("never", [], launch=probe, service=broken)], tmp_path, marks=".m", prog="test")


def test_rewardbench_defaults_to_the_data_layout(tmp_path, monkeypatch):
    from recode_rl.reproduce.plan import data_path

    monkeypatch.setenv("RECODE_DATA_DIR", str(tmp_path / "shared"))
    monkeypatch.setenv("RECODE_CACHE_DIR", str(tmp_path / "cache"))
    rel = "rewardbench/filtered-00000-of-00001.parquet"
    assert data_path(f"data:{rel}") == str(tmp_path / "cache" / "data" / rel)  # where fetch will put it
    (tmp_path / "shared" / "rewardbench").mkdir(parents=True)
    (tmp_path / "shared" / rel).write_bytes(b"x")
    assert data_path(f"data:{rel}") == str(tmp_path / "shared" / rel)
    assert data_path("/my/rb.jsonl") == "/my/rb.jsonl"


def test_a_stage_with_a_bad_command_line_fails_the_chain_without_killing_it(tmp_path, capsys):
    from recode_rl.reproduce.chain import Step, run_chain

    bad = Step("bad", ["report", str(tmp_path), "--no-such-flag"])
    assert run_chain([bad], tmp_path, marks=".m", prog="test") == 2     # argparse's exit, reported, no marker
    assert "stage bad failed (exit 2)" in capsys.readouterr().out
    assert not (tmp_path / ".m" / "bad.done").exists()
