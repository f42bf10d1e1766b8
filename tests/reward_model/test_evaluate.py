"""eval-rm: strict pairwise accuracy, RewardBench weighting, the judge baseline, the CLI end to end."""

from __future__ import annotations

import json
import math

import pytest

from rm_helpers import restrict_cli, tiny_llama, tiny_tokenizer, write_jsonl
from recode_rl.errors import DataError
from recode_rl.generation.types import Completion
from recode_rl.reward_model.config import EvalRmConfig as Config
from recode_rl.reward_model.data import load_pairs
from recode_rl.reward_model.evaluate import accuracy_table, evaluate_files, pair_outcomes, weighted_sections
from recode_rl.reward_model.judge import JudgeScorer, parse_rating
from recode_rl.reward_model.scoring import ScoringCard, write_card
from recode_rl.rundir import RunDir

NAN = float("nan")


class LengthScorer:
    """Score = number of words in the response (so outcomes are known by hand)."""

    name = "length"

    def raw_scores(self, problems, responses, *, batch_size=8, progress=False):
        return [float(len(r.split())) for r in responses], 0


def test_outcomes_ties_and_missing_are_wrong():
    outcomes = pair_outcomes([2.0, 1.0, 1.0, NAN, 0.5], [1.0, 1.0, 3.0, 0.0, 0.4])
    assert outcomes == ["correct", "tie", "wrong", "missing", "correct"]
    table = accuracy_table(["a", "a", "b", "b", None], outcomes)
    assert table["overall"] == {"n": 5, "correct": 2, "ties": 1, "missing": 1, "accuracy": 0.4}
    assert table["subsets"]["a"]["accuracy"] == 0.5 and table["subsets"]["b"]["accuracy"] == 0.0
    assert table["subsets"]["all"]["n"] == 1


def test_rewardbench_reasoning_weighting_by_hand():
    # (984 * 0.9 + 164 * 0.6 + 164 * 0.3) / (984 + 164 + 164) = 1033.2 / 1312 = 0.7875
    sections = weighted_sections({"math-prm": 0.9, "hep-python": 0.6, "hep-cpp": 0.3})
    assert sections == {"Reasoning": pytest.approx(0.7875)}
    # all six code subsets present: math-prm weighs as much as all code together
    # 0.8 / 2 + mean(1, 1, 1, 0, 0, 0.5) / 2 = 0.4 + 0.291667 = 0.691667
    accs = {"math-prm": 0.8, "hep-cpp": 1, "hep-go": 1, "hep-java": 1, "hep-js": 0, "hep-python": 0, "hep-rust": 0.5}
    assert weighted_sections(accs)["Reasoning"] == pytest.approx(0.691667, abs=1e-6)


def test_evaluate_files_rewardbench_subsets(tmp_path):
    rows = [  # (chosen words, rejected words) -> outcome under LengthScorer
        {"prompt": "q", "chosen": "a b c", "rejected": "a", "subset": "hep-python", "id": 1},      # correct
        {"prompt": "q", "chosen": "a", "rejected": "a b", "subset": "hep-python", "id": 2},        # wrong
        {"prompt": "q", "chosen": "a b", "rejected": "c d", "subset": "math-prm", "id": 3},        # tie
        {"prompt": "q", "chosen": "a b", "rejected": "c", "subset": "math-prm", "id": 4},          # correct
        {"prompt": "q", "chosen": "a b", "rejected": "c", "subset": "alpacaeval-easy", "id": 5},   # filtered out
    ]
    path = write_jsonl(tmp_path / "rb.jsonl", rows)
    cfg = Config(files=[str(path)], subsets=["hep-python", "math-prm"])
    run = RunDir.create(tmp_path / "run", stage="eval-rm")
    report = evaluate_files(cfg, LengthScorer(), run)
    entry = report["files"][str(path)]
    assert entry["overall"]["accuracy"] == 0.5 and entry["overall"]["ties"] == 1
    assert entry["subsets"]["hep-python"]["accuracy"] == 0.5 and entry["subsets"]["math-prm"]["accuracy"] == 0.5
    # Reasoning = (984 * 0.5 + 164 * 0.5) / 1148 = 0.5; paper columns: code 0.5, math 0.5
    assert entry["rewardbench_sections"]["Reasoning"] == pytest.approx(0.5)
    assert entry["paper_columns"] == {"code": 0.5, "math": 0.5}
    scores = [json.loads(line) for line in open(entry["pair_scores"])]
    assert [s["outcome"] for s in scores] == ["correct", "wrong", "tie", "correct"]
    # a rerun reuses the saved scores instead of scoring again
    assert evaluate_files(cfg, LengthScorer(), run)["files"][str(path)]["reused"] is True


def test_pair_loader_errors_name_line_and_field(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"prompt": "q", "chosen": "a", "rejected": "b"}) + "\n"
                    + json.dumps({"prompt": "q", "chosen": 3, "rejected": "b"}) + "\n")
    with pytest.raises(DataError, match=r"bad.jsonl, line 2, field 'chosen': must be a string"):
        load_pairs(path)
    path.write_text('{"prompt": "q", "chosen": "a"\n')
    with pytest.raises(DataError, match="bad.jsonl, line 1: invalid JSON"):
        load_pairs(path)
    path.write_text(json.dumps({"prompt": "q", "chosen": "a"}) + "\n")
    with pytest.raises(DataError, match="'rejected': missing"):
        load_pairs(path)


@pytest.mark.parametrize("text, expected", [
    ("Looks fine.\nScore: 7", 7.0),
    ("**Score:** 8/10", 8.0),
    ("Rating - 6.5", 6.5),
    ("The steps are clear.\n9", 9.0),
    ("Score: 3\nOn reflection...\nScore: 4", 4.0),
    ("I cannot rate this.", None),
    ("Score: 12", None),
    ("", None),
])
def test_parse_rating(text, expected):
    assert parse_rating(text) == expected


class FakeGenerator:
    """Replies with a rating that depends on the reasoning text, or garbage."""

    model_id = "fake-judge"

    def __init__(self):
        self.prompts = []

    def generate(self, prompts, n, sampling, on_complete=None):
        self.prompts.extend(prompts)
        out = []
        for p in prompts:
            first_line = p.split("## Reasoning\n", 1)[1].splitlines()[0]
            text = "no idea" if "garbage" in first_line else f"ok\nScore: {len(first_line.split())}"
            out.append([Completion(text=text, finish_reason="stop")] * n)
        return out


def test_judge_baseline_counts_unparseable_replies(tmp_path):
    from recode_rl.generation.types import SamplingParams

    path = write_jsonl(tmp_path / "pairs.jsonl", [
        {"prompt": "q1", "chosen": "a b c", "rejected": "a", "pair_type": "opt>deg", "problem_id": "p1"},
        {"prompt": "q2", "chosen": "a b", "rejected": "garbage", "pair_type": "ori>deg", "problem_id": "p2"},
    ])
    gen = FakeGenerator()
    judge = JudgeScorer(gen, SamplingParams(temperature=0.0), n=2)
    report = evaluate_files(Config(files=[str(path)]), judge, RunDir.create(tmp_path / "run", stage="eval-rm"))
    entry = report["files"][str(path)]
    # pair 1: 3 > 1 correct; pair 2: rejected unparseable -> missing -> wrong
    assert entry["overall"]["accuracy"] == 0.5 and entry["overall"]["missing"] == 1
    assert report["judge_parse_failures"] == 2            # both samples of the garbage item
    rows = [json.loads(line) for line in open(entry["pair_scores"])]
    assert rows[1]["rejected_judge_replies"] == ["no idea", "no idea"]   # kept for reading, not hidden
    assert rows[0]["chosen_judge_replies"] == ["ok\nScore: 3"] * 2
    assert "## Problem\nq1" in gen.prompts[0]


def test_eval_rm_cli_on_a_saved_checkpoint(tmp_path, monkeypatch, capsys):
    from recode_rl import cli

    tok = tiny_tokenizer()
    ckpt = tmp_path / "rm"
    tiny_llama(len(tok)).save_pretrained(ckpt)
    tok.save_pretrained(ckpt)
    write_card(ckpt, ScoringCard(max_length=12, backbone="tiny"))
    data = write_jsonl(tmp_path / "pairs.jsonl", [
        {"prompt": "read n", "chosen": "step w1 w2 w3 w4 w5 w6 w7 therefore done", "rejected": "step w1",
         "pair_type": "opt>deg", "problem_id": f"p{i}"} for i in range(5)])
    restrict_cli(monkeypatch, "eval-rm")
    rc = cli.main(["eval-rm", "--model", str(ckpt), "--data", str(data), "--run-dir", str(tmp_path / "run"),
                   "batch_size=2"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "report:" in out and "pair scores:" in out
    report = json.loads((tmp_path / "run" / "report" / "eval_rm.json").read_text())
    entry = report["files"][str(data)]
    assert entry["inputs_truncated"] == 5          # every chosen side (4 + 2 + 10 tokens) exceeds 12
    rows = [json.loads(line) for line in open(entry["pair_scores"])]
    assert len(rows) == 5 and all(math.isfinite(r["chosen_score"]) for r in rows)
    assert entry["overall"]["correct"] == sum(r["chosen_score"] > r["rejected_score"] for r in rows)
    # bad input -> clear error, exit code 2, no traceback
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "q", "chosen": "", "rejected": "x"}\n')
    assert cli.main(["eval-rm", "--model", str(ckpt), "--data", str(bad), "--run-dir", str(tmp_path / "r2")]) == 2
    assert "bad.jsonl, line 1, field 'chosen': is empty" in capsys.readouterr().err


def test_json_list_files_with_question_key(tmp_path):
    path = tmp_path / "lcb_rb.json"
    path.write_text(json.dumps([{"question": "q", "chosen": "good reasoning", "rejected": "bad", "difficulty": "easy"},
                                {"question": "q", "chosen": "x", "rejected": "y"}]))
    pairs = load_pairs(path)
    assert [p.subset for p in pairs] == ["easy", None] and pairs[0].prompt == "q"
    path.write_text(json.dumps([{"question": "q", "chosen": "x"}, 3]))
    with pytest.raises(DataError, match=r"lcb_rb.json, record 0, field 'rejected': missing"):
        load_pairs(path)
