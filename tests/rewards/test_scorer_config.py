"""`ScorerConfig` + `build_scorer`: every kind builds, bad settings name the key; veRL and CLI parse into it."""

from __future__ import annotations

import json

import pytest

from recode_rl.config import ConfigError, load_config
from recode_rl.reward_model.scoring import RewardModel
from recode_rl.rewards.config import ScoreConfig, ScorerConfig, build_scorer, scorer_config
from recode_rl.rewards.scorer import HTTPScorer, NoScorer, ProcessScorer, make_server


class Fixed:
    """A constant scorer, for the `import` kind."""

    name = "fixed"

    def __init__(self, value: float = 0.5) -> None:
        self.value = value

    def score(self, problems: list[str], reasonings: list[str]) -> list[float]:
        return [self.value] * len(problems)


def make_fixed(value: float) -> Fixed:
    return Fixed(value)


FIXED = Fixed(0.25)
NOT_A_SCORER = 3


def test_none():
    scorer = build_scorer(ScorerConfig())
    assert isinstance(scorer, NoScorer) and isinstance(scorer, ProcessScorer) and not ScorerConfig().enabled


def test_hf_builds_the_one_reward_model(tmp_path):
    import torch

    from tests.rewards.test_scorer import _char_tokenizer, _tiny_model

    torch.set_num_threads(1)
    tok = _char_tokenizer()
    _tiny_model("bert", len(tok)).save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    (tmp_path / "scoring_card.json").write_text(json.dumps(
        {"template": "{problem}|{reasoning}", "max_length": 64, "truncation": "right"}))
    scorer = build_scorer(ScorerConfig(kind="hf", path=str(tmp_path), device="cpu", max_length=32))
    assert isinstance(scorer, RewardModel) and isinstance(scorer, ProcessScorer)
    assert (scorer.batch_size, scorer.max_length, scorer.template) == (8, 32, "{problem}|{reasoning}")
    scores = scorer.score(["p", "q"], ["r", "s" * 100])
    assert len(scores) == 2 and all(0 < s < 1 for s in scores) and scorer.truncated == 1
    with pytest.raises(ConfigError, match="scorer.path="):
        build_scorer(ScorerConfig(kind="hf", path=str(tmp_path / "missing"), card=str(tmp_path)))


def test_http_against_a_local_server():
    server = make_server(Fixed(0.75), "127.0.0.1", 0)
    import threading

    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/score"
        scorer = build_scorer(ScorerConfig(kind="http", url=url, timeout=5, retries=0))
        assert isinstance(scorer, HTTPScorer) and scorer.protocol == "recode" and scorer.batch_size == 64
        assert scorer.score(["p"] * 3, ["a", "b", "c"]) == [0.75] * 3
    finally:
        server.shutdown()
        server.server_close()
    classify = build_scorer(ScorerConfig(kind="http", url="http://127.0.0.1:1/classify", batch_size=4))
    assert classify.protocol == "vllm-classify" and classify.batch_size == 4


def test_import_class_factory_and_object():
    here = "tests.rewards.test_scorer_config"
    assert build_scorer(ScorerConfig(kind="import", factory=f"{here}:Fixed")).score(["p"], ["r"]) == [0.5]
    assert build_scorer(ScorerConfig(kind="import", factory=f"{here}:make_fixed",
                                     kwargs={"value": 0.1})).score(["p"], ["r"]) == [0.1]
    assert build_scorer(ScorerConfig(kind="import", factory=f"{here}:FIXED")) is FIXED
    assert build_scorer(ScorerConfig(kind="import", factory="tests.rl.tiny:ThinkLength")).score(["p"], ["abc"]) == [0.3]


@pytest.mark.parametrize("factory, kwargs, message", [
    ("no_such_module_xyz:Scorer", {}, "cannot import"),
    ("tests.rewards.test_scorer_config:Missing", {}, "no attribute"),
    ("tests.rewards.test_scorer_config:NOT_A_SCORER", {}, "neither a scorer nor callable"),
    ("tests.rewards.test_scorer_config:FIXED", {"value": 1}, "scorer.kwargs"),
    ("recode_rl.reward_model.scoring:ScoringCard", {}, "no score"),
])
def test_import_errors_name_the_key(factory, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        build_scorer(ScorerConfig(kind="import", factory=factory, kwargs=kwargs))


@pytest.mark.parametrize("overrides, key", [
    (["scorer.kind=hf"], r"scorer\.path: .*required when kind is 'hf'"),
    (["scorer.kind=http"], r"scorer\.url: .*required when kind is 'http'"),
    (["scorer.kind=http", "scorer.url=rm-host:8001"], r"scorer\.url: .*http://"),
    (["scorer.kind=import"], r"scorer\.factory: .*required when kind is 'import'"),
    (["scorer.kind=import", "scorer.factory=my/file.py"], r"scorer\.factory: .*package.module:attr"),
    (["scorer.kind=folder"], r"scorer\.kind"),
    (["scorer.spec=runs/rm"], r"scorer\.spec: unknown key"),
    (["scorer.batch_size=0"], r"scorer\.batch_size"),
])
def test_bad_settings_name_the_key(overrides, key):
    with pytest.raises(ConfigError, match=key):
        load_config(ScoreConfig, None, overrides)


def test_kind_assigned_after_validation_still_needs_its_key():
    cfg = ScorerConfig()
    cfg.kind = "http"
    with pytest.raises(ConfigError, match=r"scorer\.url: required when kind is 'http'"):
        build_scorer(cfg)


def test_scorer_config_from_mapping_json_or_nothing():
    assert scorer_config(None, "x") == ScorerConfig()
    url = "http://rm:8001/score"
    assert scorer_config({"kind": "http", "url": url}, "x") == scorer_config(json.dumps({"kind": "http", "url": url}), "x")
    with pytest.raises(ConfigError, match=r"env RECODE_SCORER: not a JSON object"):
        scorer_config("runs/rm", "env RECODE_SCORER")   # a bare string is never guessed at
    with pytest.raises(ConfigError, match=r"veRL reward_kwargs.scorer.*\n.*url: .*required"):
        scorer_config({"kind": "http"}, "veRL reward_kwargs.scorer")


@pytest.mark.parametrize("argv, expected", [
    (["--scorer-path", "runs/rm"], {"kind": "hf", "path": "runs/rm"}),
    (["--scorer-url", "http://h:1/score"], {"kind": "http", "url": "http://h:1/score"}),
    (["--scorer-import", "tests.rl.tiny:ThinkLength"], {"kind": "import", "factory": "tests.rl.tiny:ThinkLength"}),
])
def test_scorer_flags(argv, expected):
    from recode_rl.cli import build_parser
    from recode_rl.config import config_from_args
    from recode_rl.rl.cli import FLAGS, Config

    args = build_parser().parse_args(["train-rl", *argv, "scorer.device=cuda:1"])
    cfg = config_from_args(Config, args, FLAGS).scorer
    assert {k: getattr(cfg, k) for k in expected} == expected and cfg.device == "cuda:1"


def test_serve_scorer_cli_resolves_its_config(monkeypatch, tmp_path):
    import recode_rl.rewards.scorer as scorer_module
    from recode_rl.cli import main

    served = {}
    monkeypatch.setattr(scorer_module, "serve", lambda scorer, host, port: served.update(scorer=scorer, host=host, port=port))
    config = tmp_path / "serve.yaml"
    config.write_text("scorer: {kind: import, factory: 'tests.rewards.test_scorer_config:FIXED'}\nport: 9000\n")
    assert main(["serve-scorer", "--config", str(config), "--host", "0.0.0.0"]) == 0
    assert served == {"scorer": FIXED, "host": "0.0.0.0", "port": 9000}
    assert main(["serve-scorer", "--scorer-import", "tests.rewards.test_scorer_config:make_fixed",
                 "scorer.kwargs={value: 0.2}", "--port", "0"]) == 0
    assert served["port"] == 0 and served["scorer"].score(["p"], ["r"]) == [0.2]
    assert main(["serve-scorer"]) == 2   # nothing to serve


def test_ready_scorer_checks_a_remote_scorer_before_any_work():
    import threading

    from recode_rl.rewards.config import ready_scorer

    server = make_server(Fixed(0.75), "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        assert ready_scorer(ScorerConfig(kind="http", url=base + "/score", retries=0)).score(["p"], ["r"]) == [0.75]
    finally:
        server.shutdown()
        server.server_close()
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Page(BaseHTTPRequestHandler):   # a web page where a scorer should be
        def do_POST(self):
            body = b"<html>login</html>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    page = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=page.serve_forever, daemon=True).start()
    try:
        with pytest.raises(ConfigError, match=r"scorer.url=.*is not usable.*not JSON"):
            ready_scorer(ScorerConfig(kind="http", url=f"http://127.0.0.1:{page.server_address[1]}/score", retries=0))
    finally:
        page.shutdown()
        page.server_close()
    with pytest.raises(ConfigError, match=r"scorer.url='http://127.0.0.1:9/score' is not usable.*connection failed"):
        ready_scorer(ScorerConfig(kind="http", url="http://127.0.0.1:9/score", retries=0))
    assert ready_scorer(ScorerConfig()).enabled is False     # nothing to check
