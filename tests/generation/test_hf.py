"""The transformers backend on a tiny in-process model, and the vLLM parameter mapping."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from recode_rl.generation import SamplingParams
from recode_rl.generation.vllm_offline import completion_from_vllm, vllm_sampling_kwargs

torch = pytest.importorskip("torch")
from tests.generation.tiny_lm import tiny_model, tiny_tokenizer  # noqa: E402

from recode_rl.generation.hf import HFGenerator  # noqa: E402


@pytest.fixture(scope="module")
def tiny():
    torch.set_num_threads(1)
    tok = tiny_tokenizer()
    return tiny_model(len(tok)), tok


def test_batched_left_padding_matches_unbatched(tiny):
    model, tok = tiny
    greedy = SamplingParams(temperature=0.0, max_new_tokens=6)
    batched = HFGenerator(model, tok, batch_size=3, model_id="tiny")
    single = HFGenerator(model, tok, batch_size=1, model_id="tiny")
    prompts = ["hi", "a much longer prompt", [{"role": "user", "content": "x"}]]
    seen = []
    out_b = batched.generate(prompts, 2, greedy, on_complete=lambda i, cs: seen.append(i))
    out_s = single.generate(prompts, 1, greedy)
    assert seen == [0, 1, 2]
    for b, s in zip(out_b, out_s):
        assert len(b) == 2 and b[0].text == b[1].text  # greedy: both samples identical
        assert b[0].text == s[0].text                  # left padding does not change the continuation
    # prompt token count = rendered chat text length (char-level tokenizer, no BOS added)
    assert out_b[0][0].prompt_tokens == len("<user>hi\n<assistant>")


def test_finish_reason_length_eos_and_stop(tiny):
    model, tok = tiny
    import torch.nn as nn

    bias_model = tiny_model(len(tok), seed=2)
    g = HFGenerator(bias_model, tok, batch_size=2)
    # Zero the LM head weights and steer the argmax with a bias: token 2 (</s>) first.
    with torch.no_grad():
        bias_model.lm_head.weight.zero_()
    try:
        bias_model.lm_head.bias = nn.Parameter(torch.zeros(len(tok)))
        with torch.no_grad():
            bias_model.lm_head.bias[2] = 10.0
        eos = g.generate(["hello"], 1, SamplingParams(temperature=0.0, max_new_tokens=5))[0][0]
        assert (eos.text, eos.finish_reason, eos.completion_tokens) == ("", "stop", 1)
        with torch.no_grad():
            bias_model.lm_head.bias[2] = 0.0
            bias_model.lm_head.bias[tok.convert_tokens_to_ids("z")] = 10.0
        stop = g.generate(["q"], 1, SamplingParams(temperature=0.0, max_new_tokens=4, stop=("zz",)))[0][0]
        assert (stop.text, stop.finish_reason, stop.completion_tokens) == ("", "stop", 4)
        plain = g.generate(["q"], 1, SamplingParams(temperature=0.0, max_new_tokens=4))[0][0]
        assert (plain.text, plain.finish_reason) == ("zzzz", "length")
    finally:
        bias_model.lm_head.bias = None


def test_sampling_seed_reproducible(tiny):
    model, tok = tiny
    g = HFGenerator(tiny_model(len(tok), seed=1), tok, batch_size=2)
    sp = SamplingParams(temperature=1.0, max_new_tokens=8, seed=7)
    a = g.generate(["p", "q"], 2, sp)
    b = g.generate(["p", "q"], 2, sp)
    assert [[c.text for c in cs] for cs in a] == [[c.text for c in cs] for cs in b]


def test_vllm_sampling_mapping():
    sp = SamplingParams(temperature=0.6, top_p=0.95, max_new_tokens=300, seed=3, stop=("###",))
    assert vllm_sampling_kwargs(sp, 4) == {"n": 4, "temperature": 0.6, "top_p": 0.95, "max_tokens": 300,
                                           "seed": 3, "stop": ["###"]}
    # greedy: top_p neutralised, no seed / stop keys when unset
    assert vllm_sampling_kwargs(SamplingParams(temperature=0.0, top_p=0.5, max_new_tokens=9), 1) == {
        "n": 1, "temperature": 0.0, "top_p": 1.0, "max_tokens": 9}
    out = SimpleNamespace(text="t", finish_reason="abort", token_ids=[5, 6, 7])
    c = completion_from_vllm(out, 11)
    assert (c.text, c.finish_reason, c.prompt_tokens, c.completion_tokens) == ("t", "unknown", 11, 3)


def test_lazy_generator_builds_on_first_call(monkeypatch):
    import recode_rl.generation.config as gc

    built = []

    class Fake:
        model_id = "m#completions"

        def generate(self, prompts, n, sampling, on_complete=None):
            return [["x"] * n for _ in prompts]

    monkeypatch.setattr(gc, "build_generator", lambda cfg: built.append(cfg) or Fake())
    cfg = gc.GeneratorConfig(backend="openai", model="m", endpoint="completions")
    lazy = gc.LazyGenerator(cfg)
    assert lazy.model_id == "m#completions" and not lazy.built and built == []
    assert lazy.generate(["a"], 2, SamplingParams()) == [["x", "x"]]
    lazy.generate(["b"], 1, SamplingParams())
    assert len(built) == 1 and lazy.built
    assert gc.expected_model_id(gc.GeneratorConfig(backend="hf", model="embedded:smollm2")) == "embedded:smollm2"
