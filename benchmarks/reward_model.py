"""CPU scoring throughput of the embedded reward-model backbone (SmolLM2-135M + scalar head).

Scores synthetic pairs whose two inputs are exactly `L` tokens long (long texts truncated to
`max_length = L` by the default policy), through `RewardModel.raw_scores` — tokenization,
truncation, length-sorted batching and the forward pass, as `recode eval-rm` and the process
scorer run it. Reports pairs/s (a pair = 2 sequences) and tokens/s per (length, batch size), by wall clock,
and the process CPU seconds per pair (all threads), which stays meaningful on a shared machine.
The head is untrained: speed does not depend on its weights.

    .venv/bin/python benchmarks/reward_model.py --lengths 128 512 --batch-sizes 1 4 8 --pairs 4 --threads 2
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's recode_rl


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[128, 512])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--pairs", type=int, default=4, help="pairs per measurement")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--model", default="embedded:smollm2")
    args = parser.parse_args()

    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from recode_rl.models import resolve_model
    from recode_rl.reward_model.scoring import RewardModel, ScoringCard

    if args.threads:
        torch.set_num_threads(args.threads)
    path = resolve_model(args.model)
    t0 = time.perf_counter()
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=1)
    tokenizer = AutoTokenizer.from_pretrained(path)
    load_s = time.perf_counter() - t0
    problem = "Given n integers, print the length of the longest strictly increasing subsequence. " * 40
    reasoning = ("We keep tails[k], the smallest tail of an increasing subsequence of length k+1; each new "
                 "value replaces the first tail that is >= it, found by binary search, so O(n log n). ") * 80
    print(f"# model {args.model} ({sum(p.numel() for p in model.parameters()) / 1e6:.0f}M params), "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.processor() or platform.machine()}, "
          f"load {load_s:.1f} s")
    print(f"{'tokens':>6} {'batch':>5} {'pairs/s':>8} {'tokens/s':>9} {'s/pair':>7} {'cpu-s/pair':>10}")
    rows = []
    for length in args.lengths:
        rm = RewardModel(model, tokenizer, ScoringCard(max_length=length, truncation="reasoning_middle"))
        problems = [problem] * (2 * args.pairs)
        texts = [reasoning + f" variant {i}" for i in range(2 * args.pairs)]
        rm.raw_scores(problems[:2], texts[:2], batch_size=2)          # warm-up
        for bs in args.batch_sizes:
            t, c = time.perf_counter(), time.process_time()
            scores, truncated = rm.raw_scores(problems, texts, batch_size=bs)
            dt, dc = time.perf_counter() - t, time.process_time() - c
            assert truncated == len(texts) and all(s == s for s in scores)
            row = {"tokens": length, "batch_size": bs, "pairs_per_s": args.pairs / dt,
                   "tokens_per_s": 2 * args.pairs * length / dt, "s_per_pair": dt / args.pairs,
                   "cpu_s_per_pair": dc / args.pairs}
            rows.append(row)
            print(f"{length:>6} {bs:>5} {row['pairs_per_s']:>8.2f} {row['tokens_per_s']:>9.0f} {row['s_per_pair']:>7.3f} {row['cpu_s_per_pair']:>10.3f}",
                  flush=True)
    print(f"# load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
