"""What a HF/TRL training run shows on the terminal: one progress bar with the few numbers that matter.

transformers' `ProgressCallback` (and `PrinterCallback` when tqdm is disabled) prints every log
dict of the trainer to stdout, and GRPO logs dozens of keys per step. `show_progress(trainer, ...)`
replaces them with one `ProgressBar`: step/total, seconds per step (tqdm's rate), and the chosen
log keys as the bar's postfix. The log dicts themselves are not lost: each stage's metrics
callback writes them to `<run_dir>/metrics.jsonl` (`recode_rl.rl.callbacks.RunDirMetrics` for
train-rl / train-sft, `recode_rl.reward_model.train.MetricsLogger` for train-rm).

`quiet_known_warnings()` is worn around building and running a trainer. The warnings OUR arguments
would cause are avoided at the source (`recode_rl.trainer_args`: the checkpointing name, pinned
memory; `recode_rl.models.load_with_new_head`: the expected new-head keys, one line). What is left
is raised inside TRL/peft whatever we pass; each such warning is listed in `KNOWN_HARMLESS` by
category, message and the module it is attributed to, with who raises it and why it is harmless.
Only those are hidden, only inside the block: any other warning still shows.
Used by `recode train-rl`, `train-sft` and `train-rm`.
"""

from __future__ import annotations

import contextlib
import warnings
from typing import Any, Iterator, Mapping

from tqdm.auto import tqdm
from transformers import PrinterCallback, ProgressCallback

__all__ = ["KNOWN_HARMLESS", "ProgressBar", "quiet_known_warnings", "show_progress"]

# (category, message regex, module the warning is attributed to): warnings raised by library code we
# call, that no argument of ours avoids.
KNOWN_HARMLESS: tuple[tuple[type[Warning], str, str], ...] = (
    # transformers 5 renamed gradient -> activation checkpointing and warns on the old names; TRL 1.16
    # (`unwrap_model_for_generation` and `disable_gradient_checkpointing`, every GRPO generation) and
    # peft 0.21 (`PeftModel.__init__`, every LoRA model) still call them, whether checkpointing is on
    # or off. The aliases do exactly what the new names do.
    (FutureWarning, r"`(is_gradient_checkpointing|gradient_checkpointing_enable|gradient_checkpointing_disable)` "
                    r"is deprecated and will be removed in v6", r"transformers\.modeling_utils"),
)


class ProgressBar(ProgressCallback):
    """One tqdm bar per run (rank 0, stderr); `fields` maps a short label to a log key shown in the postfix."""

    def __init__(self, desc: str, fields: Mapping[str, str]) -> None:
        super().__init__()
        self.desc = desc
        self.fields = dict(fields)
        self.shown: dict[str, str] = {}   # last value of each field (train and eval logs come separately)

    def on_train_begin(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            self.training_bar = tqdm(total=state.max_steps, initial=state.global_step, desc=self.desc, unit="step",
                                     dynamic_ncols=True, disable=bool(args.disable_tqdm))
        self.current_step = state.global_step

    def on_log(self, args, state, control, logs=None, **kwargs):
        if self.training_bar is None or not logs:
            return
        for label, key in self.fields.items():
            value = logs.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                self.shown[label] = f"{value:.3g}"
        if self.shown:
            self.training_bar.set_postfix(self.shown, refresh=True)


def show_progress(trainer: Any, desc: str, fields: Mapping[str, str]) -> ProgressBar:
    """Remove the trainer's log-dict printers and add one `ProgressBar` (public Trainer callback API)."""
    for printer in (PrinterCallback, ProgressCallback):
        while trainer.pop_callback(printer) is not None:
            pass
    bar = ProgressBar(desc, fields)
    trainer.add_callback(bar)
    return bar


@contextlib.contextmanager
def quiet_known_warnings() -> Iterator[None]:
    """Hide exactly the `KNOWN_HARMLESS` warnings inside the block (see the module doc)."""
    with warnings.catch_warnings():
        for category, message, module in KNOWN_HARMLESS:
            warnings.filterwarnings("ignore", message=message, category=category, module=module)
        yield
