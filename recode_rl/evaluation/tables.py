"""Markdown tables in the paper's layout, from a `recode eval` summary.

Main table (Table 1 of the paper): HE | HE+ | MBPP | MBPP+ | LCB Easy/Medium/Hard | BCB full/hard
| Avg, greedy pass@1 in percent. Cell sources, in order of preference:

    HE     humaneval+ base inputs (EvalPlus "base"), else humaneval (official check)
    HE+    humaneval+ (base + plus inputs)
    MBPP   mbpp+ base inputs (the 378 EvalPlus tasks, as EvalPlus reports MBPP), else mbpp (500 tests split)
    MBPP+  mbpp+
    LCB    livecodebench by difficulty (public tests only with the shared data: footnoted)
    BCB    bigcodebench (official full set), else bigcodebench-sample (footnoted); hard: bigcodebench-hard
    Avg    mean of the cells present (the paper averages all nine; fewer are marked "k/9")

Also: a math table (MATH500 | Minerva | AIME24), a generation-efficiency table (pass@1 and mean
generated tokens per benchmark and difficulty; Table 8) and a per-benchmark detail table (all
pass@k, format rate, skipped tasks). Every note a benchmark carries becomes a footnote. A cell
computed on a subset (`limit`/`task_ids`) says so beside its value: "0.0 (3 of 164)".
`token_reduction` is the relative change in mean generated tokens between two runs as the paper
states it for Table 8 (ReCode vs GRPO on LiveCodeBench: -23.4%).
"""

from __future__ import annotations

from typing import Any

__all__ = ["main_cells", "math_cells", "render_markdown", "token_reduction", "subset_note", "MAIN_COLUMNS",
           "MATH_COLUMNS"]

MAIN_COLUMNS = ("HE", "HE+", "MBPP", "MBPP+", "LCB Easy", "LCB Medium", "LCB Hard", "BCB full", "BCB hard")
MATH_COLUMNS = ("MATH500", "Minerva", "AIME24")


def subset_note(s: dict[str, Any] | None) -> str | None:
    """"3 of 164" when this benchmark summary was computed on a subset of its set, else None."""
    if not s or not s.get("subset"):
        return None
    return f"{s.get('n_tasks', 0)} of {s.get('n_available') or '?'}"


def _get(bench: dict[str, Any], name: str, key: str = "pass@1", difficulty: str | None = None) -> float | None:
    s = bench.get(name)
    if s is None:
        return None
    if difficulty is not None:
        s = s.get("by_difficulty", {}).get(difficulty)
        if s is None:
            return None
    return s.get(key)


def token_reduction(baseline: dict[str, Any], other: dict[str, Any]) -> dict[str, Any] | None:
    """Relative change in mean generated tokens of `other` against `baseline` (one benchmark each).

    Both are a benchmark summary (`mean_tokens`, `by_difficulty: {d: {mean_tokens}}`). As in the
    paper's Table 8, the run's token count is the mean of its per-difficulty means over the
    difficulties both runs have (so each level weighs the same); without difficulties, the
    benchmark's own `mean_tokens`. Returns {baseline_tokens, tokens, change} with
    change = tokens / baseline_tokens - 1 (negative = fewer tokens), or None when either side
    has no token count. Table 8: GRPO (427.3, 568.2, 813.6) -> 603.03, ReCode (324.1, 441.7,
    619.8) -> 461.87, change = 461.87 / 603.03 - 1 = -0.234.
    """
    def per_level(s: dict[str, Any]) -> dict[str, float]:
        return {d: g["mean_tokens"] for d, g in (s.get("by_difficulty") or {}).items()
                if isinstance(g.get("mean_tokens"), (int, float))}

    a, b = per_level(baseline), per_level(other)
    common = sorted(set(a) & set(b))
    if common:
        base, tok = sum(a[d] for d in common) / len(common), sum(b[d] for d in common) / len(common)
    else:
        base, tok = baseline.get("mean_tokens"), other.get("mean_tokens")
    if not isinstance(base, (int, float)) or not isinstance(tok, (int, float)) or base <= 0:
        return None
    return {"baseline_tokens": base, "tokens": tok, "change": tok / base - 1.0, "levels": common}


def main_cells(benchmarks: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """column -> {"value": float|None, "source": benchmark name, "note": str|None}."""
    def pick(*options: tuple[str, str, str | None, str | None]) -> dict[str, Any]:
        for name, key, diff, note in options:
            value = _get(benchmarks, name, key, diff)
            if value is not None:
                return {"value": value, "source": name, "note": note, "subset": subset_note(benchmarks[name])}
        return {"value": None, "source": None, "note": None, "subset": None}

    lcb_note = "public tests only" if benchmarks.get("livecodebench", {}).get("public_tests_only") else None
    cells = {
        "HE": pick(("humaneval+", "base_pass@1", None, None), ("humaneval", "pass@1", None, None)),
        "HE+": pick(("humaneval+", "pass@1", None, None)),
        "MBPP": pick(("mbpp+", "base_pass@1", None, None), ("mbpp", "pass@1", None, "500-task test split")),
        "MBPP+": pick(("mbpp+", "pass@1", None, None)),
        "BCB full": pick(("bigcodebench", "pass@1", None, None),
                         ("bigcodebench-sample", "pass@1", None, "20-task sample, not the full set")),
        "BCB hard": pick(("bigcodebench-hard", "pass@1", None, None)),
    }
    for col, diff in (("LCB Easy", "easy"), ("LCB Medium", "medium"), ("LCB Hard", "hard")):
        cells[col] = pick(("livecodebench", "pass@1", diff, lcb_note))
    return {c: cells[c] for c in MAIN_COLUMNS}


def math_cells(benchmarks: dict[str, Any]) -> dict[str, dict[str, Any]]:
    names = dict(zip(MATH_COLUMNS, ("math500", "minerva", "aime24")))
    return {c: {"value": _get(benchmarks, n), "source": n if n in benchmarks else None, "note": None,
                "subset": subset_note(benchmarks.get(n))} for c, n in names.items()}


def _fmt(v: float | None) -> str:
    return "—" if v is None else f"{v:.1f}"


def _row(label: str, cells: dict[str, dict[str, Any]], marks: dict[str, str], with_avg: bool) -> str:
    values = []
    for col, cell in cells.items():
        mark = marks.get(cell["note"], "") if cell["note"] else ""
        subset = f" ({cell['subset']})" if cell.get("subset") and cell["value"] is not None else ""
        values.append(_fmt(cell["value"]) + mark + subset)
    if with_avg:
        present = [c["value"] for c in cells.values() if c["value"] is not None]
        avg = _fmt(sum(present) / len(present)) if present else "—"
        if present and len(present) < len(cells):
            avg += f" ({len(present)}/{len(cells)})"
        values.append(avg)
    return f"| {label} | " + " | ".join(values) + " |"


def render_markdown(summary: dict[str, Any]) -> str:
    """The whole markdown report of one `recode eval` run."""
    label = summary.get("model") or "model"
    benches: dict[str, Any] = summary["benchmarks"]
    sampling = summary.get("sampling", {})
    decoding = "greedy" if sampling.get("temperature", 0) == 0 else f"T={sampling.get('temperature')}"
    lines = [f"# Evaluation: {label}", "",
             f"pass@1 in percent; {decoding} decoding, n={summary.get('n', 1)} sample(s) per task, "
             f"prompt style `{summary.get('prompt_style', 'policy')}`, max_new_tokens={sampling.get('max_new_tokens')}.", ""]
    footnotes: dict[str, str] = {}
    main = main_cells(benches)
    for cell in main.values():
        if cell["note"] and cell["note"] not in footnotes:
            footnotes[cell["note"]] = "*" * (len(footnotes) + 1)
    if any(c["value"] is not None for c in main.values()):
        lines += ["| Model | " + " | ".join(MAIN_COLUMNS) + " | Avg |",
                  "|---" * (len(MAIN_COLUMNS) + 2) + "|",
                  _row(label, main, footnotes, True), ""]
        lines += [f"{mark} {note}" for note, mark in footnotes.items()]
        lines.append("")
    maths = math_cells(benches)
    if any(c["value"] is not None for c in maths.values()):
        lines += ["| Model | " + " | ".join(MATH_COLUMNS) + " |", "|---" * (len(MATH_COLUMNS) + 1) + "|",
                  _row(label, maths, {}, False), ""]
    lines += ["## Generation efficiency", "", "| Benchmark | Difficulty | Tasks | pass@1 | Mean generated tokens |",
              "|---|---|---|---|---|"]
    for name, s in benches.items():
        groups = [("all", s)] + list(s.get("by_difficulty", {}).items())
        for diff, g in groups:
            tok = "—" if g.get("mean_tokens") is None else f"{g['mean_tokens']:.1f}"
            tasks = subset_note(s) if diff == "all" and subset_note(s) else g.get("n_tasks", 0)
            lines.append(f"| {name} | {diff} | {tasks} | {_fmt(g.get('pass@1'))} | {tok} |")
    lines += ["", "## Details", "",
              "| Benchmark | Tasks | Skipped | Scores | Format ok | Hit max tokens | Verdicts |",
              "|---|---|---|---|---|---|---|"]
    for name, s in benches.items():
        scores = ", ".join(f"{k} {v:.1f}" for k, v in s.items() if "pass@" in k and isinstance(v, (int, float)))
        verdicts = ", ".join(f"{k} {v}" for k, v in sorted(s.get("verdicts", {}).items()))
        fmt = "—" if s.get("format_rate") is None else f"{100 * s['format_rate']:.1f}%"
        lines.append(f"| {name} | {subset_note(s) or s.get('n_tasks', 0)} | {s.get('n_skipped', 0)} | {scores or '—'} | {fmt} | "
                     f"{s.get('truncated', 0)} | {verdicts} |")
    files = [(name, f) for name, s in benches.items() for f in s.get("files", [])]
    if files:
        lines += ["", "Data files:"] + [f"- {name}: `{f['path']}` sha256 `{f['sha256'][:16]}…`" for name, f in files]
    notes = [(name, note) for name, s in benches.items() for note in s.get("notes", [])]
    if notes:
        lines += ["", "Notes:"] + [f"- {name}: {note}" for name, note in notes]
    skipped = [(name, sk) for name, s in benches.items() for sk in s.get("skipped", [])]
    if skipped:
        lines += ["", "Skipped tasks (not counted in any score):"]
        lines += [f"- {name} {sk['task_id']}: {sk['reason']}" for name, sk in skipped]
    return "\n".join(lines) + "\n"
