"""Where a CPU GRPO step's time goes, and what `model.train_top_layers` saves, side by side in one run.

    .venv/bin/python benchmarks/rl_step.py --model runs/demo/sft/checkpoints/final     # ~5 min on 2 cores

Runs `recode train-rl` (configs/train-rl/listops.yaml: 4 prompts x 4 samples, 160 completion
tokens, the LengthScorer probe as a cheap process scorer) for `--steps` steps per setting, in the
same process and on the same data and seed, and prints seconds per step split into generation,
execution, scoring and the update (log-probs, loss, backward, optimizer = step minus the rest).
The first step of each setting is a warm-up and is left out of the means.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SETTINGS = {"all 30 blocks": None, "top 10 blocks": 10}


def run_setting(model: str, top: int | None, steps: int, threads: int, out: Path) -> dict[str, float]:
    from recode_rl.config import load_config
    from recode_rl.rl.config import Config
    from recode_rl.rl.train import train
    from recode_rl.twin import step_breakdown

    cfg = load_config(Config, ROOT / "configs/train-rl/listops.yaml", overrides=[
        f"model.path={model}", f"run_dir={out}", f"train.max_steps={steps}", f"train.save_steps={steps}",
        f"train.num_threads={threads}", "scorer.kind=import", "scorer.factory=recode_rl.rewards.probes:LengthScorer",
        "train.save_rollouts_every=0"])
    cfg.model.train_top_layers = top
    metrics = [m for m in train(cfg).metrics if m.get("step", 0) > 1]   # step 1 is the warm-up
    return step_breakdown([metrics])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="embedded:smollm2", help="policy (an SFT'd listops policy is representative)")
    ap.add_argument("--steps", type=int, default=3, help="steps per setting (the first is a warm-up)")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, (label, top) in enumerate(SETTINGS.items()):
            rows[label] = run_setting(args.model, top, args.steps, args.threads, Path(tmp) / f"run{i}")
    parts = ("generation", "execution", "scoring", "update")
    print(f"\nseconds per GRPO step (mean of steps 2..{args.steps}; 16 completions, {args.threads} threads)")
    print(f"{'setting':<16}{'step':>8}" + "".join(f"{p:>12}" for p in parts))
    for label, t in rows.items():
        if t.get("step") is None:
            print(f"{label:<16}  no timed steps")
            continue
        print(f"{label:<16}{t['step']:>8.1f}" + "".join(f"{t[p]:>7.1f} ({100 * t[p] / t['step']:>2.0f}%)"
                                                       for p in parts))
    a, b = (rows[k].get("step") for k in SETTINGS)
    if a and b:
        print(f"\nstep time ratio (all / top 10): {a / b:.2f}x; update ratio: "
              f"{rows['all 30 blocks']['update'] / max(rows['top 10 blocks']['update'], 1e-9):.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
