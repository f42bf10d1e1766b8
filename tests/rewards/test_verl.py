"""veRL adapter and recipe, called and checked the way veRL uses them (veRL itself is not installed).

Read at volcengine/verl b178a3cd56f58b2d502255daba591e92833930a7:
- reward loop (training): verl/experimental/reward_loop/reward_manager/naive.py `run_single`
- legacy naive manager (validation, `val_reward_fn`): verl/workers/reward_manager/naive.py
- legacy batch manager: verl/workers/reward_manager/batch.py
- reward_kwargs merged into every call: verl/trainer/ppo/reward.py `get_custom_reward_fn`
- validation: verl/trainer/ppo/ray_trainer.py `_validate` (asserts every extra-info list is full)
- config keys: tests/rewards/fixtures/verl_ppo_trainer_keys.txt (from _generated_ppo_trainer.yaml)
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import math
import re
import threading
import warnings
from collections import defaultdict
from collections.abc import Mapping
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from recode_rl.config import ConfigError
from recode_rl.data.schema import Problem
from recode_rl.execution.types import TestSuite as Suite  # aliased: pytest would try to collect Test*
from recode_rl.errors import DataError
from recode_rl.prompts import policy_messages, problem_text
from recode_rl.rewards import verl_data
from recode_rl.rewards.scorer import make_server
from recode_rl.rewards.verl_data import write_verl_parquet

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "recipes" / "verl" / "recode_grpo.yaml"
RUN_SCRIPT = ROOT / "recipes" / "verl" / "run_recode_grpo.sh"
VERL_KEYS = Path(__file__).parent / "fixtures" / "verl_ppo_trainer_keys.txt"
# registered names at b178a3cd: verl/experimental/reward_loop/reward_manager/__init__.py (+ limited.py,
# remote.py) and verl/workers/reward_manager/__init__.py (+ limited.py registering both)
REWARD_LOOP_MANAGERS = {"naive", "dapo", "rate_limited", "remote"}
LEGACY_MANAGERS = {"naive", "batch", "dapo", "prime", "rate_limited"}

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


def _call_with_kwargs(raw_fn, extra_kwargs, *args, **kwargs):
    """veRL's verl/trainer/ppo/reward.py: custom_reward_function.reward_kwargs win over call kwargs."""
    return raw_fn(*args, **{**kwargs, **extra_kwargs})


def _legacy_naive(compute_score, rows, responses, reward_kwargs):
    """veRL's legacy NaiveRewardManager as `_validate` uses it: one synchronous call per sample, never a
    router; extra info collected per key, and `_validate` asserts every list is as long as the scores."""
    fn = partial(_call_with_kwargs, compute_score, reward_kwargs)
    scores, extra = [], defaultdict(list)
    for row, response in zip(rows, responses):
        extra_info = dict(row["extra_info"])
        extra_info.update(num_turns=None, rollout_reward_scores={})
        result = fn(data_source=row["data_source"], solution_str=response,
                    ground_truth=row["reward_model"]["ground_truth"], extra_info=extra_info)
        scores.append(result["score"] if isinstance(result, dict) else result)
        for key, value in (result.items() if isinstance(result, dict) else ()):
            extra[key].append(value)
    assert all(len(v) == len(scores) for v in extra.values())
    return scores, dict(extra)


def _legacy_batch(compute_score_batch, rows, responses, reward_kwargs, manager_kwargs=None):
    """veRL's legacy BatchRewardManager.verify: numpy data sources, manager kwargs passed through."""
    import numpy as np

    fn = partial(_call_with_kwargs, compute_score_batch, reward_kwargs)
    extras = [dict(r["extra_info"], rollout_reward_scores={}) for r in rows]
    return fn(data_sources=np.array([r["data_source"] for r in rows], dtype=object), solution_strs=responses,
              ground_truths=[r["reward_model"]["ground_truth"] for r in rows], extra_infos=extras,
              **(manager_kwargs or {}))


def _reward_loop(compute_score, rows, reward_kwargs, router=None):
    """What veRL's reward-loop manager does per sample: sync fn in a thread pool, dict -> extra info."""

    async def run_single(row, response):
        extra_info = dict(row["extra_info"])
        extra_info.update(num_turns=None, rollout_reward_scores={})
        kwargs = {"data_source": row["data_source"], "solution_str": response,
                  "ground_truth": row["reward_model"]["ground_truth"], "extra_info": extra_info}
        if router is not None:   # exactly these two, only when veRL runs a reward model
            kwargs.update(reward_router_address=router, reward_model_tokenizer=object())
        loop = asyncio.get_running_loop()
        fn = partial(_call_with_kwargs, compute_score, reward_kwargs)   # get_custom_reward_fn's wrapper
        result = await loop.run_in_executor(None, lambda: fn(**kwargs))
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


class _VLLM(BaseHTTPRequestHandler):
    """vLLM >= 0.11.2 /classify for a one-label model whose logit is 0: raw 0.0, or sigmoid 0.5."""

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.seen.append((self.path, body))
        logit = self.server.logit
        value = logit if body.get("use_activation") is False else 1 / (1 + math.exp(-logit))
        data = json.dumps({"data": [{"index": i, "probs": [value], "num_classes": 1}
                                    for i in range(len(body["input"]))]}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *a):
        pass


@pytest.fixture
def vllm_router():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _VLLM)
    server.seen, server.logit = [], 0.0
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_compute_score_through_verl_reward_router(parquet_rows, vllm_router):
    """No scorer configured: the RM is reached through veRL's router address (vLLM /classify)."""
    module = _load_like_verl()
    out = _reward_loop(module.compute_score, parquet_rows, {}, router=f"127.0.0.1:{vllm_router.server_address[1]}")
    # sigmoid(0) = 0.5 for both passing samples
    assert [o["reward_score"] for o in out] == pytest.approx([2.5, 1.0, 2.5, 0.0])
    seen = vllm_router.seen
    probe, scored = seen[:2], seen[2:]   # the start-up probe (use_activation false, true), then the samples
    assert [b["use_activation"] for _, b in probe] == [False, True]
    assert len(scored) == 2 and all(path == "/classify" for path, _ in seen)
    assert all("model" not in body and body["use_activation"] is False for _, body in scored)
    assert {body["input"][0] for _, body in scored} == {
        "### Problem\nPrint a+b.\n\n### Reasoning\nabcd",
        # the RM's problem text on every path: statement + starter code (prompts.problem_text)
        "### Problem\nImplement g(a, b) returning gcd.\n\nStarter code:\n```python\ndef g(a, b):\n    pass\n```"
        "\n\n### Reasoning\nabcdef"}
    assert all(o["reward_extra_info"]["process_withheld"] == 0.0 for o in out)


def test_val_before_train_without_router_reports_outcome(parquet_rows, tmp_path):
    """veRL's first validation: the recipe's reward_kwargs, the legacy naive manager, no router. It
    crashed ('needs a process scorer'); now it scores format + outcome and marks the process term."""
    import pyarrow.parquet as pq

    rows = pq.read_table(write_verl_parquet([ADD, GCD], tmp_path / "val.parquet", split="test")).to_pylist()
    module = _load_like_verl()
    kwargs = dict(yaml.safe_load(RECIPE.read_text())["custom_reward_function"]["reward_kwargs"], timeout=2)
    rows4 = [rows[0], rows[0], rows[1], rows[1]]
    responses = RESPONSES["add"] + RESPONSES["gcd"]
    with pytest.warns(RuntimeWarning, match="format \\+ outcome only"):
        scores, extra = _legacy_naive(module.compute_score, rows4, responses, kwargs)
    assert scores == pytest.approx([2.0, 1.0, 2.0, 0.0])            # fmt + out, no process term
    assert extra["acc"] == [1.0, 0.0, 1.0, 0.0]                      # veRL's core val metric = pass@1
    assert extra["process_withheld"] == [1.0, 0.0, 1.0, 0.0]        # only where the gate was open
    assert all(math.isnan(p) for p in extra["process"]) and extra["process_term"] == [0.0] * 4
    # the same call for a training sample is an error naming the settings to change
    with pytest.raises(ConfigError, match=r"training sample \(extra_info.split .train. or missing\) "
                                          r"without `reward_router_address`.*reward_kwargs.scorer"):
        _legacy_naive(module.compute_score, parquet_rows[:1], RESPONSES["add"][:1], kwargs)
    no_split = dict(rows[0], extra_info={k: v for k, v in rows[0]["extra_info"].items() if k != "split"})
    with pytest.raises(ConfigError, match="split 'train' or missing"):
        _legacy_naive(module.compute_score, [no_split], RESPONSES["add"][:1], kwargs)
    # outcome-only kinds never needed a scorer: nothing withheld
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores, extra = _legacy_naive(module.compute_score, rows4, responses, dict(kwargs, reward="outcome"))
    assert scores == pytest.approx([2.0, 1.0, 2.0, 0.0]) and extra["process_withheld"] == [0.0] * 4


class _DictConfig(Mapping):
    """Stands in for OmegaConf's DictConfig: a Mapping, not a dict (how veRL passes nested reward_kwargs)."""

    def __init__(self, data):
        self._data = data

    def __getitem__(self, key):
        return self._data[key]

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)


def test_validation_with_a_scorer_scores_reasoning(tmp_path, our_scorer_url):
    """Option B: reward_kwargs.scorer reaches a scorer server without the router, in validation too."""
    import pyarrow.parquet as pq

    rows = pq.read_table(write_verl_parquet([ADD, GCD], tmp_path / "val.parquet", split="test")).to_pylist()
    module = _load_like_verl()
    kwargs = {"reward": "recode", "timeout": 2, "scorer": _DictConfig({"kind": "http", "url": our_scorer_url})}
    rows4 = [rows[0], rows[0], rows[1], rows[1]]
    responses = RESPONSES["add"] + RESPONSES["gcd"]
    scores, extra = _legacy_naive(module.compute_score, rows4, responses, kwargs)
    assert scores == pytest.approx([2.4, 1.0, 2.6, 0.0]) and extra["process_withheld"] == [0.0] * 4
    out = _legacy_batch(module.compute_score_batch, rows4, responses, kwargs)
    assert [o["score"] for o in out] == pytest.approx([2.4, 1.0, 2.6, 0.0])


def test_compute_score_batch_and_kinds(parquet_rows):
    module = _load_like_verl()
    rows = [parquet_rows[0], parquet_rows[0], parquet_rows[1], parquet_rows[1]]
    responses = RESPONSES["add"] + RESPONSES["gcd"]
    out = _legacy_batch(module.compute_score_batch, rows, responses, {"reward": "compiler"})
    # fmt + C: pass +1, wrong answer -0.3, pass +1, no code -1
    assert [o["score"] for o in out] == pytest.approx([2.0, 0.7, 2.0, -1.0])
    assert [o["compiler"] for o in out] == pytest.approx([1.0, -0.3, 1.0, -1.0])
    out = module.compute_score(data_source="toy", solution_str=responses[0],
                               ground_truth=rows[0]["reward_model"]["ground_truth"], extra_info=rows[0]["extra_info"],
                               reward="outcome", reward_model_tokenizer=None, sampling_params={})
    # veRL's prime manager calls positionally: (data_source, solution_str, ground_truth, extra_info)
    assert module.compute_score("toy", responses[0], rows[0]["reward_model"]["ground_truth"], rows[0]["extra_info"],
                                reward="outcome")["score"] == 2.0
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


# ----------------------------------------------------------------------------------------
# The recipe against veRL's config schema

def _recipe() -> dict:
    return yaml.safe_load(RECIPE.read_text())


def _paths(d: dict, prefix: str = ""):
    for key, value in d.items():
        path = f"{prefix}{key}"
        yield path
        if isinstance(value, dict):
            yield from _paths(value, path + ".")


def _verl_keys() -> set[str]:
    return {line.strip() for line in VERL_KEYS.read_text().splitlines() if line.strip() and not line.startswith("#")}


def _ours(path: str) -> bool:
    # get_custom_reward_fn reads custom_reward_function.reward_kwargs and passes it to our function
    return path.startswith("custom_reward_function.reward_kwargs")


def test_recipe_keys_exist_in_verl_config():
    recipe = _recipe()
    assert recipe["defaults"] == ["ppo_trainer", "_self_"]
    keys = _verl_keys()
    body = {k: v for k, v in recipe.items() if k not in ("hydra", "defaults")}
    missing = [p for p in _paths(body) if p not in keys and not _ours(p)]
    assert not missing, f"not in veRL's ppo_trainer config (b178a3cd): {missing}"


def test_run_script_overrides_exist_in_verl_config():
    text = RUN_SCRIPT.read_text()
    overrides = set(re.findall(r"(?<![\w.+-])([a-z_]+(?:\.[a-z_]+)+)=", text))
    assert {"reward_model.model.path", "reward_model.enable",
            "custom_reward_function.reward_kwargs.scorer"} <= overrides
    recipe_paths = set(_paths({k: v for k, v in _recipe().items() if k not in ("hydra", "defaults")}))
    # without `+`, Hydra only overrides keys that exist: in veRL's config or added by the recipe
    missing = sorted(k for k in overrides if k not in _verl_keys() and k not in recipe_paths)
    assert not missing, missing


def test_recipe_reward_manager_and_function():
    recipe = _recipe()
    rm = recipe["reward_model"]
    assert rm["use_reward_loop"] is True
    # training goes through the reward loop's registry, validation through the legacy one
    assert rm["reward_manager"] in REWARD_LOOP_MANAGERS & LEGACY_MANAGERS
    fn = recipe["custom_reward_function"]
    module = _load_like_verl()
    assert (ROOT / fn["path"]).resolve() == Path(module.__file__).resolve() and callable(getattr(module, fn["name"]))
    cfg, scorer, limits = module.resolve(dict(fn["reward_kwargs"]))   # every reward_kwarg is understood
    assert cfg.kind == "recode" and limits.timeout == 6 and not scorer.enabled


def test_recipe_reward_model_fits_its_vllm_share():
    """The RM's vLLM budget must hold the 7B weights, runtime buffers and a KV cache for many sequences
    (0.15 of 80 GB = 12 GB did not even hold the weights)."""
    rollout = _recipe()["reward_model"]["rollout"]
    policy_share = _recipe()["actor_rollout_ref"]["rollout"]["gpu_memory_utilization"]
    # Qwen2.5-Coder-7B (config.json): hidden 3584, intermediate 18944, 28 layers, 28 heads, 4 KV heads,
    # vocab 152064; as a one-label classifier it has no lm_head
    hidden, inter, layers, kv_heads, head_dim, vocab = 3584, 18944, 28, 4, 128, 152064
    attn = 2 * hidden * hidden + 2 * hidden * kv_heads * head_dim + hidden + 2 * kv_heads * head_dim
    params = vocab * hidden + layers * (attn + 3 * hidden * inter + 2 * hidden) + hidden
    assert params == pytest.approx(7.07e9, rel=0.01)
    weights = 2 * params                                             # bf16
    kv_per_token = 2 * layers * kv_heads * head_dim * 2              # K and V, bf16
    runtime = 1.5e9                                                  # activations at 8192 tokens + buffers
    budget = rollout["gpu_memory_utilization"] * 80e9
    sequence = rollout["max_model_len"] * kv_per_token
    assert rollout["max_model_len"] >= yaml.safe_load((ROOT / "configs/train-rm/paper.yaml").read_text())[
        "model"]["max_length"]                                       # the card's inputs fit
    assert (budget - weights - runtime) / sequence >= 8              # at least 8 full sequences in flight
    assert rollout["gpu_memory_utilization"] + policy_share <= 0.9
    assert rollout["tensor_model_parallel_size"] == 1
