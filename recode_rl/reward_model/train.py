"""Bradley-Terry reward-model training on TRL's `RewardTrainer` (MISSION Part 1, step 4).

    pairs (prompt, chosen, rejected) -> encode with template + truncation policy
      -> RewardTrainer: loss = -log sigmoid(s(x, chosen) - s(x, rejected))
      -> early stopping on validation accuracy (or loss), keep the best checkpoint
      -> <run>/checkpoints/reward_model/ (HF folder, LoRA merged) + scoring_card.json

We tokenize before handing data to TRL (`chosen_ids` / `rejected_ids`), so TRL skips its own
tokenization and its max-length filter, which silently drops long pairs, finds nothing to
drop (asserted after the trainer is built). The truncation policy is in `encoding.py`; the
number of pairs it touched is written to metrics.jsonl, the summary and stdout.

Departures from the paper: defaults are a 135M CPU backbone and lr 1e-5 for the offline path
(the paper's 7B / lr 1e-6 settings are `configs/train-rm/paper.yaml`); when no validation file
is given, 10% of the problems are held out (the paper splits 9:1 too, at synthesis time).
"""

from __future__ import annotations

import json
import logging
import os
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence, TypeVar

from recode_rl.config import ConfigError
from recode_rl.model_card import write_model_card
from recode_rl.reward_model.config import Config, LoraSection, ModelSection, gradient_accumulation
from recode_rl.reward_model.data import PreferencePair, load_pairs
from recode_rl.reward_model.encoding import encode
from recode_rl.reward_model.scoring import RewardModel, ScoringCard, write_card
from recode_rl.rl.resume import ResumePlan, last_checkpoint, plan_resume, set_aside
from recode_rl.rundir import RunDir
from recode_rl.trainer_args import finish_trainer_kwargs, hub_kwargs

__all__ = ["TruncationStats", "split_by_problem", "encode_pairs", "load_backbone", "train_bradley_terry",
           "train_reward_model", "pairwise_accuracy", "start_metrics", "plan_rerun", "write_summary"]

T = TypeVar("T")
log = logging.getLogger("recode_rl.reward_model")
STAGE = "train-rm"

# shown on the terminal's progress bar; every log dict goes to metrics.jsonl (`MetricsLogger`)
PROGRESS_FIELDS = {"loss": "loss", "val_loss": "eval_loss", "val_acc": "eval_accuracy"}


@dataclass
class TruncationStats:
    sequences: int = 0
    truncated_sequences: int = 0
    records: int = 0            # pairs (or scored reasonings)
    touched_records: int = 0    # records with at least one truncated side
    problem_tokens_cut: int = 0
    reasoning_tokens_cut: int = 0
    longest_input: int = 0      # tokens, after truncation
    per_record: list[bool] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict[str, int]:
        return {"records": self.records, "touched_records": self.touched_records,
                "sequences": self.sequences, "truncated_sequences": self.truncated_sequences,
                "problem_tokens_cut": self.problem_tokens_cut, "reasoning_tokens_cut": self.reasoning_tokens_cut,
                "longest_input": self.longest_input}


def split_by_problem(items: Sequence[T], key: Callable[[T], str], fraction: float, seed: int) -> tuple[list[T], list[T]]:
    """Hold out ~`fraction` of the distinct problems (seeded); no problem lands on both sides."""
    problems = sorted({key(x) for x in items})
    rng = random.Random(seed)
    rng.shuffle(problems)
    n_val = round(len(problems) * fraction)
    if fraction > 0 and n_val == 0 and len(problems) > 1:
        n_val = 1
    held = set(problems[:n_val])
    return [x for x in items if key(x) not in held], [x for x in items if key(x) in held]


def problem_key(pair: PreferencePair) -> str:
    return str(pair.meta.get("problem_id", pair.prompt))


def encode_pairs(tokenizer: Any, pairs: Sequence[PreferencePair], model_cfg: ModelSection) -> tuple[dict[str, list], TruncationStats]:
    """`{"chosen_ids": [...], "rejected_ids": [...]}` for TRL, and what truncation did."""
    stats = TruncationStats()
    out: dict[str, list] = {"chosen_ids": [], "rejected_ids": []}
    for pair in pairs:
        touched = False
        for side, text in (("chosen_ids", pair.chosen), ("rejected_ids", pair.rejected)):
            enc = encode(tokenizer, pair.prompt, text, template=model_cfg.template,
                         max_length=model_cfg.max_length, truncation=model_cfg.truncation)
            out[side].append(enc.ids)
            stats.sequences += 1
            stats.truncated_sequences += enc.truncated
            stats.problem_tokens_cut += enc.problem_cut
            stats.reasoning_tokens_cut += enc.reasoning_cut
            stats.longest_input = max(stats.longest_input, len(enc.ids))
            touched |= enc.truncated
        stats.records += 1
        stats.touched_records += touched
        stats.per_record.append(touched)
    return out, stats


def load_backbone(model_cfg: ModelSection, *, num_labels: int = 1, deepspeed: str | None = None) -> tuple[Any, Any]:
    """(sequence-classification model with a fresh scalar head, tokenizer with a pad token).

    Loaded in fp32 unless DeepSpeed keeps fp32 master weights (`recode_rl.models.training_dtype`)."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from recode_rl.models import load_with_new_head, resolve_model, training_dtype

    path = resolve_model(model_cfg.backbone)
    tokenizer = AutoTokenizer.from_pretrained(path)
    dtype = training_dtype(model_cfg.dtype, deepspeed)
    model = load_with_new_head(AutoModelForSequenceClassification, path, num_labels=num_labels,
                               dtype=getattr(torch, dtype))
    prepare_tokenizer(model, tokenizer)
    return model, tokenizer


def backbone_for(model_cfg: ModelSection, model: Any = None, tokenizer: Any = None, *,
                 deepspeed: str | None = None) -> tuple[Any, Any, str]:
    """(model, tokenizer, backbone name): the configured backbone, or a caller's in-process pair
    prepared the same way; the max length is checked against the model either way."""
    backbone = model_cfg.backbone
    if model is None or tokenizer is None:
        model, tokenizer = load_backbone(model_cfg, deepspeed=deepspeed)
    else:
        prepare_tokenizer(model, tokenizer)
        backbone = getattr(model.config, "_name_or_path", "") or "in-process"
    check_max_length(model, model_cfg)
    return model, tokenizer, backbone


def prepare_tokenizer(model: Any, tokenizer: Any) -> None:
    """A pad token shared by tokenizer and model config, and a fast tokenizer (the truncation policy needs offsets)."""
    from recode_rl.models import ensure_pad_token

    ensure_pad_token(tokenizer, model)
    if not getattr(tokenizer, "is_fast", False):
        raise ConfigError("the truncation policy needs a fast tokenizer (character offsets)")


def check_max_length(model: Any, model_cfg: ModelSection) -> None:
    """A max_length beyond the backbone's position table would crash mid-training: fail first."""
    positions = getattr(model.config, "max_position_embeddings", None)
    if positions and model_cfg.max_length > positions:
        raise ConfigError(f"model.max_length={model_cfg.max_length} exceeds the backbone's {positions} positions; "
                          f"set model.max_length<={positions}")


def peft_config(lora: LoraSection) -> Any:
    if not lora.enabled:
        return None
    from peft import LoraConfig, TaskType

    # SEQ_CLS makes peft train and save the new scalar head (score / classifier) in full
    return LoraConfig(task_type=TaskType.SEQ_CLS, r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
                      target_modules=lora.target_modules)


def trainer_kwargs(cfg: Config, output_dir: Path, *, has_eval: bool, metric: str) -> dict[str, Any]:
    """TrainingArguments fields shared by the Bradley-Terry and the score-based trainers."""
    import torch

    t = cfg.train
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    kw: dict[str, Any] = dict(
        output_dir=str(output_dir), per_device_train_batch_size=t.per_device_batch_size,
        per_device_eval_batch_size=t.per_device_batch_size,
        gradient_accumulation_steps=gradient_accumulation(t, world_size),
        learning_rate=t.learning_rate, num_train_epochs=t.epochs, max_steps=t.max_steps,
        lr_scheduler_type=t.lr_scheduler, warmup_steps=t.warmup_ratio, weight_decay=t.weight_decay,
        logging_steps=t.logging_steps, save_steps=t.eval_steps, save_strategy="steps", save_total_limit=2,
        bf16=t.bf16, deepspeed=t.deepspeed, seed=t.seed, report_to=t.report_to, dataloader_num_workers=0,
        use_cpu=not torch.cuda.is_available(), **hub_kwargs(t.push_to_hub, t.hub_model_id),
        # always explicit: TRL's RewardConfig defaults it to True, which silently overrode model.gradient_checkpointing=false
        gradient_checkpointing=cfg.model.gradient_checkpointing,
    )
    if has_eval:
        kw.update(eval_strategy="steps", eval_steps=t.eval_steps, load_best_model_at_end=True,
                  metric_for_best_model=f"eval_{metric}", greater_is_better=(metric != "loss"))
    return finish_trainer_kwargs(kw)


class MetricsLogger:
    """A transformers callback copying every log line into the run's metrics.jsonl."""

    def __new__(cls, run: RunDir, prefix: str) -> Any:
        from transformers import TrainerCallback

        class _Logger(TrainerCallback):
            def on_log(self, args, state, control, logs=None, **kwargs):  # noqa: ANN001
                if logs:
                    run.log_metrics(state.global_step, {f"{prefix}/{k}": v for k, v in logs.items()})

        return _Logger()


# metrics.jsonl prefixes train-rm writes: `data/` counts and `final/` scores are logged once per start
_RM_PREFIXES = ("data/", "train/", "final/")


def start_metrics(run: RunDir) -> str | None:
    """The trainer checkpoint to resume from (None: fresh start), with metrics.jsonl made to match it.

    Resuming from checkpoint-N keeps train-rm's lines up to step N (the trainer logs later steps
    again) but not its `data/` and `final/` lines (this start logs them again); a fresh start drops
    every train-rm line. Other stages' lines in a shared run dir are kept. Only rank 0 writes."""
    from recode_rl.rl.callbacks import truncate_metrics

    resume = last_checkpoint(layout(run.root)["checkpoints"])
    if os.environ.get("RANK", "0") == "0":
        if resume is not None:
            truncate_metrics(run, int(Path(resume).name.rsplit("-", 1)[-1]), rewritten=("data/", "final/"))
        else:
            truncate_metrics(run, sys.maxsize, rewritten=_RM_PREFIXES)
    return resume


def pairwise_accuracy(chosen: Sequence[float], rejected: Sequence[float]) -> float:
    """Share of pairs with chosen strictly above rejected; ties count as wrong."""
    if len(chosen) != len(rejected):
        raise ValueError(f"{len(chosen)} chosen scores but {len(rejected)} rejected")
    if not chosen:
        raise ValueError("no pairs to score")
    return sum(c > r for c, r in zip(chosen, rejected)) / len(chosen)


def _load_pair_splits(cfg: Config) -> tuple[list[PreferencePair], list[PreferencePair]]:
    if cfg.data.train is None:
        raise ConfigError("data.train is required: the preference JSONL from `recode synth` (e.g. data.train=runs/synth/data/pairs_train.jsonl)")
    train = load_pairs(cfg.data.train, pair_types=cfg.data.pair_types, limit=cfg.data.limit)
    if cfg.data.validation:
        val = load_pairs(cfg.data.validation, pair_types=cfg.data.pair_types)
    else:
        train, val = split_by_problem(train, problem_key, cfg.data.validation_fraction, cfg.train.seed)
    if not train:
        raise ConfigError(f"{cfg.data.train}: no training pairs left after filtering (pair_types={cfg.data.pair_types})")
    return train, val


def export_and_summarize(trainer: Any, result: Any, tokenizer: Any, run: RunDir, cfg: Config, *, objective: str,
                         backbone: str, counts: dict[str, int], card: dict[str, Any],
                         truncation: tuple[Any, Any], resume: Any, started: float) -> tuple[Any, Path, dict[str, Any]]:
    """Shared end of both trainers: fold LoRA adapters in, write checkpoint + scoring card, and
    the summary fields common to Bradley-Terry and score-based training."""
    final_model = trainer.model
    if hasattr(final_model, "merge_and_unload"):  # LoRA: fold the adapters into a plain checkpoint
        final_model = final_model.merge_and_unload()
    out = run.checkpoints / "reward_model"
    trained_on = {"objective": objective, "train_file": cfg.data.train, "validation_file": cfg.data.validation,
                  **card}
    probe = probe_inputs()
    reference = RewardModel(final_model, tokenizer, model_card(cfg)).raw_scores(*probe, batch_size=len(probe[0]))[0]
    save_final(final_model, tokenizer, out, cfg, trained_on, backbone=backbone, trainer=trainer)
    if trainer.accelerator.is_main_process:
        verify_saved(out, probe, reference)
    trainer.accelerator.wait_for_everyone()
    train_trunc, val_trunc = truncation
    summary: dict[str, Any] = {
        "objective": objective, "checkpoint": str(out), "backbone": backbone, **counts,
        "truncation": {"policy": cfg.model.truncation, "max_length": cfg.model.max_length,
                       "train": train_trunc.to_dict(), "validation": val_trunc.to_dict()},
        "steps": trainer.state.global_step, "train_loss": result.training_loss,
        "best_checkpoint": trainer.state.best_model_checkpoint, "best_metric": trainer.state.best_metric,
        "resumed_from": resume, "seconds": round(time.time() - started, 1),
    }
    return final_model, out, summary


def model_card(cfg: Config, *, backbone: str | None = None, trained_on: Any = None) -> ScoringCard:
    """The scoring card of a model trained with `cfg` (its input recipe)."""
    return ScoringCard(template=cfg.model.template, max_length=cfg.model.max_length, truncation=cfg.model.truncation,
                       backbone=backbone, trained_on=trained_on)


def save_route(trainer: Any) -> str:
    """How the final weights are written: "trainer" (gathered by `trainer.save_model`) under DeepSpeed,
    where `model.save_pretrained` on a ZeRO-3 model writes its empty local shards; else "model"."""
    return "trainer" if trainer is not None and getattr(trainer, "is_deepspeed_enabled", False) else "model"


def save_final(model: Any, tokenizer: Any, out: Path, cfg: Config, trained_on: dict[str, Any], *, backbone: str,
               trainer: Any = None) -> Path:
    """Save a plain HF folder and its scoring card (weights gathered through the trainer under DeepSpeed)."""
    out.mkdir(parents=True, exist_ok=True)
    if save_route(trainer) == "trainer":
        if cfg.lora.enabled:
            raise ConfigError("lora.enabled with DeepSpeed: the merged LoRA model cannot be gathered for saving; "
                              "train LoRA without train.deepspeed or train the full model")
        trainer.save_model(str(out))   # every rank calls it; ZeRO-3 gathers 16-bit weights on rank 0
    main = trainer is None or trainer.accelerator.is_main_process
    if save_route(trainer) == "model" and main:   # DDP: every rank holds the same weights; one writes
        model.save_pretrained(out)
    if main:
        tokenizer.save_pretrained(out)
        write_card(out, model_card(cfg, backbone=backbone, trained_on=trained_on))
        write_model_card(out, stage="train-rm", base_model=backbone, config=cfg,
                         data={"train": cfg.data.train, "validation": cfg.data.validation},
                         notes=[f"Objective: {trained_on.get('objective')}; scoring card: scoring_card.json"])
    return out


def probe_inputs(n: int = 4) -> tuple[list[str], list[str]]:
    """A few fixed (problem, reasoning) texts to compare the saved checkpoint against the trained model."""
    problems = ["Return the sum of two integers a and b.", "Sort a list of n integers in ascending order."]
    reasonings = ["Read a and b, add them and print the result.", "Use a bubble sort: repeat n times, swapping neighbours."]
    return (problems * n)[:n], (reasonings * n)[:n]


def verify_saved(out: Path, probe: tuple[list[str], list[str]], reference: Sequence[float], *,
                 atol: float = 0.05, rtol: float = 0.05) -> None:
    """Reload the saved folder on CPU and check it scores the probe like the in-memory model did.

    A ZeRO-3 model saved without gathering has empty tensors and fails to load or scores differently;
    better to fail here than after days of RL with a broken reward model. The tolerance covers bf16
    on GPU against fp32 on CPU."""
    saved = RewardModel.load(str(out), device="cpu", dtype="float32")
    scores, _ = saved.raw_scores(*probe, batch_size=len(probe[0]))
    bad = [(a, b) for a, b in zip(scores, reference) if abs(a - b) > atol + rtol * abs(b)]
    if bad:
        raise RuntimeError(f"{out}: the saved reward model scores differently from the trained one "
                           f"(saved, in memory): {bad}; the checkpoint is not what was trained")
    log.info("%s reloads and scores like the trained model (%d probes)", out, len(scores))


def train_bradley_terry(cfg: Config, run: RunDir, *, model: Any = None, tokenizer: Any = None) -> dict[str, Any]:
    """Train a BT reward model; returns the summary also written to report/train_rm.json.

    `model`/`tokenizer` may be passed in (tests build tiny ones in process); otherwise the
    backbone named in the config is loaded.
    """
    started = time.time()
    train_pairs, val_pairs = _load_pair_splits(cfg)   # a bad data file fails before torch/TRL are imported

    import torch
    from datasets import Dataset
    from transformers import EarlyStoppingCallback
    from trl import RewardConfig, RewardTrainer

    from recode_rl.trainer_progress import quiet_known_warnings, show_progress

    if cfg.train.num_threads:
        torch.set_num_threads(cfg.train.num_threads)
    model, tokenizer, backbone = backbone_for(cfg.model, model, tokenizer, deepspeed=cfg.train.deepspeed)

    train_ids, train_trunc = encode_pairs(tokenizer, train_pairs, cfg.model)
    val_ids, val_trunc = encode_pairs(tokenizer, val_pairs, cfg.model)
    has_eval = len(val_pairs) > 0
    resume = start_metrics(run)      # before logging: a resumed run's metrics.jsonl has each line once
    run.log_metrics(0, {"data/train_pairs": len(train_pairs), "data/validation_pairs": len(val_pairs),
                        "data/train_pairs_truncated": train_trunc.touched_records,
                        "data/validation_pairs_truncated": val_trunc.touched_records})

    args = RewardConfig(**trainer_kwargs(cfg, run.checkpoints / "trainer", has_eval=has_eval, metric=cfg.train.best_metric),
                        max_length=cfg.model.max_length, center_rewards_coefficient=cfg.train.center_rewards_coefficient,
                        disable_dropout=True)
    callbacks: list[Any] = [MetricsLogger(run, "train")]
    if has_eval and cfg.train.early_stopping_patience:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=cfg.train.early_stopping_patience))
    with quiet_known_warnings():     # peft's deprecated checkpointing call (trainer_progress)
        trainer = RewardTrainer(model=model, args=args, train_dataset=Dataset.from_dict(train_ids),
                                eval_dataset=Dataset.from_dict(val_ids) if has_eval else None,
                                processing_class=tokenizer, callbacks=callbacks, peft_config=peft_config(cfg.lora))
        show_progress(trainer, "train-rm", PROGRESS_FIELDS)
        # Our truncation guarantees TRL's length filter removes nothing; check rather than trust.
        if len(trainer.train_dataset) != len(train_pairs) or (has_eval and len(trainer.eval_dataset) != len(val_pairs)):
            raise RuntimeError("TRL dropped preference pairs despite truncation; this is a bug, please report it")
        result = trainer.train(resume_from_checkpoint=resume)

    final_model, out, summary = export_and_summarize(
        trainer, result, tokenizer, run, cfg, objective="bradley-terry", backbone=backbone,
        counts={"train_pairs": len(train_pairs), "validation_pairs": len(val_pairs)},
        card={"pairs": len(train_pairs), "pair_types": cfg.data.pair_types},
        truncation=(train_trunc, val_trunc), resume=resume, started=started)
    if has_eval:
        scorer = RewardModel(final_model, tokenizer, model_card(cfg))
        chosen, _ = scorer.raw_scores([p.prompt for p in val_pairs], [p.chosen for p in val_pairs],
                                      batch_size=cfg.train.per_device_batch_size)
        rejected, _ = scorer.raw_scores([p.prompt for p in val_pairs], [p.rejected for p in val_pairs],
                                        batch_size=cfg.train.per_device_batch_size)
        summary["validation_accuracy"] = pairwise_accuracy(chosen, rejected)
        run.log_metrics(trainer.state.global_step, {"final/validation_accuracy": summary["validation_accuracy"]})
    write_summary(run, trainer, summary)
    return summary


def write_summary(run: RunDir, trainer: Any, summary: dict[str, Any]) -> None:
    """`report/train_rm.json`, then the trainer state beside the exported model. Written last, that state
    marks the run finished for a rerun (`recode_rl.rl.resume.plan_resume`): a run that crashed before
    it resumes instead of stopping as a no-op."""
    if trainer.accelerator.is_main_process:
        (run.report / "train_rm.json").write_text(json.dumps(summary, indent=2) + "\n")
        trainer.state.save_to_json(str(run.checkpoints / "reward_model" / "trainer_state.json"))


def layout(root: Path) -> dict[str, Path]:
    """Where train-rm keeps its trainer checkpoints and its export (`plan_resume` / `set_aside` arguments)."""
    return {"checkpoints": root / "checkpoints" / "trainer", "final": root / "checkpoints" / "reward_model"}


def plan_rerun(cfg: Config) -> ResumePlan:
    """What this start does in `cfg.run_dir` (`recode_rl.rl.resume.plan_resume`): fresh start, resume, or
    nothing when the run already finished; a change a resume cannot honour is refused here."""
    if cfg.run_dir is None:
        return ResumePlan()
    root = Path(cfg.run_dir)
    plan = plan_resume(root, STAGE, cfg, max_steps=cfg.train.max_steps, epochs=cfg.train.epochs, **layout(root))
    if plan.finished_step is not None:
        log.warning("%s: %s already finished at step %d; nothing to train. Ask for more (train.max_steps or "
                    "train.epochs) to extend it, or --no-resume to start over", STAGE, root, plan.finished_step)
    return plan


def _finished(root: Path, step: int) -> dict[str, Any]:
    """The summary of a finished run as its first start wrote it, marked `already_finished`."""
    run = RunDir(root)
    path = run.report / "train_rm.json"
    summary = json.loads(path.read_text()) if path.is_file() else {}
    return {**summary, "checkpoint": str(layout(root)["final"]), "steps": step, "already_finished": True}


def train_reward_model(cfg: Config) -> tuple[dict[str, Any], RunDir]:
    """`recode train-rm` without the printing: preflight, rerun plan, run directory, then the configured
    objective. A rerun of a finished run trains and writes nothing (summary `already_finished`)."""
    from recode_rl.preflight.checks import require_ok

    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and cfg.run_dir is None:
        raise ConfigError("multi-process runs need an explicit run_dir (--run-dir): every rank must use the same one")
    require_ok(STAGE, cfg)             # before loading anything (recode preflight)
    plan = plan_rerun(cfg)             # a finished run is a no-op; refused changes fail here
    if plan.finished_step is not None:
        return _finished(Path(str(cfg.run_dir)), plan.finished_step), RunDir(Path(str(cfg.run_dir)))
    run_dir = RunDir.create(cfg.run_dir, stage=STAGE)
    if int(os.environ.get("RANK", "0")) == 0:   # one writer; every rank shares the run dir
        run_dir.write_config(cfg, STAGE, plan.record())
        if not cfg.resume and (aside := set_aside(**layout(run_dir.root))) is not None:   # --no-resume
            log.info("%s: --no-resume: the previous checkpoints and model moved to %s", STAGE, aside)
    if cfg.train.objective == "score":
        from recode_rl.reward_model.score_based import train_score_based as train_fn
    else:
        train_fn = train_bradley_terry
    return train_fn(cfg, run_dir), run_dir
