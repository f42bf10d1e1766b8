"""CG-GRPO with TRL's GRPOTrainer: problems -> policy prompts -> rollouts -> ReCode reward -> update.

    cfg = load_config(Config, "configs/train-rl/default.yaml")
    result = train(cfg)              # or `recode train-rl --config ...`

Reads top to bottom:
0. `recode preflight`'s checks (`recode_rl.preflight.checks.require_ok`) before importing TRL or
   loading anything: data splits, batch shape, DeepSpeed JSON, scorer placement, loggers installed.
1. Run dir (`RunDir`): resolved config `config.train-rl.yaml`, checkpoints in `checkpoints/`
   (`checkpoint-<step>`, TRL/transformers format with optimizer, scheduler, RNG and data state),
   `metrics.jsonl`, `report/`. Rerunning on the same run dir resumes from the last checkpoint; a
   rerun of a FINISHED run is a no-op unless `train.max_steps` asks for more, and a change that a
   resume cannot honour (learning rate, batch, model, data, reward) is refused (`recode_rl.rl.resume`).
2. Problems from `data.train` -> conversational rows: the policy prompt (rendered by TRL with the
   model's chat template) plus the problem statement and the tests as columns. Prompts over
   `data.max_prompt_length` tokens are dropped and counted (`report/train_data.json`).
3. ONE reward callable (`ReCodeReward`): format + tests in one parallel executor batch + the process
   scorer on the samples the gate lets through (`recode_rl.rewards`). The scorer is an HTTP server
   (`recode serve-scorer`, one for all ranks: the multi-GPU default) or, in a single process, a
   reward-model folder on a named device (`scorer.device`).
4. `GRPOTrainer` with `grpo_kwargs(cfg)` (beta 0, dapo token-level loss, clip-higher, constant lr;
   the policy loaded in fp32 unless DeepSpeed keeps fp32 master weights);
   generation by transformers on CPU or vLLM (colocate / server) on GPU.
5. Final policy saved to `checkpoints/final` (HF folder + tokenizer).

Timing: `time/generation_s` (step start to reward call, per generation batch) from `TimedReward`;
`recode/time_execution_s` and `recode/time_scoring_s` from the reward; `time/step_s` (wall time per
optimizer step) from `RunDirMetrics`. TRL is reached only through public hooks (config, reward
callable, callbacks); the advantage it computes is pinned in `recode_rl.rl.algo`. The terminal shows
one progress bar (`recode_rl.trainer_progress`); every log dict goes to `metrics.jsonl`.

Departure from the paper: the paper trains with veRL on 8xA800; this path uses TRL (the veRL
recipe is in recipes/verl/). Everything else is mapped in `recode_rl.rl.config`.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from recode_rl.config import ConfigError
from recode_rl.data.schema import Problem
from recode_rl.model_card import write_model_card
from recode_rl.preflight.checks import require_ok
from recode_rl.rewards.scorer import ProcessScorer
from recode_rl.rl.config import Config, SFTConfig, grpo_kwargs, needs_scorer
from recode_rl.rl.resume import ResumePlan, plan_resume, set_aside
from recode_rl.trainer_args import finish_trainer_kwargs
from recode_rl.rundir import RunDir

__all__ = ["TrainResult", "build_reward", "rl_scorer", "train", "plan_rerun", "load_tokenizer"]

log = logging.getLogger("recode_rl.rl")
STAGE = "train-rl"


@dataclass
class TrainResult:
    run_dir: Path
    final_model: Path
    global_step: int
    resumed_from: str | None
    metrics: list[dict[str, Any]]
    hacking_flags: list[dict[str, Any]]
    seconds: float
    already_finished: bool = False   # a rerun of a finished run: nothing was trained or written


def rl_scorer(cfg: Config) -> ProcessScorer:
    """The process scorer of `cfg.scorer` (NoScorer when the reward never asks); errors early if the kind needs one."""
    from recode_rl.rewards.config import ScorerConfig, build_scorer, ready_scorer

    if needs_scorer(cfg) and not cfg.scorer.enabled:
        raise ConfigError(f"reward.kind {cfg.reward.kind!r} needs a process scorer: set scorer.kind (hf with scorer.path "
                          "= a reward-model folder with scoring_card.json, http with scorer.url, or import with "
                          "scorer.factory), e.g. --scorer-path DIR")
    if not needs_scorer(cfg) and not cfg.reward.score_failing:
        return build_scorer(ScorerConfig())  # outcome / compiler: never called
    return ready_scorer(cfg.scorer)         # a remote scorer must answer now, not at the first passing sample


def build_reward(cfg: Config, scorer: ProcessScorer) -> Any:
    """The one TRL reward callable (gate inside); math rows carry the gold answer in an `answer` column."""
    from recode_rl.rewards.trl_reward import ReCodeReward

    return ReCodeReward(cfg.reward, scorer, limits=cfg.limits.to_limits(), max_workers=cfg.limits.max_workers)


def load_tokenizer(path: str, trust_remote_code: bool = False) -> Any:
    """The policy tokenizer, left-padded for generation, with a pad token."""
    from transformers import AutoTokenizer

    from recode_rl.models import ensure_pad_token

    tok = AutoTokenizer.from_pretrained(path, trust_remote_code=trust_remote_code)
    tok.padding_side = "left"
    ensure_pad_token(tok)
    if not getattr(tok, "chat_template", None):
        raise ConfigError(f"model.path {path!r}: the tokenizer has no chat template; the policy prompt is a "
                          "conversation (use an instruct/chat model or add a chat_template)")
    return tok


def plan_rerun(cfg: Config | SFTConfig, stage: str, max_steps: int, epochs: float | None = None) -> ResumePlan:
    """`plan_resume` on `cfg.run_dir` (a fresh start without one), with the decision logged."""
    if cfg.run_dir is None:
        return ResumePlan()
    plan = plan_resume(Path(cfg.run_dir), stage, cfg, max_steps=max_steps, epochs=epochs)
    if plan.finished_step is not None:
        log.warning("%s: %s already finished at step %d; nothing to train. Ask for more steps (--max-steps) to "
                    "extend it, or --no-resume to start over", stage, cfg.run_dir, plan.finished_step)
    elif plan.changed:
        log.info("%s: resuming from step %d with %s", stage, plan.step,
                 ", ".join(f"{k} {old!r} -> {new!r}" for k, (old, new) in plan.changed.items()))
        # the scheduler is rebuilt for the new total (its state only holds the step): only a constant
        # rate without warmup is the same curve as one uninterrupted run
        if any(k in ("train.max_steps", "train.epochs") for k in plan.changed) and \
                (cfg.train.lr_scheduler != "constant" or cfg.train.warmup_ratio):
            log.warning("%s: the %s learning-rate schedule (warmup_ratio %s) is rebuilt for the new length from "
                        "step %d on", stage, cfg.train.lr_scheduler, cfg.train.warmup_ratio, plan.step)
    return plan


def _finished(run_dir: Path, step: int, start: float) -> TrainResult:
    from recode_rl.data.records import load_records

    run = RunDir(run_dir)
    flags = load_records(run.report / "hacking_flags.jsonl", missing_ok=True)   # what RunDirMetrics recorded
    return TrainResult(run_dir=run.root, final_model=run.checkpoints / "final", global_step=step, resumed_from=None,
                       metrics=run.read_metrics(), hacking_flags=flags, seconds=time.perf_counter() - start,
                       already_finished=True)


def train(cfg: Config, *, callbacks: Sequence[Any] = (), model: Any = None, tokenizer: Any = None) -> TrainResult:
    """Run (or resume) CG-GRPO as configured; see the module doc. `model`/`tokenizer` override model.path."""
    require_ok(STAGE, cfg)                           # `recode preflight`'s checks, before importing/loading anything
    start = time.perf_counter()
    plan = plan_rerun(cfg, STAGE, cfg.train.max_steps)  # a finished run is a no-op; refused changes fail here
    if plan.finished_step is not None:
        return _finished(Path(str(cfg.run_dir)), plan.finished_step, start)
    from recode_rl.models import freeze_for_speed, resolve_model

    model_path = resolve_model(cfg.model.path)       # a missing model folder fails before torch/TRL are imported
    import torch
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    from recode_rl.rewards.monitor import HackingMonitor
    from recode_rl.rl.callbacks import PeriodicEval, RunDirMetrics, SaveRollouts, TimedReward, truncate_metrics
    from recode_rl.rl.data import dataset_rows, drop_long_prompts, load_training_problems
    from recode_rl.trainer_progress import quiet_known_warnings, show_progress

    if cfg.train.num_threads:
        torch.set_num_threads(cfg.train.num_threads)
    scorer = rl_scorer(cfg)                          # fail on a missing scorer before loading anything big
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size > 1 and cfg.run_dir is None:
        raise ConfigError("multi-process runs need an explicit run_dir (--run-dir): every rank must use the same one")
    if world_size > 1 and cfg.eval.every and cfg.eval.inline:
        raise ConfigError("eval.inline: a sharded policy cannot be evaluated on one rank; set eval.inline=false "
                          "(eval.keep_snapshots keeps checkpoints/eval-step-N for `recode eval` afterwards)")
    run = RunDir.create(cfg.run_dir, stage=STAGE)
    args = GRPOConfig(**finish_trainer_kwargs(grpo_kwargs(cfg, str(run.checkpoints), world_size)))
    main_process = args.process_index == 0          # only rank 0 writes to the run dir
    if main_process:
        run.write_config(cfg, STAGE, plan.record())
        if not cfg.resume and (aside := set_aside(run.checkpoints)) is not None:   # --no-resume: start over
            log.info("%s: --no-resume: the previous checkpoints moved to %s", STAGE, aside)

    problems = load_training_problems(cfg.data)
    from recode_rl.rewards.pipeline import check_trust

    check_trust(problems, cfg.reward, "train-rl data.train")   # weak-trust tests: refused before any model loads
    if tokenizer is None:
        tokenizer = load_tokenizer(model_path, cfg.model.trust_remote_code)
    rows, too_long = drop_long_prompts(dataset_rows(problems, cfg.data.prompt), tokenizer, cfg.data.max_prompt_length)
    if too_long:
        log.warning("train-rl: dropped %d of %d prompts longer than data.max_prompt_length=%d tokens (e.g. %s)",
                    len(too_long), len(problems), cfg.data.max_prompt_length, ", ".join(too_long[:3]))
    dataset = Dataset.from_list(rows)
    log.info("train-rl: %d problems, reward %s, run dir %s", len(rows), cfg.reward.kind, run.root)

    resume = plan.checkpoint
    metrics_cb = RunDirMetrics(run, HackingMonitor(
        window=cfg.monitor.window, process_key=cfg.monitor.process_key, pass_key=cfg.monitor.pass_key,
        near_max=cfg.monitor.near_max, min_process_rise=cfg.monitor.min_process_rise,
        max_pass_rise=cfg.monitor.max_pass_rise) if cfg.monitor.enabled else None)
    if resume is not None:
        dropped = truncate_metrics(run, plan.step) if main_process else 0
        metrics_cb.replay(run.read_metrics())
        log.info("resuming from %s (dropped %d metrics lines logged after it)", resume, dropped)
    elif main_process and run.metrics_path.exists():
        run.metrics_path.unlink()  # a fresh start in an old run dir: no stale curves
    if main_process:   # the prompt-length filter's count, beside the run's other reports
        (run.report / "train_data.json").write_text(json.dumps(
            {"problems": len(problems), "prompts": len(rows), "prompts_too_long": len(too_long),
             "max_prompt_length": cfg.data.max_prompt_length, "dropped_task_ids": too_long}, indent=1) + "\n")

    reward = TimedReward(SaveRollouts(build_reward(cfg, scorer), run, cfg.train.save_rollouts_every))  # also a callback: it times generation
    extra = [PeriodicEval(run, cfg.eval, cfg.limits.to_limits(), cfg.limits.max_workers)] if cfg.eval.every else []
    with quiet_known_warnings():                     # TRL's deprecated checkpointing calls (trainer_progress)
        trainer = GRPOTrainer(
            model=model if model is not None else model_path, reward_funcs=[reward], args=args,
            train_dataset=dataset, processing_class=tokenizer, callbacks=[metrics_cb, reward, *extra, *callbacks])
        if cfg.model.train_top_layers:               # before the optimizer exists (it takes trainable params only)
            freeze_for_speed(trainer.model, cfg.model.train_top_layers, STAGE)
        show_progress(trainer, STAGE, {"reward": "reward", "pass": "recode/outcome_rate",
                                       "process": "recode/process_gated_mean"})
        trainer.train(resume_from_checkpoint=resume)

    final = run.checkpoints / "final"
    trainer.save_model(str(final))
    if trainer.accelerator.is_main_process:
        tokenizer.save_pretrained(str(final))
        trainer.state.save_to_json(str(final / "trainer_state.json"))   # the step `final` holds (plan_resume)
        write_model_card(final, stage=STAGE, base_model=cfg.model.path, config=cfg,
                         data=cfg.data.model_dump(mode="json"), notes=[f"Reward: {cfg.reward.kind}"])
    return TrainResult(run_dir=run.root, final_model=final, global_step=trainer.state.global_step,
                       resumed_from=resume, metrics=run.read_metrics(), hacking_flags=metrics_cb.flags,
                       seconds=time.perf_counter() - start)
