"""veRL adapter: `custom_reward_function.path` = this file, `name` = `compute_score` (or `compute_score_batch`).

veRL calls us three ways — the reward loop per response (training, with `reward_router_address`
when its reward model is enabled), the legacy `naive` manager per response (validation, never a
router) and the legacy `batch` manager (`use_reward_loop: false` only); docs/integration.md §4 has
the signatures as read at volcengine/verl b178a3cd, the configuration precedence (reward kind,
scorer as a `ScorerConfig` mapping/JSON in reward_kwargs or env RECODE_SCORER, router fallback,
limits) and the memory arithmetic. Data comes from `recode_rl.rewards.verl_data.write_verl_parquet`.

Every sample returns the same float keys (veRL builds its arrays from the first sample's keys),
with `score` the reward and `acc` the outcome (veRL's core validation metric). Without a scorer or a
router, a kind with a process term is an error for training samples; for validation samples
(`extra_info.split` set and not "train") the process term is withheld, never faked: `process` NaN,
`process_withheld` 1, a warning once.
"""

from __future__ import annotations

import json
import math
import os
import threading
import warnings
from collections.abc import Mapping
from typing import Any, Sequence

from pydantic import ValidationError

from recode_rl.config import ConfigError
from recode_rl.data.schema import Problem
from recode_rl.errors import DataError
from recode_rl.execution.config import LimitsConfig
from recode_rl.execution.types import Limits
from recode_rl.rewards.config import ScorerConfig, build_scorer, scorer_config
from recode_rl.rewards.core import RewardConfig, RewardResult, combine
from recode_rl.rewards.pipeline import check_trust, score_batch
from recode_rl.rewards.scorer import ProcessScorer
from recode_rl.rewards.verify import default_parse, verify_batch
from recode_rl.rewards.verl_data import checker_from_ground_truth

__all__ = ["compute_score", "compute_score_batch", "resolve", "to_verl_dict"]

_CONFIG_FIELDS = set(RewardConfig.model_fields)
_WITHOUT_PROCESS = ("outcome", "compiler")   # the kinds without a process term (rewards.core)
_SCORERS: dict[str, ProcessScorer] = {}
_LOCK = threading.Lock()


def _plain(value: Any) -> Any:
    """OmegaConf containers (veRL hands reward_kwargs over as DictConfig/ListConfig) -> dict/list."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [_plain(v) for v in value]
    return value


def _scorer_settings(kwargs: dict[str, Any]) -> ScorerConfig:
    if kwargs.get("scorer") is not None:
        return scorer_config(_plain(kwargs["scorer"]), "veRL reward_kwargs.scorer")
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


def to_verl_dict(cfg: RewardConfig, r: RewardResult, withheld: bool = False) -> dict[str, float]:
    """One sample's veRL dict; `withheld`: its process score was needed but no scorer was reachable."""
    verdict = r.verdict["verdict"] if r.verdict else None
    out = {
        "score": float(r.reward),
        "acc": r.outcome,
        "format": r.format,
        "outcome": r.outcome,
        "pass_rate": r.pass_rate,
        "process": math.nan if r.process is None else float(r.process),
        "process_term": r.process_term,
        "process_withheld": 1.0 if withheld else 0.0,
        "gate_open": 1.0 if r.gate_open else 0.0,
        "timeout": 1.0 if verdict == "timeout" else 0.0,
        "runtime_error": 1.0 if verdict == "runtime_error" else 0.0,
        "syntax_error": 1.0 if verdict == "syntax_error" else 0.0,
        "no_code": 1.0 if verdict is None else 0.0,
    }
    if cfg.kind in ("compiler", "compiler+recode"):
        out["compiler"] = float(r.compiler if r.compiler is not None else math.nan)
    return out


def _split(info: Any) -> str | None:
    return info.get("split") if isinstance(info, Mapping) else None


def _withheld(problems: list[Problem], responses: list[str], splits: list[str | None], cfg: RewardConfig,
              limits: Limits, max_workers: int | None) -> list[dict[str, float]]:
    """Format and outcome as usual, no process term: veRL's validation call without a scorer."""
    check_trust(problems, cfg)
    parsed = [default_parse(p, r) for p, r in zip(problems, responses)]
    verified = verify_batch(problems, responses, parsed=parsed, limits=limits, max_workers=max_workers)
    # combine() records "process score required ... none was given" in RewardResult.errors for
    # the samples whose gate is open: the missing term is marked, never a silent 0.
    results = [combine(cfg, x, v.result, None) for x, v in zip(parsed, verified)]
    withheld = [r.gate_open and bool(x.think and x.think.strip()) for r, x in zip(results, parsed)]
    if any(w and split in ("train", None) for w, split in zip(withheld, splits)):   # unknown split: strict
        raise ConfigError(
            f"reward kind {cfg.kind!r} needs a process scorer, but veRL called compute_score for a training "
            "sample (extra_info.split 'train' or missing) without `reward_router_address` and no scorer is "
            "configured: enable reward_model (use_reward_loop: true) or set "
            "custom_reward_function.reward_kwargs.scorer (or env RECODE_SCORER) to a scorer server, "
            "e.g. {kind: http, url: 'http://rm-host:8001/score'}")
    if any(withheld):
        warnings.warn("veRL validation without a reachable process scorer: rewards are format + outcome only "
                      "(process_withheld = 1); set reward_kwargs.scorer or RECODE_SCORER to score reasoning in "
                      "validation too", RuntimeWarning, stacklevel=3)
    return [to_verl_dict(cfg, r, withheld=w) for r, w in zip(results, withheld)]


def _score(problems: list[Problem], responses: list[str], splits: list[str | None], kwargs: dict[str, Any],
           max_workers: int | None) -> list[dict[str, float]]:
    cfg, scorer, limits = resolve(kwargs)
    if not getattr(scorer, "enabled", True) and cfg.kind not in _WITHOUT_PROCESS:
        return _withheld(problems, responses, splits, cfg, limits, max_workers)
    results, _ = score_batch(problems, responses, cfg, scorer, limits=limits, max_workers=max_workers)
    return [to_verl_dict(cfg, r) for r in results]


def compute_score(data_source: str, solution_str: str, ground_truth: Any, extra_info: Any = None,
                  **kwargs: Any) -> dict[str, float]:
    """One response -> {"score": reward, component: value, ...} (see module doc)."""
    problem = _problem(ground_truth, extra_info, f"veRL sample ({data_source})")
    return _score([problem], [solution_str], [_split(extra_info)], kwargs, max_workers=1)[0]


def compute_score_batch(data_sources: Sequence[str], solution_strs: Sequence[str], ground_truths: Sequence[Any],
                        extra_infos: Sequence[Any] | None = None, **kwargs: Any) -> list[dict[str, float]]:
    """For veRL's legacy `batch` reward manager: the whole batch in one executor batch and one scorer call."""
    n = len(solution_strs)
    infos = list(extra_infos) if extra_infos is not None else [None] * n
    problems = [_problem(ground_truths[i], infos[i], f"veRL batch sample {i} ({data_sources[i]})") for i in range(n)]
    return _score(problems, list(solution_strs), [_split(x) for x in infos], kwargs,
                  max_workers=kwargs.get("max_workers"))
