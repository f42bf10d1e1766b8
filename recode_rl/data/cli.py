"""`recode data list` / `recode data fetch NAME...|all [--dir DIR]`: get the benchmarks and training sets.

    recode data list                        # every dataset: present where, source @ revision
    recode data fetch humaneval+ mbpp+      # into $RECODE_CACHE_DIR/data (default ~/.cache/recode-rl/data)
    recode data fetch all --dir /data/recode
    recode data fetch bigcodebench manifest=my_mirror.yaml

Sources, revisions and sha256 come from `recode_rl/data/sources.yaml`; loaders look in
$RECODE_DATA_DIR (else ../shared/data), then the cache, so fetched files need no configuration.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pydantic import Field

from recode_rl.config import Flags, StageConfig, config_from_args, split_positionals
from recode_rl.errors import DataError

__all__ = ["Config", "FLAGS", "add_arguments", "run"]


class Config(StageConfig):
    dir: str | None = Field(None, description="fetch into this directory (default: the per-user cache)")
    manifest: str | None = Field(None, description="a sources manifest to use instead of the packaged one")
    timeout: float = Field(60.0, gt=0, description="seconds per network operation")


FLAGS: Flags = {"dir": "dir"}
OVERRIDE_EXAMPLE = "timeout=120"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.usage = "recode data {list | fetch NAME... | fetch all} [--dir DIR] [--json] [KEY=VALUE ...]"
    parser.add_argument("--dir", metavar="DIR", help="fetch into DIR (default: $RECODE_CACHE_DIR/data)")
    parser.add_argument("--json", action="store_true", help="list: print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    words = split_positionals(args)   # `list` / `fetch NAME...`
    cfg = config_from_args(Config, args, FLAGS)
    from recode_rl.data.fetch import data_search_dirs, fetch_dataset, list_datasets, load_manifest

    manifest = load_manifest(cfg.manifest)
    action, names = (words[0], words[1:]) if words else ("list", [])
    if action == "fetch":
        fetch_dataset(names, cfg.dir, manifest=manifest, timeout=cfg.timeout)
        return 0
    if action != "list":
        raise DataError(f"unknown action {action!r}: use `recode data list` or `recode data fetch NAME...|all`")
    dirs = data_search_dirs() + ([Path(cfg.dir)] if cfg.dir else [])
    rows = list_datasets(dirs, manifest=manifest)
    if names:
        rows = [r for r in rows if r["name"] in names]
    if args.json:
        print(json.dumps(rows))
        return 0
    print("searched: " + ", ".join(str(d) for d in dirs))
    for r in rows:
        n_ok = sum(f["present"] for f in r["files"])
        status = "present" if r["present"] else ("partial" if n_ok else "missing")
        print(f"{r['name']:<26} {status:<8} {n_ok}/{len(r['files'])} files  {r['source']} @ {r['revision']}")
        for f in r["files"]:
            pin = "" if f["pinned"] else "  [unpinned]"
            print(f"    {f['path']}: {f['location'] or 'missing'}{pin}")
    return 0
