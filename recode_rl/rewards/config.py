"""Typed process-scorer settings (`ScorerConfig`), the one factory `build_scorer`, and the configs of
`recode score` and `recode serve-scorer`.

    scorer: {kind: hf, path: runs/rm/checkpoints/reward_model, device: cuda:7}
    scorer: {kind: http, url: http://rm-host:8001/score}
    scorer: {kind: import, factory: my_pkg.scorers:make_scorer, kwargs: {threshold: 0.5}}
    scorer: {kind: none}                                          # outcome-only kinds

Every stage that needs a process scorer (train-rl, score, serve-scorer, the veRL adapter) holds a
`ScorerConfig` and calls `build_scorer`; nothing dispatches on the shape of a string. Backends are
imported lazily: building an `http` scorer never imports torch.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from recode_rl.config import ConfigError, StageConfig, validate_config
from recode_rl.execution.config import LimitsConfig
from recode_rl.rewards.core import RewardConfig
from recode_rl.rewards.scorer import ProcessScorer

__all__ = ["ScorerConfig", "build_scorer", "ready_scorer", "http_card", "scorer_config", "add_scorer_arguments", "SCORER_FLAGS",
           "ScoreConfig", "ServeScorerConfig"]

_DOTTED = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*")
_DEFAULT_BATCH = {"hf": 8, "http": 64}   # pairs per forward pass (hf) / per request (http)
_REQUIRED = {"hf": "path", "http": "url", "import": "factory"}


def _required_for(kind: str, value: Any, info: ValidationInfo) -> Any:
    # a field validator (not a model one) so that the error names the key: `scorer.path: ...`
    if info.data.get("kind") == kind and value is None:
        raise ValueError(f"required when kind is {kind!r}")
    return value


class ScorerConfig(StageConfig):
    """The process scorer: `none`, a reward-model folder (`hf`), a server (`http`) or your code (`import`)."""

    kind: Literal["none", "hf", "http", "import"] = "none"
    batch_size: int | None = Field(None, ge=1)   # hf: pairs per forward (default 8); http: per request (default 64)
    card: str | None = None        # scoring_card.json (file or folder): hf, instead of the folder's; http, for vLLM
    #                                input (default: `model` when it is a local RM folder; see http_card)
    # hf: a sequence-classification folder with one label (num_labels=1), e.g. `recode train-rm`'s output
    path: str | None = Field(None, validate_default=True)
    input_format: Literal["auto", "card", "chat", "template"] = "card"  # see RewardModel.load
    max_length: int | None = Field(None, ge=16)  # overrides the card's token budget (hf and http)
    device: str | None = None      # e.g. cuda:7 to keep the RM off the policy's GPUs; default cuda if available
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    # http: our JSON protocol (`recode serve-scorer`), or vLLM's `.../classify` / `.../pooling`
    url: str | None = Field(None, validate_default=True)
    model: str | None = None       # vLLM's served model name
    timeout: float = Field(60.0, gt=0)
    retries: int = Field(3, ge=0)
    backoff: float = Field(0.5, ge=0)
    # import: `package.module:attr`, a class/factory called with `kwargs`, or an object with `score`
    factory: str | None = Field(None, validate_default=True)
    kwargs: dict[str, Any] = {}

    @field_validator("path")
    @classmethod
    def _path(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _required_for("hf", value, info)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return _required_for("http", value, info)

    @field_validator("factory")
    @classmethod
    def _factory(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and not _DOTTED.fullmatch(value):
            raise ValueError("expected 'package.module:attr'")
        return _required_for("import", value, info)

    @property
    def enabled(self) -> bool:
        return self.kind != "none"


def http_card(cfg: ScorerConfig) -> Any:
    """The scoring card an `http` scorer renders vLLM input with: the reward model's own.

    `scorer.card` (a card file or an RM folder), else the served `scorer.model` when it is a local
    RM folder with `scoring_card.json` (vLLM is usually started on that folder), so the text,
    token budget and truncation are those of training. `scorer.max_length` overrides the budget.
    Without either, a vLLM endpoint falls back to DEFAULT_CARD with a warning: it is right only
    for an RM trained with the default card. (Our JSON protocol needs no card on the client: the
    server, `recode serve-scorer`, reads the RM folder's own.)
    """
    import dataclasses
    import os
    import sys

    from recode_rl.reward_model.scoring import CARD_FILE, DEFAULT_CARD, read_card

    if cfg.card:
        card = read_card(cfg.card)
    elif cfg.model and os.path.isfile(os.path.join(cfg.model, CARD_FILE)):
        card = read_card(cfg.model)
    else:
        if str(cfg.url).rstrip("/").endswith(("/classify", "/pooling")):
            print(f"warning: scorer {cfg.url}: no scoring card (set scorer.card to the reward model's folder); "
                  f"rendering with the default card ({DEFAULT_CARD.max_length} tokens, {DEFAULT_CARD.truncation}), "
                  "which matches only an RM trained with the default card", file=sys.stderr)
        card = DEFAULT_CARD
    if cfg.max_length is not None:
        card = dataclasses.replace(card, max_length=cfg.max_length)
    return card


def ready_scorer(cfg: ScorerConfig) -> ProcessScorer:
    """`build_scorer`, then a check that a remote scorer answers like one (`HTTPScorer.check`): an
    unreachable or wrong server is a ConfigError naming `scorer.url` before any work starts."""
    from recode_rl.rewards.scorer import ScorerError

    scorer = build_scorer(cfg)
    check = getattr(scorer, "check", None)
    if callable(check):
        try:
            check()
        except ScorerError as exc:
            raise ConfigError(f"scorer.url={cfg.url!r} is not usable: {exc}") from None
    return scorer


def build_scorer(cfg: ScorerConfig) -> ProcessScorer:
    """Instantiate the configured scorer (heavy imports happen here, not at module import)."""
    from recode_rl.rewards.scorer import HTTPScorer, NoScorer

    required = _REQUIRED.get(cfg.kind)
    if required and getattr(cfg, required) is None:   # e.g. `kind` assigned after validation
        raise ConfigError(f"scorer.{required}: required when kind is {cfg.kind!r}")
    if cfg.kind == "none":
        return NoScorer()
    if cfg.kind == "hf":
        from recode_rl.reward_model.scoring import RewardModel

        try:
            return RewardModel.load(cfg.path, input_format=cfg.input_format, card=cfg.card, max_length=cfg.max_length,
                                    device=cfg.device, dtype=cfg.dtype, batch_size=cfg.batch_size or _DEFAULT_BATCH["hf"])
        except (OSError, ConfigError) as exc:
            raise ConfigError(f"scorer.path={cfg.path!r}: cannot load it as a reward model: {exc}") from None
    if cfg.kind == "http":
        return HTTPScorer(cfg.url, model=cfg.model, timeout=cfg.timeout, retries=cfg.retries, backoff=cfg.backoff,
                          batch_size=cfg.batch_size or _DEFAULT_BATCH["http"], card=http_card(cfg))
    if cfg.kind == "import":
        return _import_scorer(cfg.factory, cfg.kwargs)
    raise ConfigError(f"scorer.kind: unknown kind {cfg.kind!r}")


def _import_scorer(factory: str, kwargs: dict[str, Any]) -> ProcessScorer:
    module_name, _, attr = factory.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"scorer.factory={factory!r}: cannot import {module_name!r}: {exc}") from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ConfigError(f"scorer.factory={factory!r}: {module_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if isinstance(obj, type) or not hasattr(obj, "score"):  # a class or a factory function: call it
        if not callable(obj):
            raise ConfigError(f"scorer.factory={factory!r}: neither a scorer nor callable")
        obj = obj(**kwargs)
    elif kwargs:
        raise ConfigError(f"scorer.kwargs: {factory!r} is a scorer object, not a factory; it takes no kwargs")
    if not callable(getattr(obj, "score", None)):
        raise ConfigError(f"scorer.factory={factory!r}: the result has no score(problems, reasonings) method")
    return obj


def scorer_config(value: Any, source: str) -> ScorerConfig:
    """A ScorerConfig from a mapping or its JSON text (how veRL and environment variables pass it);
    None -> kind none. ConfigError names `source` and the key."""
    if value is None or isinstance(value, ScorerConfig):
        return value or ScorerConfig()
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{source}: not a JSON object of scorer settings ({exc}); e.g. "
                              '{"kind": "http", "url": "http://rm-host:8001/score"}') from None
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: expected a mapping of scorer settings, got {type(value).__name__}")
    return validate_config(ScorerConfig, value, source)


def add_scorer_arguments(parser: argparse.ArgumentParser) -> None:
    """`--scorer-path | --scorer-url | --scorer-import`: shorthands for `scorer.kind` + its one required key."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--scorer-path", metavar="DIR", help="reward-model folder (scorer.kind=hf scorer.path=DIR)")
    group.add_argument("--scorer-url", metavar="URL", help="scorer server (scorer.kind=http scorer.url=URL)")
    group.add_argument("--scorer-import", metavar="MOD:ATTR", help="your scorer (scorer.kind=import scorer.factory=...)")


# Shorthands for `scorer.kind` + its one required key, in the shared flag mechanism
# (`recode_rl.config.config_from_args`): merge into a command's FLAGS.
SCORER_FLAGS = {
    "scorer_path": lambda v: {"scorer.kind": "hf", "scorer.path": v},
    "scorer_url": lambda v: {"scorer.kind": "http", "scorer.url": v},
    "scorer_import": lambda v: {"scorer.kind": "import", "scorer.factory": v},
}


class ScoreConfig(StageConfig):
    """`recode score`."""

    problems: str | None = None            # problem set name or file (recode_rl.data.load_problems)
    responses: str | None = None           # JSONL of {"task_id", "response"}
    out: str | None = None                 # default: <responses>.scored.jsonl
    reward: RewardConfig = Field(default_factory=RewardConfig)
    scorer: ScorerConfig = Field(default_factory=ScorerConfig)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    max_workers: int | None = None         # executor workers; default: the executor's choice
    chunk_size: int = 1024                 # responses per score_batch call


class ServeScorerConfig(StageConfig):
    """`recode serve-scorer`: any scorer behind our JSON protocol."""

    scorer: ScorerConfig = Field(default_factory=ScorerConfig)
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)   # 0 = any free port (printed at start)
