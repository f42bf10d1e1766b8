"""`recode score`: records in, one scored record per response out, JSON summary last."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

import recode_rl.cli
from recode_rl.config import load_config
from recode_rl.data.schema import Problem
from recode_rl.execution.types import TestSuite as Suite  # aliased: pytest would try to collect Test*
from recode_rl.rewards.cli import Config
from recode_rl.rewards.scorer import make_server

REPO = Path(__file__).resolve().parents[2]

ADD = Problem(task_id="add", prompt="Print a+b.", tests=Suite(kind="stdio", inputs=("1 2\n", "2 5\n"), outputs=("3\n", "7\n")))
NEG = Problem(task_id="neg", prompt="Print -x.", tests=Suite(kind="stdio", inputs=("4\n",), outputs=("-4\n",)))


def ok(think: str, code: str) -> str:
    return f"<think>{think}</think><answer>\n```python\n{code}\n```\n</answer>"


RECORDS = [
    {"task_id": "add", "response": ok("a" * 30, "print(sum(map(int, input().split())))"), "sample": 0},
    {"task_id": "add", "response": ok("b" * 10, "print(1)"), "sample": 1},
    {"task_id": "neg", "response": ok("c" * 50, "print(-int(input()))"), "sample": 0},
    {"task_id": "neg", "response": "```python\nprint(-int(input()))\n```", "sample": 1},
]


def main(argv):
    """The real `recode` entry point, with only this command registered: other stages' modules
    are not needed to test `recode score`."""
    saved = dict(recode_rl.cli.COMMANDS)
    recode_rl.cli.COMMANDS.clear()
    recode_rl.cli.COMMANDS["score"] = saved["score"]
    try:
        return recode_rl.cli.main(argv)
    finally:
        recode_rl.cli.COMMANDS.clear()
        recode_rl.cli.COMMANDS.update(saved)


@pytest.fixture
def files(tmp_path):
    problems = tmp_path / "problems.jsonl"
    problems.write_text("".join(json.dumps(p.to_dict()) + "\n" for p in (ADD, NEG)))
    responses = tmp_path / "responses.jsonl"
    responses.write_text("".join(json.dumps(r) + "\n" for r in RECORDS[:2]) + "\n" +
                         "".join(json.dumps(r) + "\n" for r in RECORDS[2:]))   # a blank line is skipped
    return problems, responses


@pytest.fixture
def scorer_url():
    class ThinkLength:
        name = "len"

        def score(self, problems, reasonings):
            return [len(r) / 100 for r in reasonings]

    server = make_server(ThinkLength(), "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/score"
    server.shutdown()
    server.server_close()


def test_score_recode_with_http_scorer(files, scorer_url, tmp_path, capsys):
    problems, responses = files
    out = tmp_path / "scored.jsonl"
    code = main(["score", "--problems", str(problems), "--responses", str(responses), "--reward", "recode",
                 "--scorer-url", scorer_url, "--out", str(out), "--json", "limits.timeout=2"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["task_id"] for r in rows] == ["add", "add", "neg", "neg"]
    assert [r["line"] for r in rows] == [1, 2, 4, 5]
    assert rows[0]["input"] == {"sample": 0}
    # fmt + out + 1[out=1] * len(think)/100; the last one passes but has no tags and no think
    assert [r["reward"] for r in rows] == pytest.approx([2.3, 1.0, 2.5, 1.0])
    assert rows[1]["verdict"]["verdict"] == "wrong_answer" and rows[1]["process"] is None
    assert rows[3]["format"] == 0.0 and rows[3]["outcome"] == 1.0 and rows[3]["parse_reason"]
    assert summary["n"] == 4 and summary["reward_kind"] == "recode"
    assert summary["reward_mean"] == pytest.approx((2.3 + 1 + 2.5 + 1) / 4)
    assert summary["format_rate"] == pytest.approx(0.75)
    assert summary["outcome_rate"] == pytest.approx(0.75)
    assert summary["process_gated_mean"] == pytest.approx(0.4)
    assert summary["scorer_calls"] == 2 and summary["scorer_calls_saved"] == 2
    assert summary["exec_passed"] == 3 and summary["exec_wrong_answer"] == 1
    assert summary["out"] == str(out) and summary["responses_per_s"] > 0


def test_score_outcome_with_config_file_and_default_out(files, tmp_path, capsys):
    problems, responses = files
    cfg = tmp_path / "score.yaml"
    cfg.write_text(f"problems: {problems}\nreward:\n  kind: compiler\nlimits:\n  timeout: 2\n")
    assert main(["score", "--config", str(cfg), "--responses", str(responses), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    # compiler: fmt + C -> 1+1, 1-0.3, 1+1, 0+1
    assert summary["reward_mean"] == pytest.approx((2 + 0.7 + 2 + 1) / 4)
    assert summary["compiler_mean"] == pytest.approx((1 - 0.3 + 1 + 1) / 4)
    assert (tmp_path / "responses.scored.jsonl").is_file()


@pytest.mark.parametrize("line, message", [
    ("{not json", "responses.jsonl, line 2: invalid JSON"),
    ('["a"]', "responses.jsonl, line 2: expected a JSON object"),
    ('{"task_id": "add"}', "responses.jsonl, line 2, field 'response': missing"),
    ('{"task_id": "add", "response": 3}', "responses.jsonl, line 2, field 'response': must be a string"),
    ('{"task_id": "nope", "response": "x"}', "responses.jsonl, line 2, field 'task_id': unknown task_id 'nope'"),
])
def test_bad_response_records(files, capsys, line, message):
    problems, responses = files
    responses.write_text(json.dumps(RECORDS[0]) + "\n" + line + "\n")
    code = main(["score", "--problems", str(problems), "--responses", str(responses), "--reward", "outcome", "--json"])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err


def test_missing_scorer_and_bad_override(files, capsys, monkeypatch):
    problems, responses = files
    import recode_rl.data

    def never(*a, **k):
        raise AssertionError("the missing scorer must be reported before any problem is loaded or run")

    monkeypatch.setattr(recode_rl.data, "load_problems", never)
    assert main(["score", "--problems", str(problems), "--responses", str(responses), "--reward", "recode"]) == 2
    assert "needs a process scorer" in capsys.readouterr().err
    monkeypatch.undo()
    assert main(["score", "--problems", str(problems), "--responses", str(responses), "reward.w_proces=2"]) == 2
    assert "reward.w_proces: unknown key" in capsys.readouterr().err


def test_shipped_score_configs_parse():
    paths = sorted((REPO / "configs" / "score").glob("*.yaml"))
    assert paths, "no configs/score/*.yaml shipped"
    kinds = {load_config(Config, p).reward.kind for p in paths}
    assert {"recode", "direct", "soft", "outcome", "compiler", "compiler+recode"} <= kinds
