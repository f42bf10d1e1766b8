"""The learning twin: the paper's central RL comparisons at CPU scale, on the procedural `listops` family.

    pairs -> train-sft -> train-rm -> eval-rm (train / held-out) -> eval base, sft
          -> for each seed and arm: train-rl (from the SFT policy) -> eval on held-out problems
          -> summary.json, twin.md, plots

`recode demo` runs it with one seed and three arms; `benchmarks/learning.py` with three seeds and
all five arms. Every stage is a real `recode` command (real transformers model, real TRL GRPO
steps, the sandboxed executor) in its own sub-directory of one run directory, resumable through
`run_chain`'s markers.

Arms (all start from the same SFT policy, same data, steps, batch and seed per seed):
- `outcome`: plain GRPO (format + tests). The CRPL reward model scores every sample for the
  monitor only (`reward.score_failing`), so the process curve exists for it too; never rewarded.
- `recode`: CG-GRPO, the CRPL reward model behind the test gate (the paper's method).
- `direct`: the same reward model added without the gate (the paper's direct-addition ablation).
- `hack-direct`, `hack-recode`: the hacking probe (Fig. 3d's question): an exploitable process
  scorer (`recode_rl.rewards.probes.LengthScorer`, longer reasoning scores higher whatever it
  says) under direct addition and under the gate. The probe's signature is reasoning length and
  process score rising while the pass rate does not.

The CRPL reward model is MiniLM trained on template-synthesized pairs of the family's TRAIN
problems (`recode_rl.data.procedural.reasoning_pairs`); its held-out accuracy is measured on
pairs of the HELD-OUT problems, and both are reported apart. Held-out pass@1 is greedy, on
problems whose pipelines never occur in training.

`explanations: mixed` (a diagnostic, not the default): the SFT policy learns from problems of which
about half carry a checked explanation (the steps plus a short worked example,
`procedural.worked_check`), and the reward model's optimized reasoning is that checked form. With
the default plain explanations the SFT policy writes one style only, the reward model's score is
nearly constant on its samples, and `recode` cannot differ from `outcome` (docs/learning.md); here
the policy writes both kinds, so the gated term has something to rank among passing samples. The
report adds the share of sampled reasoning with a worked example per arm. The checked think text
is about 90 tokens (the plain one 45), so give it room: `completion_tokens` 224.

Departures from the paper, all for a 2-core CPU: a 135M policy (7B there), a few GRPO steps (1,600),
2 prompts x 4 samples per step (32 x G), 160 completion tokens (4,096), learning rate 2e-5 (1e-6:
at 1e-6 a handful of steps cannot move a policy measurably), a 22M reward model on template pairs
(7B on LLM-synthesized pairs). The expected shape is a hypothesis to test, not a target.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator

from recode_rl.config import StageConfig
from recode_rl.reproduce.chain import Step, configs_dir, run_chain

__all__ = ["Arm", "ARMS", "TwinConfig", "write_pairs", "steps", "collect", "render_markdown", "run_twin"]


@dataclass(frozen=True)
class Arm:
    reward: str      # reward.kind
    scorer: str      # "crpl" (the trained reward model) or "length" (the exploitable probe)
    label: str


ARMS: dict[str, Arm] = {
    "outcome": Arm("outcome", "crpl", "outcome GRPO (RM monitors only)"),
    "recode": Arm("recode", "crpl", "ReCode: CRPL RM behind the test gate"),
    "direct": Arm("direct", "crpl", "direct addition of the CRPL RM (no gate)"),
    "hack-direct": Arm("direct", "length", "hacking probe: length scorer, no gate"),
    "hack-recode": Arm("recode", "length", "hacking probe: length scorer behind the gate"),
}
_LENGTH_SCORER = ["scorer.kind=import", "scorer.factory=recode_rl.rewards.probes:LengthScorer",
                  "scorer.kwargs={target_words: 80}"]


class TwinConfig(StageConfig):
    run_dir: str = "runs/twin"
    seeds: list[int] = Field(default_factory=lambda: [0])
    arms: list[str] = Field(default_factory=lambda: ["outcome", "recode", "direct"])
    train_problems: int = Field(256, ge=8, description="listops train problems (RL and SFT draw from them)")
    rm_problems: int | None = Field(96, ge=4, description="the first N train problems give the RM's pairs "
                                                          "(None or more than train_problems: all)")
    heldout_problems: int = Field(32, ge=4, description="listops held-out problems (pass@1, RM held-out pairs)")
    sft_steps: int = Field(16, ge=1, description="SFT warm-start steps (batch 4)")
    rm_epochs: float = Field(1.0, gt=0)
    rl_steps: int = Field(4, ge=1, description="GRPO steps per arm and seed")
    prompts_per_step: int = Field(2, ge=1)
    num_generations: int = Field(4, ge=2)
    learning_rate: float = Field(2e-5, gt=0)
    completion_tokens: int = Field(160, ge=16)
    eval_tokens: int = Field(192, ge=16)
    explanations: Literal["plain", "mixed"] = Field(
        "plain", description="SFT think texts: 'plain' (the steps) or 'mixed' (half add a worked example, "
                             "the RM's optimized reasoning is that checked form; see the module doc)")
    include_base: bool = Field(True, description="also evaluate the untuned base model")
    num_threads: int = Field(2, ge=1)

    @field_validator("arms")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = [a for a in value if a not in ARMS]
        if unknown:
            raise ValueError(f"unknown arm(s) {unknown}; choose from {list(ARMS)}")
        return value


def _listops(split: str, n: int, explanations: str = "plain") -> str:
    extra = f", explanations: {explanations}" if explanations != "plain" else ""
    return f"{{name: listops, options: {{split: {split}, n: {n}, seed: 0{extra}}}}}"


def _pair_paths(cfg: TwinConfig) -> tuple[Path, Path]:
    stem = "pairs" if cfg.explanations == "plain" else "pairs-checked"   # the optimized kind differs
    out = Path(cfg.run_dir) / "pairs"
    return out / f"{stem}.train.jsonl", out / f"{stem}.heldout.jsonl"


def write_pairs(cfg: TwinConfig) -> tuple[Path, Path]:
    """CRPL pairs of the train problems and of the held-out problems (written once; deterministic).
    With `explanations: mixed` the optimized reasoning is the checked explanation the policy learns."""
    from recode_rl.data import load_problems
    from recode_rl.data.procedural import reasoning_pairs
    from recode_rl.data.records import write_records

    paths = _pair_paths(cfg)
    optimized = "full" if cfg.explanations == "plain" else "checked"
    for path, split, n in ((paths[0], "train", min(cfg.rm_problems or cfg.train_problems, cfg.train_problems)),
                           (paths[1], "heldout", cfg.heldout_problems)):
        if not path.is_file():
            problems = load_problems("listops", split=split, n=n, seed=0)
            write_records(path, reasoning_pairs(problems, seed=0, optimized=optimized))
    return paths


def _eval(name: str, model: str, cfg: TwinConfig, root: Path) -> Step:
    return Step(f"eval-{name}", [
        "eval", "--config", str(configs_dir() / "eval/listops.yaml"), "--run-dir", str(root / "eval" / name),
        f"generator.model={model}", f"model_name=SmolLM2-135M {name}", f"sampling.max_new_tokens={cfg.eval_tokens}",
        f"benchmarks=[{_listops('heldout', cfg.heldout_problems)}]", f"generator.num_threads={cfg.num_threads}"])


def steps(cfg: TwinConfig) -> list[Step]:
    """The chain, in order (see the module doc)."""
    c, root = configs_dir(), Path(cfg.run_dir)
    pairs_train, pairs_heldout = _pair_paths(cfg)
    sft, rm = root / "sft" / "checkpoints" / "final", root / "rm" / "checkpoints" / "reward_model"
    out = [
        Step("train-sft", ["train-sft", "--config", str(c / "train-sft/listops.yaml"), "--run-dir", str(root / "sft"),
                           f"data.train=[{_listops('train', cfg.train_problems, cfg.explanations)}]",
                           f"train.max_steps={cfg.sft_steps}", f"train.save_steps={cfg.sft_steps}",
                           f"train.num_threads={cfg.num_threads}"]),
        Step("train-rm", ["train-rm", "--config", str(c / "train-rm/listops.yaml"), "--run-dir", str(root / "rm"),
                          f"data.train={pairs_train}", f"data.validation={pairs_heldout}",
                          f"train.epochs={cfg.rm_epochs}", f"train.num_threads={cfg.num_threads}"]),
        Step("eval-rm-train", ["eval-rm", "--model", str(rm), "--data", str(pairs_train),
                               "--run-dir", str(root / "eval-rm" / "train")]),
        Step("eval-rm-heldout", ["eval-rm", "--model", str(rm), "--data", str(pairs_heldout),
                                 "--run-dir", str(root / "eval-rm" / "heldout")]),
    ]
    if cfg.include_base:
        out.append(_eval("base", "embedded:smollm2", cfg, root))
    out.append(_eval("sft", str(sft), cfg, root))
    for seed in cfg.seeds:
        for name in cfg.arms:
            arm, run = ARMS[name], root / "rl" / f"{name}-s{seed}"
            # overrides after every option: argparse takes the positional words in one run
            scorer, probe = ([], _LENGTH_SCORER) if arm.scorer == "length" else (["--scorer-path", str(rm)], [])
            out.append(Step(f"train-rl-{name}-s{seed}", [
                "train-rl", "--config", str(c / "train-rl/listops.yaml"), "--reward", arm.reward, *scorer,
                "--model", str(sft), "--run-dir", str(run), "--max-steps", str(cfg.rl_steps),
                f"data.train=[{_listops('train', cfg.train_problems)}]", f"train.seed={seed}",
                f"train.prompts_per_step={cfg.prompts_per_step}", f"train.num_generations={cfg.num_generations}",
                f"train.per_device_batch_size={cfg.prompts_per_step * cfg.num_generations}",
                f"train.learning_rate={cfg.learning_rate}", f"train.max_completion_length={cfg.completion_tokens}",
                f"train.save_steps={cfg.rl_steps}", f"train.num_threads={cfg.num_threads}",
                f"monitor.window={max(2, min(cfg.rl_steps, 50))}", "reward.score_failing=true", *probe]))
            out.append(_eval(f"{name}-s{seed}", str(run / "checkpoints" / "final"), cfg, root))
    return out


# ---- results ------------------------------------------------------------------------------------

def _json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.is_file() else {}


def _pass1(root: Path, name: str) -> float | None:
    summary = _json(root / "eval" / name / "report" / "eval_summary.json")
    cell = summary.get("benchmarks", {}).get("listops", {})
    value = cell.get("pass@1")
    return None if value is None else float(value) / 100.0


def _rm_accuracy(root: Path, which: str) -> float | None:
    overall = _json(root / "eval-rm" / which / "report" / "eval_rm.json").get("overall") or {}
    value = overall.get("accuracy")
    return float(value) if isinstance(value, (int, float)) else None


def _curve(metrics: list[dict[str, Any]], key: str) -> list[float | None]:
    rows = [m for m in metrics if "step" in m and any(k.startswith("recode/") for k in m)]
    return [m.get(key) for m in rows]


_CURVES = {"reward": "reward", "pass": "recode/outcome_rate", "process_ungated": "recode/process_ungated_mean",
           "process_term": "recode/process_term_mean", "think_words": "recode/think_words_mean",
           "zero_std": "frac_reward_zero_std"}
# where a GRPO step's wall time goes (seconds): generation (step start -> reward call), the reward's
# execution and scoring, and the rest (log-probs, loss, backward, optimizer) = step - the three
_TIMES = {"step": "time/step_s", "generation": "time/generation_s", "execution": "recode/time_execution_s",
          "scoring": "recode/time_scoring_s"}


def _checked_curve(run: Path) -> list[float | None]:
    """Per GRPO step, the share of sampled completions whose reasoning has a worked example
    (`procedural.has_worked_check`), from the run's saved rollouts (`samples/rollouts/step-*.jsonl`)."""
    from recode_rl.data.procedural import has_worked_check
    from recode_rl.data.records import load_records

    curve: list[float | None] = []
    for path in sorted((run / "samples" / "rollouts").glob("step-*.jsonl")):
        rows = load_records(path, missing_ok=True)
        texts = [r.get("completion") for r in rows if isinstance(r.get("completion"), str)]
        curve.append(sum(map(has_worked_check, texts)) / len(texts) if texts else None)
    return curve


def step_breakdown(metrics_per_run: list[list[dict[str, Any]]]) -> dict[str, float | None]:
    """Mean seconds per GRPO step over every step of every run, split into its parts."""
    rows = [m for metrics in metrics_per_run for m in metrics if all(isinstance(m.get(k), (int, float))
                                                                     for k in _TIMES.values())]
    if not rows:
        return {k: None for k in (*_TIMES, "update")}
    out = {k: statistics.fmean(float(m[key]) for m in rows) for k, key in _TIMES.items()}
    out["update"] = max(0.0, out["step"] - out["generation"] - out["execution"] - out["scoring"])
    out["steps"] = len(rows)
    return out


def _mean_sd(values: list[float]) -> dict[str, float | int | None]:
    vals = [v for v in values if v is not None]
    if not vals:
        return {"mean": None, "sd": None, "n": 0}
    return {"mean": statistics.fmean(vals), "sd": statistics.stdev(vals) if len(vals) > 1 else 0.0, "n": len(vals)}


def _ends(curve: list[float | None]) -> tuple[float | None, float | None]:
    vals = [v for v in curve if v is not None]
    return (vals[0], vals[-1]) if vals else (None, None)


def stage_seconds(root: Path) -> dict[str, float]:
    """Wall seconds of every finished stage, from `run_chain`'s markers (summed over resumed invocations)."""
    out: dict[str, float] = {}
    for mark in sorted(root.glob(".*/*.done")):
        try:
            out[mark.stem] = float(mark.read_text().strip())
        except ValueError:
            continue
    return out


def collect(cfg: TwinConfig, seconds: float | None = None) -> dict[str, Any]:
    """Everything the twin measured, from the run directories (JSON-ready)."""
    from recode_rl.data.records import load_records

    root = Path(cfg.run_dir)
    stages = stage_seconds(root)
    pass1: dict[str, float | None] = {}
    if cfg.include_base:
        pass1["base"] = _pass1(root, "base")
    pass1["sft"] = _pass1(root, "sft")
    arms: dict[str, Any] = {}
    all_metrics: list[list[dict[str, Any]]] = []
    for name in cfg.arms:
        per_seed = []
        for seed in cfg.seeds:
            run = root / "rl" / f"{name}-s{seed}"
            metrics = load_records(run / "metrics.jsonl", missing_ok=True)
            all_metrics.append(metrics)
            flags = load_records(run / "report" / "hacking_flags.jsonl", missing_ok=True)
            curves = {k: _curve(metrics, key) for k, key in _CURVES.items()}
            curves["checked"] = _checked_curve(run)
            per_seed.append({"seed": seed, "heldout_pass_at_1": _pass1(root, f"{name}-s{seed}"),
                             "curves": curves, "hacking_flags": len(flags)})
            pass1[f"{name}-s{seed}"] = per_seed[-1]["heldout_pass_at_1"]
        first_last = {k: [_ends(s["curves"][k]) for s in per_seed] for k in (*_CURVES, "checked")}
        arms[name] = {
            "label": ARMS[name].label, "reward": ARMS[name].reward, "scorer": ARMS[name].scorer,
            "heldout_pass_at_1": _mean_sd([s["heldout_pass_at_1"] for s in per_seed]),
            **{f"{k}_first": _mean_sd([a for a, _ in v]) for k, v in first_last.items()},
            **{f"{k}_last": _mean_sd([b for _, b in v]) for k, v in first_last.items()},
            "zero_std_share": _mean_sd([_mean_sd(s["curves"]["zero_std"])["mean"] for s in per_seed]),
            "hacking_flags": sum(s["hacking_flags"] for s in per_seed),
            "seeds": per_seed,
        }
    return {
        "heldout_pass_at_1": pass1,
        "rl_steps": cfg.rl_steps,
        "seconds": seconds,                        # this invocation (a resumed run skips finished stages)
        "stage_seconds_total": round(sum(stages.values()), 1),   # every stage, whichever invocation ran it
        "stage_seconds": stages,
        "seeds": cfg.seeds,
        "heldout_problems": cfg.heldout_problems,
        "reward_model_accuracy": {"train_pairs": _rm_accuracy(root, "train"),
                                  "heldout_pairs": _rm_accuracy(root, "heldout")},
        "arms": arms,
        "step_seconds": step_breakdown(all_metrics),
        "settings": cfg.model_dump(mode="json"),
    }


def _fmt(stat: dict[str, Any], pct: bool = False, digits: int = 2) -> str:
    if stat.get("mean") is None:
        return "n/a"
    scale = 100.0 if pct else 1.0
    text = f"{stat['mean'] * scale:.{0 if pct else digits}f}"
    return text + (f" ± {stat['sd'] * scale:.{0 if pct else digits}f}" if stat.get("n", 0) > 1 else "")


def render_markdown(summary: dict[str, Any]) -> str:
    """The twin's tables: held-out pass@1 per policy, then the per-arm training signals."""
    p = summary["heldout_pass_at_1"]
    n = summary["heldout_problems"]
    lines = [f"# Learning twin: listops, {summary['rl_steps']} GRPO steps, seeds {summary['seeds']}", "",
             f"Held-out pass@1 (greedy, {n} held-out problems, pipelines never seen in training):", "",
             "| policy | held-out pass@1 (%) |", "|---|---|"]
    for name in ("base", "sft"):
        if name in p:
            lines.append(f"| {name} | {'n/a' if p[name] is None else f'{100 * p[name]:.1f}'} |")
    for name, arm in summary["arms"].items():
        lines.append(f"| {name} ({arm['label']}) | {_fmt(arm['heldout_pass_at_1'], pct=True)} |")
    rm = summary["reward_model_accuracy"]
    lines += ["", "Reward model (CRPL, MiniLM) pairwise accuracy, kept apart: "
              f"train pairs {_pct(rm['train_pairs'])}, held-out pairs {_pct(rm['heldout_pairs'])}.", "",
              "Training signals, first step -> last step (mean ± sd over seeds):", "",
              "| arm | train pass rate | process score (all samples) | process term in reward | think words "
              "| zero-variance groups | hacking flags |", "|---|---|---|---|---|---|---|"]
    for name, arm in summary["arms"].items():
        cells = [f"{_fmt(arm[f'{k}_first'])} -> {_fmt(arm[f'{k}_last'])}"
                 for k in ("pass", "process_ungated", "process_term", "think_words")]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {_fmt(arm['zero_std_share'])} | {arm['hacking_flags']} |")
    if _mixed(summary):
        lines += ["", "Share of sampled reasoning with a worked example (the kind the reward model prefers), "
                  "first step -> last step:", "", "| arm | worked-example share |", "|---|---|"]
        lines += [f"| {name} | {_fmt(arm.get('checked_first', {}))} -> {_fmt(arm.get('checked_last', {}))} |"
                  for name, arm in summary["arms"].items()]
    if summary.get("stage_seconds_total"):
        lines += ["", f"Wall time of all stages: {summary['stage_seconds_total'] / 60:.1f} min."]
    t = summary.get("step_seconds") or {}
    if t.get("step") is not None:
        parts = ", ".join(f"{k} {t[k]:.1f} s ({100 * t[k] / t['step']:.0f}%)"
                          for k in ("generation", "execution", "scoring", "update") if t["step"])
        lines += ["", f"Seconds per GRPO step (mean of {t['steps']} steps): {t['step']:.1f} s = {parts}."]
    return "\n".join(lines) + "\n"


def _mixed(summary: dict[str, Any]) -> bool:
    return (summary.get("settings") or {}).get("explanations") == "mixed"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def plot(summary: dict[str, Any], out: Path) -> list[Path]:
    """One PNG per training signal (mean over seeds per step, one line per arm); needs matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    out.mkdir(parents=True, exist_ok=True)
    written = []
    panels = [("pass", "train pass rate"), ("process_ungated", "process score (all samples)"),
              ("process_term", "process term in the reward"), ("think_words", "reasoning length (words)"),
              ("zero_std", "share of zero-variance groups")]
    if _mixed(summary):
        panels.append(("checked", "share of reasoning with a worked example"))
    for key, title in panels:
        fig, ax = plt.subplots(figsize=(5, 3.2))
        for name, arm in summary["arms"].items():
            curves = [s["curves"][key] for s in arm["seeds"]]
            length = max((len(c) for c in curves), default=0)
            means = []
            for i in range(length):
                vals = [c[i] for c in curves if i < len(c) and c[i] is not None]
                means.append(statistics.fmean(vals) if vals else float("nan"))
            ax.plot(range(1, length + 1), means, marker="o", label=name)
        ax.set_xlabel("GRPO step")
        ax.set_title(title)
        ax.legend(fontsize=7)
        fig.tight_layout()
        path = out / f"{key}.png"
        fig.savefig(path, dpi=90)
        plt.close(fig)
        written.append(path)
    return written


def run_twin(cfg: TwinConfig, *, prog: str, marks: str = ".twin", extra: list[Step] = ()) -> tuple[int, dict[str, Any]]:
    """Run (or resume) the chain, write report/summary.json, report/twin.md and report/plots/, then `extra`."""
    root = Path(cfg.run_dir)
    t0 = time.monotonic()
    write_pairs(cfg)
    code = run_chain(steps(cfg), root, marks=marks, prog=prog)
    if code != 0:
        return code, {}
    summary = collect(cfg, seconds=round(time.monotonic() - t0, 1))
    report = root / "report"
    report.mkdir(parents=True, exist_ok=True)
    (report / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    (report / "twin.md").write_text(render_markdown(summary))
    plot(summary, report / "plots")
    if extra:
        code = run_chain(list(extra), root, marks=marks, prog=prog)
    return code, summary
