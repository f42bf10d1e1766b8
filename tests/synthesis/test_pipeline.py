"""The synthesis pipeline end to end with scripted generators: outputs, stats, resume, cross-generator."""

from __future__ import annotations

import json

import pytest

from recode_rl.rundir import RunDir
from recode_rl.synthesis.config import Config
from recode_rl.synthesis.pipeline import run_synthesis
from tests.synthesis.fakes import ScriptedGenerator, default_answer, make_problems, problem_no


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def run(tmp_path, name, gens, n_problems=6, **cfg_kw):
    cfg = Config(**{"k": 2, "score_based": True, "parse": {"min_chars": 20}, **cfg_kw})
    return run_synthesis(cfg, make_problems(n_problems), gens, RunDir.create(tmp_path / name, stage="synth"))


def test_full_run_outputs_and_stats(tmp_path):
    gen = ScriptedGenerator()
    out = run(tmp_path, "a", {"fake": gen})
    s = out.summary
    # calls: 6 base + 6 problems x 2 kinds x k=2 rewrites + 6 scores = 36
    assert len(gen.produced) == 36 and s["llm_calls"] == {"from_cache": 0, "generated": 36, "cache_entries": 36}
    assert {k: (v["requested"], v["kept"]) for k, v in s["stages"].items()} == {
        "base": (6, 6), "optimized": (12, 12), "degraded": (12, 12), "scores": (6, 6)}
    # per problem: matched opt>deg 2, opt>ori 2, ori>deg 2 -> 6 pairs; 6 problems -> 36;
    # validation: round(6 * 0.1) = 1 problem (its 6 pairs)
    assert {k: s["pairs"][k] for k in ("opt>deg", "opt>ori", "ori>deg", "train", "validation")} == {
        "opt>deg": 12, "opt>ori": 12, "ori>deg": 12, "train": 30, "validation": 6}
    assert s["methods"] == {"optimization": {"focusing_logic": 12},
                            "degradation": {"factually_incorrect_reasoning": 12, "irrelevant_or_misleading_path": 12}}
    assert s["lengths"]["base"]["count"] == 6
    train, val = read_jsonl(out.train_pairs), read_jsonl(out.validation_pairs)
    assert {p["problem_id"] for p in train}.isdisjoint({p["problem_id"] for p in val})
    pair = next(p for p in train if p["pair_type"] == "opt>deg")
    assert set(pair) == {"prompt", "chosen", "rejected", "problem_id", "pair_type", "generator"}
    i = problem_no(pair["prompt"])
    assert pair["chosen"].startswith(f"Better reasoning {i}") and pair["rejected"].startswith(f"Worse reasoning {i}")
    assert pair["generator"] == "fake"
    scores = read_jsonl(out.scores[0]) + read_jsonl(out.scores[1])
    assert len(scores) == 6 and scores[0]["overall"] == pytest.approx(0.9)  # the one score
    assert json.loads(out.stats.read_text()) == json.loads(json.dumps(s))
    assert len(read_jsonl(out.synth)) == 6


def flaky_answer(prompt, sampling):
    i = problem_no(prompt)
    if i == 2 and "step-by-step chain of thought" in prompt:
        return "```python\nimport sys\nprint(sum(map(int, sys.stdin.read().split())))\n```"
    if i == 1 and "red-teaming agent" in prompt:
        return "Here it is, a worse one: nothing in the expected format at all, sadly."
    if i == 3 and "ONE score" in prompt:
        return "The rest looks fine."
    return default_answer(prompt, sampling)


def test_malformed_outputs_are_dropped_and_counted(tmp_path):
    out = run(tmp_path, "b", {"fake": ScriptedGenerator(answer=flaky_answer)}, k=1)
    st = out.summary["stages"]
    assert (st["base"]["kept"], st["base"]["dropped"]) == (5, {"code_only": 1})
    assert (st["optimized"]["kept"], st["optimized"]["dropped"]) == (5, {})
    assert (st["degraded"]["kept"], st["degraded"]["dropped"]) == (4, {"no_header": 1})
    assert (st["scores"]["kept"], st["scores"]["dropped"]) == (4, {"missing_scores": 1})
    # 5 problems with t: opt>ori 5; problems with a kept t-: 4 -> opt>deg 4, ori>deg 4
    p = out.summary["pairs"]
    assert (p["opt>deg"], p["opt>ori"], p["ori>deg"], p["train"] + p["validation"]) == (4, 5, 4, 13)
    records = {r["problem_id"]: r for r in read_jsonl(out.synth)}
    assert records["p02"]["base"] is None and records["p02"]["base_drop"] == "code_only"
    assert records["p01"]["degraded"][0]["drop"] == "no_header" and records["p01"]["degraded"][0]["raw"]


@pytest.mark.parametrize("stop_after", [3, 10, 33])  # in the base, rewrite and score stage
def test_interrupt_and_resume_repeats_no_call(tmp_path, stop_after):
    first = ScriptedGenerator(interrupt_after=stop_after)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path, "r", {"fake": first})
    assert len(first.produced) == stop_after
    second = ScriptedGenerator()
    resumed = run(tmp_path, "r", {"fake": second})
    assert len(second.produced) == 36 - stop_after
    assert not set(first.produced) & set(second.produced)  # no (prompt, seed) drawn twice
    assert resumed.summary["llm_calls"]["from_cache"] == stop_after
    clean = run(tmp_path, "clean", {"fake": ScriptedGenerator()})
    for a, b in [(resumed.train_pairs, clean.train_pairs), (resumed.validation_pairs, clean.validation_pairs),
                 (resumed.scores[0], clean.scores[0])]:
        assert a.read_text() == b.read_text()
    third = ScriptedGenerator()
    run(tmp_path, "r", {"fake": third})
    assert third.produced == []


def test_cross_generator_split(tmp_path):
    a, b = ScriptedGenerator("model-a"), ScriptedGenerator("model-b")
    out = run(tmp_path, "x", {"A": a, "B": b}, n_problems=8, second_fraction=0.5, score_based=False, k=1)
    records = {r["problem_id"]: r["generator"] for r in read_jsonl(out.synth)}
    assert sorted(records.values()).count("B") == 4
    for label, gen in (("A", a), ("B", b)):
        asked = {f"p{problem_no(prompt):02d}" for prompt, _ in gen.produced}
        assert asked == {pid for pid, g in records.items() if g == label}
        assert len(gen.produced) == 4 * 3  # base + optimized + degraded per problem
    pairs = read_jsonl(out.train_pairs) + read_jsonl(out.validation_pairs)
    assert all(p["generator"] == records[p["problem_id"]] for p in pairs)
    assert out.summary["generators"] == {"A": {"model": "model-a", "problems": 4},
                                         "B": {"model": "model-b", "problems": 4}}
