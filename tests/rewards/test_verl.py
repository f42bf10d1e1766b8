"""veRL adapter, called exactly as veRL's reward loop calls it (veRL itself is not installed)."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import math
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from recode_rl.data.schema import Problem
from recode_rl.execution.types import TestSuite as Suite  # aliased: pytest would try to collect Test*
from recode_rl.errors import DataError
from recode_rl.prompts import policy_messages, problem_text
from recode_rl.rewards import verl_data
from recode_rl.rewards.scorer import make_server
from recode_rl.rewards.verl_data import write_verl_parquet

PREFIX = "from math import gcd"
ADD = Problem(task_id="add", prompt="Print a+b.", source="toy",
              tests=Suite(kind="stdio", inputs=("1 2\n", "2 2\n"), outputs=("3\n", "4\n")))
GCD = Problem(task_id="gcd", prompt="Implement g(a, b) returning gcd.", starter_code="def g(a, b):\n    pass",
              tests=Suite(kind="functional", inputs=([4, 6], [9, 3]), outputs=(2, 3), fn_name="g"),
              metadata={"program_prefix": PREFIX})


def ok(think: str, code: str) -> str:
    return f"<think>{think}</think><answer>\n```python\n{code}\n```\n</answer>"


RESPONSES = {
    "add": [ok("abcd", "print(sum(map(int, input().split())))"), ok("ab", "print(0)")],
    "gcd": [ok("abcdef", "def g(a, b):\n    return gcd(a, b)"), "no answer"],
}


@pytest.fixture(scope="module")
def parquet_rows(tmp_path_factory):
    import pyarrow.parquet as pq

    path = write_verl_parquet([ADD, GCD], tmp_path_factory.mktemp("verl") / "train.parquet")
    return pq.read_table(path).to_pylist()


def test_parquet_columns(parquet_rows):
    row = parquet_rows[1]
    assert set(row) == {"data_source", "prompt", "ability", "reward_model", "extra_info"}
    assert row["data_source"] == "recode" and parquet_rows[0]["data_source"] == "toy"
    assert row["ability"] == "code" and row["prompt"] == policy_messages(GCD)
    assert row["reward_model"]["style"] == "rule"
    assert Suite.from_dict(json.loads(row["reward_model"]["ground_truth"])) == GCD.tests
    assert row["extra_info"] == {"task_id": "gcd", "problem": problem_text(GCD), "program_prefix": PREFIX,
                                 "split": "train", "index": 1}


def _load_like_verl():
    """veRL's get_custom_reward_fn: import the module from its file path, take `compute_score`."""
    import recode_rl.rewards.verl_reward as mod

    spec = importlib.util.spec_from_file_location("custom_module", mod.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _reward_loop(compute_score, rows, reward_kwargs, router=None):
    """What veRL's reward-loop manager does per sample: sync fn in a thread pool, dict -> extra info."""

    async def run_single(row, response):
        extra_info = dict(row["extra_info"])
        extra_info.update(num_turns=None, rollout_reward_scores={})
        kwargs = {"data_source": row["data_source"], "solution_str": response,
                  "ground_truth": row["reward_model"]["ground_truth"], "extra_info": extra_info}
        if router is not None:
            kwargs.update(reward_router_address=router, reward_model_tokenizer=object(), model_name="crpl-rm")
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(None, lambda: compute_score(**kwargs, **reward_kwargs))
        assert isinstance(result, dict)
        return {"reward_score": result["score"], "reward_extra_info": dict(result)}

    async def run_all():
        tasks = [run_single(row, resp) for row in rows for resp in RESPONSES[row["extra_info"]["task_id"]]]
        return await asyncio.gather(*tasks)

    outputs = asyncio.run(run_all())
    keys = list(outputs[0]["reward_extra_info"])   # veRL takes the first sample's keys for all
    assert all(list(o["reward_extra_info"]) == keys for o in outputs)
    return outputs


@pytest.fixture
def our_scorer_url():
    class ThinkLength:
        name = "len"

        def score(self, problems, reasonings):
            return [len(r) / 10 for r in reasonings]

    server = make_server(ThinkLength(), "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/score"
    server.shutdown()
    server.server_close()


def test_compute_score_as_verl_calls_it(parquet_rows, our_scorer_url):
    module = _load_like_verl()
    scorer = {"kind": "http", "url": our_scorer_url}   # ScorerConfig settings, as reward_kwargs carry them
    out = _reward_loop(module.compute_score, parquet_rows, {"reward": "recode", "scorer": scorer, "timeout": 2})
    scores = [o["reward_score"] for o in out]
    # add: pass (1 + 1 + 0.4), wrong (1 + 0); gcd (prefix supplies gcd): pass (2 + 0.6), no code (0)
    assert scores == pytest.approx([2.4, 1.0, 2.6, 0.0])
    first = out[0]["reward_extra_info"]
    assert first["format"] == 1.0 and first["outcome"] == 1.0 and first["process"] == pytest.approx(0.4)
    assert first["gate_open"] == 1.0 and first["process_term"] == pytest.approx(0.4)
    wrong = out[1]["reward_extra_info"]
    assert math.isnan(wrong["process"]) and wrong["gate_open"] == 0.0 and wrong["pass_rate"] == 0.0
    assert out[3]["reward_extra_info"]["no_code"] == 1.0
    assert all(isinstance(v, float) for o in out for v in o["reward_extra_info"].values())


def test_scorer_from_env_json_and_errors(parquet_rows, our_scorer_url, monkeypatch):
    """env RECODE_SCORER holds the same settings as JSON; a bare string or a bad key is a ConfigError."""
    from recode_rl.config import ConfigError

    module = _load_like_verl()
    monkeypatch.setenv("RECODE_SCORER", json.dumps({"kind": "http", "url": our_scorer_url}))
    out = _reward_loop(module.compute_score, parquet_rows, {"reward": "recode", "timeout": 2})
    assert out[0]["reward_score"] == pytest.approx(2.4)
    monkeypatch.setenv("RECODE_SCORER", our_scorer_url)
    with pytest.raises(ConfigError, match="env RECODE_SCORER: not a JSON object"):
        module.resolve({})
    with pytest.raises(ConfigError, match=r"reward_kwargs.scorer.*\n.*url: .*required"):
        module.resolve({"scorer": {"kind": "http"}})
    with pytest.raises(ConfigError, match="timeout"):
        module.resolve({"scorer": {"kind": "none"}, "timeout": -1})


def test_compute_score_through_verl_reward_router(parquet_rows):
    """No scorer configured: the RM is reached through veRL's router address (vLLM /classify)."""
    seen = []

    class VLLM(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append((self.path, body))
            data = json.dumps({"data": [{"index": i, "probs": [0.0], "num_classes": 1}
                                        for i in range(len(body["input"]))]}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), VLLM)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        module = _load_like_verl()
        out = _reward_loop(module.compute_score, parquet_rows, {}, router=f"127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()
    # sigmoid(0) = 0.5 for both passing samples
    assert [o["reward_score"] for o in out] == pytest.approx([2.5, 1.0, 2.5, 0.0])
    assert len(seen) == 2 and all(path == "/classify" for path, _ in seen)
    assert all(body["model"] == "crpl-rm" and body["use_activation"] is False for _, body in seen)
    assert {body["input"][0] for _, body in seen} == {
        "### Problem\nPrint a+b.\n\n### Reasoning\nabcd",
        # the RM's problem text on every path: statement + starter code (prompts.problem_text)
        "### Problem\nImplement g(a, b) returning gcd.\n\nStarter code:\n```python\ndef g(a, b):\n    pass\n```"
        "\n\n### Reasoning\nabcdef"}


def test_compute_score_batch_and_kinds(parquet_rows):
    module = _load_like_verl()
    rows = [parquet_rows[0], parquet_rows[0], parquet_rows[1], parquet_rows[1]]
    responses = RESPONSES["add"] + RESPONSES["gcd"]
    out = module.compute_score_batch(
        data_sources=[r["data_source"] for r in rows], solution_strs=responses,
        ground_truths=[r["reward_model"]["ground_truth"] for r in rows],
        extra_infos=[r["extra_info"] for r in rows], reward="compiler")
    # fmt + C: pass +1, wrong answer -0.3, pass +1, no code -1
    assert [o["score"] for o in out] == pytest.approx([2.0, 0.7, 2.0, -1.0])
    assert [o["compiler"] for o in out] == pytest.approx([1.0, -0.3, 1.0, -1.0])
    out = module.compute_score(data_source="toy", solution_str=responses[0],
                               ground_truth=rows[0]["reward_model"]["ground_truth"], extra_info=rows[0]["extra_info"],
                               reward="outcome", reward_model_tokenizer=None, sampling_params={})
    assert out["score"] == 2.0 and "compiler" not in out


def test_bad_inputs_name_the_field(parquet_rows):
    module = _load_like_verl()
    row = parquet_rows[0]
    with pytest.raises(DataError, match="field 'reward_model.ground_truth'"):
        module.compute_score("toy", "x", "{not json", row["extra_info"], reward="outcome")
    with pytest.raises(DataError, match="field 'extra_info.problem'"):
        module.compute_score("toy", "x", row["reward_model"]["ground_truth"], {"task_id": "a"}, reward="outcome")
    from recode_rl.config import ConfigError

    with pytest.raises(ConfigError, match="reward_kwargs"):
        module.compute_score("toy", "x", row["reward_model"]["ground_truth"], row["extra_info"], reward="bogus")
    with pytest.raises(DataError, match="not a test suite"):
        module.compute_score("toy", "x", json.dumps({"kind": "stdio", "inputs": ["1"]}), row["extra_info"],
                             reward="outcome")


def test_verl_data_main(tmp_path):
    import pyarrow.parquet as pq

    src = tmp_path / "problems.jsonl"
    src.write_text("\n".join(json.dumps(p.to_dict()) for p in (ADD, GCD)) + "\n")
    out = tmp_path / "out" / "val.parquet"
    assert verl_data.main([str(src), str(out), "--split", "test"]) == 0
    rows = pq.read_table(out).to_pylist()
    assert [r["extra_info"]["split"] for r in rows] == ["test", "test"]


def test_math_rows_round_trip_through_the_answer(tmp_path):
    import pyarrow.parquet as pq

    half = Problem(task_id="half", prompt="Half of 1?", answer="\\frac{1}{2}", source="math500")
    row = pq.read_table(write_verl_parquet([half], tmp_path / "m.parquet")).to_pylist()[0]
    assert row["ability"] == "math" and json.loads(row["reward_model"]["ground_truth"]) == {"answer": "\\frac{1}{2}"}
    module = _load_like_verl()
    right = module.compute_score("math500", "<answer>\\boxed{0.5}</answer>", row["reward_model"]["ground_truth"],
                                 row["extra_info"], reward="math")
    wrong = module.compute_score("math500", "<answer>\\boxed{2}</answer>", row["reward_model"]["ground_truth"],
                                 row["extra_info"], reward="math")
    assert right["outcome"] == 1.0 and wrong["outcome"] == 0.0
    with pytest.raises(DataError, match="gold answer must be a non-empty string"):
        module.compute_score("math500", "x", json.dumps({"answer": " "}), row["extra_info"], reward="math")
