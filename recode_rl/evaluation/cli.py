"""`recode eval`: pass@k of a policy on code and math benchmarks, tables in the paper's layout.

    recode eval generator.model=runs/train-rl-.../checkpoints/final benchmarks=[humaneval,mbpp]
    recode eval --config configs/eval/paper.yaml generator.backend=openai generator.model=Qwen/Qwen2.5-Coder-7B-Instruct
    recode eval --config configs/eval/embedded.yaml        # SmolLM2-135M on a few HumanEval tasks, CPU
    recode eval --config configs/eval/livecodebench.yaml snapshots_of=runs/recode-7b   # pass@1 over RL steps

Benchmarks: humaneval, humaneval+, mbpp, mbpp+, livecodebench, bigcodebench, bigcodebench-hard,
bigcodebench-sample, math500, minerva, aime24 — a name, or `{name, path, limit, task_ids, start,
end, mode}`. Greedy pass@1 by default; `n>1` with `sampling.temperature>0` gives unbiased pass@k
for every k in `k`. Writes samples/<bench>.jsonl, report/eval_summary.json and
report/eval_table.md in the run directory, plus the field's formats (samples/evalplus/ for
EvalPlus, report/results.json for lm-evaluation-harness); rerunning the same command resumes.
"""

from __future__ import annotations

import argparse

from recode_rl.config import Flags, config_from_args
from recode_rl.evaluation.config import EvalConfig as Config

__all__ = ["Config", "FLAGS", "add_arguments", "run"]

FLAGS: Flags = {"run_dir": "run_dir"}
OVERRIDE_EXAMPLE = "benchmarks=[humaneval,mbpp]"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run-dir", help="run directory (also config key run_dir)")


def run(args: argparse.Namespace) -> int:
    from recode_rl.evaluation.policy_eval import run_eval
    from recode_rl.evaluation.tables import subset_note

    cfg = config_from_args(Config, args, FLAGS)
    if cfg.snapshots_of:   # the pass@1 curve of an RL run's kept snapshots, into that run's metrics
        from recode_rl.evaluation.curve import evaluate_snapshots

        for rec in evaluate_snapshots(cfg, cfg.snapshots_of):
            print(f"step {rec['step']}: " + ", ".join(f"{k} {v:.1f}" for k, v in rec.items() if k != "step"))
        print(f"curve: {cfg.snapshots_of}/metrics.jsonl (eval/<benchmark>/pass@1)")
        return 0
    if cfg.n > 1 and cfg.sampling.temperature == 0:
        print("recode eval: warning: n > 1 with greedy decoding gives n identical samples")
    summary, run_dir = run_eval(cfg)
    for name, s in summary["benchmarks"].items():
        scores = ", ".join(f"{k} {v:.1f}" for k, v in s.items() if "pass@" in k and isinstance(v, float))
        tasks = f"{s['n_tasks']} tasks" + (f" (a subset: {subset_note(s)})" if subset_note(s) else "")
        print(f"{name}: {tasks}, {scores}" + (f", {s['n_skipped']} skipped" if s["n_skipped"] else ""))
    print(f"tables: {run_dir.report / 'eval_table.md'}")
    args.result = {"run_dir": str(run_dir.root), "table": summary["table"], "math_table": summary["math_table"],
                   "table_subsets": summary["table_subsets"],
                   "benchmarks": {name: {k: v for k, v in s.items() if "pass@" in k or k in
                                         ("n_tasks", "n_available", "subset", "n_skipped", "format_rate")}
                                  for name, s in summary["benchmarks"].items()},
                   "summary": str(run_dir.report / "eval_summary.json"),
                   "results": str(run_dir.report / "results.json")}
    return 0
