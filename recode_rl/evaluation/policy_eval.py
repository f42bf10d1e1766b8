"""`recode eval` end to end: for each benchmark, load -> generate (resumable) -> score -> summarize.

Writes into the run directory:
    samples/<benchmark>.jsonl        one scored record per sample (see scoring.py); BigCodeBench in
                                     complete mode is "<name>-complete"
    samples/<benchmark>.meta.json    what produced them (a mismatch on resume is an error)
    report/eval_summary.json         per-benchmark numbers, table cells, data file hashes
    report/eval_table.md             the tables in the paper's layout (tables.py)
    samples/evalplus/<benchmark>.jsonl (+ _eval_results.json)  code samples and verdicts in
                                     EvalPlus's format (formats.py)
    report/results.json              the summary in lm-evaluation-harness's results format
Benchmarks evaluated earlier into the same run directory with the same settings are kept in
the summary, so `recode eval benchmarks=[a]` then `benchmarks=[b]` reports both.
`eval_summary.json` keys per benchmark: pass@k (percent), base_pass@k (EvalPlus), by_difficulty
{pass@k, mean_tokens, n_tasks}, mean_tokens, format_rate, verdicts, generation_errors,
truncated (hit max_new_tokens), n_tasks, n_skipped, skipped, notes, files, public_tests_only,
subset (a `limit`/`task_ids` subset was evaluated) and n_available (tasks in the whole set);
`table_subsets` maps a table column to its "3 of 164" when its cell was computed on a subset.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from recode_rl.evaluation.benchmarks import BenchmarkData, load_benchmark
from recode_rl.evaluation.formats import write_evalplus, write_lm_eval_results
from recode_rl.evaluation.generate import SampleStore, generate_and_score
from recode_rl.evaluation.metrics import aggregate
from recode_rl.evaluation.tables import main_cells, math_cells, render_markdown
from recode_rl.execution.types import Limits
from recode_rl.generation.types import Generator, SamplingParams
from recode_rl.prompts import PromptStyle

__all__ = ["summarize", "evaluate_benchmarks", "run_eval"]

_EVALPLUS = ("humaneval+", "mbpp+")
# options that may change between resumed runs (more tasks, other clocks) without invalidating samples
_RESUMABLE_OPTIONS = ("limit", "task_ids", "timeout", "check_imports", "validate_reference")


def summarize(data: BenchmarkData, records: Sequence[dict[str, Any]], ks: Sequence[int]) -> dict[str, Any]:
    pass_keys = ("passed", "passed_base") if data.name in _EVALPLUS else ("passed",)
    s = aggregate(records, ks, pass_keys)
    n = len(records)
    s.update(
        benchmark=data.name,
        format_rate=(sum(bool(r.get("format_ok")) for r in records) / n) if n else None,
        verdicts=dict(Counter(str(r.get("verdict")) for r in records)),
        generation_errors=sum(r.get("verdict") == "generation_error" for r in records),
        truncated=sum(r.get("finish_reason") == "length" for r in records),
        n_skipped=len(data.skipped), skipped=data.skipped, notes=data.notes, files=data.files,
        public_tests_only=data.public_tests_only, subset=data.subset, n_available=data.n_available,
    )
    if s["generation_errors"]:
        s["notes"] = [*data.notes, f"{s['generation_errors']} sample(s) failed to generate (counted as failures; "
                                   "rerun to retry them)"]
    return s


def evaluate_benchmarks(benchmarks: Sequence[dict[str, Any]], generator: Generator | Callable[[], Generator],
                        run_root: str | Path, *,
                        sampling: SamplingParams, n: int = 1, ks: Sequence[int] = (1,),
                        style: PromptStyle = "policy", limits: Limits | None = None, chunk_size: int = 32,
                        max_workers: int | None = None, math_timeout: float = 5.0, model_label: str | None = None,
                        progress: bool = True) -> dict[str, Any]:
    """Run every benchmark (`{"name": ..., **options}`) and write samples, summary and tables.

    Every benchmark is loaded before the generator is touched: with a zero-argument factory as
    `generator`, a wrong name, option or data path fails before any model is loaded."""
    loaded = []
    for spec in benchmarks:
        spec = {k: v for k, v in spec.items() if v is not None}
        name = spec.pop("name")
        loaded.append((name, spec, load_benchmark(name, **spec)))
    if not hasattr(generator, "generate"):   # a factory: build the model only now
        generator = generator()
    root = Path(run_root)
    (root / "samples").mkdir(parents=True, exist_ok=True)
    (root / "report").mkdir(parents=True, exist_ok=True)
    ks = sorted({k for k in ks if k <= n}) or [1]
    meta = {"model": generator.model_id, "sampling": sampling.cache_key(), "n": n, "prompt_style": style}
    summaries: dict[str, Any] = {}
    for name, spec, data in loaded:
        label = name + ("-complete" if spec.get("mode") == "complete" else "")
        timeout = spec.get("timeout") or data.timeout
        bench_limits = limits
        if timeout is not None:
            bench_limits = dataclasses.replace(limits or Limits(), timeout=timeout)
        # samples made under other data options (file, LCB window, BCB mode) must not be mixed in
        data_meta = {k: v for k, v in spec.items() if k not in _RESUMABLE_OPTIONS}
        with SampleStore(root / "samples" / f"{label}.jsonl", {**meta, "data": data_meta}) as store:
            records = generate_and_score(data.problems, generator, store, n=n, sampling=sampling, style=style,
                                         limits=bench_limits, chunk_size=chunk_size, max_workers=max_workers,
                                         math_timeout=math_timeout, progress=progress, desc=name)
        summaries[label] = summarize(data, records, ks)
        if not any(p.is_math for p in data.problems):   # EvalPlus's format is for code
            write_evalplus(root / "samples" / "evalplus", label, data.problems, records, ks,
                           data.files[0]["sha256"] if data.files else None)
    previous = root / "report" / "eval_summary.json"
    if previous.exists():  # benchmarks evaluated earlier into this run dir with the same settings stay
        old = json.loads(previous.read_text())
        if (old.get("generator"), old.get("sampling"), old.get("n"), old.get("prompt_style")) == \
                (generator.model_id, sampling.cache_key(), n, style):
            summaries = {**{k: v for k, v in old.get("benchmarks", {}).items() if k not in summaries}, **summaries}
    summary = {"model": model_label or generator.model_id, "generator": generator.model_id,
               "sampling": sampling.cache_key(), "n": n, "ks": list(ks), "prompt_style": style,
               "benchmarks": summaries}
    summary["table"] = {c: cell["value"] for c, cell in main_cells(summaries).items()}
    summary["math_table"] = {c: cell["value"] for c, cell in math_cells(summaries).items()}
    summary["table_subsets"] = {c: cell["subset"] for cells in (main_cells(summaries), math_cells(summaries))
                                for c, cell in cells.items() if cell["subset"] and cell["value"] is not None}
    (root / "report" / "eval_summary.json").write_text(json.dumps(summary, indent=1))
    (root / "report" / "eval_table.md").write_text(render_markdown(summary))
    write_lm_eval_results(root / "report" / "results.json", summary)
    return summary



def run_eval(cfg: Any, generator: Generator | None = None, *, progress: bool = True) -> tuple[dict[str, Any], Any]:
    """`recode eval` without the printing: (summary, RunDir) for an `EvalConfig`.

    The generator is built from `cfg.generator` after every benchmark loaded, unless one is given."""
    from recode_rl.evaluation.config import build_eval_generator
    from recode_rl.rundir import RunDir

    run_dir = RunDir.create(cfg.run_dir, stage="eval")
    run_dir.write_config(cfg, "eval")
    summary = evaluate_benchmarks(
        [b.model_dump() for b in cfg.benchmarks],
        generator if generator is not None else (lambda: build_eval_generator(cfg)),  # model loaded after the data
        run_dir.root, sampling=cfg.sampling, n=cfg.n, ks=cfg.k, style=cfg.prompt_style, limits=cfg.limits.to_limits(),
        chunk_size=cfg.chunk_size, max_workers=cfg.max_workers, math_timeout=cfg.math_timeout,
        model_label=cfg.model_name or cfg.generator.label, progress=progress)
    return summary, run_dir
