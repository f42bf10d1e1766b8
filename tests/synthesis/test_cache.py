"""The on-disk call cache: keys, resume, torn-line repair, corrupt-file errors."""

from __future__ import annotations

import json

import pytest

from tests.synthesis.fakes import ScriptedGenerator

from recode_rl.errors import DataError
from recode_rl.generation import Completion, SamplingParams
from recode_rl.synthesis.cache import CachedGenerator, CallCache, call_key

SP = SamplingParams(temperature=0.7, max_new_tokens=10, seed=5)


def echo(prompt, sampling):
    return f"{prompt}|{sampling.seed}"


def test_call_key_depends_on_every_part():
    base = call_key("m", "p", SP, 0)
    assert base == call_key("m", "p", SamplingParams(temperature=0.7, max_new_tokens=10, seed=5), 0)
    others = {call_key("m2", "p", SP, 0), call_key("m", "q", SP, 0), call_key("m", "p", SP, 1),
              call_key("m", "p", SP.model_copy(update={"temperature": 0.8}), 0),
              call_key("m", [{"role": "user", "content": "p"}], SP, 0)}
    assert base not in others and len(others) == 5


def test_cached_generator_reuses_and_shifts_seed(tmp_path):
    cache = CallCache(tmp_path / "calls.jsonl")
    inner = ScriptedGenerator(answer=echo)
    gen = CachedGenerator(inner, cache)
    first = gen.generate(["a", "b"], 2, SP)
    # sample j is drawn with seed + j
    assert [[c.text for c in row] for row in first] == [["a|5", "a|6"], ["b|5", "b|6"]]
    assert len(inner.produced) == 4
    again = gen.generate(["b", "c"], 2, SP)  # b cached; only c is new
    assert [[c.text for c in row] for row in again] == [["b|5", "b|6"], ["c|5", "c|6"]]
    assert len(inner.produced) == 6 and gen.hits == 2 and gen.misses == 6
    cache.close()
    # a new process sees all six entries on disk
    reopened = CachedGenerator(ScriptedGenerator(answer=echo), CallCache(tmp_path / "calls.jsonl"))
    assert reopened.generate(["a", "b", "c"], 2, SP)[2][1].text == "c|6"
    assert reopened.inner.produced == []


def test_interrupt_then_resume_repeats_nothing(tmp_path):
    path = tmp_path / "calls.jsonl"
    interrupted = ScriptedGenerator(answer=echo, interrupt_after=3)
    with pytest.raises(KeyboardInterrupt):
        CachedGenerator(interrupted, CallCache(path)).generate(["a", "b", "c", "d"], 1, SP)
    assert len(path.read_text().splitlines()) == 3
    resumed = ScriptedGenerator(answer=echo)
    out = CachedGenerator(resumed, CallCache(path)).generate(["a", "b", "c", "d"], 1, SP)
    assert [p for p, _ in resumed.produced] == ["d"]
    assert [row[0].text for row in out] == ["a|5", "b|5", "c|5", "d|5"]


def test_errors_are_not_cached(tmp_path):
    class Failing:
        model_id = "m"

        def generate(self, prompts, n, sampling, on_complete=None):
            return [[Completion("", "error", error="HTTP 500")] for _ in prompts]

    cache = CallCache(tmp_path / "calls.jsonl")
    out = CachedGenerator(Failing(), cache).generate(["a"], 1, SP)
    assert out[0][0].finish_reason == "error" and len(cache) == 0
    assert (tmp_path / "calls.jsonl").read_text() == ""


def test_torn_last_line_is_repaired(tmp_path):
    path = tmp_path / "calls.jsonl"
    cache = CallCache(path)
    cache.put(call_key("m", "a", SP, 0), Completion("A", "stop"))
    cache.close()
    with path.open("a") as f:
        f.write('{"key": "abc", "completion": {"te')  # crash mid-write
    cache = CallCache(path)
    assert cache.repaired_tail and len(cache) == 1
    cache.put(call_key("m", "b", SP, 0), Completion("B", "stop"))
    cache.close()
    lines = path.read_text().splitlines()
    assert len(lines) == 2 and all(json.loads(line) for line in lines)


def test_corrupt_line_is_a_data_error(tmp_path):
    path = tmp_path / "calls.jsonl"
    path.write_text('{"key": "k", "completion": {"text": "x"}}\nnot json\n{"key": "k2", "completion": {"text": "y"}}\n')
    with pytest.raises(DataError, match=r"calls.jsonl, line 2: invalid JSON"):
        CallCache(path)


def test_http_calls_are_saved_as_they_finish(tmp_path):
    """A fatal error mid-batch (here an HTTP 400 arriving last) still leaves every call that
    finished before it in the cache; the rerun asks the server only for the missing one."""
    from recode_rl.generation import GenerationError
    from recode_rl.generation.openai_http import OpenAIGenerator
    from tests.generation.test_openai_http import FakeServer, ok_chat

    server = FakeServer()
    try:
        def answer(body):
            content = body["messages"][0]["content"]
            if content == "bad":
                return ("sleep", 0.5, ("json", 400, {"error": "context too long"}, {}))
            return ("json", 200, ok_chat("ok " + content), {})

        server.default = answer
        path = tmp_path / "calls.jsonl"
        gen = OpenAIGenerator("m", server.base_url, max_concurrency=4, backoff_base=0.01)
        with pytest.raises(GenerationError, match="HTTP 400"):
            CachedGenerator(gen, CallCache(path)).generate(["a", "b", "bad", "c"], 1, SP)
        assert len(path.read_text().splitlines()) == 3
        server.default = lambda body: ("json", 200, ok_chat("fixed " + body["messages"][0]["content"]), {})
        before = len(server.requests)
        out = CachedGenerator(gen, CallCache(path)).generate(["a", "b", "bad", "c"], 1, SP)
        assert [row[0].text for row in out] == ["ok a", "ok b", "fixed bad", "ok c"]
        assert len(server.requests) - before == 1
    finally:
        server.close()


def test_the_first_answer_for_a_key_wins_in_memory_on_disk_and_on_reload(tmp_path):
    path = tmp_path / "calls.jsonl"
    key = call_key("m", "a", SP, 0)
    cache = CallCache(path)
    assert cache.put(key, Completion("first", "stop")).text == "first"
    assert cache.put(key, Completion("second", "stop")).text == "first"   # never a second line
    cache.close()
    assert len(path.read_text().splitlines()) == 1
    # a file written by an older version with a duplicate key: the first line wins, as it did in that run
    with path.open("a") as f:
        f.write(json.dumps({"key": key, "completion": Completion("second", "stop").to_dict()}) + "\n")
    assert CallCache(path).get(key).text == "first"


def test_prompts_repeated_within_a_call_are_asked_once_and_share_the_answer(tmp_path):
    inner = ScriptedGenerator(answer=echo)
    seen = []
    out = CachedGenerator(inner, CallCache(tmp_path / "calls.jsonl")).generate(
        ["a", "b", "a"], 2, SP, on_complete=lambda i, row: seen.append(i))
    assert [p for p, _ in inner.produced] == ["a", "b", "a", "b"]   # per sample index: a and b once each
    assert [[c.text for c in row] for row in out] == [["a|5", "a|6"], ["b|5", "b|6"], ["a|5", "a|6"]]
    assert sorted(seen) == [0, 1, 2]
