"""Render what `collect` found as a markdown file and a self-contained HTML page.

Tables follow the paper's layout where the paper has one: policy results as rows of
HE | HE+ | MBPP | MBPP+ | LCB E/M/H | BCB full/hard | Avg (greedy pass@1, %); reward models as
pairwise accuracy per preference file; training as curves of test pass rate and process
reward per reward variant, with the reward-hacking monitor's flags. Whatever was not run is
simply absent; every caveat a stage recorded (public tests only, skipped tasks, untrained
scorer, ...) is carried into the notes. With `experiments` (`recode reproduce` ids) the page opens
with the paper's numbers beside ours for each (`recode_rl/report/paper.py`).
"""

from __future__ import annotations

import base64
import html
import time
from pathlib import Path
from collections.abc import Sequence
from typing import Any

from recode_rl.evaluation.tables import subset_note
from recode_rl.report.collect import Found
from recode_rl.report.paper import paper_vs_ours
from recode_rl.report.figures import plot_efficiency, plot_training

__all__ = ["render"]

MAIN = ("HE", "HE+", "MBPP", "MBPP+", "LCB Easy", "LCB Medium", "LCB Hard", "BCB full", "BCB hard")
MATH = ("MATH500", "Minerva", "AIME24")


def _fmt(v: Any, digits: int = 1) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def _pct(v: Any) -> float | None:
    return 100.0 * v if isinstance(v, (int, float)) else None


def _table(header: list[str], rows: list[list[Any]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(_fmt(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def _subset(summary: dict[str, Any], column: str, value: Any) -> Any:
    """A table cell computed on a subset says so: "0.0 (3 of 164)"."""
    part = (summary.get("table_subsets") or {}).get(column)
    return f"{_fmt(value)} ({part})" if part and isinstance(value, (int, float)) else value


def _policy_section(found: Found) -> list[str]:
    if not found.evals:
        return []
    md = ["## Policies: code generation (greedy pass@1, %)", ""]
    rows, math_rows, notes = [], [], []
    for label, s in found.evals:
        table = s.get("table") or {}
        values = [table.get(c) for c in MAIN]
        present = [c for c in values if isinstance(c, (int, float))]
        avg = sum(present) / len(present) if present else None
        rows.append([s.get("model") or label, *[_subset(s, c, v) for c, v in zip(MAIN, values)],
                     avg if len(present) == len(MAIN) or avg is None else f"{avg:.1f} ({len(present)}/9)"])
        if any(isinstance(v, (int, float)) for v in (s.get("math_table") or {}).values()):
            math_rows.append([s.get("model") or label,
                              *[_subset(s, c, (s.get("math_table") or {}).get(c)) for c in MATH]])
        for bench, b in (s.get("benchmarks") or {}).items():
            for note in b.get("notes") or []:
                notes.append(f"{bench}: {note}")
    md += [_table(["model", *MAIN, "Avg"], rows), ""]
    if math_rows:
        md += ["### Math (greedy accuracy, %)", "", _table(["model", *MATH], math_rows), ""]
    eff = []
    for label, s in found.evals:
        for bench, b in (s.get("benchmarks") or {}).items():
            part = subset_note(b)
            eff.append([s.get("model") or label, bench + (f" ({part})" if part else ""), b.get("pass@1"),
                        b.get("mean_tokens")])
            for diff, d in (b.get("by_difficulty") or {}).items():
                eff.append([s.get("model") or label, f"{bench} {diff}", d.get("pass@1"), d.get("mean_tokens")])
    if eff:
        md += ["### Generation efficiency", "", _table(["model", "benchmark", "pass@1 (%)", "mean generated tokens"], eff), ""]
    md += _token_change(found)
    if notes:
        md += ["Notes:", *[f"- {n}" for n in sorted(set(notes))], ""]
    return md


def _token_change(found: Found) -> list[str]:
    """Table 8's headline: each later run's relative change in mean generated tokens vs the first run."""
    from recode_rl.evaluation.tables import token_reduction

    if len(found.evals) < 2:
        return []
    base_label, base = found.evals[0]
    base_name = base.get("model") or base_label
    rows = []
    for label, s in found.evals[1:]:
        for bench, b in (s.get("benchmarks") or {}).items():
            ref = (base.get("benchmarks") or {}).get(bench)
            r = token_reduction(ref, b) if ref else None
            if r is not None:
                levels = "mean of " + "/".join(r["levels"]) if r["levels"] else "all tasks"
                rows.append([s.get("model") or label, bench, levels, r["baseline_tokens"], r["tokens"],
                             f"{100.0 * r['change']:+.1f}%"])
    if not rows:
        return []
    return [f"### Mean generated tokens relative to {base_name} (the first run given)", "",
            _table(["model", "benchmark", "tokens averaged over", f"tokens ({base_name})", "tokens (model)", "change"], rows), ""]


def _rm_section(found: Found) -> list[str]:
    md: list[str] = []
    if found.rm_trains:
        md += ["## Reward model training (CRPL, Bradley-Terry)", ""]
        rows = []
        for label, s in found.rm_trains:
            flat = {k: v for k, v in s.items() if isinstance(v, (int, float, str)) and len(str(v)) < 80}
            rows += [[label, k, v] for k, v in flat.items()]
        md += [_table(["run", "key", "value"], rows), ""]
    if found.rm_evals:
        md += ["## Reward models: pairwise accuracy (chosen strictly above rejected; ties are wrong)", ""]
        rows = []
        for label, s in found.rm_evals:
            for file, e in (s.get("files") or {}).items():
                o = e.get("overall") or e  # eval-rm nests per-file numbers under "overall"
                rows.append([s.get("scorer") or label, Path(file).name, o.get("n"), _pct(o.get("accuracy"))])
                for subset, sub in (e.get("subsets") or {}).items():
                    rows.append([s.get("scorer") or label, f"{Path(file).name} · {subset}", sub.get("n"),
                                 _pct(sub.get("accuracy"))])
            o = s.get("overall") or {}
            rows.append([s.get("scorer") or label, "**overall**", o.get("n"), _pct(o.get("accuracy"))])
        md += [_table(["reward model", "file", "pairs", "accuracy (%)"], rows), ""]
    return md


def _synth_section(found: Found) -> list[str]:
    if not found.synths:
        return []
    md = ["## CRPL synthesis", ""]
    rows = []
    for label, s in found.synths:
        for stage, st in (s.get("stages") or {}).items():
            if isinstance(st, dict):
                dropped = ", ".join(f"{k} {v}" for k, v in (st.get("dropped") or {}).items()) or "none"
                rows.append([label, stage, st.get("requested"), st.get("kept"), dropped])
    if rows:
        md += [_table(["run", "stage", "requested", "kept", "dropped (reason count)"], rows), ""]
    pair_rows = [[label, *[(s.get("pairs") or {}).get(k) for k in ("opt>deg", "opt>ori", "ori>deg", "train", "validation")]]
                 for label, s in found.synths if s.get("pairs")]
    if pair_rows:
        md += [_table(["run", "opt>deg", "opt>ori", "ori>deg", "train", "validation"], pair_rows), ""]
    return md


def _rl_section(found: Found, figdir: Path) -> tuple[list[str], list[tuple[str, Path]]]:
    if not found.rl_runs:
        return [], []
    from recode_rl.rewards.monitor import scan

    md = ["## RL training dynamics", ""]
    runs = []
    rows = []
    for label, cfg, records in found.rl_runs:
        kind = ((cfg.get("reward") or {}).get("kind")) or "?"
        name = f"{kind} ({label})"
        runs.append((name, records))
        steps = [r.get("step") for r in records if isinstance(r.get("step"), (int, float))]
        flags = []
        for pk in ("recode/process_term_mean", "recode/process_ungated_mean"):
            try:
                flags += scan(records, process_key=pk, pass_key="recode/outcome_rate", window=min(20, max(3, len(records) // 2)))
            except TypeError:
                flags += scan(records)
        rows.append([name, max(steps) if steps else 0, len(records),
                     "; ".join(getattr(f, "message", str(f)) for f in flags) or "none"])
    md += [_table(["run (reward)", "last step", "logged steps", "reward-hacking monitor"], rows), ""]
    plots = plot_training(runs, figdir)
    return md, plots


def _analysis_section(found: Found, figdir: Path) -> tuple[list[str], list[tuple[str, Path]]]:
    """Each `recode analyze` run's own page (headings one level down) with its figures copied in."""
    import re
    import shutil

    md: list[str] = []
    plots: list[tuple[str, Path]] = []
    for label, run in found.analyses:
        md += [f"## Analysis: {label}", ""]
        prefix = re.sub(r"[^A-Za-z0-9]+", "_", label).strip("_")
        for line in (run / "report" / "analysis.md").read_text().splitlines():
            if line.startswith("# "):
                continue  # its title; ours is the heading above
            if line.startswith("!["):  # figures/<name>.png of that run -> a unique name in ours
                alt, src = line[2:].split("](", 1)
                source = run / "report" / src.rstrip(")")
                if not source.is_file():
                    continue
                figdir.mkdir(parents=True, exist_ok=True)
                target = figdir / f"{prefix}_{source.name}"
                shutil.copyfile(source, target)
                plots.append((alt, target))
                line = f"![{alt}](figures/{target.name})"
            md.append("#" + line if line.startswith("#") else line)
        md.append("")
    return md, plots


def _twin_section(found: Found, figdir: Path) -> list[str]:
    """Each learning twin's tables (report/twin.md, written by `recode_rl.twin`) and its plots."""
    import re
    import shutil

    md: list[str] = []
    for label, run in found.twins:
        md += [f"## Learning twin: {label}", ""]
        md += ["#" + line if line.startswith("#") else line
               for line in (run / "report" / "twin.md").read_text().splitlines() if not line.startswith("# ")]
        prefix = re.sub(r"[^A-Za-z0-9]+", "_", label).strip("_")
        for source in sorted((run / "report" / "plots").glob("*.png")):
            figdir.mkdir(parents=True, exist_ok=True)
            target = figdir / f"{prefix}_twin_{source.name}"
            shutil.copyfile(source, target)
            md += ["", f"![{source.stem}](figures/{target.name})"]
        md.append("")
    return md


def render(found: Found, out_dir: Path, title: str = "ReCode report", *, experiments: Sequence[str] = (),
           scale: str = "paper") -> tuple[Path, Path]:
    """`experiments` (`recode reproduce` ids) add a paper-vs-ours table each, read from `found.roots[0]`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    figdir = out_dir / "figures"
    md = [f"# {title}", "", f"Generated {time.strftime('%Y-%m-%d %H:%M:%S')} by `recode report`.", ""]
    if experiments:
        md += paper_vs_ours(experiments, found.roots[0], scale)
    md += _twin_section(found, figdir)
    md += _policy_section(found)
    rl_md, plots = _rl_section(found, figdir)
    md += rl_md
    eff_rows = []
    for label, s in found.evals:
        for bench, b in (s.get("benchmarks") or {}).items():
            for diff, d in (b.get("by_difficulty") or {}).items():
                if isinstance(d.get("pass@1"), (int, float)) and isinstance(d.get("mean_tokens"), (int, float)):
                    eff_rows.append((s.get("model") or label, f"{bench} {diff}", d["pass@1"], d["mean_tokens"]))
    eff_plot = plot_efficiency(eff_rows, figdir)
    if eff_plot:
        plots.append(("generation efficiency", eff_plot))
    for title_, path in plots:
        md += [f"![{title_}](figures/{path.name})", ""]
    an_md, an_plots = _analysis_section(found, figdir)
    md += an_md
    plots += an_plots
    md += _rm_section(found)
    md += _synth_section(found)
    if found.problems:
        md += ["## Problems reading the run directories", "", *[f"- {p}" for p in found.problems], ""]
    if found.empty() and not experiments:
        md += ["Nothing to report: no stage outputs were found in the given run directories.", ""]
    md_path = out_dir / "report.md"
    md_path.write_text("\n".join(md))
    html_path = out_dir / "report.html"
    html_path.write_text(_to_html("\n".join(md), title, {p.name: p for _, p in plots}))
    return md_path, html_path


def _inline(text: str) -> str:
    text = html.escape(text)
    import re

    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", text)


def _to_html(md: str, title: str, images: dict[str, Path]) -> str:
    """A small markdown subset (headings, tables, lists, code blocks, images) to standalone HTML."""
    body: list[str] = []
    lines = md.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            body.append("<pre>" + html.escape("\n".join(lines[i + 1:j])) + "</pre>")
            i = j + 1
            continue
        if line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                if not set(lines[i].replace("|", "").strip()) <= {"-"}:
                    rows.append([c.strip() for c in lines[i].strip("|").split("|")])
                i += 1
            head, *rest = rows
            body.append("<table><thead><tr>" + "".join(f"<th>{_inline(c)}</th>" for c in head) + "</tr></thead><tbody>"
                        + "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r) + "</tr>" for r in rest)
                        + "</tbody></table>")
            continue
        if line.startswith("!["):
            alt, src = line[2:].split("](", 1)
            path = images.get(Path(src.rstrip(")")).name)
            if path and path.exists():
                data = base64.b64encode(path.read_bytes()).decode()
                body.append(f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'
                            f"<figcaption>{html.escape(alt)}</figcaption></figure>")
        elif line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            body.append(f"<h{level}>{_inline(line[level:].strip())}</h{level}>")
        elif line.startswith("- "):
            items = []
            while i < len(lines) and lines[i].startswith("- "):
                items.append(f"<li>{_inline(lines[i][2:])}</li>")
                i += 1
            body.append("<ul>" + "".join(items) + "</ul>")
            continue
        elif line.strip():
            body.append(f"<p>{_inline(line)}</p>")
        i += 1
    css = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
           "table{border-collapse:collapse;margin:1em 0;font-size:14px}th,td{border:1px solid #ccc;padding:4px 8px;"
           "text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}"
           "figure{display:inline-block;margin:0.5em}img{max-width:520px}pre{background:#f7f7f7;padding:8px;"
           "overflow:auto;font-size:12px}code{background:#f3f3f3;padding:0 3px}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{css}</style></head><body>{''.join(body)}</body></html>")
