"""The Python API for notebooks: `train`, `evaluate`, `score` — the CLI's stages as functions.

    import recode_rl
    result = recode_rl.train("configs/train-rl/default.yaml", ["train.max_steps=2"])   # TrainResult
    summary = recode_rl.evaluate(overrides={"benchmarks": ["humaneval"]})               # eval summary dict
    scored = recode_rl.score(problems="humaneval", responses=[...], overrides=["reward.kind=outcome"])

Each function takes a config as a YAML path, a config object (e.g. `recode_rl.rl.config.Config`)
or None (the command's embedded default, as a bare `recode <command>` runs), plus overrides: a
list of `key.sub=value` strings as on the command line, or a dict {dotted key: value}. The
config is resolved and validated exactly as the CLI does (`recode_rl.config.load_config`), and
the same library functions run, so results land in the same run directory layout; nothing is
printed beyond the stages' logs and progress bars. A call that fails before doing any work leaves
no skeleton run directory, as a CLI command does (both wear `recode_rl.rundir.discard_if_unused`).
See docs/api.md.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from recode_rl.config import ConfigError, _defaults, apply_overrides, load_config, shipped_config, validate_config
from recode_rl.rundir import discard_if_unused

__all__ = ["load", "train", "evaluate", "score", "ScoreOutput", "TRAIN_STAGES"]

C = TypeVar("C", bound=BaseModel)
Overrides = Sequence[str] | Mapping[str, Any] | None

TRAIN_STAGES = ("train-rl", "train-sft", "train-rm")


def _config_class(stage: str) -> type[BaseModel]:
    if stage == "train-rl":
        from recode_rl.rl.config import Config
        return Config
    if stage == "train-sft":
        from recode_rl.rl.config import SFTConfig
        return SFTConfig
    if stage == "train-rm":
        from recode_rl.reward_model.config import Config as RMConfig
        return RMConfig
    if stage == "eval":
        from recode_rl.evaluation.config import EvalConfig
        return EvalConfig
    if stage == "score":
        from recode_rl.rewards.config import ScoreConfig
        return ScoreConfig
    raise ConfigError(f"unknown stage {stage!r}; choose from {', '.join((*TRAIN_STAGES, 'eval', 'score'))}")


def _override_list(overrides: Overrides) -> list[str]:
    if overrides is None:
        return []
    if isinstance(overrides, Mapping):   # JSON is valid YAML: a value keeps its type
        return [f"{key}={json.dumps(value)}" for key, value in overrides.items()]
    if isinstance(overrides, str):
        return [overrides]
    return list(overrides)


def load(stage: str, config: str | Path | BaseModel | None = None, overrides: Overrides = None) -> Any:
    """The resolved config of `stage` (train-rl, train-sft, train-rm, eval, score), as the CLI builds it."""
    from recode_rl.cli import EMBEDDED_DEFAULTS

    cls = _config_class(stage)
    items = _override_list(overrides)
    if isinstance(config, BaseModel):
        if not isinstance(config, cls):
            raise ConfigError(f"{stage} needs a {cls.__module__}.{cls.__name__}, got {type(config).__name__}")
        if not items:
            return config
        tree = config.model_dump(mode="json")
        apply_overrides(tree, items, _defaults(cls))
        return validate_config(cls, tree, f"{type(config).__name__} object + overrides")
    if config is None and stage in EMBEDDED_DEFAULTS:
        config = shipped_config(EMBEDDED_DEFAULTS[stage])
    return load_config(cls, config, items)


def _stage_of(config: Any, stage: str | None) -> str:
    if stage is not None:
        return stage
    for name in TRAIN_STAGES:
        if isinstance(config, BaseModel) and isinstance(config, _config_class(name)):
            return name
    return "train-rl"


@discard_if_unused()
def train(config: str | Path | BaseModel | None = None, overrides: Overrides = None, *, stage: str | None = None,
          **kwargs: Any) -> Any:
    """Run a training stage; returns its result object.

    stage "train-rl" (the default; or inferred from a config object): `recode_rl.rl.train.TrainResult`
    (run_dir, final_model, global_step, metrics, hacking_flags, ...); "train-sft": `SFTResult`;
    "train-rm": the summary dict of `report/train_rm.json` plus "run_dir". `kwargs` go to the
    stage's function (train-rl/train-sft: `callbacks`, `tokenizer`; train-rl also `model`)."""
    stage = _stage_of(config, stage)
    if stage not in TRAIN_STAGES:
        raise ConfigError(f"train: stage must be one of {', '.join(TRAIN_STAGES)}, got {stage!r}")
    cfg = load(stage, config, overrides)
    if stage == "train-rl":
        from recode_rl.rl.train import train as train_rl

        return train_rl(cfg, **kwargs)
    if stage == "train-sft":
        from recode_rl.rl.sft import train_sft

        return train_sft(cfg, **kwargs)
    from recode_rl.reward_model.train import train_reward_model

    summary, run_dir = train_reward_model(cfg)
    return {**summary, "run_dir": str(run_dir.root)}


@discard_if_unused()
def evaluate(config: str | Path | BaseModel | None = None, overrides: Overrides = None, *,
             generator: Any = None, progress: bool = True) -> dict[str, Any]:
    """`recode eval`: the summary dict of `report/eval_summary.json` plus "run_dir".

    `generator` replaces the configured one (any object with `generate(prompts, n, sampling)` and
    `model_id`, e.g. `recode_rl.generation.hf.HFGenerator` around a model already in memory)."""
    from recode_rl.evaluation.policy_eval import run_eval

    summary, run_dir = run_eval(load("eval", config, overrides), generator, progress=progress)
    return {**summary, "run_dir": str(run_dir.root)}


@dataclass
class ScoreOutput:
    """What `score` returns: one `RewardResult` per response (in order) and the batch summary."""

    results: list[Any]
    summary: dict[str, Any]

    @property
    def rewards(self) -> list[float]:
        return [r.reward for r in self.results]


@discard_if_unused()
def score(config: str | Path | BaseModel | None = None, overrides: Overrides = None, *,
          problems: str | Sequence[Any] | None = None, responses: str | Sequence[Any] | None = None,
          scorer: Any = None) -> ScoreOutput:
    """Score policy responses with a ReCode reward (`recode score` without the output file).

    `problems`: a problem set name or file (as `--problems`), or a list of `Problem`s.
    `responses`: a JSONL file (as `--responses`), or a list of {"task_id", "response"} dicts, or a
    list of strings (one per problem, in order). `scorer`: a process scorer object; else
    `config.scorer` is built. Either argument, when given, wins over the config's."""
    from recode_rl.data import load_problems
    from recode_rl.data.schema import Problem
    from recode_rl.errors import DataError
    from recode_rl.rewards.cli import read_responses
    from recode_rl.rewards.config import build_scorer
    from recode_rl.rewards.pipeline import score_in_chunks

    cfg = load("score", config, overrides)
    problems = problems if problems is not None else cfg.problems
    responses = responses if responses is not None else cfg.responses
    if problems is None or responses is None:
        raise DataError("score: give problems (a set name, file or list of Problem) and responses")
    problem_list = list(problems) if not isinstance(problems, (str, Path)) else load_problems(str(problems))
    if isinstance(responses, (str, Path)):
        records = [rec for _, rec in read_responses(responses)]
    elif all(isinstance(r, str) for r in responses):
        if len(responses) != len(problem_list):
            raise DataError(f"score: {len(responses)} response strings for {len(problem_list)} problems; "
                            "give one per problem, or {task_id, response} records")
        records = [{"task_id": p.task_id, "response": r} for p, r in zip(problem_list, responses)]
    else:
        records = list(responses)
    by_id: dict[str, Problem] = {p.task_id: p for p in problem_list}
    missing = sorted({str(r["task_id"]) for r in records} - set(by_id))
    if missing:
        raise DataError(f"score: unknown task_id(s) {', '.join(missing[:5])} (not in the problems)")
    if scorer is None:
        if cfg.reward.uses_process and not cfg.scorer.enabled:
            raise ConfigError(f"reward.kind {cfg.reward.kind!r} needs a process scorer: pass scorer=..., set "
                              "scorer.kind (path, url or import), or use reward.kind=outcome")
        scorer = build_scorer(cfg.scorer)
    results, summary = score_in_chunks([by_id[str(r["task_id"])] for r in records], [r["response"] for r in records],
                                       cfg.reward, scorer, chunk_size=cfg.chunk_size, limits=cfg.limits.to_limits(),
                                       max_workers=cfg.max_workers)
    return ScoreOutput(results, summary)
