"""`evaluate_benchmarks` end to end with fake generators: outputs, tables, resume, math, LCB."""

from __future__ import annotations

import json

import pytest

from recode_rl.config import ConfigError
from recode_rl.evaluation.benchmarks import load_benchmark
from recode_rl.evaluation.policy_eval import evaluate_benchmarks
from recode_rl.generation.types import SamplingParams

from .conftest import FakeGenerator, prompt_text, wrap

GREEDY = SamplingParams(temperature=0.0, max_new_tokens=64)


def _reference_responder(name: str, **opts):
    refs = {t.prompt.strip(): t.reference_solution for t in load_benchmark(name, **opts).problems}

    def respond(prompt, j):
        text = prompt_text(prompt)
        for statement, ref in refs.items():
            if statement in text:
                return wrap(ref)
        raise AssertionError("prompt without a known problem statement")
    return respond


def test_outputs_and_resume(tmp_path):
    gen = FakeGenerator(_reference_responder("humaneval", limit=3))
    bench = [{"name": "humaneval", "limit": 3}]
    s = evaluate_benchmarks(bench, gen, tmp_path, sampling=GREEDY, progress=False)
    he = s["benchmarks"]["humaneval"]
    assert he["pass@1"] == 100.0 and he["n_tasks"] == 3 and he["mean_tokens"] == 7.0
    assert he["files"][0]["sha256"] and len(he["files"][0]["sha256"]) == 64
    assert s["table"]["HE"] == 100.0 and s["table"]["HE+"] is None
    assert len(gen.prompts_seen) == 3
    samples = tmp_path / "samples" / "humaneval.jsonl"
    rec = json.loads(samples.read_text().splitlines()[0])
    for key in ("response", "code", "verdict", "completion_tokens", "passed", "tests_passed", "tests_total"):
        assert key in rec
    md = (tmp_path / "report" / "eval_table.md").read_text()
    assert "| HE | HE+ | MBPP |" in md and "100.0" in md
    assert json.loads((tmp_path / "report" / "eval_summary.json").read_text())["table"]["HE"] == 100.0

    # rerun: nothing regenerated
    evaluate_benchmarks(bench, gen, tmp_path, sampling=GREEDY, progress=False)
    assert len(gen.prompts_seen) == 3
    # a torn last line (crash mid-write) -> that one task is regenerated, the rest kept
    lines = samples.read_text().splitlines()
    samples.write_text("\n".join(lines[:2]) + "\n" + lines[2][:25])
    s2 = evaluate_benchmarks(bench, gen, tmp_path, sampling=GREEDY, progress=False)
    assert len(gen.prompts_seen) == 4 and s2["benchmarks"]["humaneval"]["pass@1"] == 100.0
    assert len(samples.read_text().splitlines()) == 3
    # different sampling settings on the same run dir -> refuse to mix samples
    with pytest.raises(ConfigError, match="different settings"):
        evaluate_benchmarks(bench, gen, tmp_path, sampling=GREEDY.model_copy(update={"max_new_tokens": 9}),
                            progress=False)


def test_a_start_that_generated_nothing_binds_nothing(tmp_path):
    """A server that refused every request (a wrong model name) left a sample store with no samples in
    a run dir the user keeps: the rerun with the right model goes ahead (old code: "existing samples
    were made with different settings (model)", though there were none)."""
    from recode_rl.generation.types import ServerError

    def refuse(prompt, j):
        raise ServerError("http://127.0.0.1/v1/chat/completions: HTTP 404: model 'nope' not found")

    bench = [{"name": "humaneval", "limit": 2}]
    with pytest.raises(ServerError):
        evaluate_benchmarks(bench, FakeGenerator(refuse, model_id="nope"), tmp_path, sampling=GREEDY, progress=False)
    assert not (tmp_path / "samples" / "humaneval.meta.json").exists()
    right = FakeGenerator(_reference_responder("humaneval", limit=2), model_id="right")
    s = evaluate_benchmarks(bench, right, tmp_path, sampling=GREEDY, progress=False)
    assert s["benchmarks"]["humaneval"]["pass@1"] == 100.0
    # samples exist now: another model on the same store is still refused
    with pytest.raises(ConfigError, match=r"different settings \(model\)"):
        evaluate_benchmarks(bench, FakeGenerator(refuse, model_id="other"), tmp_path, sampling=GREEDY, progress=False)


def test_failures_are_counted_with_verdicts(tmp_path):
    answers = iter([wrap("def nope(:\n    pass"), "no code at all here.", wrap("def f():\n    return 1")])
    gen = FakeGenerator(lambda p, j: next(answers))
    s = evaluate_benchmarks([{"name": "humaneval", "limit": 3}], gen, tmp_path, sampling=GREEDY, progress=False)
    he = s["benchmarks"]["humaneval"]
    assert he["pass@1"] == 0.0
    # "no code at all" -> free-form extraction finds nothing; broken syntax; wrong function
    assert he["verdicts"].get("no_code") == 1 and he["verdicts"].get("syntax_error") == 1
    assert sum(he["verdicts"].values()) == 3
    assert he["format_rate"] == pytest.approx(2 / 3)


def test_pass_at_k_with_samples(tmp_path):
    # sample 0 correct, sample 1 wrong for every task: pass@1 = 50%, pass@2 = 100%
    ref = _reference_responder("humaneval", limit=2)
    gen = FakeGenerator(lambda p, j: ref(p, j) if j == 0 else wrap("x = 1"))
    s = evaluate_benchmarks([{"name": "humaneval", "limit": 2}], gen, tmp_path, n=2, ks=[1, 2],
                            sampling=SamplingParams(temperature=1.0, max_new_tokens=8), progress=False)
    he = s["benchmarks"]["humaneval"]
    assert he["pass@1"] == pytest.approx(50.0) and he["pass@2"] == pytest.approx(100.0)


def test_math_benchmark_scored_with_math_verify(shared_data, tmp_path):
    data = load_benchmark("aime24", limit=3)
    gold = {t.prompt.strip(): t.answer for t in data.problems}
    assert all(t.task_id.startswith("aime24/") and t.source == "aime24" for t in data.problems)
    calls = iter(range(100))

    def respond(prompt, j):
        text = prompt_text(prompt)
        answer = next(a for s, a in gold.items() if s in text)
        wrong = next(calls) == 1  # the second task gets a wrong answer
        return f"<think>compute</think>\n<answer>\\boxed{{{int(answer) + 1 if wrong else answer}}}</answer>"

    s = evaluate_benchmarks([{"name": "aime24", "limit": 3}], FakeGenerator(respond), tmp_path,
                            sampling=GREEDY, progress=False)
    assert s["benchmarks"]["aime24"]["pass@1"] == pytest.approx(200 / 3)
    assert s["math_table"]["AIME24"] == pytest.approx(200 / 3)
    assert s["benchmarks"]["aime24"]["format_rate"] == 1.0


def test_livecodebench_window_difficulty_and_public_tests_note(shared_data, tmp_path):
    gen = FakeGenerator(lambda p, j: wrap("print(input())"))
    s = evaluate_benchmarks([{"name": "livecodebench", "limit": 6}], gen, tmp_path, sampling=GREEDY,
                            progress=False)
    lcb = s["benchmarks"]["livecodebench"]
    assert lcb["public_tests_only"] and any("PUBLIC tests only" in n for n in lcb["notes"])
    assert lcb["n_tasks"] == 6 and set(lcb["by_difficulty"]) <= {"easy", "medium", "hard"}
    md = (tmp_path / "report" / "eval_table.md").read_text()
    assert "public tests only" in md
    tasks = load_benchmark("livecodebench", limit=6).problems
    assert all("2024-10-01" <= t.contest_date <= "2025-02-28" for t in tasks)


def test_unknown_benchmark_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown benchmark"):
        load_benchmark("humaneval++")


def test_summary_accumulates_benchmarks_across_invocations(shared_data, tmp_path):
    gen = FakeGenerator(lambda p, j: wrap("x = 1"))
    evaluate_benchmarks([{"name": "humaneval", "limit": 1}], gen, tmp_path, sampling=GREEDY, progress=False)
    s = evaluate_benchmarks([{"name": "mbpp", "limit": 1}], gen, tmp_path, sampling=GREEDY, progress=False)
    assert set(s["benchmarks"]) == {"humaneval", "mbpp"}
    other = FakeGenerator(lambda p, j: wrap("x = 1"), model_id="other")
    s = evaluate_benchmarks([{"name": "mbpp", "limit": 1}], other, tmp_path / "b", sampling=GREEDY, progress=False)
    assert set(s["benchmarks"]) == {"mbpp"}


def test_other_data_options_do_not_mix_samples(shared_data, tmp_path):
    gen = FakeGenerator(lambda p, j: wrap("print(input())"))
    lcb = {"name": "livecodebench", "limit": 1}
    evaluate_benchmarks([lcb], gen, tmp_path, sampling=GREEDY, progress=False)
    evaluate_benchmarks([{**lcb, "limit": 2}], gen, tmp_path, sampling=GREEDY, progress=False)  # more tasks: fine
    assert len(gen.prompts_seen) == 2
    with pytest.raises(ConfigError, match="different settings"):
        evaluate_benchmarks([{**lcb, "start": "2024-01-01"}], gen, tmp_path, sampling=GREEDY, progress=False)


def test_bad_benchmark_fails_before_the_model_is_built(tmp_path, capsys, monkeypatch):
    import recode_rl.evaluation.config as eval_config
    from recode_rl.cli import main

    def never(cfg):
        raise AssertionError("the model must not be loaded before the benchmarks are checked")

    monkeypatch.setattr(eval_config, "build_eval_generator", never)
    code = main(["eval", "--run-dir", str(tmp_path / "e"), "benchmarks=[{name: mbpp+, path: /no/such/file.jsonl.gz}]"])
    assert code == 2 and "/no/such/file.jsonl.gz" in capsys.readouterr().err
    code = main(["eval", "--run-dir", str(tmp_path / "e"), "benchmarks=[{name: humaneval, start: 3}]"])
    assert code == 2 and "start" in capsys.readouterr().err


def test_subset_is_annotated_and_field_formats_are_written(tmp_path):
    """limit=3 on HumanEval: every table says "3 of 164"; EvalPlus samples/results and lm-eval results.json."""
    from recode_rl.evaluation.tables import render_markdown
    from recode_rl.report.build import _policy_section
    from recode_rl.report.collect import Found

    gen = FakeGenerator(_reference_responder("humaneval", limit=3))
    s = evaluate_benchmarks([{"name": "humaneval", "limit": 3}], gen, tmp_path, sampling=GREEDY, progress=False)
    he = s["benchmarks"]["humaneval"]
    assert he["subset"] and he["n_available"] == 164 and s["table_subsets"] == {"HE": "3 of 164"}
    assert "100.0 (3 of 164)" in render_markdown(s)
    assert "100.0 (3 of 164)" in (tmp_path / "report" / "eval_table.md").read_text()
    assert "100.0 (3 of 164)" in "\n".join(_policy_section(Found(evals=[("run", s)])))

    lines = [json.loads(x) for x in (tmp_path / "samples" / "evalplus" / "humaneval.jsonl").read_text().splitlines()]
    assert len(lines) == 3 and set(lines[0]) == {"task_id", "solution"} and "def " in lines[0]["solution"]
    ep = json.loads((tmp_path / "samples" / "evalplus" / "humaneval_eval_results.json").read_text())
    assert set(ep) == {"date", "hash", "eval", "pass_at_k"} and ep["pass_at_k"]["base"]["pass@1"] == 1.0
    first = ep["eval"][lines[0]["task_id"]][0]
    assert set(first) == {"task_id", "solution", "base_status", "plus_status", "base_fail_tests", "plus_fail_tests"}
    assert first["base_status"] == "pass" and first["plus_status"] is None

    lm = json.loads((tmp_path / "report" / "results.json").read_text())
    for key in ("results", "configs", "versions", "n-shot", "higher_is_better", "n-samples", "config"):
        assert key in lm
    assert lm["results"]["humaneval"]["pass@1,none"] == 1.0
    assert lm["n-samples"]["humaneval"] == {"original": 164, "effective": 3}
    assert lm["config"]["limit"] == {"humaneval": 3}


def test_the_full_set_is_not_annotated(tmp_path):
    from recode_rl.evaluation.tables import subset_note

    assert subset_note({"n_tasks": 164, "n_available": 164, "subset": False}) is None
    assert subset_note({"n_tasks": 3, "n_available": None, "subset": True}) == "3 of ?"
