"""Every stage ends the same way: a human summary, or with `--json` one JSON object as the last stdout line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recode_rl.cli import COMMANDS, OWN_JSON, build_parser, main

ROOT = Path(__file__).resolve().parents[1]


def _last_json(capsys) -> dict:
    out = capsys.readouterr().out.strip().splitlines()
    return json.loads(out[-1])


def test_every_command_takes_json():
    subs = next(a for a in build_parser()._actions if a.dest == "command").choices
    for name in COMMANDS:
        assert "json" in {a.dest for a in subs[name]._actions}, name


def _fake_eval_generator(monkeypatch):
    from recode_rl.evaluation import config as eval_config
    from recode_rl.evaluation.benchmarks import load_benchmark
    from tests.evaluation.conftest import FakeGenerator, prompt_text, wrap

    refs = {t.prompt.strip(): t.reference_solution for t in load_benchmark("humaneval", limit=2).problems}

    def respond(prompt, j):
        return wrap(next(ref for s, ref in refs.items() if s in prompt_text(prompt)))
    monkeypatch.setattr(eval_config, "build_eval_generator", lambda cfg: FakeGenerator(respond))


def test_eval_and_report_json(tmp_path, monkeypatch, capsys):
    _fake_eval_generator(monkeypatch)
    run = tmp_path / "eval"
    assert main(["eval", "--run-dir", str(run), "benchmarks=[{name: humaneval, limit: 2}]", "--json"]) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out.strip().splitlines()[-1])
    assert len(captured.out.strip().splitlines()) == 1          # the human summary went to stderr
    assert "humaneval: 2 tasks (a subset: 2 of 164)" in captured.err
    assert result["command"] == "eval" and result["exit_code"] == 0
    assert result["table"]["HE"] == 100.0 and result["table_subsets"]["HE"] == "2 of 164"

    assert main(["report", str(run), "--json"]) == 0
    result = _last_json(capsys)
    assert result["command"] == "report" and Path(result["report"]).is_file()

    # without --json: the human summary, no JSON
    assert main(["report", str(run)]) == 0
    assert capsys.readouterr().out.startswith("report:")


def test_analyze_json(tmp_path, capsys):
    cfg = ROOT / "configs" / "analyze" / "paper_table.yaml"
    assert main(["analyze", "--config", str(cfg), "--run-dir", str(tmp_path), "--json"]) == 0
    result = _last_json(capsys)
    assert result["command"] == "analyze" and Path(result["analysis"]).is_file()


def test_errors_are_json_too(tmp_path, capsys):
    assert main(["eval", "--run-dir", str(tmp_path), "benchmarks=[nope]", "--json"]) == 2
    result = _last_json(capsys)
    assert result["exit_code"] == 2 and "nope" in result["error"]


@pytest.mark.parametrize("argv", [["data", "list", "--json"], ["check", "--json"],
                                  ["preflight", "--config", str(ROOT / "configs/train-rl/default.yaml"), "--json"]])
def test_commands_with_their_own_json(argv, capsys):
    assert argv[0] in OWN_JSON
    assert main(argv) == 0
    json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_score_json(tmp_path, capsys):
    from tests.rl.tiny import ADD, GOOD, write_problems

    problems = write_problems(tmp_path / "problems.jsonl", [ADD])
    responses = tmp_path / "responses.jsonl"
    responses.write_text(json.dumps({"task_id": "add", "response": GOOD}) + "\n")
    assert main(["score", "--problems", str(problems), "--responses", str(responses), "--reward", "outcome",
                 "--json"]) == 0
    assert _last_json(capsys)["outcome_rate"] == 1.0
