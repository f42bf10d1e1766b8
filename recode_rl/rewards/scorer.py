"""Process scorers: (problem, reasoning) pairs -> reasoning-quality scores in [0, 1].

A process scorer (`ProcessScorer`) is anything with `score(problems, reasonings) -> list[float]`,
batched, each score in [0, 1]. For a CRPL reward model that is `sigmoid(s(x, a))` of the
Bradley-Terry head: the paper trains with the BT loss and shows R_proc saturating near 1.0 (Fig. 3d)
but does not state the mapping; the sigmoid is our choice (a scoring card can say otherwise). Build one from a `ScorerConfig` with
`recode_rl.rewards.config.build_scorer`. Backends:

- `RewardModel` (`recode_rl.reward_model.scoring`, kind `hf`): a local sequence-classification
               folder (`num_labels=1`) read with its scoring card; CPU or GPU, sorted by length.
- `HTTPScorer` (kind `http`) a remote scorer. The URL path picks the protocol:
               `.../classify`  vLLM's Classification API (`vllm serve RM --runner pooling`);
               `.../pooling`   vLLM's Pooling API with `task="classify"`;
               anything else   our JSON protocol (below), e.g. `recode serve-scorer`.
               For vLLM we render the text client-side with the scoring card's template, ask
               for the raw head output (`use_activation: false`, vLLM >= 0.11.2) and apply the
               sigmoid here, so local and remote scores agree. Older servers ignore the field
               and return probabilities (a second sigmoid would squeeze every score into
               0.5-0.73), so before its first batch the client probes the server
               (`check_vllm_activation`) and raises `ScorerError` unless it honours the field.
               vLLM's `/score` endpoint is not
               supported: it encodes a *pair* with the model's cross-encoder template, which
               is not the template the reward model was trained on.
- `NoScorer`   (kind `none`) outcome-only training; `enabled` is False and calling it is an error.

Our JSON protocol (one request scores a batch; `make_server` serves any scorer with it):
    POST <url>   {"problems": ["...", ...], "reasonings": ["...", ...]}
    200          {"scores": [0.73, ...]}          one float in [0, 1] per pair, in order
    4xx/5xx      {"error": "message"}
`GET /health` answers {"status": "ok", "scorer": "<name>"}.

For vLLM the client has no tokenizer: we send `truncate_prompt_tokens=max_length` with
`truncation_side` "right" for the `right` policy and "left" otherwise (an approximation of the
`reasoning_*` policies that always keeps the end of the reasoning). The card is the reward model's
own (`rewards.config.http_card`: `scorer.card`, or the served model's folder); `DEFAULT_CARD` only
when none is known. The problem text is `prompts.problem_text` on every path (see pipeline.py).

Nothing heavy is imported at module level.
"""

from __future__ import annotations

import json
import math
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, Sequence, runtime_checkable

from recode_rl.reward_model.scoring import DEFAULT_CARD, ScoringCard, sigmoid

__all__ = ["ProcessScorer", "ScorerError", "HTTPScorer", "NoScorer", "make_server", "serve", "check_scores",
           "activation_verdict"]


class ScorerError(RuntimeError):
    """A process scorer failed (model error, unreachable server, malformed reply)."""


@runtime_checkable
class ProcessScorer(Protocol):
    """Maps (problem, reasoning) pairs to scores in [0, 1]; one call scores a whole batch."""

    def score(self, problems: list[str], reasonings: list[str]) -> list[float]: ...


def check_scores(scores: Any, n: int, source: str) -> list[float]:
    """Validate a scorer's output: a list of `n` finite floats in [0, 1]. Raises ScorerError."""
    if not isinstance(scores, (list, tuple)):
        raise ScorerError(f"{source}: expected a list of {n} scores, got {type(scores).__name__}")
    if len(scores) != n:
        raise ScorerError(f"{source}: expected {n} scores, got {len(scores)}")
    out: list[float] = []
    for i, s in enumerate(scores):
        if isinstance(s, bool) or not isinstance(s, (int, float)) or not math.isfinite(s) or not 0.0 <= s <= 1.0:
            raise ScorerError(f"{source}: score {i} is {s!r}, expected a finite number in [0, 1]")
        out.append(float(s))
    return out


def _check_inputs(problems: Sequence[str], reasonings: Sequence[str]) -> None:
    if len(problems) != len(reasonings):
        raise ValueError(f"score(): {len(problems)} problems but {len(reasonings)} reasonings")


# Two fixed (problem, reasoning) pairs for the vLLM start-up probe: two inputs, because one input
# whose logit sits near sigmoid's fixed point (x = sigmoid(x) at x ~ 0.659) cannot tell raw from activated.
_PROBE = (("Print the sum of two integers.", "Read both numbers, add them and print the sum."),
          ("Return the n-th Fibonacci number.", "Loop n times keeping the last two values; a list is not needed."))
_PROBE_TOL = 0.02   # on the probability scale; covers bf16 batch-to-batch noise between the two requests


def activation_verdict(raw: Sequence[float], activated: Sequence[float], tol: float = _PROBE_TOL) -> str:
    """Classify a vLLM server from the same inputs sent with `use_activation` false (`raw`) and true.

    "raw"        the server honours the field: activated = sigmoid(raw), and not = raw somewhere
    "always_raw" it ignores the field but returns logits anyway (values outside [0, 1]; e.g. an old
                 server started with activation off in its pooler config): usable as is
    "ignored"    the server ignores it (vLLM < 0.11.2): both replies equal (probabilities)
    "ambiguous"  every value sits at sigmoid's fixed point: both explanations fit
    "unexpected" neither fits (e.g. a softmax head, a proxy rewriting replies)
    """
    fits_raw = [abs(a - sigmoid(r)) <= tol for r, a in zip(raw, activated)]
    fits_ignored = [abs(a - r) <= tol for r, a in zip(raw, activated)]
    if all(fits_raw) and all(fits_ignored):
        return "ambiguous"
    if all(fits_raw):
        return "raw"
    if all(fits_ignored):
        return "always_raw" if any(not 0.0 <= r <= 1.0 for r in raw) else "ignored"
    return "unexpected"


# ----------------------------------------------------------------------------------------
# Backends

class NoScorer:
    """Outcome-only: there is no process scorer. `enabled` is False; scoring is an error."""

    name = "none"
    enabled = False

    def score(self, problems: list[str], reasonings: list[str]) -> list[float]:
        if not problems:
            return []
        raise ScorerError("no process scorer configured (scorer.kind: none) but a reward asked for a process score")


class HTTPScorer:
    """A remote scorer: our JSON protocol, or vLLM's `/classify` / `/pooling` (see module doc)."""

    enabled = True

    def __init__(self, url: str, *, model: str | None = None, timeout: float = 60.0, retries: int = 3,
                 backoff: float = 0.5, batch_size: int = 64, card: ScoringCard | None = None,
                 headers: dict[str, str] | None = None) -> None:
        import httpx

        self.url = url.rstrip("/")
        path = httpx.URL(self.url).path.rstrip("/")
        self.protocol = ("vllm-classify" if path.endswith("/classify")
                         else "vllm-pooling" if path.endswith("/pooling") else "recode")
        self.name = f"scorer {self.url}"
        self.model = model
        self.retries = retries
        self.backoff = backoff
        self.batch_size = batch_size
        self.card = card or DEFAULT_CARD
        self._client = httpx.Client(timeout=timeout, headers=headers)
        self._probed = self.protocol == "recode"   # only vLLM servers are probed
        self._probe_lock = threading.Lock()

    def close(self) -> None:
        self._client.close()

    def _payload(self, problems: list[str], reasonings: list[str], activation: bool = False) -> dict[str, Any]:
        if self.protocol == "recode":
            return {"problems": problems, "reasonings": reasonings}
        # Only `use_activation`: the deprecated `activation` is read as True whenever present by some
        # vLLM releases (`if activation := getattr(o, "activation", None) is not None` binds the bool).
        payload: dict[str, Any] = {
            "input": [self.card.render(p, r) for p, r in zip(problems, reasonings)],
            "use_activation": activation,
            "truncate_prompt_tokens": self.card.max_length,
            "truncation_side": "right" if self.card.truncation == "right" else "left",
        }
        if self.model:
            payload["model"] = self.model
        if self.protocol == "vllm-pooling":
            payload["task"] = "classify"
        return payload

    def _post(self, payload: dict[str, Any]) -> Any:
        import httpx

        last: str = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                resp = self._client.post(self.url, json=payload)
            except httpx.TimeoutException as exc:
                last = f"timed out ({type(exc).__name__})"
                continue
            except httpx.TransportError as exc:
                last = f"connection failed: {exc}"
                continue
            if resp.status_code >= 500 or resp.status_code == 429:  # server trouble / rate limited
                last = f"HTTP {resp.status_code}: {resp.text[:300]}"
                continue
            if resp.status_code >= 400:  # the request itself is wrong: retrying cannot help
                raise ScorerError(f"{self.name}: HTTP {resp.status_code}: {resp.text[:500]}")
            try:
                return resp.json()
            except ValueError:
                raise ScorerError(f"{self.name}: reply is not JSON: {resp.text[:200]!r}") from None
        raise ScorerError(f"{self.name}: gave up after {self.retries + 1} attempts; last error: {last}")

    def _parse(self, body: Any, n: int) -> list[float]:
        if self.protocol == "recode":
            if not isinstance(body, dict) or "scores" not in body:
                raise ScorerError(f"{self.name}: reply has no 'scores' field: {str(body)[:200]}")
            return check_scores(body["scores"], n, self.name)
        return check_scores([sigmoid(x) for x in self._head_outputs(body, n)], n, self.name)

    def _head_outputs(self, body: Any, n: int) -> list[float]:
        """vLLM reply -> one head output per input, in input order."""
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list) or len(data) != n:
            raise ScorerError(f"{self.name}: expected 'data' with {n} items: {str(body)[:200]}")
        data = sorted(data, key=lambda d: d.get("index", 0) if isinstance(d, dict) else 0)
        raw: list[float] = []
        for item in data:
            if not isinstance(item, dict):
                raise ScorerError(f"{self.name}: 'data' items must be objects, got {str(item)[:100]}")
            value = item.get("probs") if self.protocol == "vllm-classify" else item.get("data")
            # token-level outputs (list of rows) -> the last token's row
            if isinstance(value, list) and value and isinstance(value[-1], list):
                value = value[-1]
            if not isinstance(value, list) or len(value) != 1:
                raise ScorerError(f"{self.name}: expected one head output per input (num_labels=1), got {str(value)[:100]}")
            if isinstance(value[0], bool) or not isinstance(value[0], (int, float)) or not math.isfinite(value[0]):
                raise ScorerError(f"{self.name}: head output {value[0]!r} is not a finite number")
            raw.append(float(value[0]))
        return raw

    def check_vllm_activation(self) -> None:
        """Probe a vLLM server once: the same fixed inputs with `use_activation` false and true.

        A server that honours the field returns raw logits for false and their sigmoid for true;
        one that predates it (vLLM < 0.11.2) returns the same probabilities twice. Anything but the
        first raises `ScorerError` naming the URL and the fix, before a single training score is
        computed from a doubly-squashed value."""
        problems, reasonings = [p for p, _ in _PROBE], [r for _, r in _PROBE]
        n = len(problems)
        raw = self._head_outputs(self._post(self._payload(problems, reasonings, activation=False)), n)
        act = self._head_outputs(self._post(self._payload(problems, reasonings, activation=True)), n)
        verdict = activation_verdict(raw, act)
        if verdict in ("raw", "always_raw"):
            return
        seen = f"use_activation=false gave {[round(x, 4) for x in raw]}, true gave {[round(x, 4) for x in act]}"
        if verdict == "ignored":
            raise ScorerError(
                f"{self.url} ignores `use_activation: false` ({seen}): it returns probabilities, and the "
                "sigmoid applied here would squeeze every process score into 0.5-0.73. The field exists from "
                "vLLM 0.11.2: upgrade the server (pip install 'vllm>=0.11.2'), or serve the reward model with "
                "`recode serve-scorer --scorer-path RM` and set scorer.url to its /score.")
        raise ScorerError(
            f"{self.url}: cannot confirm that the server returns the raw reward-model logit ({verdict}: {seen}; "
            "expected true = sigmoid(false)). Check that it serves a num_labels=1 sequence-classification "
            "model with `--runner pooling` and no proxy rewrites replies, or use `recode serve-scorer`.")

    def check(self) -> None:
        """Fail now, not at the first passing sample hours into a run: score the fixed probe pair once
        (our protocol) or run the activation probe (vLLM). Raises ScorerError naming the URL."""
        if self.protocol == "recode":
            problems, reasonings = [p for p, _ in _PROBE], [r for _, r in _PROBE]
            self._parse(self._post(self._payload(problems, reasonings)), len(problems))
        else:
            self._ensure_probed()

    def _ensure_probed(self) -> None:
        if self._probed:
            return
        with self._probe_lock:     # veRL calls one scorer from many threads: probe once
            if not self._probed:
                self.check_vllm_activation()
                self._probed = True

    def score(self, problems: list[str], reasonings: list[str]) -> list[float]:
        _check_inputs(problems, reasonings)
        if problems:
            self._ensure_probed()
        out: list[float] = []
        for start in range(0, len(problems), self.batch_size):
            p, r = problems[start:start + self.batch_size], reasonings[start:start + self.batch_size]
            out.extend(self._parse(self._post(self._payload(p, r)), len(p)))
        return out


# ----------------------------------------------------------------------------------------
# Serving any scorer with our JSON protocol

def make_server(scorer: ProcessScorer, host: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    """A ThreadingHTTPServer serving `scorer` with our protocol (not started: call serve_forever)."""
    name = getattr(scorer, "name", type(scorer).__name__)

    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            if self.path.rstrip("/") == "/health":
                self._send(200, {"status": "ok", "scorer": name})
            else:
                self._send(404, {"error": f"unknown path {self.path}; POST scores, GET /health"})

        def do_POST(self) -> None:  # noqa: N802
            try:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"null")
            except (ValueError, json.JSONDecodeError) as exc:
                return self._send(400, {"error": f"request body is not JSON: {exc}"})
            if not isinstance(body, dict):
                return self._send(400, {"error": "request must be an object with 'problems' and 'reasonings'"})
            problems, reasonings = body.get("problems"), body.get("reasonings")
            for key, value in (("problems", problems), ("reasonings", reasonings)):
                if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
                    return self._send(400, {"error": f"'{key}' must be a list of strings"})
            if len(problems) != len(reasonings):
                return self._send(400, {"error": f"{len(problems)} problems but {len(reasonings)} reasonings"})
            try:
                scores = check_scores(scorer.score(problems, reasonings), len(problems), name)
            except Exception as exc:  # reported to the client as a server error, never a fake score
                return self._send(500, {"error": f"{type(exc).__name__}: {exc}"})
            self._send(200, {"scores": scores})

        def log_message(self, format: str, *args: Any) -> None:  # keep test and training logs quiet
            pass

    return ThreadingHTTPServer((host, port), Handler)


def serve(scorer: ProcessScorer, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve `scorer` over HTTP with our JSON protocol until interrupted."""
    server = make_server(scorer, host, port)
    print(f"serving process scorer {getattr(scorer, 'name', type(scorer).__name__)} "
          f"on http://{host}:{server.server_address[1]}/score", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
