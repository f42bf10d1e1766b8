"""`recode eval` results in the field's formats, written beside our own sample store and tables.

EvalPlus (`samples/evalplus/<benchmark>.jsonl` + `<benchmark>_eval_results.json`, code benchmarks):
    samples:  one `{"task_id", "solution"}` line per sample, the self-contained program (the stub's
              imports + the extracted code), which `evalplus.evaluate --samples FILE` re-scores.
    results:  EvalPlus's `evaluate.py` schema: {"date", "hash", "eval": {task_id: [{task_id,
              solution, base_status, plus_status, base_fail_tests, plus_fail_tests}]},
              "pass_at_k": {"base": {"pass@k": fraction}, "plus": {...}}}. Statuses are "pass" /
              "fail" / "timeout"; `plus_status` is None outside HE+/MBPP+ (EvalPlus's base-only
              mode). Departures: "hash" is our data file's sha256 (EvalPlus hashes its own release
              file), and the failing *inputs* are not listed (we keep the failing test's message in
              our own records), so the `*_fail_tests` lists are empty.
lm-evaluation-harness (`report/results.json`): the keys lm-eval's evaluator writes — "results"
    ({task: {"alias", "pass@k,none": fraction}}), "group_subtasks", "configs", "versions", "n-shot",
    "higher_is_better", "n-samples" ({"original": tasks in the set, "effective": tasks run}),
    "config" (model, gen_kwargs, limit), "date". Task names are our benchmark names.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from recode_rl.data.schema import Problem

__all__ = ["write_evalplus", "lm_eval_results", "write_lm_eval_results"]


def _status(record: dict[str, Any], key: str) -> str:
    if record.get(key):
        return "pass"
    return "timeout" if record.get("verdict") == "timeout" else "fail"


def _solution(task: Problem | None, record: dict[str, Any]) -> str:
    from recode_rl.evaluation.responses import stub_imports

    code = record.get("code") or ""
    imports = stub_imports(task) if task is not None else ""
    return f"{imports}\n{code}" if imports and code else code


def write_evalplus(directory: str | Path, label: str, problems: Sequence[Problem],
                   records: Sequence[dict[str, Any]], ks: Sequence[int], data_hash: str | None) -> tuple[Path, Path]:
    """Write `<label>.jsonl` (samples) and `<label>_eval_results.json` (verdicts) in EvalPlus's format."""
    from recode_rl.evaluation.metrics import pass_at_k

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    tasks = {p.task_id: p for p in problems}
    plus = any("passed_base" in r for r in records)
    by_task: dict[str, list[dict[str, Any]]] = {}
    lines = []
    for r in sorted(records, key=lambda r: (str(r["task_id"]), int(r["sample"]))):
        solution = _solution(tasks.get(r["task_id"]), r)
        lines.append(json.dumps({"task_id": r["task_id"], "solution": solution}))
        by_task.setdefault(str(r["task_id"]), []).append({
            "task_id": r["task_id"], "solution": solution,
            # EvalPlus: base = the original tests, plus = base + extra inputs
            "base_status": _status(r, "passed_base" if plus else "passed"),
            "plus_status": _status(r, "passed") if plus else None,
            "base_fail_tests": [], "plus_fail_tests": [],
        })
    samples = out / f"{label}.jsonl"
    samples.write_text("".join(line + "\n" for line in lines), encoding="utf-8")

    def rates(key: str) -> dict[str, float]:
        counts = [(len(v), sum(s[key] == "pass" and (key == "base_status" or s["base_status"] == "pass")
                               for s in v)) for v in by_task.values()]
        return {f"pass@{k}": sum(pass_at_k(n, c, k) for n, c in counts) / len(counts)
                for k in ks if counts and min(n for n, _ in counts) >= k}

    results: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M"), "hash": data_hash, "eval": by_task,
                               "pass_at_k": {"base": rates("base_status")}}
    if plus:
        results["pass_at_k"]["plus"] = rates("plus_status")
    path = out / f"{label}_eval_results.json"
    path.write_text(json.dumps(results), encoding="utf-8")
    return samples, path


def lm_eval_results(summary: dict[str, Any], *, gen_kwargs: dict[str, Any] | None = None) -> dict[str, Any]:
    """An lm-evaluation-harness `results.json` dict from a `recode eval` summary (percent -> fraction)."""
    results, configs, versions, n_shot, better, n_samples = {}, {}, {}, {}, {}, {}
    for name, s in summary.get("benchmarks", {}).items():
        metrics = {"alias": name}
        for key, value in s.items():
            if "pass@" in key and isinstance(value, (int, float)):
                metrics[f"{key},none"] = value / 100.0
                metrics[f"{key}_stderr,none"] = "N/A"
        results[name] = metrics
        configs[name] = {"task": name, "output_type": "generate_until", "num_fewshot": 0,
                         "repeats": summary.get("n", 1), "generation_kwargs": gen_kwargs or summary.get("sampling"),
                         "metadata": {"data_files": s.get("files", []), "notes": s.get("notes", []),
                                      "prompt_style": summary.get("prompt_style")}}
        versions[name] = 1.0
        n_shot[name] = 0
        better[name] = {k.split(",")[0]: True for k in metrics if k.startswith(("pass@", "base_pass@"))
                        and "_stderr" not in k}
        n_samples[name] = {"original": s.get("n_available") or s.get("n_tasks", 0), "effective": s.get("n_tasks", 0)}
    limited = {name: s["n_tasks"] for name, s in summary.get("benchmarks", {}).items() if s.get("subset")}
    return {"results": results, "group_subtasks": {name: [] for name in results}, "configs": configs,
            "versions": versions, "n-shot": n_shot, "higher_is_better": better, "n-samples": n_samples,
            "config": {"model": summary.get("model"), "model_args": summary.get("generator"),
                       "gen_kwargs": gen_kwargs or summary.get("sampling"), "limit": limited or None},
            "date": time.time()}


def write_lm_eval_results(path: str | Path, summary: dict[str, Any]) -> Path:
    path = Path(path)
    path.write_text(json.dumps(lm_eval_results(summary), indent=2), encoding="utf-8")
    return path
