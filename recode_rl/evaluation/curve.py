"""`evaluate_snapshots`: held-out pass@1 of the policies an RL run kept every `eval.every` steps.

`recode train-rl` with `eval.keep_snapshots` copies the policy of every N-th step to
`checkpoints/eval-step-<N>/` (a multi-GPU run cannot evaluate inline). `recode eval
snapshots_of=RUN_DIR` evaluates each snapshot as `recode eval` would (samples and summary in
`RUN_DIR/eval/step-<N>/`, resumable) and appends `eval/<benchmark>/pass@1` at step N to the run's
`metrics.jsonl`, where inline evaluation puts it, so `recode report` and `recode analyze`
(`pass_key=eval/<benchmark>/pass@1`) draw the same curve either way (the paper's Figures 3a-3c).
Steps whose scores are already in the metrics are skipped.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from recode_rl.errors import DataError
from recode_rl.evaluation.config import EvalConfig, build_eval_generator
from recode_rl.rundir import RunDir

__all__ = ["snapshot_steps", "evaluate_snapshots"]

_SNAPSHOT = re.compile(r"eval-step-(\d+)$")


def snapshot_steps(run_dir: str | Path) -> list[tuple[int, Path]]:
    """(step, folder) of every `checkpoints/eval-step-<N>` of an RL run, by step."""
    folders = Path(run_dir) / "checkpoints"
    found = [(int(m.group(1)), p) for p in folders.glob("eval-step-*") if p.is_dir() and (m := _SNAPSHOT.search(p.name))]
    return sorted(found)


def evaluate_snapshots(cfg: EvalConfig, run_dir: str | Path, *, progress: bool = True) -> list[dict[str, Any]]:
    """Evaluate every snapshot not yet scored; returns the metrics records written (step + scores)."""
    from recode_rl.evaluation.policy_eval import evaluate_benchmarks

    run = RunDir(Path(run_dir))
    snapshots = snapshot_steps(run.root)
    if not snapshots:
        raise DataError.at(run.root / "checkpoints", "no eval-step-<N> snapshots (train with eval.every > 0 "
                           "and eval.keep_snapshots: true)")
    scored = {(int(r["step"]), key) for r in run.read_metrics() for key in r if key.startswith("eval/")}
    written = []
    for step, folder in snapshots:
        wanted = {f"eval/{b.name}/pass@1" for b in cfg.benchmarks}
        if all((step, key) in scored for key in wanted):
            continue
        at_step = cfg.model_copy(update={"generator": cfg.generator.model_copy(update={"model": str(folder)})})
        summary = evaluate_benchmarks(
            [b.model_dump() for b in cfg.benchmarks], lambda: build_eval_generator(at_step),
            run.root / "eval" / f"step-{step}", sampling=cfg.sampling, n=cfg.n, ks=cfg.k, style=cfg.prompt_style,
            limits=cfg.limits.to_limits(), chunk_size=cfg.chunk_size, max_workers=cfg.max_workers,
            math_timeout=cfg.math_timeout, model_label=f"{run.root.name}@step-{step}", progress=progress)
        record = {f"eval/{name}/pass@1": s["pass@1"] for name, s in summary["benchmarks"].items()
                  if isinstance(s.get("pass@1"), (int, float))}
        run.log_metrics(step, record)
        written.append({"step": step, **record})
    return written
