"""Typed configuration of `recode train-rl` (CG-GRPO on TRL's GRPOTrainer, mapped to GRPOConfig) and `recode train-sft`.

Defaults are the embedded offline CPU run (SmolLM2-135M-Instruct, the 30 bundled problems, a
few steps, fp32, no vLLM). `configs/train-rl/paper.yaml` holds the paper's settings and the
`paper-*.yaml` files its ablations; they differ only in the `reward` / `scorer` sections.

The batch is given the way the paper states it, in PROMPTS per optimizer step
(`train.prompts_per_step`, paper 32) times `train.num_generations` completions per prompt.
TRL counts completions: `per_device_train_batch_size` is completions per device per micro-batch,
and one optimizer step consumes `per_device * world_size * gradient_accumulation_steps`
completions. `grpo_kwargs` derives `gradient_accumulation_steps` so that one optimizer step sees
exactly `prompts_per_step * num_generations` completions, generated in one batch (TRL's
`steps_per_generation` = gradient accumulation steps: every step is on-policy, as in veRL with
ppo_mini_batch_size = train_batch_size), and refuses shapes that do not divide.

Departures from the paper: the paper does not state the group size G; we default to 8 in the
paper config (DeepCoder's recipe uses 8 or 16). Temperature 1.0 and top_p 1.0 are our choices.
`reward.score_failing` (monitoring) and the hacking monitor are ours. As in the paper's veRL setup,
prompts over `data.max_prompt_length` (2048) tokens are dropped and TRL's vLLM importance-sampling
correction is off (`vllm.importance_sampling_correction`; TRL's own default is on).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from recode_rl.config import ConfigError, StageConfig
from recode_rl.evaluation.config import BenchmarkSpec
from recode_rl.execution.config import LimitsConfig
from recode_rl.models import training_dtype
from recode_rl.rewards.config import ScorerConfig
from recode_rl.rewards.core import MATH_KINDS, NO_PROCESS_KINDS, RewardConfig
from recode_rl.trainer_args import hub_kwargs

__all__ = ["ProblemSource", "ModelSection", "DataSection", "LimitsSection", "TrainSection",
           "VLLMSection", "MonitorSection", "EvalSection", "Config", "grpo_kwargs", "needs_scorer",
           "DEFAULT_THINK", "TargetsSection", "SFTTrainSection", "SFTConfig"]


class ProblemSource(StageConfig):
    """One problem set: a name/file/`hf:`/`module:function` for `load_problems`, plus its options."""

    name: str
    options: dict[str, Any] = Field(default_factory=dict)   # e.g. {config: lcbv5, split: train}
    limit: int | None = Field(None, ge=1)                    # first N problems of this source


def _as_sources(value: Any) -> Any:
    if isinstance(value, str):
        return [{"name": value}]
    if isinstance(value, list):
        return [{"name": v} if isinstance(v, str) else v for v in value]
    return value


class DataSection(StageConfig):
    train: list[ProblemSource] = Field(default_factory=lambda: [ProblemSource(name="embedded")])
    exclude: list[str] = Field(default_factory=list)   # task ids left out (e.g. a held-out split)
    prompt: Literal["code", "math"] = "code"           # policy prompt: code block, or \boxed{} answer
    shuffle_seed: int = 0                              # order of the problem list before limits
    # prompts longer than this (policy prompt, chat template applied) are dropped before training and
    # counted (log, `report/train_data.json`); veRL's max_prompt_length, 2048 in the paper's recipe.
    # train-rl only (train-sft truncates at train.max_length). None = keep every prompt.
    max_prompt_length: int | None = Field(2048, ge=16)

    @field_validator("train", mode="before")
    @classmethod
    def _coerce(cls, value: Any) -> Any:
        return _as_sources(value)


class ModelSection(StageConfig):
    path: str = "embedded:smollm2"    # HF id or folder; embedded:smollm2 = packaged SmolLM2-135M-Instruct
    dtype: Literal["float32", "bfloat16", "float16"] = "float32"
    attn_implementation: str | None = None   # e.g. flash_attention_2 on GPU; None = transformers default
    trust_remote_code: bool = False
    # CPU speed knob (ours, not the paper's): train only the top N transformer blocks and the final
    # norm; embeddings and lower blocks stay frozen, so backpropagation stops early. None = all.
    train_top_layers: int | None = Field(None, ge=1)


class LimitsSection(LimitsConfig):
    """The executor's limits plus how many sandboxes run in parallel."""

    # parallel sandboxes PER RANK (every training process runs its own executor): 32 on 8 ranks is 256
    # sandboxes on the node. None = the executor's default.
    max_workers: int | None = Field(None, ge=1)


class TrainSection(StageConfig):
    max_steps: int = Field(4, ge=1)                 # optimizer steps (paper: 1600)
    prompts_per_step: int = Field(2, ge=1)          # paper: 32
    num_generations: int = Field(4, ge=2)           # G, completions per prompt
    per_device_batch_size: int = Field(8, ge=1)     # completions per device per micro-batch
    learning_rate: float = Field(1e-6, gt=0)        # paper: 1e-6
    lr_scheduler: Literal["constant", "constant_with_warmup", "linear", "cosine"] = "constant"  # paper: constant
    warmup_ratio: float = Field(0.0, ge=0, lt=1)
    weight_decay: float = Field(0.0, ge=0)
    adam_beta1: float = 0.9
    adam_beta2: float = 0.999
    max_grad_norm: float = Field(1.0, gt=0)
    beta: float = Field(0.0, ge=0)                  # KL coefficient; paper: 0 (no KL term, no reference model)
    loss_type: Literal["dapo", "grpo", "dr_grpo", "bnpo"] = "dapo"  # dapo = token-level (paper)
    epsilon: float = Field(0.2, gt=0)               # clip-low (paper 0.2)
    epsilon_high: float = Field(0.28, gt=0)         # clip-high (paper 0.28)
    scale_rewards: Literal["group", "batch", "none"] = "group"
    num_iterations: int = Field(1, ge=1)            # PPO epochs per generation batch (1 = on-policy)
    mask_truncated_completions: bool = False
    temperature: float = Field(1.0, gt=0)
    top_p: float = Field(1.0, gt=0, le=1)
    max_completion_length: int = Field(192, ge=8)   # paper: 4096
    bf16: bool = False
    gradient_checkpointing: bool = False
    seed: int = 0
    save_steps: int = Field(2, ge=1)
    save_total_limit: int | None = Field(2, ge=1)
    logging_steps: int = Field(1, ge=1)
    report_to: list[str] = Field(default_factory=lambda: ["none"])  # tensorboard, wandb, ...
    log_completions: bool = False                   # completions table (W&B / parquet in checkpoints/completions)
    save_rollouts_every: int = Field(10, ge=0)      # rollouts to <run_dir>/samples/rollouts/ every N steps (first step included); 0 = off
    push_to_hub: bool = False                       # the Trainer pushes checkpoints and the final model
    hub_model_id: str | None = None                 # <user>/<repo> for push_to_hub (default: the output folder name)
    deepspeed: str | None = None                    # DeepSpeed JSON (configs/deepspeed/); launch with accelerate
    num_threads: int | None = Field(None, ge=1)     # torch CPU threads
    use_cpu: bool = False                           # force CPU even when a GPU is visible

    @model_validator(mode="after")
    def _clip(self) -> "TrainSection":
        if self.epsilon_high < self.epsilon:
            raise ValueError(f"epsilon_high ({self.epsilon_high}) must be >= epsilon ({self.epsilon})")
        return self


class VLLMSection(StageConfig):
    """Generation with vLLM (GPU only). colocate: inside the training processes; server: `trl vllm-serve`."""

    enabled: bool = False
    mode: Literal["colocate", "server"] = "colocate"
    gpu_memory_utilization: float = Field(0.3, gt=0, le=1)   # colocate only
    tensor_parallel_size: int = Field(1, ge=1)                # colocate only
    max_model_length: int | None = None
    enable_sleep_mode: bool = False                           # colocate: offload vLLM during the update
    server_base_url: str | None = None                        # server mode, e.g. http://gen-node:8000
    server_host: str = "0.0.0.0"
    server_port: int = 8000
    server_timeout: float = 240.0
    # TRL's truncated importance-sampling correction for the vLLM/trainer logprob mismatch. TRL turns it
    # on by default; the paper (veRL) does not use it, so neither do we unless asked.
    importance_sampling_correction: bool = False


class MonitorSection(StageConfig):
    """HackingMonitor on the logged metrics (recode_rl.rewards.monitor); warns in the log when it fires."""

    enabled: bool = True
    window: int = Field(50, ge=2)
    process_key: str = "recode/process_ungated_mean"
    pass_key: str = "recode/outcome_rate"
    near_max: float = 0.9
    min_process_rise: float = 0.2
    max_pass_rise: float = 0.02


class EvalSection(StageConfig):
    """Held-out evaluation during training: pass@1 over steps (the paper's Figures 3a/3b).

    Every `every` optimizer steps (and at step 0 with `at_start`) the live policy is evaluated on
    `benchmarks` with greedy decoding, on rank 0, in this process (`inline`); the scores go to
    metrics.jsonl as `eval/<benchmark>/pass@1` and the samples to `<run_dir>/eval/step-<N>/`.
    `keep_snapshots` also keeps the policy of those steps in `checkpoints/eval-step-<N>/`, outside
    the checkpoint rotation (`save_total_limit`), so multi-GPU runs (where inline evaluation is off)
    can evaluate them afterwards with `recode eval generator.model=<snapshot>`.
    """

    every: int = Field(0, ge=0)                     # 0 = off
    at_start: bool = True
    benchmarks: list[BenchmarkSpec] = Field(default_factory=list)   # e.g. [{name: livecodebench}, {name: aime24}]
    max_new_tokens: int = Field(1024, ge=8)
    batch_size: int = Field(8, ge=1)
    inline: bool = True                             # one process only; multi-GPU: false + snapshots
    keep_snapshots: bool = True

    @model_validator(mode="after")
    def _needs_benchmarks(self) -> "EvalSection":
        if self.every and not self.benchmarks:
            raise ValueError("eval.every > 0 needs eval.benchmarks (e.g. [{name: livecodebench}])")
        return self


class Config(StageConfig):
    run_dir: str | None = None            # default runs/train-rl-<timestamp>; rerun on it to resume
    resume: bool = True                   # continue from the last checkpoint in <run_dir>/checkpoints
    model: ModelSection = Field(default_factory=ModelSection)
    data: DataSection = Field(default_factory=DataSection)
    reward: RewardConfig = Field(default_factory=lambda: RewardConfig(kind="outcome"))
    scorer: ScorerConfig = Field(default_factory=ScorerConfig)   # recode_rl.rewards.config
    limits: LimitsSection = Field(default_factory=LimitsSection)
    train: TrainSection = Field(default_factory=TrainSection)
    vllm: VLLMSection = Field(default_factory=VLLMSection)
    monitor: MonitorSection = Field(default_factory=MonitorSection)
    eval: EvalSection = Field(default_factory=EvalSection)

    @model_validator(mode="after")
    def _consistent(self) -> "Config":
        if self.reward.kind in MATH_KINDS and self.data.prompt != "math":
            raise ValueError(f"reward.kind {self.reward.kind!r} needs data.prompt: math "
                             "(answers in \\boxed{}, not code)")
        if self.data.prompt == "math" and self.reward.kind not in MATH_KINDS:
            raise ValueError(f"data.prompt 'math' asks for \\boxed{{}} answers; reward.kind {self.reward.kind!r} "
                             "scores code")
        if self.vllm.enabled and self.train.use_cpu:
            raise ValueError("vllm.enabled needs a GPU; unset train.use_cpu")
        return self


def needs_scorer(cfg: Config) -> bool:
    """Does this reward kind ever put a process score into the reward?"""
    return cfg.reward.uses_process


def grpo_kwargs(cfg: Config, output_dir: str, world_size: int = 1) -> dict[str, Any]:
    """Keyword arguments of `trl.GRPOConfig` for this config (pure; see the module doc for the batch math)."""
    t, v = cfg.train, cfg.vllm
    completions = t.prompts_per_step * t.num_generations
    per_micro = t.per_device_batch_size * world_size
    if completions % per_micro:
        raise ConfigError(
            f"train: prompts_per_step * num_generations = {t.prompts_per_step} * {t.num_generations} = {completions} "
            f"completions per step must be a multiple of per_device_batch_size * world_size = "
            f"{t.per_device_batch_size} * {world_size} = {per_micro}")
    accumulation = completions // per_micro
    kwargs: dict[str, Any] = {
        "output_dir": output_dir,
        "max_steps": t.max_steps,
        "per_device_train_batch_size": t.per_device_batch_size,
        "gradient_accumulation_steps": accumulation,
        "steps_per_generation": accumulation,   # one generation batch per optimizer step (on-policy)
        "num_generations": t.num_generations,
        "learning_rate": t.learning_rate,
        "lr_scheduler_type": t.lr_scheduler,    # GRPOConfig defaults to linear decay; the paper is constant
        "warmup_steps": t.warmup_ratio,         # transformers 5: a float in [0, 1) is a ratio of max_steps
        "weight_decay": t.weight_decay,
        "adam_beta1": t.adam_beta1,
        "adam_beta2": t.adam_beta2,
        "optim": "adamw_torch",
        "max_grad_norm": t.max_grad_norm,
        "beta": t.beta,
        "loss_type": t.loss_type,
        "epsilon": t.epsilon,
        "epsilon_high": t.epsilon_high,
        "scale_rewards": t.scale_rewards,
        "num_iterations": t.num_iterations,
        "mask_truncated_completions": t.mask_truncated_completions,
        "temperature": t.temperature,
        "top_p": t.top_p,
        "max_completion_length": t.max_completion_length,
        "bf16": t.bf16,
        "fp16": False,
        "gradient_checkpointing": t.gradient_checkpointing,
        "seed": t.seed,
        "data_seed": t.seed,
        "save_strategy": "steps",
        "save_steps": t.save_steps,
        "save_total_limit": t.save_total_limit,
        "logging_steps": t.logging_steps,
        "report_to": t.report_to,
        "log_completions": t.log_completions,
        "use_cpu": t.use_cpu,
        "remove_unused_columns": False,         # the reward reads the problem/tests columns
        "disable_dropout": True,
        # fp32 master weights unless DeepSpeed keeps them (recode_rl.models.training_dtype)
        "model_init_kwargs": {"dtype": training_dtype(cfg.model.dtype, t.deepspeed),
                              "trust_remote_code": cfg.model.trust_remote_code,
                              **({"attn_implementation": cfg.model.attn_implementation}
                                 if cfg.model.attn_implementation else {})},
        "trust_remote_code": cfg.model.trust_remote_code,
        "use_vllm": v.enabled,
    }
    if t.deepspeed:
        kwargs["deepspeed"] = t.deepspeed
    if v.enabled:
        kwargs["vllm_mode"] = v.mode
        kwargs["vllm_importance_sampling_correction"] = v.importance_sampling_correction
        # each mode gets only its own flags: the engine settings belong to the colocated engine (a
        # server takes them on the `trl vllm-serve` command line), the address to server mode
        if v.mode == "colocate":
            kwargs["vllm_enable_sleep_mode"] = v.enable_sleep_mode
            if v.max_model_length:
                kwargs["vllm_max_model_length"] = v.max_model_length
            kwargs["vllm_gpu_memory_utilization"] = v.gpu_memory_utilization
            kwargs["vllm_tensor_parallel_size"] = v.tensor_parallel_size
        else:
            kwargs["vllm_server_timeout"] = v.server_timeout
            if v.server_base_url:
                kwargs["vllm_server_base_url"] = v.server_base_url
            else:
                kwargs["vllm_server_host"] = v.server_host
                kwargs["vllm_server_port"] = v.server_port
    return {**kwargs, **hub_kwargs(t.push_to_hub, t.hub_model_id)}


# ----- train-sft (the SFT baseline, recode_rl.rl.sft) -----------------------------------------------

DEFAULT_THINK = ("{io_hint} Plan: parse the input exactly as specified, compute the required result with a "
                 "direct, correct algorithm, and return or print it in the exact format requested.")


class TargetsSection(StageConfig):
    source: Literal["reference", "responses"] = "reference"
    responses: str | None = None              # JSONL of {"task_id", "response"} (source: responses)
    think_template: str = DEFAULT_THINK       # source: reference; {io_hint} is filled in
    max_per_problem: int = Field(1, ge=1)     # source: responses


class SFTTrainSection(StageConfig):
    epochs: float = Field(3.0, gt=0)
    max_steps: int = -1                       # > 0 overrides epochs
    per_device_batch_size: int = Field(4, ge=1)
    gradient_accumulation_steps: int = Field(1, ge=1)
    learning_rate: float = Field(1e-5, gt=0)
    lr_scheduler: Literal["constant", "constant_with_warmup", "linear", "cosine"] = "cosine"
    warmup_ratio: float = Field(0.03, ge=0, lt=1)
    weight_decay: float = Field(0.0, ge=0)
    max_length: int = Field(1024, ge=16)      # prompt + target tokens; longer rows are truncated
    bf16: bool = False
    gradient_checkpointing: bool = False
    seed: int = 0
    save_steps: int = Field(50, ge=1)
    save_total_limit: int | None = Field(2, ge=1)
    logging_steps: int = Field(1, ge=1)
    report_to: list[str] = Field(default_factory=lambda: ["none"])
    push_to_hub: bool = False                 # the Trainer pushes checkpoints and the final model
    hub_model_id: str | None = None
    deepspeed: str | None = None
    num_threads: int | None = Field(None, ge=1)
    use_cpu: bool = False


class SFTConfig(StageConfig):
    run_dir: str | None = None                # default runs/train-sft-<time>; rerun to resume
    resume: bool = True
    model: ModelSection = Field(default_factory=ModelSection)
    data: DataSection = Field(default_factory=DataSection)
    targets: TargetsSection = Field(default_factory=TargetsSection)
    limits: LimitsSection = Field(default_factory=LimitsSection)
    train: SFTTrainSection = Field(default_factory=SFTTrainSection)
