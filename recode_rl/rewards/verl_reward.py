"""veRL adapter: `custom_reward_function.path` = this file, `name` = `compute_score`.

veRL (checked against its reward loop, `verl/experimental/reward_loop`, and the legacy
`NaiveRewardManager`) calls, once per response,
    compute_score(data_source=..., solution_str=..., ground_truth=..., extra_info=...,
                  [reward_router_address="host:port", reward_model_tokenizer=..., model_name=...],
                  **custom_reward_function.reward_kwargs)
running a synchronous function in a thread pool. A returned dict becomes
`{"reward_score": d["score"], "reward_extra_info": d}`; veRL builds the extra-info arrays from
the FIRST sample's keys, so every sample returns the same numeric keys. veRL's `batch` reward
manager calls `compute_score(data_sources=, solution_strs=, ground_truths=, extra_infos=)`
instead; point `name` at `compute_score_batch` for it — that path gets one executor batch and one
scorer call for the whole batch, so the gate saves real scorer calls.

Data: parquet written by `recode_rl.rewards.verl_data.write_verl_parquet` (ground_truth = JSON
of the test suite, or of the gold answer for math; extra_info carries the problem statement and
the judge prefix).

Configuration, most specific first:
    reward kind   reward_kwargs `reward` > env RECODE_REWARD > "recode"; any other
                  RewardConfig field (w_process, score_failing, ...) may be a reward_kwarg
    scorer        reward_kwargs `scorer`: the settings of `recode_rl.rewards.config.ScorerConfig`
                  as a mapping or its JSON text, e.g. {kind: http, url: "http://rm:8001/score"}
                  > env RECODE_SCORER (the same JSON)
                  > veRL's reward-model router: `reward_router_address` -> vLLM
                    `http://<address>/classify` with `model=model_name`; the scoring card is read
                    from reward_kwargs `scoring_card` or from `model_name` if it is a local folder
                  > none (outcome-only kinds only)
    limits        reward_kwargs `timeout` (seconds per test), `memory_mb` (`LimitsConfig` keys)
Other keyword arguments veRL passes (sampling_params, reward_model_tokenizer, ...) are ignored.
Scorers are built once per configuration and reused across calls and threads.

Returned keys (all floats; `process` is NaN when the scorer was not called for the sample,
`compiler` only for compiler kinds): score, format, outcome, pass_rate, process, process_term,
gate_open, timeout, runtime_error, syntax_error, no_code.
"""

from __future__ import annotations

import json
import math
import os
import threading
from typing import Any, Sequence

from pydantic import ValidationError

from recode_rl.config import ConfigError
from recode_rl.data.schema import Problem
from recode_rl.errors import DataError
from recode_rl.execution.config import LimitsConfig
from recode_rl.execution.types import Limits
from recode_rl.rewards.config import ScorerConfig, build_scorer, scorer_config
from recode_rl.rewards.core import RewardConfig, RewardResult
from recode_rl.rewards.pipeline import score_batch
from recode_rl.rewards.scorer import ProcessScorer
from recode_rl.rewards.verl_data import checker_from_ground_truth

__all__ = ["compute_score", "compute_score_batch", "resolve", "to_verl_dict"]

_CONFIG_FIELDS = set(RewardConfig.model_fields)
_SCORERS: dict[str, ProcessScorer] = {}
_LOCK = threading.Lock()


def _scorer_settings(kwargs: dict[str, Any]) -> ScorerConfig:
    if kwargs.get("scorer") is not None:
        return scorer_config(kwargs["scorer"], "veRL reward_kwargs.scorer")
    if os.environ.get("RECODE_SCORER"):
        return scorer_config(os.environ["RECODE_SCORER"], "env RECODE_SCORER")
    router, model_name = kwargs.get("reward_router_address"), kwargs.get("model_name")
    if not router:
        return ScorerConfig()
    card = kwargs.get("scoring_card")
    if card is None and model_name and os.path.isfile(os.path.join(str(model_name), "scoring_card.json")):
        card = str(model_name)
    url = router if router.startswith(("http://", "https://")) else f"http://{router}"
    return ScorerConfig(kind="http", url=url.rstrip("/") + "/classify", model=model_name, card=card)


def _scorer_for(kwargs: dict[str, Any]) -> ProcessScorer:
    cfg = _scorer_settings(kwargs)
    key = json.dumps(cfg.model_dump(mode="json"), sort_keys=True)
    with _LOCK:
        if key not in _SCORERS:
            _SCORERS[key] = build_scorer(cfg)
        return _SCORERS[key]


def resolve(kwargs: dict[str, Any]) -> tuple[RewardConfig, ProcessScorer, Limits]:
    """(reward config, scorer, limits) from veRL's keyword arguments and the environment."""
    fields = {k: v for k, v in kwargs.items() if k in _CONFIG_FIELDS}
    fields["kind"] = kwargs.get("reward") or fields.get("kind") or os.environ.get("RECODE_REWARD") or "recode"
    try:
        cfg = RewardConfig(**fields)
    except ValidationError as exc:
        raise ConfigError(f"veRL reward_kwargs: {exc}") from None
    limit_args = {k: kwargs[k] for k in ("timeout", "memory_mb") if kwargs.get(k) is not None}
    try:
        limits = LimitsConfig(**limit_args).to_limits()
    except ValidationError as exc:
        raise ConfigError(f"veRL reward_kwargs: {exc}") from None
    return cfg, _scorer_for(kwargs), limits


def _problem(ground_truth: Any, extra_info: Any, where: str) -> Problem:
    info = dict(extra_info) if extra_info is not None else {}
    if not isinstance(info.get("problem"), str):
        raise DataError.at(where, "extra_info has no problem statement (write the data with "
                           "recode_rl.rewards.verl_data)", field="extra_info.problem")
    return Problem(task_id=str(info.get("task_id", "?")), prompt=info["problem"],
                   metadata={"program_prefix": info.get("program_prefix") or ""},
                   **checker_from_ground_truth(ground_truth, where))


def to_verl_dict(cfg: RewardConfig, r: RewardResult) -> dict[str, float]:
    verdict = r.verdict["verdict"] if r.verdict else None
    out = {
        "score": float(r.reward),
        "format": r.format,
        "outcome": r.outcome,
        "pass_rate": r.pass_rate,
        "process": math.nan if r.process is None else float(r.process),
        "process_term": r.process_term,
        "gate_open": 1.0 if r.gate_open else 0.0,
        "timeout": 1.0 if verdict == "timeout" else 0.0,
        "runtime_error": 1.0 if verdict == "runtime_error" else 0.0,
        "syntax_error": 1.0 if verdict == "syntax_error" else 0.0,
        "no_code": 1.0 if verdict is None else 0.0,
    }
    if cfg.kind in ("compiler", "compiler+recode"):
        out["compiler"] = float(r.compiler if r.compiler is not None else math.nan)
    return out


def compute_score(data_source: str, solution_str: str, ground_truth: Any, extra_info: Any = None,
                  **kwargs: Any) -> dict[str, float]:
    """One response -> {"score": reward, component: value, ...} (see module doc)."""
    cfg, scorer, limits = resolve(kwargs)
    problem = _problem(ground_truth, extra_info, f"veRL sample ({data_source})")
    results, _ = score_batch([problem], [solution_str], cfg, scorer, limits=limits, max_workers=1)
    return to_verl_dict(cfg, results[0])


def compute_score_batch(data_sources: Sequence[str], solution_strs: Sequence[str], ground_truths: Sequence[Any],
                        extra_infos: Sequence[Any] | None = None, **kwargs: Any) -> list[dict[str, float]]:
    """For veRL's `batch` reward manager: the whole batch in one executor batch and one scorer call."""
    cfg, scorer, limits = resolve(kwargs)
    n = len(solution_strs)
    infos = list(extra_infos) if extra_infos is not None else [None] * n
    problems = [_problem(ground_truths[i], infos[i], f"veRL batch sample {i} ({data_sources[i]})") for i in range(n)]
    results, _ = score_batch(problems, list(solution_strs), cfg, scorer, limits=limits,
                             max_workers=kwargs.get("max_workers"))
    return [to_verl_dict(cfg, r) for r in results]
