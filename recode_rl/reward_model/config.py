"""Typed configuration of `recode train-rm` (`Config`: Bradley-Terry and score-based reward models)
and `recode eval-rm` (`EvalRmConfig`).

Defaults are the embedded offline CPU run (SmolLM2-135M backbone); `configs/train-rm/paper.yaml`
holds the paper's settings (Qwen2.5-Coder-7B-Base, effective batch 128, lr 1e-6, 2 epochs,
early stopping on validation). The effective batch is
`per_device_batch_size * gradient_accumulation_steps * number of processes`; give `train.batch_size`
(the effective batch, the paper's 128) instead and the accumulation follows from the number of
processes, so the same file means the same batch on 1 or 8 GPUs (`gradient_accumulation`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from recode_rl.config import ConfigError, StageConfig
from recode_rl.generation.config import GeneratorConfig
from recode_rl.generation.types import SamplingParams
from recode_rl.reward_model.encoding import DEFAULT_TEMPLATE, Truncation, check_template

__all__ = ["DataSection", "ModelSection", "LoraSection", "TrainSection", "Config", "gradient_accumulation", "use_synth_run", "EvalRmConfig"]

PairType = Literal["opt>deg", "opt>ori", "ori>deg"]


class DataSection(StageConfig):
    train: str | None = None                 # preference JSONL (bradley-terry) or scored JSONL (score)
    validation: str | None = None            # same format; when absent, split `validation_fraction` by problem
    pair_types: list[PairType] | None = None  # keep only these pair types (the paper's ablation); None = all
    validation_fraction: float = Field(0.1, ge=0.0, lt=1.0)
    limit: int | None = Field(None, ge=1)    # use at most this many training records (quick runs)


class ModelSection(StageConfig):
    backbone: str = "embedded:smollm2"       # HF id or folder; `embedded:smollm2` / `embedded:minilm` offline
    template: str = DEFAULT_TEMPLATE         # input text; {problem} and {reasoning} once each
    max_length: int = Field(1024, ge=16)
    truncation: Truncation = "reasoning_middle"
    dtype: Literal["float32", "bfloat16", "float16"] = "float32"  # weights as loaded
    gradient_checkpointing: bool = False

    @field_validator("template")
    @classmethod
    def _template_ok(cls, value: str) -> str:
        check_template(value)
        return value


class LoraSection(StageConfig):
    enabled: bool = False
    r: int = Field(16, ge=1)
    alpha: int = Field(32, ge=1)
    dropout: float = Field(0.05, ge=0.0, lt=1.0)
    target_modules: list[str] | str = "all-linear"


class TrainSection(StageConfig):
    objective: Literal["bradley-terry", "score"] = "bradley-terry"
    score_loss: Literal["bce", "mse"] = "bce"   # score-based baseline only (see score_based.py)
    per_device_batch_size: int = Field(8, ge=1)
    gradient_accumulation_steps: int = Field(1, ge=1)
    batch_size: int | None = Field(None, ge=1)   # effective batch: sets the accumulation (see gradient_accumulation)
    learning_rate: float = Field(1e-5, gt=0.0)   # set explicitly: TRL's RewardConfig defaults to 1e-4
    epochs: float = Field(2.0, gt=0.0)
    max_steps: int = -1                          # > 0 overrides epochs
    lr_scheduler: Literal["linear", "cosine", "constant", "constant_with_warmup"] = "linear"
    warmup_ratio: float = Field(0.03, ge=0.0, lt=1.0)
    weight_decay: float = Field(0.0, ge=0.0)
    eval_steps: int = Field(50, ge=1)            # evaluate + checkpoint every N optimizer steps
    early_stopping_patience: int | None = Field(3, ge=1)   # evaluations without improvement; None = off
    best_metric: Literal["accuracy", "loss"] = "accuracy"  # the kept checkpoint (score objective: always loss)
    center_rewards_coefficient: float | None = None
    logging_steps: int = Field(10, ge=1)
    report_to: list[str] = Field(default_factory=lambda: ["none"])  # tensorboard, wandb, ...
    push_to_hub: bool = False                    # the Trainer pushes checkpoints and the final model
    hub_model_id: str | None = None
    bf16: bool = False
    deepspeed: str | None = None                 # path to a DeepSpeed JSON config (launch with accelerate/deepspeed)
    seed: int = 42
    num_threads: int | None = None               # torch CPU threads; None = torch default


def gradient_accumulation(t: TrainSection, world_size: int) -> int:
    """Accumulation steps: `train.gradient_accumulation_steps`, or derived from `train.batch_size`."""
    if t.batch_size is None:
        return t.gradient_accumulation_steps
    if "gradient_accumulation_steps" in t.model_fields_set:
        raise ConfigError("train.batch_size and train.gradient_accumulation_steps both set: give one "
                          "(batch_size derives the accumulation from the number of processes)")
    per_step = t.per_device_batch_size * world_size
    if t.batch_size % per_step:
        raise ConfigError(f"train.batch_size={t.batch_size} is not a multiple of per_device_batch_size * processes "
                          f"= {t.per_device_batch_size} * {world_size}")
    return t.batch_size // per_step


class Config(StageConfig):
    run_dir: str | None = None                   # default runs/train-rm-<timestamp>
    resume: bool = True                          # false (--no-resume): set the old run aside and start over
    data: DataSection = DataSection()
    model: ModelSection = ModelSection()
    lora: LoraSection = LoraSection()
    train: TrainSection = TrainSection()


def use_synth_run(cfg: Config, synth_run: str | Path) -> None:
    """Point `cfg.data` at a `recode synth` run's pairs (or scores, for train.objective=score)."""
    data = Path(synth_run) / "data"
    stem = "scores" if cfg.train.objective == "score" else "pairs"
    train, val = data / f"{stem}.train.jsonl", data / f"{stem}.validation.jsonl"
    if not train.is_file():
        raise ConfigError(f"--synth-run {synth_run}: {train} not found (did `recode synth` finish"
                          f"{' with score_based on' if stem == 'scores' else ''}?)")
    cfg.data.train = str(train)
    if val.is_file() and val.stat().st_size > 0:
        cfg.data.validation = str(val)


class EvalRmConfig(StageConfig):
    """`recode eval-rm`: pairwise accuracy of a reward model or an LLM judge on preference files."""

    run_dir: str | None = None                 # default runs/eval-rm-<timestamp>
    model: str | None = None                   # checkpoint folder, HF id, or embedded:smollm2 (untrained head)
    judge: GeneratorConfig | None = None       # set instead of `model` for the generator-as-judge baseline
    judge_samples: int = Field(1, ge=1)
    judge_sampling: SamplingParams = SamplingParams(temperature=0.0, max_new_tokens=256)
    files: list[str] = []                      # preference files to evaluate
    subsets: list[str] | None = None           # keep only these subsets (RewardBench `subset` / our pair type)
    input_format: Literal["auto", "card", "chat", "template"] = "auto"
    template: str | None = None                # override the input template ({problem}, {reasoning})
    max_length: int | None = Field(None, ge=16)
    truncation: Literal["reasoning_middle", "reasoning_left", "left", "right"] | None = None
    batch_size: int = Field(8, ge=1)
    limit: int | None = Field(None, ge=1)      # at most this many pairs per file
    device: str = "cpu"
    dtype: Literal["float32", "bfloat16", "float16"] = "float32"
    num_threads: int | None = None
