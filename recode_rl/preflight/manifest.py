"""Pinned manifest of the Hugging Face datasets our configs name: dataset -> subset -> splits.

A split is either a training split or HELD OUT (a test set we evaluate on, or one the paper keeps
out of training). `check_source` is what `recode preflight` and the train commands run on every
`data.train` entry before anything is downloaded: for a dataset in the manifest an unknown subset
or split is a problem, and so is training on a held-out split. A dataset not in the manifest (your
own) is reported as unchecked (`in_manifest`), not refused.

DeepCoder-Preview-Dataset (agentica-org): its training data is `primeintellect`, `taco` and
`lcbv5` train; `codeforces` has only a test split and `lcbv5` test is LiveCodeBench v5's
held-out window. Add a dataset here (with its revision when you pin one) before a config names it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Split", "MANIFEST", "check_source", "in_manifest"]


@dataclass(frozen=True)
class Split:
    held_out: bool = False   # True: never train on it
    note: str = ""


MANIFEST: dict[str, dict[str, dict[str, Split]]] = {
    "agentica-org/DeepCoder-Preview-Dataset": {
        "primeintellect": {"train": Split()},
        "taco": {"train": Split()},
        "lcbv5": {"train": Split(), "test": Split(held_out=True, note="LiveCodeBench v5 test window")},
        "codeforces": {"test": Split(held_out=True, note="a test set only")},
    },
}


def in_manifest(name: str) -> bool:
    """Is this `hf:<dataset>` source one the manifest describes?"""
    return name.startswith("hf:") and name[3:] in MANIFEST


def check_source(name: str, options: dict[str, Any], *, training: bool = True) -> str | None:
    """Why this `hf:` problem source is wrong (None when it is fine or not in the manifest)."""
    if not in_manifest(name):
        return None
    dataset = name[3:]
    subsets = MANIFEST[dataset]
    subset = options.get("config") or options.get("subset")
    if subset is None:
        return f"{dataset!r} has subsets {sorted(subsets)}: set options.config"
    splits = subsets.get(str(subset))
    if splits is None:
        return f"{dataset!r} has no subset {subset!r} (subsets: {', '.join(sorted(subsets))})"
    split = str(options.get("split", "train"))
    info = splits.get(split)
    if info is None:
        return f"{dataset!r} subset {subset!r} has no split {split!r} (splits: {', '.join(sorted(splits))})"
    if training and info.held_out:
        return f"{dataset!r} {subset}/{split} is held out ({info.note}); do not train on it"
    return None
