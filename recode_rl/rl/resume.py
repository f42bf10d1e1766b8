"""What a rerun of `recode train-rl` / `train-sft` / `train-rm` on an existing run directory does
(docs/training.md).

`plan_resume` reads the run dir before anything is loaded and decides one of three things:

- fresh start: no checkpoint (or `resume: false`);
- no-op: the run FINISHED and the config asks for no more than it was trained for: nothing is
  trained and nothing is written. Finished means the run's final export (train-rl/sft
  `checkpoints/final`, train-rm `checkpoints/reward_model`) holds, in its `trainer_state.json`, a
  step at or after the last checkpoint: training ended there (at `max_steps`, after its epochs, or
  by early stopping) and the export was written after it;
- resume from the last checkpoint (`checkpoint-<step>`, TRL/transformers format), also to EXTEND a
  finished run when `train.max_steps` (or `train.epochs`) asks for more than it was trained for.

The stages differ only in where these live: `plan_resume(..., checkpoints=, final=)`.

A resumed trainer restores the optimizer, scheduler, RNG and data order from the checkpoint, so a
changed learning rate, batch shape, model, data or reward would be written into the run dir's config
while NOT being what trains. Such a change is refused (`ConfigError` naming the keys and the way
out: a new run dir or `--no-resume`). Only `RESUMABLE_KEYS` may differ from the run dir's
`config.<stage>.yaml`: the length of the run, logging/saving cadence and observers. Each allowed
change is recorded in that segment's `runs.jsonl` line (`resumed_from_step`, `changed`).

`--no-resume` starts over: `set_aside` first moves the old run's `checkpoint-*` and `final` into
`checkpoints/superseded-<time>/`, so a later resume can never pick up a checkpoint of the old run.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from recode_rl.config import ConfigError, dump_config

__all__ = ["RESUMABLE_KEYS", "ResumePlan", "config_changes", "last_checkpoint", "plan_resume", "set_aside"]

# Keys a resumed segment may change (prefix match on the dotted key): they take effect on resume
# because the trainer reads them from its arguments, not from the checkpoint. Everything else
# (learning rate and schedule, batch shape, model, data, reward, scorer model, seeds, precision) is
# either restored from the checkpoint or changes what the earlier steps meant.
RESUMABLE_KEYS = (
    "run_dir", "resume",
    "train.max_steps", "train.epochs",                    # the length of the run (may grow, see plan_resume)
    "train.save_steps", "train.save_total_limit", "train.logging_steps", "train.report_to",
    "train.log_completions", "train.num_threads", "train.gradient_checkpointing",   # cadence, memory, threads
    "limits.max_workers",                                 # sandbox parallelism, not the limits themselves
    "monitor.", "eval.",                                  # observers of the run
    "scorer.url", "scorer.device", "scorer.timeout", "scorer.retries", "scorer.backoff", "scorer.batch_size",
    "vllm.server_",                                       # where the same scorer / vLLM server now lives
    "train.eval_steps", "train.early_stopping_patience", "model.gradient_checkpointing",   # train-rm's cadence,
)                                                         # observer and memory switches

_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")


def last_checkpoint(folder: Path) -> str | None:
    """The highest-numbered `checkpoint-<step>` folder in `folder` (transformers' `get_last_checkpoint`)."""
    if not folder.is_dir():
        return None
    steps = [(int(m.group(1)), p) for p in folder.iterdir() if p.is_dir() and (m := _CHECKPOINT.match(p.name))]
    return str(max(steps)[1]) if steps else None


def _flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    """{"a": {"b": 1}} -> {"a.b": 1}; lists and empty dicts are leaves."""
    if isinstance(tree, dict) and tree:
        out: dict[str, Any] = {}
        for key, value in tree.items():
            out.update(_flatten(value, f"{prefix}{key}."))
        return out
    return {prefix[:-1]: tree}


def config_changes(previous_yaml: str, cfg: BaseModel) -> dict[str, tuple[Any, Any]]:
    """Dotted key -> (previous value, new value) for every leaf that differs (lists compare whole).

    Keys on one side only (a config written by another version of the package) are not compared."""
    old = _flatten(yaml.safe_load(previous_yaml) or {})
    new = _flatten(yaml.safe_load(dump_config(cfg)) or {})
    return {k: (old[k], new[k]) for k in sorted(old.keys() & new.keys()) if old[k] != new[k]}


@dataclass
class ResumePlan:
    checkpoint: str | None = None         # resume from this folder (None: fresh start)
    step: int = 0                         # its global step
    finished_step: int | None = None      # set: the run already finished at this step; train nothing
    changed: dict[str, tuple[Any, Any]] = field(default_factory=dict)   # allowed changes vs the run dir's config

    def record(self) -> dict[str, Any]:
        """The extra fields of this segment's `runs.jsonl` line."""
        if self.checkpoint is None:
            return {}
        return {"resumed_from_step": self.step, "changed": {k: list(v) for k, v in self.changed.items()}}


def _state(checkpoint: str) -> dict[str, Any]:
    path = Path(checkpoint) / "trainer_state.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: unreadable trainer state ({exc}); delete {checkpoint} to resume from the one "
                          "before, or start over with --no-resume") from None


def plan_resume(root: Path, stage: str, cfg: BaseModel, *, max_steps: int, epochs: float | None = None,
                checkpoints: Path | None = None, final: Path | None = None) -> ResumePlan:
    """Decide fresh start / no-op / resume for `cfg` on run dir `root` (see the module doc).

    `max_steps` is the optimizer steps asked for (<= 0: `epochs` decide). `checkpoints` holds the
    trainer's `checkpoint-<step>` folders (default `root/checkpoints`), `final` the finished run's
    export (default `<checkpoints>/final`)."""
    checkpoints = root / "checkpoints" if checkpoints is None else checkpoints
    final = checkpoints / "final" if final is None else final
    if not getattr(cfg, "resume", True) or (ckpt := last_checkpoint(checkpoints)) is None:
        return ResumePlan()
    state = _state(ckpt)
    step = int(state.get("global_step", int(Path(ckpt).name.rsplit("-", 1)[-1])))
    previous = root / f"config.{stage}.yaml"
    changed = config_changes(previous.read_text(), cfg) if previous.is_file() else {}
    refused = {k: v for k, v in changed.items() if not k.startswith(RESUMABLE_KEYS)}
    if refused:
        lines = "; ".join(f"{k}: {old!r} -> {new!r}" for k, (old, new) in refused.items())
        raise ConfigError(
            f"{root} was trained up to step {step} with other settings ({lines}); a resumed run restores the "
            "optimizer, schedule and data state from its checkpoint, so these cannot take effect. Use a new "
            f"--run-dir, or --no-resume to start {root} over (see docs/training.md, 'Reruns and resume')")
    if (final / "trainer_state.json").is_file():   # the export records where training ended
        planned = _state(str(final))               # (a step after the last checkpoint: nothing saved between)
        end_step = int(planned.get("global_step", -1))
        finished = end_step >= step
    else:                                           # a run dir written before the export recorded its state
        planned, end_step = state, step
        finished = final.is_dir() and step >= int(state.get("max_steps", step + 1))
    if max_steps > 0:   # more steps than the finished run was planned for (early stopping may have ended it before)
        more = max_steps > int(planned.get("max_steps", end_step))
    else:   # epochs decide (train-sft, train-rm): more epochs than the finished run was planned for
        more = epochs is not None and epochs > float(planned.get("num_train_epochs", 0))
    if finished and not more:
        return ResumePlan(finished_step=end_step, step=end_step, changed=changed)
    if max_steps > 0 and max_steps < step:
        raise ConfigError(f"train.max_steps={max_steps} is below step {step}, already trained in {ckpt}; ask for at "
                          f"least {step} steps, or --no-resume to start {root} over")
    return ResumePlan(checkpoint=ckpt, step=step, changed=changed)


def set_aside(checkpoints: Path, final: Path | None = None) -> Path | None:
    """Move an old run's `checkpoint-*` folders and its export `final` (default `<checkpoints>/final`)
    into `<checkpoints>/superseded-<time>/` (a fresh start in a used run dir); returns that folder,
    or None when there was nothing to move."""
    final = checkpoints / "final" if final is None else final
    old = [p for p in checkpoints.iterdir() if p.is_dir() and _CHECKPOINT.match(p.name)] \
        if checkpoints.is_dir() else []
    old += [final] if final.is_dir() else []
    if not old:
        return None
    target = checkpoints / f"superseded-{time.strftime('%Y%m%d-%H%M%S')}"
    target.mkdir()
    for path in old:
        path.rename(target / path.name)
    return target
