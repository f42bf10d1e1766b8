"""Human adjudication of judge labels: a CSV sheet for two annotators, Cohen's kappa, consensus.

The paper has two annotators check the judge's labels (kappa 0.769) and resolves disagreements.
`write_sheet(items, path)` writes one row per judged-consistent sample with the problem, the
reasoning, the code and the judge's label, plus three empty columns: `annotator_1`,
`annotator_2` and `resolution`. Annotators write `sound`, `flawed` or `inconsistent` (the
judge's words `No`/`Yes`/`None` are accepted too).

`read_sheet(path)` reads the labels back (unknown words are a DataError naming row and column).
`merge(rows)` applies the consensus rule:
  both annotators agree                 -> their label
  they disagree, `resolution` filled    -> the resolution (a third person's call)
  they disagree, no resolution          -> dropped, counted as `unresolved`
  one or both annotations missing       -> dropped, counted as `unannotated`
`cohen_kappa(a, b)` is computed on rows both annotators labelled.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from recode_rl.errors import DataError
from recode_rl.evaluation.judge import parse_label

__all__ = ["SHEET_COLUMNS", "write_sheet", "read_sheet", "cohen_kappa", "merge"]

SHEET_COLUMNS = ("item_id", "problem_id", "sample", "passed", "judge_label", "judge_reason", "problem",
                 "reasoning", "code", "annotator_1", "annotator_2", "resolution")
_ANNOTATION_COLUMNS = ("annotator_1", "annotator_2", "resolution")


def write_sheet(items: Iterable[Mapping[str, Any]], path: str | Path) -> int:
    """Write the adjudication sheet; returns the number of rows. Existing annotations are NOT
    overwritten: if `path` exists, its annotator columns are carried over by item_id."""
    path = Path(path)
    previous = {r["item_id"]: r for r in _read_rows(path)} if path.exists() else {}
    n = 0
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=SHEET_COLUMNS)
        writer.writeheader()
        for it in items:
            row = {c: it.get(c, "") for c in SHEET_COLUMNS}
            row["item_id"] = it["item_id"]
            row["judge_label"] = it.get("label", "")
            for c in _ANNOTATION_COLUMNS:
                row[c] = previous.get(it["item_id"], {}).get(c, "")
            writer.writerow(row)
            n += 1
    tmp.replace(path)
    return n


def _read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in ("item_id", "annotator_1", "annotator_2") if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError.at(path, f"not an adjudication sheet: missing column(s) {missing}")
        return list(reader)


def read_sheet(path: str | Path) -> list[dict[str, Any]]:
    """Rows with `annotator_1/2` and `resolution` parsed to labels (None when blank)."""
    path = Path(path)
    if not path.is_file():
        raise DataError.at(path, "file not found")
    rows = []
    for i, raw in enumerate(_read_rows(path), 2):  # row 1 is the header
        row: dict[str, Any] = dict(raw)
        for col in _ANNOTATION_COLUMNS:
            value = (raw.get(col) or "").strip()
            if not value:
                row[col] = None
                continue
            label = parse_label(value)
            if label is None:
                raise DataError.at(path, f"unknown label {value!r}; write sound, flawed or inconsistent",
                                   record=f"row {i}", field=col)
            row[col] = label
        rows.append(row)
    return rows


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float:
    """Cohen's kappa of two raters over the same items: (p_o - p_e) / (1 - p_e).

    p_o = observed agreement; p_e = sum over labels of the product of the raters' marginal
    rates. When p_e = 1 (both raters used one and the same label throughout) kappa is
    undefined and NaN is returned.
    """
    if len(a) != len(b):
        raise ValueError(f"cohen_kappa: {len(a)} vs {len(b)} ratings")
    if not a:
        return float("nan")
    n = len(a)
    p_o = sum(x == y for x, y in zip(a, b)) / n
    ca, cb = Counter(a), Counter(b)
    p_e = sum(ca[k] * cb[k] for k in set(ca) | set(cb)) / (n * n)
    if p_e == 1.0:
        return float("nan")
    return (p_o - p_e) / (1.0 - p_e)


def merge(rows: Sequence[Mapping[str, Any]]) -> tuple[dict[str, str], dict[str, Any]]:
    """item_id -> consensus label, and a report {kappa, n_both, agreed, resolved, unresolved, unannotated}."""
    labels: dict[str, str] = {}
    both = [(r["annotator_1"], r["annotator_2"]) for r in rows if r["annotator_1"] and r["annotator_2"]]
    stats = Counter()
    for r in rows:
        a, b, res = r["annotator_1"], r["annotator_2"], r["resolution"]
        if not a or not b:
            stats["unannotated"] += 1
        elif a == b:
            labels[r["item_id"]] = a
            stats["agreed"] += 1
        elif res:
            labels[r["item_id"]] = res
            stats["resolved"] += 1
        else:
            stats["unresolved"] += 1
    kappa = cohen_kappa([x for x, _ in both], [y for _, y in both]) if both else float("nan")
    report = {"kappa": kappa, "n_both": len(both), **{k: stats[k] for k in ("agreed", "resolved", "unresolved",
                                                                           "unannotated")}}
    return labels, report
