"""The OpenAI-compatible backend against a real HTTP server on loopback (stdlib, in a thread)."""

from __future__ import annotations

import email.utils
import json
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from recode_rl.generation import Completion, GenerationError, SamplingParams, ServerError
from recode_rl.generation.openai_http import OpenAIGenerator, backoff_delay, parse_retry_after


def ok_chat(text: str, finish: str = "stop", usage: dict | None = None) -> dict:
    body = {"choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}]}
    if usage is not None:
        body["usage"] = usage
    return body


class FakeServer:
    """Loopback server. `script` is a list of per-request actions, consumed in arrival order;
    when it is empty, `default(body)` answers. Actions: ("json", status, obj, headers),
    ("raw", status, text), ("sleep", seconds, action)."""

    def __init__(self) -> None:
        self.script: list[tuple] = []
        self.requests: list[dict] = []
        self.paths: list[str] = []
        self.headers: list[dict] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()
        self.default = lambda body: ("json", 200, ok_chat("echo:" + body["messages"][-1]["content"]
                                                          if "messages" in body else "echo:" + body["prompt"]), {})
        self.get_default = lambda path: ("json", 200, {"object": "list", "data": [{"id": "served-model"}]}, {})
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length))
                with server.lock:
                    server.requests.append(body)
                    server.paths.append(self.path)
                    server.headers.append(dict(self.headers))
                    action = server.script.pop(0) if server.script else server.default(body)
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                self._send(action)

            def do_GET(self) -> None:
                self._send(server.get_default(self.path))

            def _send(self, action: tuple) -> None:
                try:
                    while action[0] == "sleep":
                        time.sleep(action[1])
                        action = action[2]
                    if action[0] == "json":
                        _, status, obj, headers = action
                        payload = json.dumps(obj).encode()
                    else:
                        _, status, text = action
                        headers, payload = {}, text.encode()
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and went away
                finally:
                    with server.lock:
                        server.in_flight -= 1

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = FakeServer()
    yield s
    s.close()


def gen(server: FakeServer, **kw) -> OpenAIGenerator:
    kw.setdefault("backoff_base", 0.01)
    kw.setdefault("timeout", 5.0)
    return OpenAIGenerator("served-model", server.base_url, seed=0, **kw)


SP = SamplingParams(temperature=0.5, top_p=0.9, max_new_tokens=7, seed=100)


def test_chat_request_shape_order_and_callback(server):
    server.default = lambda body: ("json", 200, ok_chat(body["messages"][-1]["content"] + f"#{body['seed']}",
                                                        usage={"prompt_tokens": 3, "completion_tokens": 4}), {})
    done = []
    g = gen(server, api_key="sk-test")
    out = g.generate(["a", [{"role": "system", "content": "s"}, {"role": "user", "content": "b"}]], 2, SP,
                     on_complete=lambda i, cs: done.append((i, [c.text for c in cs])))
    # seeds are seed + sample index: 100, 101
    assert [[c.text for c in cs] for cs in out] == [["a#100", "a#101"], ["b#100", "b#101"]]
    assert out[0][0] == Completion("a#100", "stop", 3, 4)
    assert sorted(done) == [(0, ["a#100", "a#101"]), (1, ["b#100", "b#101"])]
    assert len(server.requests) == 4 and set(server.paths) == {"/v1/chat/completions"}
    first = next(r for r in server.requests if r["messages"] == [{"role": "user", "content": "a"}])
    assert {k: first[k] for k in ("model", "n", "temperature", "top_p", "max_tokens")} == {
        "model": "served-model", "n": 1, "temperature": 0.5, "top_p": 0.9, "max_tokens": 7}
    assert server.headers[0]["Authorization"] == "Bearer sk-test"


def test_completions_endpoint_and_stop_applied_client_side(server):
    server.default = lambda body: ("json", 200, {"choices": [{"text": body["prompt"] + " END more", "finish_reason": "length"}]}, {})
    g = gen(server, endpoint="completions")
    out = g.generate(["p"], 1, SamplingParams(max_new_tokens=5, stop=("END",)))
    # server ignored `stop`; the client cuts at "END" and reports a natural stop
    assert out == [[Completion("p ", "stop", None, None)]]
    assert server.paths == ["/v1/completions"] and server.requests[0]["stop"] == ["END"]
    assert g.model_id == "served-model#completions"
    with pytest.raises(GenerationError, match="string prompts"):
        g.generate([[{"role": "user", "content": "x"}]], 1, SP)


def test_429_respects_retry_after(server):
    server.script = [("json", 429, {"error": "slow down"}, {"Retry-After": "0.3"})]
    t0 = time.monotonic()
    out = gen(server).generate(["x"], 1, SP)
    assert out[0][0].text == "echo:x"
    assert len(server.requests) == 2
    assert time.monotonic() - t0 >= 0.3  # waited Retry-After, not the 0.01 s backoff


def test_5xx_retried_then_success(server):
    server.script = [("raw", 500, "boom"), ("raw", 503, "busy")]
    out = gen(server).generate(["x"], 1, SP)
    assert out[0][0].text == "echo:x" and len(server.requests) == 3


def test_5xx_gives_up_after_max_retries(server):
    server.default = lambda body: ("raw", 500, "still broken")
    with pytest.raises(GenerationError, match=r"gave up after 3 attempts.*HTTP 500"):
        gen(server, max_retries=2).generate(["x"], 1, SP)
    assert len(server.requests) == 3


def test_slow_response_times_out_then_retries(server):
    server.script = [("sleep", 1.5, ("json", 200, ok_chat("late"), {}))]
    out = gen(server, timeout=0.3).generate(["x"], 1, SP)
    assert out[0][0].text == "echo:x" and len(server.requests) == 2


def test_always_slow_raises_timeout(server):
    server.default = lambda body: ("sleep", 1.0, ("json", 200, ok_chat("late"), {}))
    with pytest.raises(GenerationError, match="timed out after 0.2s"):
        gen(server, timeout=0.2, max_retries=1).generate(["x"], 1, SP)
    assert len(server.requests) == 2


@pytest.mark.parametrize("action, message", [
    (("raw", 200, "<html>not json</html>"), "body is not JSON"),
    (("json", 200, {"choices": []}, {}), r"no field 'choices\[0\]'"),
    (("json", 200, {"choices": [{"message": {"role": "assistant"}}]}, {}), r"no field 'choices\[0\].message.content'"),
    (("json", 200, {"choices": [{"message": {"content": None}}]}, {}), "not a string"),
    (("json", 400, {"error": "prompt too long"}, {}), "HTTP 400.*prompt too long"),
])
def test_malformed_and_client_errors_are_not_retried(server, action, message):
    server.script = [action]
    with pytest.raises(GenerationError, match=message):
        gen(server).generate(["x"], 1, SP)
    assert len(server.requests) == 1


def test_on_error_record_keeps_other_samples(server):
    server.default = lambda body: (("json", 400, {"error": "too long"}, {}) if body["messages"][0]["content"] == "bad"
                                   else ("json", 200, ok_chat("fine"), {}))
    out = gen(server, on_error="record").generate(["good", "bad"], 1, SP)
    assert out[0][0].text == "fine"
    assert out[1][0].finish_reason == "error" and "HTTP 400" in out[1][0].error and out[1][0].text == ""


def test_concurrency_limit(server):
    server.default = lambda body: ("sleep", 0.2, ("json", 200, ok_chat("ok"), {}))
    out = gen(server, max_concurrency=2).generate([str(i) for i in range(6)], 1, SP)
    assert len(out) == 6 and server.max_in_flight == 2


def test_connection_error_retried_then_raised():
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens here now
    g = OpenAIGenerator("m", f"http://127.0.0.1:{port}/v1", max_retries=1, backoff_base=0.01, on_error="record")
    # refused on every attempt: the server is not there, so the run stops even when errors are recorded
    with pytest.raises(ServerError, match=r"connection failed on all 2 attempts.*is the server running"):
        g.generate(["x"], 1, SP)


def test_a_server_that_never_answered_stops_the_run_after_two_refusals():
    """Not running (or a wrong URL): the full backoff (6 attempts, ~30 s with the defaults) only delayed
    the same error."""
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    g = OpenAIGenerator("m", f"http://127.0.0.1:{port}/v1", max_retries=5, backoff_base=0.01, seed=0)
    with pytest.raises(ServerError, match=r"on all 2 attempts.*has not answered once in this run"):
        g.generate(["x"], 1, SP)


def test_a_server_that_answered_once_gets_every_retry_when_it_goes_away():
    s = FakeServer()
    g = gen(s, max_retries=3)
    assert g.generate(["a"], 1, SP)[0][0].text == "echo:a"
    s.close()                                   # e.g. restarting: refusals are retried in full
    with pytest.raises(ServerError, match=r"connection failed on all 4 attempts") as err:
        g.generate(["b"], 1, SP)
    assert "has not answered" not in str(err.value)


@pytest.mark.parametrize("action, message", [
    (("json", 401, {"error": "bad key"}, {}), r"/v1/models: HTTP 401.*api_key_env"),
    (("raw", 200, "<html><body>login</body></html>"), r"/v1/models: HTTP 200 body is not JSON.*not an OpenAI"),
    (("json", 200, {"data": []}, {}), None),           # a model list: fine
    (("json", 404, {"error": "no route"}, {}), None),  # no /models route: not every server has one; passes
])
def test_check_asks_the_server_once_before_a_long_step(server, action, message):
    server.get_default = lambda path: action
    g = gen(server, api_key="sk-test")
    if message is None:
        g.check()
    else:
        with pytest.raises(ServerError, match=message):
            g.check()
    assert server.requests == []                       # no completion was requested


def test_check_names_a_server_that_is_not_running():
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(ServerError, match=r"/v1/models: connection failed.*is the server running"):
        OpenAIGenerator("m", f"http://127.0.0.1:{port}/v1").check()


def test_generate_inside_running_event_loop(server):
    import asyncio

    async def main():
        return gen(server).generate(["x"], 1, SP)

    assert asyncio.run(main())[0][0].text == "echo:x"


def test_parse_retry_after():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("0.5") == 0.5
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 10, usegmt=True)
    assert parse_retry_after(date, now=now) == pytest.approx(10.0, abs=1.0)
    assert parse_retry_after("99999") == 600.0  # capped


def test_backoff_delay_full_jitter_bounds():
    rng = random.Random(0)
    # attempt a: uniform(0, min(cap, base * 2**a)); base 1, cap 5 -> bounds 1, 2, 4, 5, 5
    for attempt, bound in [(0, 1), (1, 2), (2, 4), (3, 5), (10, 5)]:
        draws = [backoff_delay(attempt, 1.0, 5.0, rng) for _ in range(200)]
        assert all(0 <= d <= bound for d in draws) and max(draws) > 0.8 * bound



@pytest.mark.parametrize("action, message", [
    (("json", 401, {"error": "bad key"}, {}), r"HTTP 401.*api_key_env"),
    (("json", 403, {"error": "forbidden"}, {}), r"HTTP 403.*api_key_env"),
    (("json", 404, {"error": "model 'served-model' not found"}, {}), r"HTTP 404.*generator.model.*/v1/models"),
    (("raw", 200, "<html><body>login</body></html>"), r"not an OpenAI-compatible API endpoint"),
])
def test_systemic_failures_stop_the_run_even_when_errors_are_recorded(server, action, message):
    # every request would fail the same way: one error naming URL, status and fix, not N error samples
    server.default = lambda body: action
    with pytest.raises(ServerError, match=message) as err:
        gen(server, on_error="record").generate(["a", "b", "c"], 2, SP)
    assert server.base_url in str(err.value)


def test_cli_prints_a_systemic_failure_as_one_line(server, tmp_path, capsys):
    from recode_rl.cli import main

    server.default = lambda body: ("json", 404, {"error": "no such model"}, {})
    code = main(["synth", "--run-dir", str(tmp_path / "s"), "limit=1", "generator.backend=openai",
                 f"generator.base_url={server.base_url}", "generator.model=nope", "generator.on_error=record"])
    err = capsys.readouterr().err
    assert code == 2 and "HTTP 404" in err and "generator.model" in err and "Traceback" not in err
