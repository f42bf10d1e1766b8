"""Plots for the report (matplotlib, Agg backend): training curves and reward dynamics."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

__all__ = ["series", "plot_training", "plot_efficiency"]

# What to plot, with the metric names each may carry (ours from the reward callable, TRL's own).
CURVES = {
    "test pass rate (all tests pass)": ("recode/outcome_rate", "outcome_rate"),
    "reward (mean)": ("recode/reward_mean", "reward", "reward_mean"),
    "process term in the reward": ("recode/process_term_mean", "process_term_mean"),
    "process score, all scored samples": ("recode/process_ungated_mean", "process_ungated_mean"),
    "completion length (tokens)": ("completions/mean_length", "completion_length"),
}


def series(records: list[dict[str, Any]], names: Sequence[str]) -> tuple[list[int], list[float]]:
    xs, ys = [], []
    for rec in records:
        value = None
        for name in names:
            if isinstance(rec.get(name), (int, float)):
                value = float(rec[name])
                break
        if value is None:
            for key, v in rec.items():  # prefixed variants, e.g. "train/recode/outcome_rate"
                if isinstance(v, (int, float)) and any(key.endswith("/" + n) or key.endswith(n) for n in names):
                    value = float(v)
                    break
        if value is not None and isinstance(rec.get("step"), (int, float)):
            xs.append(int(rec["step"]))
            ys.append(value)
    return xs, ys


def plot_training(runs: list[tuple[str, list[dict[str, Any]]]], out: Path) -> list[tuple[str, Path]]:
    """One PNG per curve, every RL run as a line. Returns (title, path) of the plots made."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker  # noqa: F401

    out.mkdir(parents=True, exist_ok=True)
    made = []
    for i, (title, names) in enumerate(CURVES.items()):
        lines = [(label, *series(records, names)) for label, records in runs]
        lines = [line for line in lines if line[1]]
        if not lines:
            continue
        fig, ax = plt.subplots(figsize=(6, 3.4), dpi=110)
        for label, xs, ys in lines:
            ax.plot(xs, ys, marker="o" if len(xs) < 30 else None, markersize=3, label=label)
        ax.set_xlabel("step")
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
        fig.tight_layout()
        path = out / f"train_{i}.png"
        fig.savefig(path)
        plt.close(fig)
        made.append((title, path))
    return made


def plot_efficiency(rows: list[tuple[str, str, float, float]], out: Path) -> Path | None:
    """rows: (model, benchmark/difficulty, pass@1, mean generated tokens) -> scatter plot."""
    if not rows:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.4), dpi=110)
    for model in sorted({r[0] for r in rows}):
        pts = [r for r in rows if r[0] == model]
        ax.scatter([p[3] for p in pts], [p[2] for p in pts], label=model, s=18)
    ax.set_xlabel("mean generated tokens")
    ax.set_ylabel("pass@1 (%)")
    ax.set_title("generation efficiency", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    out.mkdir(parents=True, exist_ok=True)  # also when no training plot made the folder
    path = out / "efficiency.png"
    fig.savefig(path)
    plt.close(fig)
    return path
