"""The vLLM start-up probe (`HTTPScorer.check_vllm_activation`) against a fake vLLM on 127.0.0.1.

The fake emulates what a vLLM server returns from `/classify` (`probs`) and `/pooling` (`data`) for a
num_labels=1 reward model, by release (vLLM protocol read at vllm-project/vllm, see docs/integration.md):
    new        >= 0.11.2: `use_activation` false -> raw logit, else sigmoid(logit)
    old        <  0.11.2: unknown fields are ignored (OpenAIBaseModel extra="allow") -> always sigmoid
    softmax1   old releases that apply softmax to a one-label head -> always 1.0
    logits     an old server with activation off in its pooler config -> always the raw logit
    bad_proxy  honours the field, but the activated values are not the sigmoid of the raw ones
"""

from __future__ import annotations

import json
import math
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from recode_rl.rewards.scorer import HTTPScorer, ScorerError, activation_verdict


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def _logit(text: str) -> float:
    """A deterministic 'reward model': spreads inputs over roughly [-3, 3]."""
    return (sum(map(ord, text)) % 61) / 10 - 3


def _value(mode: str, body: dict, text: str) -> float:
    x = _logit(text)
    if mode == "new":
        return x if body.get("use_activation") is False else _sigmoid(x)
    if mode == "old":
        return _sigmoid(x)
    if mode == "softmax1":
        return 1.0
    if mode == "logits":
        return x
    return x if body.get("use_activation") is False else _sigmoid(x) / 2   # bad_proxy: true is not sigmoid(false)


class _FakeVLLM(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(body)
        key = "probs" if self.path.endswith("/classify") else "data"
        reply = {"object": "list", "data": [{"index": i, key: [_value(self.server.mode, body, text)], "num_classes": 1}
                                            for i, text in enumerate(body["input"])]}
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def vllm():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeVLLM)
    server.requests, server.mode = [], "new"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("path", ["/classify", "/pooling"])
def test_new_server_passes_the_probe_once(vllm, path):
    server, url = vllm
    client = HTTPScorer(url + path)
    scores = client.score(["A", "B"], ["ra", "rb"])
    assert scores == pytest.approx([_sigmoid(_logit(client.card.render(p, r))) for p, r in (("A", "ra"), ("B", "rb"))])
    # probe: the fixed inputs with use_activation false, then true; then the real batch
    assert [b["use_activation"] for b in server.requests] == [False, True, False]
    assert server.requests[0]["input"] == server.requests[1]["input"] and len(server.requests[0]["input"]) == 2
    assert all("activation" not in b for b in server.requests)   # the deprecated name is never sent
    client.score(["C"], ["rc"])
    assert len(server.requests) == 4   # probed once per client


@pytest.mark.parametrize("path", ["/classify", "/pooling"])
def test_old_server_fails_loudly_naming_url_and_fix(vllm, path):
    """Before the fix this returned sigmoid(sigmoid(x)) in 0.5-0.73 without an error."""
    server, url = vllm
    server.mode = "old"
    client = HTTPScorer(url + path)
    with pytest.raises(ScorerError, match=rf"{url}{path} ignores `use_activation: false`.*vllm>=0.11.2.*serve-scorer"):
        client.score(["A"], ["r"])
    assert len(server.requests) == 2   # only the probe: no batch was scored
    with pytest.raises(ScorerError, match="ignores"):   # and it stays an error on the next call
        client.score(["A"], ["r"])


@pytest.mark.parametrize("mode, message", [("softmax1", "ignores"), ("bad_proxy", "cannot confirm")])
def test_other_mismatches_fail(vllm, mode, message):
    server, url = vllm
    server.mode = mode
    with pytest.raises(ScorerError, match=message):
        HTTPScorer(url + "/classify").score(["A"], ["r"])


def test_server_that_always_returns_logits_is_accepted(vllm):
    server, url = vllm
    server.mode = "logits"
    client = HTTPScorer(url + "/classify")
    assert client.score(["A"], ["r"]) == pytest.approx([_sigmoid(_logit(client.card.render("A", "r")))])


def test_our_protocol_is_not_probed(vllm):
    server, url = vllm
    client = HTTPScorer(url + "/score")
    assert client.protocol == "recode" and client._probed


def test_activation_verdict():
    assert activation_verdict([2.0, -1.0], [_sigmoid(2.0), _sigmoid(-1.0)]) == "raw"
    assert activation_verdict([0.3, 0.9], [0.3, 0.9]) == "ignored"
    assert activation_verdict([-1.2, 0.9], [-1.2, 0.9]) == "always_raw"   # activation off server-side
    # one value at sigmoid's fixed point (x = sigmoid(x) ~ 0.659) is ambiguous; the other decides
    assert activation_verdict([0.659, 2.0], [_sigmoid(0.659), _sigmoid(2.0)]) == "raw"
    assert activation_verdict([0.659, 0.66], [0.659, 0.66]) == "ambiguous"
    assert activation_verdict([2.0, 0.3], [0.5, 0.1]) == "unexpected"
