"""Paper vs ours: for each `recode reproduce` experiment, the paper's numbers beside ours.

Both come from the experiment registry (`recode_rl.reproduce.experiments`): `paper` holds the
numbers printed in the paper (for figures, its stated finding), `ours` says which stage's
summary file and key holds our number. Numbers of a CPU-scale run are toy numbers of the
embedded models, shown for the machinery; the heading says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["paper_vs_ours", "comparison_rows"]


def _cell(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1 else f"{v:.1f}"  # fractions and p-values keep their digits
    return str(v)


def comparison_rows(exp_id: str, run_dir: str | Path) -> list[tuple[str, Any, float | None]]:
    """(paper key, paper value, our value or None) for one experiment."""
    from recode_rl.reproduce.plan import find

    exp = find(exp_id)
    ours = exp.ours_values(run_dir)
    keys = list(exp.paper) + [k for k in ours if k not in exp.paper]
    return [(k, exp.paper.get(k), ours.get(k)) for k in keys]


def paper_vs_ours(experiments: Sequence[str], run_dir: str | Path, scale: str = "paper") -> list[str]:
    """Markdown: one table per experiment (key | paper | ours | ours - paper)."""
    from recode_rl.reproduce.plan import find

    title = "## Paper vs ours" + (" (CPU scale: the embedded twins, not the paper's models)" if scale == "cpu" else "")
    md = [title, ""]
    for exp_id in experiments:
        exp = find(exp_id)
        md += [f"### {exp.ref}: {exp.title} (`{exp.id}`)", ""]
        if scale == "cpu":
            md += [f"CPU twin: {exp.cpu_note}.", ""]
        md += ["| | paper | ours | ours − paper |", "|---|---|---|---|"]
        for key, paper, ours in comparison_rows(exp_id, run_dir):
            both = isinstance(paper, (int, float)) and isinstance(ours, (int, float))
            delta = _cell(ours - paper) if both else "–"  # type: ignore[operator]
            md.append(f"| {key} | {_cell(paper)} | {_cell(ours)} | {delta} |")
        md.append("")
    return md
