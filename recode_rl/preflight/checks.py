"""The checks of `recode preflight`, also run by train-rl / train-rm / train-sft before loading anything.

`check(stage, cfg, target)` returns a `Report`: problems (each naming the config key to change),
install problems (a package an enabled feature needs, with the pip command) and notes, plus the
plan (world size, batch, precision, memory per GPU, scorer placement, checkpoint saving).

Install problems are their own class: `recode preflight` on a laptop that will never train
reports them but only fails on them with `--check-installs`; the train commands always enforce
them (`require_ok`), so a missing logger fails in a second instead of after the model loaded.
Nothing here needs a GPU, downloads weights or imports torch unless asked to build the TRL
config objects (`build=True`).
"""

from __future__ import annotations

import importlib.util
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from recode_rl.config import ConfigError
from recode_rl.preflight.manifest import check_source, in_manifest
from recode_rl.preflight.memory import KNOWN_MODELS, MemoryPlan, estimate, model_shape

__all__ = ["Target", "Problem", "Report", "STAGES", "check", "require_ok", "PAPER"]

STAGES = ("train-rl", "train-rm", "train-sft", "synth", "eval")

# The paper's values the effective batch is compared with (MISSION.md): RL 32 prompts per step,
# the reward model an effective batch of 128 pairs. The paper gives none for SFT.
PAPER = {"train-rl": {"prompts_per_step": 32}, "train-rm": {"batch_size": 128}}
PAPER_RM = "Qwen/Qwen2.5-Coder-7B"   # the size assumed for a scorer whose weights are not on disk

# package (import name) -> pip requirement that provides it
_PIP = {"torch": "recode-rl[train]", "transformers": "recode-rl[train]", "trl": "recode-rl[train]",
        "datasets": "recode-rl[train]", "accelerate": "recode-rl[train]", "peft": "recode-rl[train]",
        "math_verify": "recode-rl[train]", "vllm": "recode-rl[vllm]", "deepspeed": "recode-rl[deepspeed]",
        "flash_attn": "recode-rl[flash-attn]", "tensorboard": "recode-rl[tensorboard]",
        "wandb": "recode-rl[wandb]", "httpx": "recode-rl"}
_LOGGERS = {"tensorboard": "tensorboard", "wandb": "wandb", "none": None}


@dataclass
class Target:
    """Where the run goes: GPUs per node, nodes, memory per GPU (None: not checked).

    `processes` per node defaults to one per GPU (accelerate's num_processes)."""

    gpus: int = 1
    nodes: int = 1
    gpu_mem_gb: float | None = None
    processes: int | None = None

    @property
    def ranks_per_node(self) -> int:
        return self.processes if self.processes is not None else max(self.gpus, 1)

    @property
    def world_size(self) -> int:
        return self.ranks_per_node * self.nodes


@dataclass
class Problem:
    key: str
    message: str
    kind: Literal["error", "install", "note"] = "error"

    def line(self) -> str:
        return f"{self.key}: {self.message}"


@dataclass
class Report:
    stage: str
    problems: list[Problem] = field(default_factory=list)
    plan: dict[str, Any] = field(default_factory=dict)

    def add(self, key: str, message: str, kind: Literal["error", "install", "note"] = "error") -> None:
        self.problems.append(Problem(key, message, kind))

    def failures(self, enforce_installs: bool) -> list[Problem]:
        kinds = ("error", "install") if enforce_installs else ("error",)
        return [p for p in self.problems if p.kind in kinds]

    def as_json(self, enforce_installs: bool) -> dict[str, Any]:
        failures = self.failures(enforce_installs)
        return {"ok": not failures, "problems": [{"key": p.key, "message": p.message} for p in failures],
                "warnings": [{"key": p.key, "message": p.message} for p in self.problems if p not in failures],
                "plan": self.plan}


# ----- shared pieces -------------------------------------------------------------------------------

def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _require(report: Report, key: str, module: str, feature: str) -> None:
    if not _installed(module):
        report.add(key, f"{feature} needs the {module!r} package: pip install '{_PIP.get(module, module)}'", "install")


def _loggers(report: Report, report_to: list[str], key: str) -> None:
    for name in report_to:
        if name == "all":
            report.add(key, "'all' reports to every installed logger; name them (tensorboard, wandb)", "note")
        elif name in _LOGGERS:
            if _LOGGERS[name]:
                _require(report, key, _LOGGERS[name], f"report_to {name}")
        elif not _installed(name):
            report.add(key, f"logger {name!r} is not installed (pip install {name})", "install")


def _deepspeed(report: Report, path: str | None, *, key: str, micro: int, accumulation: int | None,
               world: int, bf16: bool, max_grad_norm: float | None) -> dict[str, Any] | None:
    """Parse and cross-check the DeepSpeed JSON; its dict or None."""
    if not path:
        return None
    _require(report, key, "deepspeed", "DeepSpeed")
    file = Path(path)
    if not file.is_file():
        report.add(key, f"{path}: no such file (paths are relative to the directory you launch from)")
        return None
    try:
        ds = json.loads(file.read_text())
    except json.JSONDecodeError as exc:
        report.add(key, f"{path}: not valid JSON ({exc})")
        return None
    expect = {"train_micro_batch_size_per_gpu": micro, "gradient_accumulation_steps": accumulation,
              "train_batch_size": micro * world * accumulation if accumulation else None,
              "gradient_clipping": max_grad_norm}
    for name, want in expect.items():
        have = ds.get(name, "auto")
        if have != "auto" and want is not None and have != want:
            report.add(key, f"{path}: {name} is {have} but the config means {want}; set it to \"auto\"")
    bf16_ds = ds.get("bf16", {}).get("enabled", "auto")
    if bf16_ds != "auto" and bool(bf16_ds) != bf16:
        report.add(key, f"{path}: bf16.enabled is {bf16_ds} but train.bf16 is {bf16}; set it to \"auto\"")
    zero = ds.get("zero_optimization", {})
    if zero.get("stage", 0) == 3 and not zero.get("stage3_gather_16bit_weights_on_model_save", False):
        report.add(key, f"{path}: ZeRO-3 without zero_optimization.stage3_gather_16bit_weights_on_model_save: "
                        "true saves sharded weights, not a loadable model")
    return ds


def _precision(report: Report, dtype: str, bf16: bool, ds: dict[str, Any] | None, key_prefix: str = "model") -> dict[str, Any]:
    from recode_rl.models import deepspeed_active, training_dtype

    if ds is None and deepspeed_active(None):   # at run time: `accelerate launch` with a DeepSpeed config
        ds = {}
    if ds is not None and dtype != "float32" and not bf16:
        report.add("train.bf16", f"{key_prefix}.dtype {dtype} under DeepSpeed without train.bf16: DeepSpeed would "
                                 "step the half-precision weights (no fp32 master copy); set train.bf16: true")
    if ds is None and dtype != "float32" and not bf16:
        report.add("train.bf16", f"{key_prefix}.dtype {dtype} is loaded in fp32 for training (AdamW needs fp32 "
                                 "master weights without DeepSpeed) and train.bf16 is false: it computes in fp32",
                   "note")
    load = training_dtype(dtype, "deepspeed" if ds is not None else None)
    master = "fp32 (DeepSpeed optimizer copy)" if ds is not None and dtype != "float32" else "fp32 (the model's own weights)"
    return {"load_dtype": load, "compute": "bf16 autocast" if bf16 else "fp32", "master_weights": master}


def _memory(report: Report, target: Target, name: str, key: str, **kw: Any) -> dict[str, Any] | None:
    shape, source = model_shape(name)
    if shape is None:
        report.add(key, f"model {name!r}: size unknown (not a folder with config.json, not in the preflight table); "
                        "memory not estimated", "note")
        return None
    plan: MemoryPlan = estimate(shape, **kw)
    out: dict[str, Any] = {"model": name, "params_b": shape.params_b, "from": source, **plan.as_dict()}
    if target.gpu_mem_gb is not None:
        worst = plan.peak_gb + plan.scorer_gb
        out["gpu_mem_gb"] = target.gpu_mem_gb
        if worst > target.gpu_mem_gb:
            terms = ", ".join(f"{k} {v:.1f}" for k, v in plan.as_dict().items() if k.endswith("_gb") and v and "peak" not in k)
            report.add(key, f"{name}: about {worst:.0f} GB per GPU needed, {target.gpu_mem_gb:g} GB available ({terms}); "
                            "use DeepSpeed ZeRO-3 (train.deepspeed: configs/deepspeed/zero3.json), more GPUs, "
                            "a smaller per-device batch or a lower vllm.gpu_memory_utilization")
    return out


def _sources(report: Report, sources: list[Any], key: str) -> list[str]:
    """Check each problem source against the manifest / registry / disk; their names for the plan."""
    from recode_rl.data.registry import available

    names = []
    for i, src in enumerate(sources):
        name, options = src.name, dict(src.options)
        subset, split = options.get("config") or options.get("subset"), options.get("split")
        names.append(f"{name} {subset}/{split or 'train'}" if subset else name)
        here = f"{key}[{i}]"
        if name.startswith("hf:"):
            why = check_source(name, options)
            if why:
                report.add(here, why)
            elif not in_manifest(name):
                report.add(here, f"{name[3:]!r} is not in the pinned dataset manifest (recode_rl/preflight/"
                                 "manifest.py): its subsets and held-out splits are not checked", "note")
        elif name in available():
            continue
        elif ":" in name and "/" not in name:
            continue   # module:function, the user's loader
        elif not Path(name).exists():
            report.add(here, f"{name}: no such file here (bring the data before launching)", "note")
    return names


def _zero_stage(ds: dict[str, Any] | None) -> int | None:
    return None if ds is None else int(ds.get("zero_optimization", {}).get("stage", 0))


def _mem_key(ds: dict[str, Any] | None) -> str:
    """The key to change when memory does not fit: DeepSpeed first, then the micro-batch."""
    return "train.deepspeed" if ds is None else "train.per_device_batch_size"


def _save_plan(ds: dict[str, Any] | None, how: str) -> str:
    stage = _zero_stage(ds)
    if stage == 3:
        return f"{how}: gathered 16-bit weights (ZeRO-3)"
    return how


def _build(report: Report, key: str, factory: Any, kwargs: dict[str, Any]) -> None:
    """Construct a TRL/transformers config object on CPU (bf16 checks belong to the GPU machine)."""
    kwargs = {**kwargs, "use_cpu": True}
    kwargs.pop("deepspeed", None)     # validated from the JSON above; needs the deepspeed package to build
    try:
        factory(**kwargs)
    except (ValueError, TypeError) as exc:
        report.add(key, f"{factory.__name__} rejects these settings: {exc}")


# ----- stages --------------------------------------------------------------------------------------

def _scorer(report: Report, cfg: Any, target: Target) -> dict[str, Any]:
    from recode_rl.rl.config import needs_scorer

    s = cfg.scorer
    used = needs_scorer(cfg) or cfg.reward.score_failing
    plan: dict[str, Any] = {"kind": s.kind if used else "none (reward never asks)"}
    if not used:
        return plan
    if s.kind == "none":
        report.add("scorer.kind", f"reward.kind {cfg.reward.kind!r} needs a process scorer: run `recode serve-scorer` "
                                  "and set scorer: {kind: http, url: ...} (docs/training.md)")
    elif s.kind == "http":
        plan["where"] = f"{s.url} (one server shared by every rank)"
        if any(h in s.url for h in ("//localhost", "//127.0.0.1")):
            # the documented layout: `recode serve-scorer` on one of this node's training GPUs (size unknown
            # from a URL: assume the paper's 7B reward model in bf16)
            plan["gpu_share_gb"] = round(2 * KNOWN_MODELS[PAPER_RM].params_b, 1)
        _require(report, "scorer.url", "httpx", "the HTTP scorer")
    elif s.kind == "hf":
        device = s.device or "cuda (default)"
        plan["where"] = f"{device}, one copy per training process"
        shape, _ = model_shape(s.path)
        plan["gpu_share_gb"] = round(2 * (shape or KNOWN_MODELS[PAPER_RM]).params_b, 1)
        on_gpu = not (s.device or "").startswith("cpu")
        if target.world_size > 1 and not on_gpu:
            report.add("scorer.device", f"every one of the {target.world_size} ranks loads its own copy into CPU "
                                        "memory; a scorer server (`recode serve-scorer`) loads it once", "note")
        if target.world_size > 1 and on_gpu:
            report.add("scorer.kind", f"scorer.kind hf is built by every one of the {target.world_size} ranks "
                                      f"(on {device}: {target.world_size} copies of the reward model); serve it once "
                                      "with `recode serve-scorer` and set scorer: {kind: http, url: http://HOST:PORT/score}")
        index = s.device.split(":", 1)[1] if s.device and s.device.startswith("cuda:") else ""
        if index.isdigit():
            if int(index) >= target.gpus:
                report.add("scorer.device", f"{s.device} does not exist with {target.gpus} GPU(s) per node")
    return plan


def _check_rl(report: Report, cfg: Any, target: Target, build: bool) -> None:
    from recode_rl.rl.config import grpo_kwargs

    t, v, world = cfg.train, cfg.vllm, target.world_size
    report.plan["data"] = _sources(report, cfg.data.train, "data.train")
    _require(report, "train", "trl", "train-rl")
    if cfg.reward.kind == "math":
        _require(report, "reward.kind", "math_verify", "reward.kind math")
    if cfg.model.attn_implementation == "flash_attention_2":
        _require(report, "model.attn_implementation", "flash_attn", "flash_attention_2")
    _loggers(report, t.report_to, "train.report_to")
    kwargs: dict[str, Any] | None = None
    try:
        kwargs = grpo_kwargs(cfg, tempfile.gettempdir(), world)
    except ConfigError as exc:
        report.add("train.per_device_batch_size", str(exc))   # the other checks still run
    accumulation = kwargs["gradient_accumulation_steps"] if kwargs else None
    completions = t.prompts_per_step * t.num_generations
    report.plan["batch"] = {"world_size": world, "prompts_per_step": t.prompts_per_step,
                            "completions_per_step": completions, "per_device_batch_size": t.per_device_batch_size,
                            "gradient_accumulation_steps": accumulation,
                            "paper_prompts_per_step": PAPER["train-rl"]["prompts_per_step"]}
    if t.prompts_per_step != PAPER["train-rl"]["prompts_per_step"]:
        report.add("train.prompts_per_step", f"{t.prompts_per_step} prompts per step; the paper uses "
                                             f"{PAPER['train-rl']['prompts_per_step']}", "note")
    ds = _deepspeed(report, t.deepspeed, key="train.deepspeed", micro=t.per_device_batch_size,
                    accumulation=accumulation, world=world, bf16=t.bf16, max_grad_norm=t.max_grad_norm)
    report.plan["precision"] = _precision(report, cfg.model.dtype, t.bf16, ds)
    # vLLM
    vllm_gb = 0.0
    if v.enabled:
        _require(report, "vllm.enabled", "vllm", "vLLM generation")
        if target.gpus < 1:
            report.add("vllm.enabled", "vLLM needs a GPU")
        if v.mode == "colocate":
            if v.server_base_url:
                report.add("vllm.server_base_url", "ignored in colocate mode (vllm.mode: server uses it)", "note")
            vllm_gb = v.gpu_memory_utilization * (target.gpu_mem_gb or 0.0)
            if v.tensor_parallel_size > 1 and target.ranks_per_node % v.tensor_parallel_size:
                report.add("vllm.tensor_parallel_size", f"{v.tensor_parallel_size} does not divide the "
                                                        f"{target.ranks_per_node} processes per node")
        else:
            ignored = [k for k in ("enable_sleep_mode", "max_model_length", "gpu_memory_utilization",
                                   "tensor_parallel_size") if k in v.model_fields_set]
            if ignored:
                report.add("vllm.mode", f"server mode: {', '.join('vllm.' + k for k in ignored)} are not passed to "
                                        "TRL (give them to `trl vllm-serve`)", "note")
        total = (cfg.data.max_prompt_length or 0) + t.max_completion_length
        if v.max_model_length and cfg.data.max_prompt_length is None:
            report.add("data.max_prompt_length", "unset: a prompt longer than vllm.max_model_length - "
                                                 "train.max_completion_length shrinks completions or fails in vLLM")
        elif v.max_model_length and total > v.max_model_length:
            report.add("vllm.max_model_length", f"{v.max_model_length} < data.max_prompt_length + "
                                                f"train.max_completion_length = {total}")
    report.plan["vllm"] = ({"mode": v.mode, "importance_sampling_correction": v.importance_sampling_correction}
                           if v.enabled else "off (transformers generation)")
    report.plan["prompt_filter"] = (f"drop prompts over {cfg.data.max_prompt_length} tokens (counted)"
                                    if cfg.data.max_prompt_length else "off")
    if cfg.limits.max_workers:
        report.plan["sandboxes"] = {"per_rank": cfg.limits.max_workers,
                                    "per_node": cfg.limits.max_workers * target.ranks_per_node}
    report.plan["scorer"] = _scorer(report, cfg, target)
    prompt = cfg.data.max_prompt_length or 1024
    mem = _memory(report, target, cfg.model.path, _mem_key(ds), world_size=world, zero_stage=_zero_stage(ds),
                  fp32_master_in_model=report.plan["precision"]["load_dtype"] == "float32",
                  micro_batch_tokens=t.per_device_batch_size * (prompt + t.max_completion_length),
                  logit_tokens=t.per_device_batch_size * t.max_completion_length,
                  gradient_checkpointing=t.gradient_checkpointing, vllm_gb=vllm_gb,
                  sleep_mode=v.enabled and v.mode == "colocate" and v.enable_sleep_mode,
                  scorer_gb=report.plan["scorer"].get("gpu_share_gb", 0.0))
    if mem is not None:
        report.plan["memory"] = mem
    report.plan["checkpoints"] = _save_plan(ds, "trainer.save_model")
    if build and kwargs and _installed("trl"):
        from trl import GRPOConfig

        from recode_rl.trainer_args import finish_trainer_kwargs

        _build(report, "train", GRPOConfig, finish_trainer_kwargs(kwargs))


def _check_rm(report: Report, cfg: Any, target: Target, build: bool) -> None:
    from recode_rl.reward_model.config import gradient_accumulation

    t, world = cfg.train, target.world_size
    for key, path in (("data.train", cfg.data.train), ("data.validation", cfg.data.validation)):
        if path and not Path(path).exists():
            report.add(key, f"{path}: no such file here (made by `recode synth`; or give --synth-run)", "note")
    if cfg.data.train is None:
        report.add("data.train", "unset: give it, or --synth-run DIR at launch", "note")
    _require(report, "train", "trl", "train-rm")
    _loggers(report, t.report_to, "train.report_to")
    if cfg.lora.enabled:
        _require(report, "lora.enabled", "peft", "LoRA")
    try:
        accumulation = gradient_accumulation(t, world)
    except ConfigError as exc:
        report.add("train.batch_size", str(exc))
        return
    batch = t.per_device_batch_size * accumulation * world
    paper = PAPER["train-rm"]["batch_size"]
    report.plan["batch"] = {"world_size": world, "effective_batch": batch, "per_device_batch_size": t.per_device_batch_size,
                            "gradient_accumulation_steps": accumulation, "paper_batch": paper}
    if batch != paper:
        report.add("train.batch_size", f"effective batch {batch} pairs per step at {world} process(es); the paper "
                                       f"uses {paper} (set train.batch_size: {paper})", "note")
    ds = _deepspeed(report, t.deepspeed, key="train.deepspeed", micro=t.per_device_batch_size,
                    accumulation=accumulation, world=world, bf16=t.bf16, max_grad_norm=None)
    report.plan["precision"] = _precision(report, cfg.model.dtype, t.bf16, ds)
    from recode_rl.models import deepspeed_active

    if (ds is not None or deepspeed_active(None)) and cfg.lora.enabled:
        report.add("lora.enabled", "LoRA under DeepSpeed cannot be merged and gathered for the final checkpoint; "
                                   "train LoRA without train.deepspeed")
    mem = _memory(report, target, cfg.model.backbone, _mem_key(ds), world_size=world, zero_stage=_zero_stage(ds),
                  fp32_master_in_model=report.plan["precision"]["load_dtype"] == "float32",
                  micro_batch_tokens=2 * t.per_device_batch_size * cfg.model.max_length, logit_tokens=0,
                  gradient_checkpointing=cfg.model.gradient_checkpointing)
    if mem is not None:
        report.plan["memory"] = mem
    report.plan["checkpoints"] = _save_plan(ds, "trainer.save_model" if ds is not None else "model.save_pretrained")
    if build and _installed("trl"):
        from trl import RewardConfig

        from recode_rl.reward_model.train import trainer_kwargs

        kwargs = trainer_kwargs(cfg, Path(tempfile.gettempdir()), has_eval=True, metric=t.best_metric)
        kwargs["gradient_accumulation_steps"] = accumulation
        _build(report, "train", RewardConfig, {**kwargs, "max_length": cfg.model.max_length})


def _check_sft(report: Report, cfg: Any, target: Target, build: bool) -> None:
    t, world = cfg.train, target.world_size
    report.plan["data"] = _sources(report, cfg.data.train, "data.train")
    if cfg.targets.source == "responses" and cfg.targets.responses and not Path(cfg.targets.responses).exists():
        report.add("targets.responses", f"{cfg.targets.responses}: no such file here", "note")
    _require(report, "train", "trl", "train-sft")
    if cfg.model.attn_implementation == "flash_attention_2":
        _require(report, "model.attn_implementation", "flash_attn", "flash_attention_2")
    _loggers(report, t.report_to, "train.report_to")
    report.plan["batch"] = {"world_size": world, "sequences_per_step": t.per_device_batch_size *
                            t.gradient_accumulation_steps * world, "paper": "not published"}
    ds = _deepspeed(report, t.deepspeed, key="train.deepspeed", micro=t.per_device_batch_size,
                    accumulation=t.gradient_accumulation_steps, world=world, bf16=t.bf16, max_grad_norm=None)
    report.plan["precision"] = _precision(report, cfg.model.dtype, t.bf16, ds)
    mem = _memory(report, target, cfg.model.path, _mem_key(ds), world_size=world, zero_stage=_zero_stage(ds),
                  fp32_master_in_model=report.plan["precision"]["load_dtype"] == "float32",
                  micro_batch_tokens=t.per_device_batch_size * t.max_length,
                  logit_tokens=t.per_device_batch_size * t.max_length,
                  gradient_checkpointing=t.gradient_checkpointing)
    if mem is not None:
        report.plan["memory"] = mem
    report.plan["checkpoints"] = _save_plan(ds, "trainer.save_model")
    if build and _installed("trl"):
        from trl import SFTConfig as TRLSFTConfig

        from recode_rl.rl.sft import _sft_args

        _build(report, "train", TRLSFTConfig, _sft_args(cfg, tempfile.gettempdir()))


def _generator(report: Report, g: Any, key: str) -> dict[str, Any]:
    if g.backend == "vllm":
        _require(report, f"{key}.backend", "vllm", "the vllm generator")
    if g.backend == "hf":
        _require(report, f"{key}.backend", "transformers", "the hf generator")
    return {"backend": g.backend, "model": g.model}


def _check_synth(report: Report, cfg: Any, target: Target, build: bool) -> None:
    from recode_rl.rl.config import ProblemSource

    report.plan["data"] = _sources(report, [ProblemSource(name=cfg.problems, options=cfg.problem_options)], "problems")
    report.plan["generator"] = _generator(report, cfg.generator, "generator")
    if cfg.second_generator is not None:
        report.plan["second_generator"] = _generator(report, cfg.second_generator, "second_generator")


def _check_eval(report: Report, cfg: Any, target: Target, build: bool) -> None:
    from recode_rl.evaluation.benchmarks import BENCHMARKS

    report.plan["generator"] = _generator(report, cfg.generator, "generator")
    for i, b in enumerate(cfg.benchmarks):
        if b.name not in BENCHMARKS:
            report.add(f"benchmarks[{i}].name", f"unknown benchmark {b.name!r} (known: {', '.join(sorted(BENCHMARKS))})")
    report.plan["benchmarks"] = [b.name for b in cfg.benchmarks]


_CHECKS = {"train-rl": _check_rl, "train-rm": _check_rm, "train-sft": _check_sft, "synth": _check_synth,
           "eval": _check_eval}


def check(stage: str, cfg: Any, target: Target, *, build: bool = True) -> Report:
    """Every check of `stage` on `cfg` at `target`; `build` also constructs the TRL config objects."""
    if stage not in _CHECKS:
        raise ConfigError(f"preflight: no checks for stage {stage!r} (one of {', '.join(STAGES)})")
    report = Report(stage)
    report.plan["target"] = {"gpus_per_node": target.gpus, "nodes": target.nodes, "world_size": target.world_size,
                             "gpu_mem_gb": target.gpu_mem_gb}
    _CHECKS[stage](report, cfg, target, build)
    return report


def runtime_target() -> Target:
    """The launch this process is part of (accelerate/torchrun environment; one process otherwise)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    local = int(os.environ.get("LOCAL_WORLD_SIZE", str(world)))
    gpus = local
    if _installed("torch"):
        import torch

        if torch.cuda.is_available():
            gpus = torch.cuda.device_count()
    return Target(gpus=gpus, nodes=max(world // max(local, 1), 1), processes=local)


def require_ok(stage: str, cfg: Any, target: Target | None = None) -> Report:
    """The train commands' gate: raise ConfigError listing every problem (installs included)."""
    report = check(stage, cfg, target or runtime_target(), build=False)
    failures = report.failures(enforce_installs=True)
    if failures:
        lines = "\n  ".join(p.line() for p in failures)
        raise ConfigError(f"{stage} preflight found {len(failures)} problem(s) (run `recode preflight` for the plan):\n  {lines}")
    return report
