"""`recode build-lcbrb`: build the LCB-RB reasoning-process benchmark (MISSION Part 3).

    recode build-lcbrb --config configs/build-lcbrb/paper.yaml generator.model=Qwen/Qwen2.5-Coder-7B-Instruct
    # annotators fill <run>/data/lcbrb_adjudication.csv, then:
    recode build-lcbrb --config configs/build-lcbrb/paper.yaml run_dir=<run> annotations=<run>/data/lcbrb_adjudication.csv

Steps: sample N responses per problem (T = 1.0) -> execute -> judge -> adjudication sheet ->
(import annotations, Cohen's kappa, consensus) -> pairs. Outputs in <run>/data/:
lcbrb_samples.jsonl (executed samples), lcbrb_judged.jsonl (+ judge label; `recode analyze`
reads it), lcbrb_adjudication.csv, lcbrb_pairs.jsonl (for `recode eval-rm`), and
<run>/report/lcbrb_summary.json. LLM calls are cached in <run>/data/*_calls.jsonl, so a rerun
resumes and re-judging after an interruption costs nothing twice.
"""

from __future__ import annotations

import argparse

from recode_rl.config import Flags, config_from_args
from recode_rl.evaluation.config import LcbRbConfig as Config

__all__ = ["Config", "FLAGS", "add_arguments", "run"]

FLAGS: Flags = {"run_dir": "run_dir"}
OVERRIDE_EXAMPLE = "n=8"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run-dir", help="run directory (also config key run_dir)")


def run(args: argparse.Namespace) -> int:
    from recode_rl.evaluation.lcbrb import build_lcbrb
    from recode_rl.generation.config import LazyGenerator
    from recode_rl.rundir import RunDir

    cfg = config_from_args(Config, args, FLAGS)
    # models load when first asked (after the problems loaded; never for answers in the call cache); a
    # server is asked once now, so a wrong judge URL or key fails before the sampling, not after it
    policy, judge = LazyGenerator(cfg.generator), LazyGenerator(cfg.judge)
    policy.check()
    judge.check()
    run_dir = RunDir.create(cfg.run_dir, stage="build-lcbrb")
    run_dir.write_config(cfg, "build-lcbrb")
    s = build_lcbrb(cfg, run_dir.root, policy, judge)
    print(f"{s['problems']} problems, {s['samples'].get('kept', 0)} judged samples "
          f"({s['passed']} pass / {s['failed']} fail); judge labels {s['judge_labels']}")
    if s["adjudication"]:
        print(f"annotators: kappa {s['adjudication']['kappa']}, {s['adjudication']}")
    print(f"{s['pairs']} pairs from {s['problems_with_pairs']} problems ({s['labels_from']}): {s['pairs_path']}")
    print(f"adjudication sheet: {s['sheet_path']}")
    args.result = {"run_dir": str(run_dir.root), **{k: s[k] for k in ("problems", "passed", "failed", "pairs",
                                                                      "pairs_path", "sheet_path") if k in s}}
    return 0
