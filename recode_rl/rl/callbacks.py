"""Trainer callbacks of `recode train-rl` / `train-sft`: metrics to the run dir, hacking monitor, timing.

`RunDirMetrics` receives every log record of the trainer (TRL's own metrics — reward,
frac_reward_zero_std, completions/mean_length, clip_ratio/*, entropy, ... — plus the reward
components our reward callable logs through `log_metric` as `recode/*`) and appends it, with the
wall time of the steps since the last log (`time/step_s`), to `<run_dir>/metrics.jsonl`
(`RunDir.log_metrics`, one line per logged step). The end-of-training summary (train_runtime,
...) goes to `<run_dir>/report/train_summary.json` instead. On the same records it runs the
`HackingMonitor`; a flag is WARNED in the log and appended to `<run_dir>/report/hacking_flags.jsonl`.

`TimedReward` wraps the reward callable and logs `time/generation_s` through TRL's public hooks
only (a callback and the reward's `log_metric`): see its docstring for what the span covers.

Resume: `truncate_metrics(run, step)` drops lines logged after the checkpoint a run resumes from
(they will be logged again), and `RunDirMetrics.replay` warms the monitor's window on the kept ones,
so a resumed run's metrics file has each step once and the monitor behaves as if never stopped.

`SaveRollouts` wraps the reward callable too: every `train.save_rollouts_every` steps it writes
that step's rollouts to `<run_dir>/samples/rollouts/step-<N>.jsonl` (N = the optimizer step being
trained, 1-based), one line per completion: task_id, prompt, completion, reward, the components
(format, outcome, pass_rate, process, process_term, gate_open, compiler), verdict and errors. It
reads only what the reward callable is given (TRL's documented keyword arguments) and its own
`last_results`; a resumed step overwrites its file, so each step appears once. With several
processes, each writes its own shard (`step-<N>.rank-<R>.jsonl`).

`PeriodicEval` evaluates the live policy on held-out benchmarks every N steps (the paper's pass@1
curves, Figures 3a/3b) and keeps those steps' policies outside the checkpoint rotation.

`StopAfter` is the interruption used by tests: it raises KeyboardInterrupt at the end of a given
step, exactly like Ctrl-C there (the step's checkpoint, if due, is NOT written: the save happens
after the step-end callbacks).
"""

from __future__ import annotations

import json
import logging
import math
import time
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from recode_rl.data.records import append_records, write_records
from recode_rl.rewards.monitor import HackingMonitor
from recode_rl.rundir import RunDir

__all__ = ["RunDirMetrics", "SaveRollouts", "StopAfter", "TimedReward", "truncate_metrics", "numeric_logs"]

log = logging.getLogger("recode_rl.rl")

_SUMMARY_KEYS = ("train_runtime", "train_samples_per_second", "train_steps_per_second", "train_loss")


def numeric_logs(logs: dict[str, Any]) -> dict[str, float]:
    """The finite numbers of a log record (None / NaN / strings are left out, never turned into 0)."""
    out = {}
    for key, value in logs.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if math.isfinite(value):
            out[key] = value
    return out


def truncate_metrics(run: RunDir, step: int, *, rewritten: tuple[str, ...] = ()) -> int:
    """Keep only metrics lines with step <= `step`, minus lines with a key starting with one of
    `rewritten` (logged again by every start, e.g. train-rm's `data/` counts); returns how many were dropped."""
    records = run.read_metrics()
    kept = [r for r in records if int(r.get("step", 0)) <= step and not any(k.startswith(rewritten) for k in r)
            ] if rewritten else [r for r in records if int(r.get("step", 0)) <= step]
    if len(kept) != len(records):
        write_records(run.metrics_path, kept)
    return len(records) - len(kept)


class RunDirMetrics(TrainerCallback):
    """Append every trainer log to metrics.jsonl; run the hacking monitor; time the steps."""

    def __init__(self, run: RunDir, monitor: HackingMonitor | None = None) -> None:
        self.run = run
        self.monitor = monitor
        self.flags: list[dict[str, Any]] = []
        self._step_start: float | None = None
        self._step_times: list[float] = []

    def replay(self, records: list[dict[str, Any]]) -> None:
        """Feed already-logged steps to the monitor (resume) without warning again."""
        if self.monitor is None:
            return
        for record in records:
            self.monitor.update(int(record.get("step", 0)), record)

    def on_step_begin(self, args, state, control, **kwargs):
        self._step_start = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        if self._step_start is not None:
            self._step_times.append(time.perf_counter() - self._step_start)
            self._step_start = None

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero or not logs:
            return
        if any(key in logs for key in _SUMMARY_KEYS):
            path = self.run.report / "train_summary.json"
            path.write_text(json.dumps({"step": state.global_step, **numeric_logs(logs)}, indent=1))
            return
        record = numeric_logs(logs)
        if self._step_times:
            record["time/step_s"] = sum(self._step_times) / len(self._step_times)
            self._step_times.clear()
        self.run.log_metrics(state.global_step, record)
        if self.monitor is not None:
            flag = self.monitor.update(state.global_step, record)
            if flag is not None:
                log.warning("HackingMonitor: %s", flag.message)
                self.flags.append(flag.to_dict())
                with (self.run.report / "hacking_flags.jsonl").open("a") as f:
                    append_records(f, [flag.to_dict()])


class TimedReward(TrainerCallback):
    """The reward callable for GRPOTrainer that also logs `time/generation_s`; pass it as reward AND callback.

    The span runs from the optimizer step's start (`on_step_begin`) to the reward call. GRPOTrainer
    generates in the first micro-step of a step that needs a new generation batch and scores right
    after, so this is generation time, plus the vLLM weight sync and, when TRL needs them (vLLM
    importance sampling, num_iterations > 1), the old policy's log-probs. Logged once per
    generation batch.
    """

    def __init__(self, reward: Any) -> None:
        self.reward = reward
        self.__name__ = getattr(reward, "__name__", type(reward).__name__)  # TRL names the reward column after it
        self._step_start: float | None = None

    def on_step_begin(self, args, state, control, **kwargs):
        self._step_start = time.perf_counter()

    def __call__(self, *args: Any, log_metric: Any = None, **kwargs: Any) -> list[float]:
        if log_metric is not None and self._step_start is not None:
            log_metric("time/generation_s", time.perf_counter() - self._step_start)
            self._step_start = None
        return self.reward(*args, log_metric=log_metric, **kwargs)


def _prompt_text(prompt: Any) -> Any:
    """A TRL prompt as stored: a string as is, a conversation as its list of {role, content}."""
    if isinstance(prompt, list):
        return [{"role": m.get("role"), "content": m.get("content")} if isinstance(m, dict) else m for m in prompt]
    return prompt


class SaveRollouts:
    """Reward-callable wrapper: every `every` steps, write the step's rollouts to `<run>/samples/rollouts/`."""

    def __init__(self, reward: Any, run: RunDir, every: int) -> None:
        self.reward = reward
        self.run = run
        self.every = every
        self.__name__ = getattr(reward, "__name__", type(reward).__name__)  # TRL names the reward column after it

    def __getattr__(self, name: str) -> Any:   # last_metrics, last_results, cfg, ... of the wrapped reward
        reward = self.__dict__.get("reward")
        if reward is None:
            raise AttributeError(name)
        return getattr(reward, name)

    def __call__(self, prompts: list[Any], completions: list[Any], *args: Any, trainer_state: Any = None,
                 **kwargs: Any) -> list[float]:
        rewards = self.reward(prompts, completions, *args, trainer_state=trainer_state, **kwargs)
        step = getattr(trainer_state, "global_step", None)   # steps finished before this one
        if self.every and step is not None and step % self.every == 0:
            self._write(step + 1, prompts, completions, rewards, kwargs)
        return rewards

    def _write(self, step: int, prompts: list[Any], completions: list[Any], rewards: list[float],
               columns: dict[str, Any]) -> None:
        import os

        from recode_rl.rewards.trl_reward import completion_text

        results = list(getattr(self.reward, "last_results", None) or [])
        task_ids = columns.get("task_id") or [None] * len(completions)
        rows = []
        for i, completion in enumerate(completions):
            row: dict[str, Any] = {"step": step, "task_id": task_ids[i], "prompt": _prompt_text(prompts[i]),
                                   "completion": completion_text(completion), "reward": rewards[i]}
            if i < len(results):
                r = results[i]
                row.update(format=r.format, outcome=r.outcome, pass_rate=r.pass_rate, process=r.process,
                           process_term=r.process_term, gate_open=r.gate_open, compiler=r.compiler,
                           verdict=r.verdict["verdict"] if r.verdict else "no_code", errors=r.errors)
            rows.append(row)
        world = int(os.environ.get("WORLD_SIZE", "1"))
        name = f"step-{step:06d}" + (f".rank-{os.environ.get('RANK', '0')}" if world > 1 else "") + ".jsonl"
        write_records(self.run.samples / "rollouts" / name, rows)


class PeriodicEval(TrainerCallback):
    """`eval.every` steps: greedy pass@1 of the live policy on `eval.benchmarks` -> metrics.jsonl
    (`eval/<benchmark>/pass@1`) and `<run_dir>/eval/step-<N>/`; snapshots in `checkpoints/eval-step-<N>/`.

    Inline evaluation runs on rank 0 only and is refused in multi-process runs by `train` (a sharded
    model cannot generate on one rank); snapshots work at any scale: the step's checkpoint is
    forced, and its model files are copied where `save_total_limit` never deletes them.
    """

    _NOT_MODEL = ("optimizer.pt", "scheduler.pt", "rng_state", "global_step", "trainer_state.json",
                  "training_args.bin", "zero_to_fp32.py", "latest")

    def __init__(self, run: RunDir, section: Any, limits: Any = None, max_workers: int | None = None) -> None:
        self.run = run
        self.section = section
        self.limits = limits
        self.max_workers = max_workers

    def _due(self, step: int) -> bool:
        return self.section.every > 0 and step > 0 and step % self.section.every == 0

    def on_train_begin(self, args, state, control, **kwargs):
        if self.section.every and self.section.at_start and state.global_step == 0 and state.is_world_process_zero:
            self._evaluate(0, kwargs)

    def on_step_end(self, args, state, control, **kwargs):
        if not self._due(state.global_step):
            return
        if self.section.keep_snapshots:
            control.should_save = True
        if self.section.inline and state.is_world_process_zero:
            self._evaluate(state.global_step, kwargs)

    def on_save(self, args, state, control, **kwargs):
        if not (self.section.keep_snapshots and self._due(state.global_step) and state.is_world_process_zero):
            return
        import shutil

        source = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        target = self.run.checkpoints / f"eval-step-{state.global_step}"
        if not source.is_dir() or target.exists():
            return
        tmp = target.with_name(target.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for item in source.iterdir():
            if item.is_file() and not item.name.startswith(self._NOT_MODEL):
                shutil.copy2(item, tmp / item.name)
        tmp.rename(target)

    def _evaluate(self, step: int, kwargs: dict[str, Any]) -> None:
        from recode_rl.evaluation.policy_eval import evaluate_benchmarks
        from recode_rl.generation.hf import HFGenerator
        from recode_rl.generation.types import SamplingParams

        model = kwargs["model"]
        tokenizer = kwargs.get("processing_class") or kwargs.get("tokenizer")
        was_training, padding_side = model.training, tokenizer.padding_side
        device = str(next(model.parameters()).device)
        generator = HFGenerator(model, tokenizer, device=device, batch_size=self.section.batch_size,
                                model_id=f"{self.run.root.name}@step-{step}")
        try:
            summary = evaluate_benchmarks(
                [b.model_dump() for b in self.section.benchmarks], generator, self.run.root / "eval" / f"step-{step}",
                sampling=SamplingParams(temperature=0.0, max_new_tokens=self.section.max_new_tokens),
                limits=self.limits, max_workers=self.max_workers, progress=False)
        finally:
            model.train(was_training)
            tokenizer.padding_side = padding_side
        record = {f"eval/{name}/pass@1": s["pass@1"] for name, s in summary["benchmarks"].items()
                  if isinstance(s.get("pass@1"), (int, float))}
        self.run.log_metrics(step, record)
        log.info("eval at step %d: %s", step, ", ".join(f"{k} {v:.1f}" for k, v in record.items()))


class StopAfter(TrainerCallback):
    """Raise KeyboardInterrupt at the end of optimizer step `step` (a simulated Ctrl-C)."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step >= self.step:
            raise KeyboardInterrupt(f"stopped after step {state.global_step}")
