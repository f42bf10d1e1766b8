"""Does the gate matter at CPU scale? `outcome` vs `recode` vs `direct` GRPO on the embedded problems.

    .venv/bin/python benchmarks/learning.py --out runs/bench-learning            # 26 min on 2 busy cores
    .venv/bin/python benchmarks/learning.py --steps 50 --prompts-per-step 8 --generations 8 \\
        --max-completion 512 --scorer runs/rm/checkpoints/reward_model          # a real (GPU-hour) run

For each reward variant, with the SAME policy (SmolLM2-135M-Instruct), problems, steps, batch,
seed and process scorer, it runs `recode_rl.rl.train.train` and prints side by side:
- train pass rate (all tests pass) per step;
- held-out pass@1 before / after (greedy, `--max-completion` new tokens, a seeded held-out split of
  the embedded problems that training never sees);
- mean process score per step: `ungated` = every sample with think text (scored for monitoring
  via `reward.score_failing`, so the curve exists for all three variants; it never enters the
  outcome/recode rewards), `in reward` = the mean process term that entered the reward (0 for
  outcome; only passing samples for recode; every sample for direct);
- format rate, completion length, fraction of groups with zero reward variance;
- seconds per step and the share spent in generation, execution and scoring.

Process scorer: `--scorer PATH` (a `recode train-rm` output folder with scoring_card.json), else the
packaged MiniLM with a fresh, UNTRAINED num_labels=1 head (seeded, saved once so every variant
sees the same function): its scores carry no information about reasoning quality, and the output
says so. Knobs that scale it up: --steps, --prompts-per-step, --generations, --max-completion,
--lr, --holdout, --model, --scorer (and a GPU: the same code path runs with bf16/vLLM configs).
Results also go to <out>/learning.json. Departure from the paper: 1600 steps x 32 prompts x 4096
tokens on a 7B policy there; a handful of tiny steps here, so expect a null result on learning.

Measured (2026-11-23, defaults, 2 shared cores): SmolLM2-135M-Instruct never writes the
<think>/<answer> format (it answers with a bare code block), so every reward is 0, every group has
zero variance and no variant updates the policy: a null result that says the policy needs the
format first. To get a signal, warm-start from the SFT baseline, which teaches the format:
    recode train-sft --config configs/train-sft/default.yaml --run-dir runs/sft train.max_steps=-1
    .venv/bin/python benchmarks/learning.py --model runs/sft/checkpoints/final
(the SFT data then includes the held-out problems' reference solutions unless you add
data.exclude=[...] for them).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

VARIANTS = ("outcome", "recode", "direct")


def untrained_minilm_scorer(folder: Path, seed: int = 0) -> Path:
    """Save MiniLM with a seeded fresh scalar head once (with the default scoring card); every variant
    loads the same weights."""
    from recode_rl.reward_model.scoring import CARD_FILE, ScoringCard, write_card

    if (folder / "config.json").is_file():
        if not (folder / CARD_FILE).is_file():
            write_card(folder, ScoringCard(backbone="embedded:minilm"))
        return folder
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from recode_rl.models import embedded_model_dir

    src = embedded_model_dir("minilm")
    torch.manual_seed(seed)
    model = AutoModelForSequenceClassification.from_pretrained(src, num_labels=1)
    tok = AutoTokenizer.from_pretrained(src)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    write_card(folder, ScoringCard(backbone="embedded:minilm"))
    return folder


def heldout_pass1(model_dir: str, problems: list, max_new_tokens: int, num_threads: int) -> dict[str, Any]:
    """Greedy pass@1 (all tests pass) and format rate of one completion per held-out problem."""
    from recode_rl.generation.hf import HFGenerator
    from recode_rl.generation.types import SamplingParams
    from recode_rl.prompts import policy_messages
    from recode_rl.rewards.core import RewardConfig
    from recode_rl.rewards.pipeline import score_batch
    from recode_rl.rewards.scorer import NoScorer

    start = time.perf_counter()
    gen = HFGenerator(model_dir, dtype="float32", batch_size=len(problems), num_threads=num_threads)
    out = gen.generate([policy_messages(p) for p in problems], 1,
                       SamplingParams(temperature=0.0, max_new_tokens=max_new_tokens))
    texts = [c[0].text for c in out]
    _, m = score_batch(problems, texts, RewardConfig(kind="outcome"), NoScorer(), max_workers=2)
    return {"pass1": m["outcome_rate"], "format_rate": m["format_rate"], "test_pass_rate": m["test_pass_rate"],
            "seconds": time.perf_counter() - start, "samples": texts}


def series(metrics: list[dict[str, Any]], key: str) -> list[float | None]:
    return [m.get(key) for m in metrics]


def mean(values: list[Any]) -> float | None:
    vals = [v for v in values if isinstance(v, (int, float))]
    return statistics.fmean(vals) if vals else None


def fmt(value: Any, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def curve(values: list[Any]) -> str:
    return " ".join(fmt(v) for v in values)


def run_variant(kind: str, args: argparse.Namespace, scorer: str, exclude: list[str]) -> dict[str, Any]:
    from recode_rl.rl.config import Config
    from recode_rl.rl.train import train

    cfg = Config.model_validate({
        "run_dir": str(Path(args.out) / kind), "resume": True,
        "model": {"path": args.model, "dtype": "float32"},
        "data": {"train": ["embedded"], "exclude": exclude},
        "reward": {"kind": kind, "score_failing": True},
        "scorer": {"kind": "hf", "path": scorer, "batch_size": 8, "device": "cpu"},
        "limits": {"timeout": 6.0, "max_workers": 2},
        "train": {"max_steps": args.steps, "prompts_per_step": args.prompts_per_step,
                  "num_generations": args.generations,
                  "per_device_batch_size": args.prompts_per_step * args.generations,
                  "learning_rate": args.lr, "lr_scheduler": "constant", "beta": 0.0, "loss_type": "dapo",
                  "epsilon": 0.2, "epsilon_high": 0.28, "max_completion_length": args.max_completion,
                  "seed": args.seed, "save_steps": max(1, args.steps), "save_total_limit": 1, "logging_steps": 1,
                  "num_threads": args.num_threads, "use_cpu": True},
        "monitor": {"window": max(2, min(10, args.steps))},
    })
    result = train(cfg)
    return {"final_model": str(result.final_model), "metrics": result.metrics, "seconds": result.seconds,
            "hacking_flags": result.hacking_flags}


def summarize(kind: str, run: dict[str, Any], before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    m = run["metrics"]
    step = mean(series(m, "time/step_s"))
    gen = mean(series(m, "time/generation_s"))
    exe = mean(series(m, "recode/time_execution_s"))
    sco = mean(series(m, "recode/time_scoring_s"))
    share = (lambda x: None if x is None or not step else x / step)
    return {
        "variant": kind,
        "train_pass_rate": series(m, "recode/outcome_rate"),
        "format_rate": series(m, "recode/format_rate"),
        "process_ungated": series(m, "recode/process_ungated_mean"),
        "process_in_reward": series(m, "recode/process_term_mean"),
        "reward": series(m, "reward"),
        "frac_zero_std": series(m, "frac_reward_zero_std"),
        "completion_length": series(m, "completions/mean_length"),
        "heldout_pass1_before": before["pass1"], "heldout_pass1_after": after["pass1"],
        "heldout_format_before": before["format_rate"], "heldout_format_after": after["format_rate"],
        "step_s": step, "generation_share": share(gen), "execution_share": share(exe), "scoring_share": share(sco),
        "hacking_flags": len(run["hacking_flags"]), "train_seconds": run["seconds"],
    }


def print_table(rows: list[dict[str, Any]], header: dict[str, Any]) -> None:
    print("\n=== learning benchmark:", ", ".join(f"{k}={v}" for k, v in header.items()))
    lines = [
        ("train pass rate / step", lambda r: curve(r["train_pass_rate"])),
        ("format rate / step", lambda r: curve(r["format_rate"])),
        ("process score, ungated / step", lambda r: curve(r["process_ungated"])),
        ("process term in reward / step", lambda r: curve(r["process_in_reward"])),
        ("reward / step", lambda r: curve(r["reward"])),
        ("groups w/ zero reward std / step", lambda r: curve(r["frac_zero_std"])),
        ("completion length / step", lambda r: " ".join(fmt(v, 0) for v in r["completion_length"])),
        ("held-out pass@1 before -> after", lambda r: f"{fmt(r['heldout_pass1_before'])} -> {fmt(r['heldout_pass1_after'])}"),
        ("held-out format before -> after", lambda r: f"{fmt(r['heldout_format_before'])} -> {fmt(r['heldout_format_after'])}"),
        ("seconds / step", lambda r: fmt(r["step_s"], 1)),
        ("share gen / exec / scoring", lambda r: " / ".join(fmt(r[k]) for k in ("generation_share", "execution_share",
                                                                                 "scoring_share"))),
        ("hacking-monitor flags", lambda r: str(r["hacking_flags"])),
    ]
    width = 34
    print(f"{'':{width}}" + "".join(f"| {r['variant']:<34}" for r in rows))
    for label, get in lines:
        print(f"{label:{width}}" + "".join(f"| {get(r):<34}" for r in rows))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="runs/bench-learning")
    parser.add_argument("--model", default="embedded:smollm2")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--prompts-per-step", type=int, default=1)
    parser.add_argument("--generations", type=int, default=4)
    parser.add_argument("--max-completion", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-5)
    parser.add_argument("--holdout", type=int, default=5, help="held-out problems (of the 30 embedded)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scorer", default=None, help="reward-model folder; default: untrained MiniLM head")
    parser.add_argument("--num-threads", type=int, default=1)
    args = parser.parse_args(argv)

    import logging

    import torch

    from recode_rl.data import load_problems
    from recode_rl.models import resolve_model
    from recode_rl.rl.data import split_holdout

    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(args.num_threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    problems = load_problems("embedded")
    _, held = split_holdout(problems, args.holdout / len(problems), seed=args.seed)
    if args.scorer:
        scorer, scorer_note = args.scorer, f"reward model {args.scorer}"
    else:
        scorer = str(untrained_minilm_scorer(out / "minilm-untrained-head", args.seed))
        scorer_note = "packaged MiniLM with an UNTRAINED num_labels=1 head (scores carry no reasoning signal)"
    print(f"process scorer: {scorer_note}", flush=True)
    print(f"held-out problems: {[p.task_id for p in held]}", flush=True)

    model_dir = resolve_model(args.model)
    before = heldout_pass1(model_dir, held, args.max_completion, args.num_threads)
    print(f"held-out before: pass@1 {before['pass1']:.2f}, format {before['format_rate']:.2f} "
          f"({before['seconds']:.0f} s)", flush=True)
    rows, raw = [], {}
    for kind in args.variants.split(","):
        t0 = time.perf_counter()
        run = run_variant(kind, args, scorer, [p.task_id for p in held])
        after = heldout_pass1(run["final_model"], held, args.max_completion, args.num_threads)
        rows.append(summarize(kind, run, before, after))
        raw[kind] = {"metrics": run["metrics"], "heldout_after_samples": after["samples"]}
        print(f"[{kind}] done in {time.perf_counter() - t0:.0f} s; held-out after: pass@1 {after['pass1']:.2f}",
              flush=True)
    header = {"model": args.model, "steps": args.steps, "prompts/step": args.prompts_per_step,
              "G": args.generations, "max_completion": args.max_completion, "lr": args.lr, "seed": args.seed,
              "held-out": len(held), "scorer": "given RM" if args.scorer else "untrained MiniLM head",
              "total_s": round(time.perf_counter() - started)}
    print_table(rows, header)
    (out / "learning.json").write_text(json.dumps({"header": header, "scorer": scorer_note, "rows": rows,
                                                   "heldout_before_samples": before["samples"], "raw": raw},
                                                  indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
