"""`recode report` on a synthetic tree of stage outputs."""

import json

import yaml

from recode_rl.cli import main
from recode_rl.report import collect, render


def _tree(root):
    ev = root / "eval-base" / "report"
    ev.mkdir(parents=True)
    table = {"HE": 40.0, "HE+": 35.5, "MBPP": None, "MBPP+": None, "LCB Easy": 10.0, "LCB Medium": 0.0,
             "LCB Hard": 0.0, "BCB full": None, "BCB hard": None}
    (ev / "eval_summary.json").write_text(json.dumps({
        "model": "tiny-base", "table": table, "math_table": {},
        "benchmarks": {"livecodebench": {"pass@1": 5.0, "mean_tokens": 120.0, "notes": ["public tests only"],
                                         "by_difficulty": {"easy": {"pass@1": 10.0, "mean_tokens": 100.0}}}}}))
    rm = root / "eval-rm" / "report"
    rm.mkdir(parents=True)
    (rm / "eval_rm.json").write_text(json.dumps({"scorer": "rm-a", "files": {"/x/val.jsonl": {"n": 10, "accuracy": 0.7}},
                                                 "overall": {"n": 10, "accuracy": 0.7}}))
    for kind, proc in (("recode", [0.1, 0.2, 0.25, 0.3]), ("direct", [0.5, 0.9, 0.99, 1.0])):
        run = root / f"rl-{kind}"
        run.mkdir()
        (run / "config.train-rl.yaml").write_text(yaml.safe_dump({"reward": {"kind": kind}}))
        lines = [{"step": s + 1, "recode/outcome_rate": 0.2, "recode/process_ungated_mean": p,
                  "recode/process_term_mean": p} for s, p in enumerate(proc)]
        (run / "metrics.jsonl").write_text("\n".join(json.dumps(l) for l in lines) + "\nnot json\n")


def test_report_collects_every_stage_and_renders(tmp_path):
    _tree(tmp_path)
    found = collect([tmp_path])
    assert [l for l, _ in found.evals] == [f"{tmp_path.name}/eval-base"]
    assert len(found.rm_evals) == 1 and len(found.rl_runs) == 2
    assert any("metrics.jsonl, line 5: invalid JSON" in p for p in found.problems)  # reported, not silently dropped
    md, page = render(found, tmp_path / "out")
    text = md.read_text()
    assert "| tiny-base | 40.0 | 35.5 | – | – | 10.0 | 0.0 | 0.0 | – | – | 17.1 (5/9) |" in text
    assert "public tests only" in text
    assert "| rm-a | val.jsonl | 10 | 70.0 |" in text
    # the direct run's process score rises to its max with a flat pass rate: flagged
    direct_row = next(l for l in text.splitlines() if l.startswith("| direct"))
    assert "possible reward hacking" in direct_row
    recode_row = next(l for l in text.splitlines() if l.startswith("| recode"))
    assert recode_row.endswith("none |")
    html = page.read_text()
    assert html.count("data:image/png;base64,") >= 2 and "<table>" in html


def test_report_gives_the_relative_token_change_against_the_first_run(tmp_path):
    for name, tokens in (("eval-grpo", (427.3, 568.2, 813.6)), ("eval-recode", (324.1, 441.7, 619.8))):
        ev = tmp_path / name / "report"
        ev.mkdir(parents=True)
        levels = {d: {"pass@1": 10.0, "mean_tokens": t} for d, t in zip(("easy", "medium", "hard"), tokens)}
        (ev / "eval_summary.json").write_text(json.dumps({
            "model": name[5:], "table": {}, "benchmarks": {"livecodebench": {"mean_tokens": 500.0,
                                                                             "by_difficulty": levels}}}))
    found = collect([tmp_path / "eval-grpo", tmp_path / "eval-recode"])
    text = render(found, tmp_path / "out")[0].read_text()
    assert "Mean generated tokens relative to grpo" in text
    assert "| recode | livecodebench | mean of easy/hard/medium | 603.0 | 461.9 | -23.4% |" in text


def test_report_cli(tmp_path, capsys):
    _tree(tmp_path)
    assert main(["report", str(tmp_path), "--out", str(tmp_path / "r")]) == 0
    assert (tmp_path / "r" / "report.html").exists()
    assert "report:" in capsys.readouterr().out


def test_report_on_empty_dir_says_so(tmp_path):
    md, _ = render(collect([tmp_path]), tmp_path / "out")
    assert "Nothing to report" in md.read_text()


def test_report_cli_fails_on_a_missing_or_empty_run_dir(tmp_path, capsys):
    assert main(["report", str(tmp_path / "nope")]) == 2
    assert "no such run directory" in capsys.readouterr().err
    assert not (tmp_path / "nope").exists()          # nothing created for a typo
    (tmp_path / "empty").mkdir()
    assert main(["report", str(tmp_path / "empty")]) == 2
    assert "nothing to report" in capsys.readouterr().err
    assert not (tmp_path / "empty" / "report").exists()


def test_report_names_run_types_it_does_not_show(tmp_path, capsys):
    _tree(tmp_path)
    sft = tmp_path / "sft"
    sft.mkdir()
    (sft / "config.train-sft.yaml").write_text("resume: true\n")
    (sft / "metrics.jsonl").write_text('{"step": 1, "loss": 1.0}\n')
    found = collect([tmp_path])
    assert any("train-sft run" in p and "not shown" in p for p in found.problems)
    assert main(["report", str(tmp_path), "--out", str(tmp_path / "r")]) == 0
    assert "train-sft" in capsys.readouterr().out
