"""pass@k and the per-benchmark aggregates of `recode eval`.

`pass_at_k(n, c, k)` is the unbiased estimator of Chen et al. (2021, "Evaluating Large Language
Models Trained on Code"): with `n` samples of which `c` pass, the probability that at least one
of `k` samples drawn without replacement passes, `1 - C(n-c, k) / C(n, k)`, computed as the
numerically stable product `1 - prod_{i=n-c+1}^{n} (1 - k / i)`. With greedy decoding (n = 1)
pass@1 is just the fraction of tasks whose one sample passes.

`aggregate(records, ks)` turns per-sample records (dicts with `task_id`, `passed` and optional
`difficulty`, `completion_tokens`) into the numbers the summary and tables report.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["pass_at_k", "per_task_counts", "mean_pass_at_k", "aggregate"]


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k for one task with `n` samples, `c` of them correct (requires k <= n)."""
    if not 0 <= c <= n:
        raise ValueError(f"pass_at_k: need 0 <= c <= n, got n={n}, c={c}")
    if not 1 <= k <= n:
        raise ValueError(f"pass_at_k: need 1 <= k <= n, got n={n}, k={k}")
    if n - c < k:
        return 1.0
    prod = 1.0
    for i in range(n - c + 1, n + 1):
        prod *= 1.0 - k / i
    return 1.0 - prod


def per_task_counts(records: Iterable[Mapping[str, Any]], key: str = "passed") -> dict[str, tuple[int, int]]:
    """task_id -> (n samples, c samples with a true `key`)."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in records:
        cell = counts[str(r["task_id"])]
        cell[0] += 1
        cell[1] += bool(r.get(key))
    return {t: (n, c) for t, (n, c) in counts.items()}


def mean_pass_at_k(counts: Mapping[str, tuple[int, int]], k: int) -> float | None:
    """Mean pass@k over tasks, in percent; None when no task has k or more samples."""
    values = [pass_at_k(n, c, k) for n, c in counts.values() if n >= k]
    if not values:
        return None
    if len(values) != len(counts):
        raise ValueError(f"pass@{k}: {len(counts) - len(values)} task(s) have fewer than {k} samples")
    return 100.0 * sum(values) / len(values)


def _mean(xs: Sequence[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def _group_stats(records: list[Mapping[str, Any]], ks: Sequence[int], pass_keys: Sequence[str]) -> dict[str, Any]:
    tokens = [r["completion_tokens"] for r in records if isinstance(r.get("completion_tokens"), int)]
    out: dict[str, Any] = {"n_tasks": len({r["task_id"] for r in records}), "n_samples": len(records)}
    for key in pass_keys:
        counts = per_task_counts(records, key)
        prefix = "" if key == "passed" else f"{key.removeprefix('passed_')}_"
        for k in ks:
            if counts and min(n for n, _ in counts.values()) >= k:
                out[f"{prefix}pass@{k}"] = mean_pass_at_k(counts, k)
    out["mean_tokens"] = _mean(tokens)
    out["tokens_unknown"] = len(records) - len(tokens)
    return out


def aggregate(records: Sequence[Mapping[str, Any]], ks: Sequence[int] = (1,),
              pass_keys: Sequence[str] = ("passed",)) -> dict[str, Any]:
    """Overall and per-difficulty pass@k (percent) and mean generated tokens.

    `pass_keys` names boolean fields scored separately; "passed" is the main score, others
    (e.g. "passed_base" for EvalPlus) come out as "<name>_pass@k" ("base_pass@1").
    """
    records = list(records)
    summary = _group_stats(records, ks, pass_keys)
    by_diff: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for r in records:
        if r.get("difficulty"):
            by_diff[str(r["difficulty"])].append(r)
    summary["by_difficulty"] = {d: _group_stats(rs, ks, pass_keys) for d, rs in sorted(by_diff.items())}
    return summary

