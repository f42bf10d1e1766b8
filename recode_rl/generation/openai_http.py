"""OpenAI-compatible HTTP backend: vLLM / SGLang / llama.cpp `server` / hosted APIs.

Talks to `POST {base_url}/chat/completions` (chat models; a string prompt becomes one user
message) or `POST {base_url}/completions` (raw prompts). Each of the `n` samples of a
prompt is its own request with `n=1` — every server supports that, and a per-sample seed
(`seed + sample index`) keeps reruns reproducible where the server honours seeds.

Robustness:
- at most `max_concurrency` requests in flight (asyncio semaphore over one httpx client);
- a per-request timeout;
- retries on 429, 5xx, timeouts and connection errors with exponential backoff and full
  jitter (`uniform(0, min(backoff_max, backoff_base * 2**attempt))`); a `Retry-After`
  header (seconds or HTTP date) overrides the backoff for that attempt;
- other 4xx, non-JSON bodies and missing fields are not retried: they raise
  `GenerationError` naming the URL, the status and the missing field (or, with
  `on_error="record"`, become an error `Completion` for that sample);
- a *systemic* failure — 401/403 (key), 404/405 (URL or model name), a body that is not JSON
  (an HTML page: not an OpenAI-compatible endpoint), a connection refused on every retry — raises
  `ServerError` whatever `on_error` says, naming the URL, the status and the likely fix: a run
  must not finish "successfully" with every sample an error.
The API key is read from an environment variable, never from a config file.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import threading
import time
from typing import Any, Literal, Sequence

import httpx

from recode_rl.generation.types import (
    Completion, GenerationError, OnComplete, Prompt, SamplingParams, ServerError, apply_stop, as_messages,
)

__all__ = ["OpenAIGenerator", "parse_retry_after", "backoff_delay"]

_RETRY_AFTER_CAP = 600.0


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or HTTP date); None if absent/unparseable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, min(float(value), _RETRY_AFTER_CAP))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, min(when - (time.time() if now is None else now), _RETRY_AFTER_CAP))


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Full-jitter exponential backoff for retry number `attempt` (0-based)."""
    return rng.uniform(0.0, min(cap, base * (2 ** attempt)))


def _field(data: Any, path: Sequence[str | int], url: str) -> Any:
    node = data
    walked = ""
    for key in path:
        walked += f"[{key}]" if isinstance(key, int) else (f".{key}" if walked else key)
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            raise GenerationError(f"{url}: response has no field {walked!r} (got {str(data)[:300]!r})") from None
    return node


def _first_leaf(group: BaseExceptionGroup) -> BaseException:
    exc: BaseException = group
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


class _Fatal(GenerationError):
    """Not worth retrying (4xx other than 429, malformed body)."""


# status -> the likely fix, for failures that every request of the run would hit
_SYSTEMIC = {
    401: "the server refused the API key: set the environment variable named by generator.api_key_env",
    403: "the server refused the API key: set the environment variable named by generator.api_key_env",
    404: "check generator.base_url (OpenAI-compatible servers serve under .../v1) and generator.model "
         "(the name the server serves, see GET {base}/models)",
    405: "check generator.base_url (OpenAI-compatible servers serve under .../v1) and generator.endpoint",
}


# Attempts before a refused connection stops the run while the server has not answered once in it: then it
# is not running or the URL is wrong, and the full backoff (about half a minute) would only delay the error.
# Once it has answered, refusals get every retry (a server restarting mid-run).
_FIRST_CONTACT_ATTEMPTS = 2


def _systemic(url: str, status: int, snippet: str, base_url: str) -> ServerError:
    fix = _SYSTEMIC[status].replace("{base}", base_url)
    return ServerError(f"{url}: HTTP {status}: {snippet[:200]!r}; {fix}")


class OpenAIGenerator:
    """Generator over an OpenAI-compatible server. `model` is the served model name."""

    def __init__(self, model: str, base_url: str, *, endpoint: Literal["chat", "completions"] = "chat",
                 api_key: str | None = None, max_concurrency: int = 8, timeout: float = 120.0,
                 max_retries: int = 5, backoff_base: float = 1.0, backoff_max: float = 60.0,
                 on_error: Literal["raise", "record"] = "raise", extra_body: dict[str, Any] | None = None,
                 seed: int | None = None) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be >= 1")
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.endpoint = endpoint
        self.api_key = api_key
        self.max_concurrency = max_concurrency
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.on_error = on_error
        self.extra_body = dict(extra_body or {})
        self._rng = random.Random(seed)
        self._answered = False   # has the server answered once (any status)? see _FIRST_CONTACT_ATTEMPTS
        self.model_id = model if endpoint == "chat" else f"{model}#completions"
        self.url = f"{self.base_url}/{'chat/completions' if endpoint == 'chat' else 'completions'}"

    def check(self) -> None:
        """One GET of `{base_url}/models`, for a stage that needs this server only after a long step (build-lcbrb's
        judge): not running, a refused key, or a body that is not JSON raise ServerError now. Any other answer
        passes: not every OpenAI-compatible server lists its models."""
        url = f"{self.base_url}/models"
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        try:
            response = httpx.get(url, headers=headers, timeout=min(self.timeout, 10.0))
        except httpx.TransportError as exc:
            raise ServerError(f"{url}: connection failed ({exc!r}); is the server running and is "
                              "generator.base_url right?") from None
        if response.status_code in (401, 403):
            raise _systemic(url, response.status_code, response.text[:300], self.base_url)
        if response.status_code == 200:
            try:
                response.json()
            except ValueError:
                raise ServerError(f"{url}: HTTP 200 body is not JSON: {response.text[:200]!r}; this is not an "
                                  "OpenAI-compatible API endpoint (check generator.base_url, which usually ends "
                                  "in /v1)") from None

    # ---- request building / response parsing (pure) ----
    def payload(self, prompt: Prompt, sampling: SamplingParams, sample_index: int) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model, "n": 1, "temperature": sampling.temperature,
                                "top_p": sampling.top_p, "max_tokens": sampling.max_new_tokens}
        if sampling.seed is not None:
            body["seed"] = sampling.seed + sample_index
        if sampling.stop:
            body["stop"] = list(sampling.stop)
        if self.endpoint == "chat":
            body["messages"] = as_messages(prompt)
        else:
            if not isinstance(prompt, str):
                raise GenerationError(f"{self.url}: the completions endpoint takes string prompts, not chat messages")
            body["prompt"] = prompt
        body.update(self.extra_body)
        return body

    def parse_response(self, response: httpx.Response, sampling: SamplingParams) -> Completion:
        try:
            data = response.json()
        except ValueError:
            raise ServerError(f"{self.url}: HTTP {response.status_code} body is not JSON: {response.text[:200]!r}; "
                              "this is not an OpenAI-compatible API endpoint (check generator.base_url, "
                              "which usually ends in /v1)") from None
        if self.endpoint == "chat":
            text = _field(data, ["choices", 0, "message", "content"], self.url)
        else:
            text = _field(data, ["choices", 0, "text"], self.url)
        if not isinstance(text, str):
            raise _Fatal(f"{self.url}: response field 'choices[0]' content is {type(text).__name__}, not a string")
        reason = (data["choices"][0].get("finish_reason") or "unknown") if isinstance(data["choices"][0], dict) else "unknown"
        finish = reason if reason in ("stop", "length") else ("stop" if reason in ("eos", "stop_sequence") else "unknown")
        text, stopped = apply_stop(text, sampling.stop)  # servers that ignore `stop` still get it applied
        if stopped:
            finish = "stop"
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        return Completion(text=text, finish_reason=finish, prompt_tokens=usage.get("prompt_tokens"),
                          completion_tokens=usage.get("completion_tokens"))

    # ---- transport ----
    async def _request(self, client: httpx.AsyncClient, body: dict[str, Any], sampling: SamplingParams) -> Completion:
        last = ""
        refused = attempts = 0
        for attempt in range(self.max_retries + 1):
            attempts += 1
            retry_after: float | None = None
            try:
                response = await client.post(self.url, json=body)
            except httpx.TimeoutException:
                last = f"timed out after {self.timeout}s"
            except httpx.ConnectError as exc:
                last = f"connection error: {exc!r}"
                refused += 1
                if not self._answered and refused >= _FIRST_CONTACT_ATTEMPTS:
                    break
            except httpx.TransportError as exc:
                last = f"connection error: {exc!r}"
            else:
                self._answered = True
                status = response.status_code
                if status == 200:
                    return self.parse_response(response, sampling)
                snippet = response.text[:300]
                if status == 429 or status >= 500:
                    last = f"HTTP {status}: {snippet!r}"
                    retry_after = parse_retry_after(response.headers.get("retry-after"))
                elif status in _SYSTEMIC:
                    raise _systemic(self.url, status, snippet, self.base_url)
                else:
                    raise _Fatal(f"{self.url}: HTTP {status}: {snippet!r}")
            if attempt < self.max_retries:
                delay = retry_after if retry_after is not None else backoff_delay(
                    attempt, self.backoff_base, self.backoff_max, self._rng)
                await asyncio.sleep(delay)
        if refused == attempts:
            never = "" if self._answered else "; the server has not answered once in this run"
            raise ServerError(f"{self.url}: connection failed on all {refused} attempts ({last}){never}; is the server "
                              "running and is generator.base_url right?")
        raise GenerationError(f"{self.url}: gave up after {self.max_retries + 1} attempts; last error: {last}")

    async def _sample(self, client: httpx.AsyncClient, sem: asyncio.Semaphore, prompt: Prompt,
                      sampling: SamplingParams, j: int) -> Completion:
        async with sem:
            try:
                return await self._request(client, self.payload(prompt, sampling, j), sampling)
            except GenerationError as exc:
                if self.on_error == "raise" or isinstance(exc, ServerError):
                    raise
                return Completion(text="", finish_reason="error", error=str(exc))

    async def _agenerate(self, prompts: Sequence[Prompt], n: int, sampling: SamplingParams,
                         on_complete: OnComplete | None) -> list[list[Completion]]:
        results: list[list[Completion]] = [[] for _ in prompts]
        sem = asyncio.Semaphore(self.max_concurrency)
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        limits = httpx.Limits(max_connections=self.max_concurrency, max_keepalive_connections=self.max_concurrency)
        async with httpx.AsyncClient(timeout=httpx.Timeout(self.timeout), limits=limits, headers=headers) as client:

            async def one_prompt(i: int, prompt: Prompt) -> None:
                samples = await asyncio.gather(*(self._sample(client, sem, prompt, sampling, j) for j in range(n)))
                results[i] = list(samples)
                if on_complete is not None:
                    on_complete(i, results[i])

            async with asyncio.TaskGroup() as group:  # first fatal error cancels the rest
                for i, prompt in enumerate(prompts):
                    group.create_task(one_prompt(i, prompt))
        return results

    def generate(self, prompts: Sequence[Prompt], n: int, sampling: SamplingParams,
                 on_complete: OnComplete | None = None) -> list[list[Completion]]:
        if n < 1:
            raise ValueError("n must be >= 1")
        coro_args = (list(prompts), n, sampling, on_complete)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            try:
                return asyncio.run(self._agenerate(*coro_args))
            except BaseExceptionGroup as group:  # TaskGroup wraps failures: surface the first cause
                raise _first_leaf(group) from None
        # Called from inside an event loop (e.g. a notebook): run ours on a helper thread.
        box: dict[str, Any] = {}

        def runner() -> None:
            try:
                box["result"] = asyncio.run(self._agenerate(*coro_args))
            except BaseException as exc:  # re-raised in the caller's thread
                box["error"] = exc

        thread = threading.Thread(target=runner, daemon=True)
        thread.start()
        thread.join()
        if "error" in box:
            err = box["error"]
            raise (_first_leaf(err) if isinstance(err, BaseExceptionGroup) else err)
        return box["result"]
