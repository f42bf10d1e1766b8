"""The paper's "Score-based" baseline reward model (MISSION Part 1, step 5).

The generator gave each base reasoning one quality score 0.0-1.0 (steps of 0.1; paper Fig. 10); here
the same scalar head as the CRPL model is fine-tuned so that sigmoid(head) matches that score,
with the same hyper-parameters, template, truncation policy and scoring card — so the two
reward models are drop-in replacements for each other in RL and in `recode eval-rm`.

Loss (`train.score_loss`):
- `bce` (default): binary cross-entropy between sigmoid(head) and the soft target score,
  `-(y log σ(z) + (1-y) log(1-σ(z)))`. It is the natural likelihood for a [0, 1] target
  read through a sigmoid, and its gradient `σ(z) - y` does not vanish when the head saturates.
- `mse`: `(σ(z) - y)^2`, the plain regression reading of "fine-tuned on the scores"; its
  gradient is damped by σ'(z), so it learns more slowly from confident mistakes.
The paper does not say which it used.
"""

from __future__ import annotations

import time
from typing import Any

from recode_rl.config import ConfigError
from recode_rl.reward_model.config import Config
from recode_rl.reward_model.data import ScoredReasoning, load_scored
from recode_rl.reward_model.encoding import encode
from recode_rl.reward_model.scoring import RewardModel, sigmoid
from recode_rl.reward_model.train import (
    PROGRESS_FIELDS, MetricsLogger, TruncationStats, backbone_for, export_and_summarize, start_metrics,
    model_card, peft_config, split_by_problem, trainer_kwargs, write_summary,
)
from recode_rl.rundir import RunDir

__all__ = ["score_loss", "train_score_based"]


def score_loss(logits: Any, target: Any, kind: str = "bce") -> Any:
    """Mean loss between sigmoid(logits) and targets in [0, 1]. Shapes: (batch,) and (batch,)."""
    import torch.nn.functional as F

    target = target.to(logits.dtype)
    if kind == "bce":
        return F.binary_cross_entropy_with_logits(logits, target)
    if kind == "mse":
        return ((logits.sigmoid() - target) ** 2).mean()
    raise ValueError(f"unknown score loss {kind!r}; use 'bce' or 'mse'")


def _encode(tokenizer: Any, records: list[ScoredReasoning], cfg: Config) -> tuple[dict[str, list], TruncationStats]:
    stats = TruncationStats()
    out: dict[str, list] = {"input_ids": [], "labels": []}
    for rec in records:
        enc = encode(tokenizer, rec.prompt, rec.reasoning, template=cfg.model.template,
                     max_length=cfg.model.max_length, truncation=cfg.model.truncation)
        out["input_ids"].append(enc.ids)
        out["labels"].append(rec.score)
        stats.records += 1
        stats.sequences += 1
        stats.truncated_sequences += enc.truncated
        stats.touched_records += enc.truncated
        stats.problem_tokens_cut += enc.problem_cut
        stats.reasoning_tokens_cut += enc.reasoning_cut
        stats.longest_input = max(stats.longest_input, len(enc.ids))
    return out, stats


def train_score_based(cfg: Config, run: RunDir, *, model: Any = None, tokenizer: Any = None) -> dict[str, Any]:
    """Fine-tune the scalar head on generator scores; same outputs as `train_bradley_terry`."""
    started = time.time()
    if cfg.data.train is None:
        raise ConfigError("data.train is required: the scored-reasoning JSONL from `recode synth`")
    train = load_scored(cfg.data.train, limit=cfg.data.limit)      # a bad data file fails before torch/TRL
    if cfg.data.validation:
        val = load_scored(cfg.data.validation)
    else:
        train, val = split_by_problem(train, lambda r: r.id, cfg.data.validation_fraction, cfg.train.seed)
    if not train:
        raise ConfigError(f"{cfg.data.train}: no training records")

    import torch
    from datasets import Dataset
    from transformers import DataCollatorWithPadding, EarlyStoppingCallback, Trainer, TrainingArguments

    from recode_rl.trainer_progress import quiet_known_warnings, show_progress

    if cfg.train.num_threads:
        torch.set_num_threads(cfg.train.num_threads)
    model, tokenizer, backbone = backbone_for(cfg.model, model, tokenizer, deepspeed=cfg.train.deepspeed)

    train_ids, train_trunc = _encode(tokenizer, train, cfg)
    val_ids, val_trunc = _encode(tokenizer, val, cfg)
    has_eval = len(val) > 0
    resume = start_metrics(run)      # before logging: a resumed run's metrics.jsonl has each line once
    run.log_metrics(0, {"data/train_records": len(train), "data/validation_records": len(val),
                        "data/train_records_truncated": train_trunc.touched_records,
                        "data/validation_records_truncated": val_trunc.touched_records})

    loss_kind = cfg.train.score_loss

    class ScoreTrainer(Trainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):  # noqa: ANN001
            target = inputs.pop("labels")
            outputs = model(**inputs)
            loss = score_loss(outputs.logits.squeeze(-1), target, loss_kind)
            return (loss, outputs) if return_outputs else loss

    args = TrainingArguments(**trainer_kwargs(cfg, run.checkpoints / "trainer", has_eval=has_eval, metric="loss"),
                             label_names=["labels"])
    callbacks: list[Any] = [MetricsLogger(run, "train")]
    if has_eval and cfg.train.early_stopping_patience:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=cfg.train.early_stopping_patience))
    with quiet_known_warnings():     # peft's deprecated checkpointing call (trainer_progress)
        peft = peft_config(cfg.lora)
        if peft is not None:
            from peft import get_peft_model
            model = get_peft_model(model, peft)
        trainer = ScoreTrainer(model=model, args=args, train_dataset=Dataset.from_dict(train_ids),
                               eval_dataset=Dataset.from_dict(val_ids) if has_eval else None,
                               data_collator=DataCollatorWithPadding(tokenizer), processing_class=tokenizer,
                               callbacks=callbacks)
        show_progress(trainer, "train-rm", PROGRESS_FIELDS)
        result = trainer.train(resume_from_checkpoint=resume)

    final_model, out, summary = export_and_summarize(
        trainer, result, tokenizer, run, cfg, objective=f"score-{loss_kind}", backbone=backbone,
        counts={"train_records": len(train), "validation_records": len(val)}, card={"records": len(train)},
        truncation=(train_trunc, val_trunc), resume=resume, started=started)
    if has_eval:
        scorer = RewardModel(final_model, tokenizer, model_card(cfg))
        raw, _ = scorer.raw_scores([r.prompt for r in val], [r.reasoning for r in val],
                                   batch_size=cfg.train.per_device_batch_size)
        pred = [sigmoid(s) for s in raw]
        summary["validation_mse"] = sum((p - r.score) ** 2 for p, r in zip(pred, val)) / len(val)
        summary["validation_mae"] = sum(abs(p - r.score) for p, r in zip(pred, val)) / len(val)
        run.log_metrics(trainer.state.global_step, {"final/validation_mse": summary["validation_mse"]})
    write_summary(run, trainer, summary)
    return summary
