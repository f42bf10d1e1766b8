"""Last touches on the TrainingArguments kwargs of train-rl, train-sft and train-rm.

Each stage builds its own kwargs (`rl.config.grpo_kwargs`, `rl.sft._sft_args`,
`reward_model.train.trainer_kwargs`); `finish_trainer_kwargs` then applies what all three share:

- `gradient_checkpointing` is passed under transformers' new name `activation_checkpointing`
  when the installed transformers has it (the old key warns "deprecated ... v6" on every run);
- `dataloader_pin_memory=False` when there is no accelerator (or `use_cpu`): pinning needs one,
  and torch warns about it on every dataloader otherwise;
- `push_to_hub` / `hub_model_id` (the config's `train.push_to_hub`, off by default) are the
  Trainer's own switches: with them on, the Trainer pushes each saved checkpoint and the final
  `save_model` to the hub. Nothing here contacts a hub.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

__all__ = ["finish_trainer_kwargs", "hub_kwargs"]


@functools.cache
def _training_argument_names() -> frozenset[str]:
    from transformers import TrainingArguments

    return frozenset(f.name for f in dataclasses.fields(TrainingArguments))


def _has_accelerator() -> bool:
    import torch

    accelerator = getattr(torch, "accelerator", None)   # torch >= 2.6: CUDA, MPS, XPU, ...
    if accelerator is not None and hasattr(accelerator, "is_available"):
        return bool(accelerator.is_available())
    return torch.cuda.is_available()


def hub_kwargs(push_to_hub: bool, hub_model_id: str | None) -> dict[str, Any]:
    """The Trainer's hub switches from a train section; empty when pushing is off."""
    if not push_to_hub:
        return {}
    return {"push_to_hub": True, **({"hub_model_id": hub_model_id} if hub_model_id else {})}


def finish_trainer_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """`kwargs` with the new checkpointing name and no pinned memory without an accelerator."""
    out = dict(kwargs)
    if "gradient_checkpointing" in out and "activation_checkpointing" in _training_argument_names():
        out["activation_checkpointing"] = out.pop("gradient_checkpointing")
    if "dataloader_pin_memory" not in out and (out.get("use_cpu") or not _has_accelerator()):
        out["dataloader_pin_memory"] = False
    return out
