"""`recode build-lcbrb` offline: fake policy and judge, real executor, pairs read by eval-rm."""

from __future__ import annotations

import csv
import json

import pytest

from recode_rl.data.schema import Problem
from recode_rl.evaluation.config import LcbRbConfig as Config
from recode_rl.evaluation.lcbrb import build_lcbrb, build_pairs, in_window
from recode_rl.execution.types import TestSuite
from recode_rl.reward_model.data import load_pairs

from .conftest import FakeGenerator, prompt_text, wrap

ECHO = TestSuite(kind="stdio", inputs=("hello\n",), outputs=("hello\n",))
RIGHT, WRONG = "print(input())", "print('nope')"

# problem -> per sample: (reasoning tag, code); None = a response without <think>
PLAN = {
    "A": [("SOUND", RIGHT), ("FLAWED", WRONG), ("FLAWED", RIGHT), ("GARBLE", RIGHT)],
    "B": [("FLAWED", WRONG), ("FLAWED", RIGHT), ("INCONS", RIGHT), None],
    "C": [("SOUND", RIGHT)] * 4,                     # contest date in the evaluation window
    "D": [("SOUND", RIGHT), ("SOUND", WRONG), ("SOUND", RIGHT), ("SOUND", RIGHT)],
    "E": [("SOUND", RIGHT), ("SOUND", RIGHT), ("FLAWED", WRONG), ("FLAWED", WRONG)],
}
DATES = {"A": "2024-05-01", "B": "2024-06-01", "C": "2024-11-01", "D": "2024-07-01", "E": "2024-08-01"}
JUDGE = {"SOUND": "**No**\nsound and consistent", "FLAWED": "Answer: Yes.\nwrong formula",
         "INCONS": "None\nthe code ignores the plan", "GARBLE": "I would rather not say."}


def _problems():
    return [Problem(task_id=k, prompt=f"Problem {k}: echo the input line.", tests=ECHO, difficulty="easy",
                    contest_date=d) for k, d in DATES.items()]


def _policy(prompt, j):
    pid = prompt_text(prompt).split("Problem ")[1][0]
    step = PLAN[pid][j]
    if step is None:
        return f"```python\n{RIGHT}\n```"
    tag, code = step
    return wrap(code, reasoning=f"{tag} plan {pid}{j}: read the line and print it.")


def _judge(prompt, j):
    reasoning = prompt_text(prompt).split("[Solution]")[1]
    return next(reply for tag, reply in JUDGE.items() if tag in reasoning)


def test_in_window():
    w = ("2024-10-01", "2025-02-28")
    assert in_window("2024-10-01", w) and in_window("2025-02-28T00:00:00", w)
    assert not in_window("2024-09-30", w) and not in_window(None, w) and not in_window("2024-12-01", None)


def test_build_lcbrb_offline(tmp_path):
    cfg = Config(n=4, seed=3)
    policy, judge = FakeGenerator(_policy, "fake-policy"), FakeGenerator(_judge, "fake-judge")
    s = build_lcbrb(cfg, tmp_path, policy, judge, problems=_problems())
    # C is in the reserved window: never sampled
    assert s["problems"] == 4 and s["problems_excluded_by_window"] == 1
    assert not any("Problem C" in prompt_text(p) for p in policy.prompts_seen)
    # 16 samples; B#3 has no reasoning -> 15 judged
    assert s["samples"]["samples"] == 16 and s["samples"]["no_reasoning_or_code"] == 1 and s["samples"]["kept"] == 15
    assert s["passed"] == 10 and s["failed"] == 5
    assert s["judge_labels"] == {"sound": 7, "flawed": 6, "inconsistent": 1, "unparseable": 1}
    # outcome rule: chosen = sound + passed, rejected = flawed + failed. A: rejected A#1 x chosen A#0
    # (A#2 is flawed but passed: dropped); E: 2 rejected x one of E#0/E#1; B has no chosen, D no
    # rejected (D#1 is sound but failed: dropped)
    assert (s["pairs"], s["problems_without_chosen"], s["problems_without_rejected"]) == (3, 1, 1)
    assert (s["dropped_flawed_but_passed"], s["dropped_sound_but_failed"]) == (2, 1)
    assert s["labels_from"].startswith("LLM judge only")

    pairs = load_pairs(tmp_path / "data" / "lcbrb_pairs.jsonl")
    assert len(pairs) == 3 and {p.meta["pair_type"] for p in pairs} == {"lcbrb"}
    assert all("SOUND" in p.chosen and "FLAWED" in p.rejected for p in pairs)
    rows = [json.loads(x) for x in (tmp_path / "data" / "lcbrb_pairs.jsonl").read_text().splitlines()]
    assert all(r["chosen_passed"] is True and r["rejected_passed"] is False for r in rows)
    assert all(p.meta["problem_id"] in ("A", "E") and p.subset == "easy" for p in pairs)
    judged = [json.loads(x) for x in (tmp_path / "data" / "lcbrb_judged.jsonl").read_text().splitlines()]
    assert len(judged) == 15 and all("passed" in r and "label" in r for r in judged)

    # rerun: every LLM call comes from the cache, same pairs
    before = (len(policy.prompts_seen), len(judge.prompts_seen))
    s2 = build_lcbrb(cfg, tmp_path, policy, judge, problems=_problems())
    assert (len(policy.prompts_seen), len(judge.prompts_seen)) == before and s2["pairs"] == 3
    # the label-only rule (not the paper's) also pairs A's flawed-but-passing A#2
    s_label = build_lcbrb(Config(n=4, seed=3, pair_rule="label"), tmp_path, policy, judge, problems=_problems())
    assert s_label["pairs"] == 4 and s_label["pair_rule"] == "label"

    # annotators: agree except on A#2 (annotator 2 says sound, no resolution -> dropped)
    sheet = tmp_path / "data" / "lcbrb_adjudication.csv"
    rows = list(csv.DictReader(sheet.open()))
    assert len(rows) == 13   # sound + flawed items only
    for r in rows:
        r["annotator_1"] = r["judge_label"]
        r["annotator_2"] = "sound" if r["item_id"] == "A#2" else r["judge_label"]
    with sheet.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=rows[0].keys())
        w.writeheader()
        w.writerows(rows)
    s3 = build_lcbrb(Config(n=4, seed=3, annotations=str(sheet)), tmp_path, policy, judge, problems=_problems())
    adj = s3["adjudication"]
    assert (adj["agreed"], adj["unresolved"], adj["n_both"]) == (12, 1, 13)
    # a: 7 sound 6 flawed; b: 8 sound 5 flawed; p_o = 12/13; p_e = (7*8 + 6*5)/169 = 86/169
    assert adj["kappa"] == pytest.approx((12 / 13 - 86 / 169) / (1 - 86 / 169))
    assert s3["pairs"] == 3 and s3["labels_from"].startswith("human consensus")


def test_pairs_are_seeded_per_problem():
    items = [{"item_id": f"P#{j}", "problem_id": "P", "sample": j, "problem": "p", "reasoning": f"r{j}",
              "code": "c", "contest_date": None} for j in range(12)]
    for it in items:
        it["passed"] = it["sample"] < 6
    labels = {f"P#{j}": "sound" if j < 6 else "flawed" for j in range(12)}
    a, _ = build_pairs(items, labels, seed=1)
    b, _ = build_pairs(list(reversed(items)), labels, seed=1)
    assert [p["chosen"] for p in a] == [p["chosen"] for p in b]       # order-independent
    choices = {tuple(p["chosen"] for p in build_pairs(items, labels, seed=s)[0]) for s in range(8)}
    assert len(choices) > 1                                           # the seed matters
    assert all(p["chosen"] in {f"r{j}" for j in range(6)} for p in a) and len(a) == 6


def test_judge_prompt_can_be_replaced_from_a_file(tmp_path):
    from recode_rl.config import ConfigError
    from recode_rl.evaluation.lcbrb import _judge_template
    from recode_rl.prompts import LCBRB_JUDGE_PROMPT

    assert _judge_template(Config()) == LCBRB_JUDGE_PROMPT
    f = tmp_path / "judge.txt"
    f.write_text("Q: {problem}\nT: {reasoning}\nC: {code}\nYes/No/None?")
    assert _judge_template(Config(judge_prompt_file=str(f))) == f.read_text()
    f.write_text("Q: {problem}\nT: {reasoning}")
    with pytest.raises(ConfigError, match=r"must contain \{code\}"):
        _judge_template(Config(judge_prompt_file=str(f)))


def test_identical_samples_get_one_judge_answer_and_a_rerun_keeps_every_label(tmp_path):
    """Two samples with the same reasoning and code are one judge call (same key); a judge that
    answers differently on a second ask used to label them differently, and the cache (last line
    wins) then relabelled both on the rerun."""
    problem = [Problem(task_id="A", prompt="Problem A: echo the input line.", tests=ECHO, difficulty="easy",
                       contest_date="2024-05-01")]
    policy = FakeGenerator(lambda p, j: wrap(RIGHT, reasoning="the same plan: read the line and print it."))
    judge = FakeGenerator(lambda p, j: JUDGE["SOUND"] if j == 0 else JUDGE["FLAWED"], "fickle-judge")

    def labels():
        path = tmp_path / "data" / "lcbrb_judged.jsonl"
        return {r["item_id"]: r["label"] for r in map(json.loads, path.read_text().splitlines())}

    build_lcbrb(Config(n=2, seed=3), tmp_path, policy, judge, problems=problem)
    first = labels()
    assert first == {"A#0": "sound", "A#1": "sound"} and len(judge.prompts_seen) == 1
    build_lcbrb(Config(n=2, seed=3), tmp_path, policy, judge, problems=problem)
    assert labels() == first
    keys = [json.loads(x)["key"] for x in (tmp_path / "data" / "lcbrb_judge_calls.jsonl").read_text().splitlines()]
    assert len(keys) == len(set(keys))
