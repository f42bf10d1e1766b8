"""Does the method work at CPU scale? The learning twin over seeds: outcome GRPO, ReCode, direct, hacking probe.

    .venv/bin/python benchmarks/learning.py                          # 3 seeds x 5 arms (see docs/learning.md)
    .venv/bin/python benchmarks/learning.py --seeds 0 --arms outcome recode --rl-steps 4   # a quick look
    .venv/bin/python benchmarks/learning.py --out runs/bench-mixed --explanations mixed --arms outcome recode \
        --completion-tokens 224 --eval-tokens 256 --skip-base     # the diagnostic of docs/learning.md

Runs `recode_rl.twin` (the same chain as `recode demo`, which is its one-seed, three-arm version)
into `--out` (default runs/bench-learning; rerun to resume: finished stages are skipped):

1. outcome GRPO vs the SFT start: does RL raise held-out pass@1 at all?
2. ReCode: the CRPL reward model (MiniLM, trained on template-synthesized pairs of this family)
   behind the test gate;
3. direct addition of the same reward model (no gate);
4. the hacking probe (the paper's Fig. 3d question): an exploitable process scorer that pays for
   longer reasoning (`recode_rl.rewards.probes.LengthScorer`) under direct addition vs under the gate.

Every arm starts from the same SFT policy with the same data, steps and batch for a given seed.
Prints held-out pass@1 before/after (mean ± sd over seeds), the reward components, process score
and reasoning length (first step -> last step), the zero-variance group share, the hacking
monitor's flags, the reward model's accuracy on train vs held-out pairs, and where a GRPO step's
time goes. Writes <out>/report/{summary.json,twin.md,plots/*.png}.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    from recode_rl.twin import ARMS, TwinConfig, render_markdown, run_twin

    defaults = TwinConfig()
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="runs/bench-learning", help="run directory (rerun to resume)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--arms", nargs="+", default=list(ARMS), choices=list(ARMS))
    ap.add_argument("--rl-steps", type=int, default=defaults.rl_steps)
    ap.add_argument("--prompts-per-step", type=int, default=defaults.prompts_per_step)
    ap.add_argument("--num-generations", type=int, default=defaults.num_generations)
    ap.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    ap.add_argument("--heldout-problems", type=int, default=defaults.heldout_problems)
    ap.add_argument("--rm-problems", type=int, default=defaults.rm_problems,
                    help="train problems whose CRPL pairs train the reward model (3 pairs each)")
    ap.add_argument("--sft-steps", type=int, default=defaults.sft_steps)
    ap.add_argument("--explanations", choices=["plain", "mixed"], default=defaults.explanations,
                    help="SFT think texts; 'mixed' is the diagnostic where half add a worked example (docs/learning.md)")
    ap.add_argument("--completion-tokens", type=int, default=defaults.completion_tokens,
                    help="GRPO completion budget (tokens)")
    ap.add_argument("--eval-tokens", type=int, default=defaults.eval_tokens, help="held-out eval budget (tokens)")
    ap.add_argument("--skip-base", action="store_true", help="do not evaluate the untuned base model")
    ap.add_argument("--num-threads", type=int, default=defaults.num_threads)
    args = ap.parse_args(argv)
    cfg = TwinConfig(run_dir=args.out, seeds=args.seeds, arms=args.arms, rl_steps=args.rl_steps,
                     prompts_per_step=args.prompts_per_step, num_generations=args.num_generations,
                     learning_rate=args.learning_rate, heldout_problems=args.heldout_problems,
                     rm_problems=args.rm_problems, sft_steps=args.sft_steps, num_threads=args.num_threads,
                     explanations=args.explanations, completion_tokens=args.completion_tokens,
                     eval_tokens=args.eval_tokens, include_base=not args.skip_base)
    code, summary = run_twin(cfg, prog="benchmarks/learning.py", marks=".learning")
    if code == 0:
        print("\n" + render_markdown(summary))
        print(f"wall time of this invocation: {summary['seconds']:.0f} s; results in {Path(args.out) / 'report'}")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
