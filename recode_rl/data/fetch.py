"""Download benchmarks and training sets from their canonical sources: `recode data fetch|list`.

The manifest (`sources.yaml` beside this module, or any file of the same shape) names, per
dataset, the files in the shared data layout, each with the URL of its canonical source at a
pinned revision and its sha256. `fetch` downloads into a data directory (default: the per-user
cache `$RECODE_CACHE_DIR/data`, else `~/.cache/recode-rl/data`) in that same layout, so the
loaders find the files through `records.find_data_file` with no configuration. Downloads go to
`<file>.part` and resume from it (HTTP Range); a file is renamed into place only once its
sha256 matches. Files whose sha256 the manifest leaves null are "unpinned": fetch prints the
hash it computed, with a warning, and records it in `<dir>/FETCHED.json` (provenance of every
fetched file: url, revision, sha256, pinned or not, when). Only the standard library is used.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recode_rl.errors import DataError

__all__ = ["DataFile", "Dataset", "MANIFEST", "load_manifest", "default_fetch_dir", "data_search_dirs", "fetch_dataset",
           "fetch_file", "dataset_for_path", "fetch_command", "list_datasets", "FETCHED_INDEX"]

MANIFEST = Path(__file__).with_name("sources.yaml")
FETCHED_INDEX = "FETCHED.json"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class DataFile:
    path: str            # relative path in the shared data layout
    url: str
    sha256: str | None   # None: unpinned (not verified offline)


@dataclass(frozen=True)
class Dataset:
    name: str
    description: str
    source: str
    revision: str
    license: str
    files: tuple[DataFile, ...]
    includes: tuple[str, ...] = ()
    loaders: tuple[str, ...] = ()
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def load_manifest(path: str | os.PathLike[str] | None = None) -> dict[str, Dataset]:
    """Parse a sources manifest; a malformed entry -> DataError naming the dataset and key."""
    import yaml

    p = Path(path) if path else MANIFEST
    try:
        tree = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DataError(f"{p}: cannot read the data manifest: {exc}") from None
    if not isinstance(tree, dict) or not isinstance(tree.get("datasets"), dict):
        raise DataError(f"{p}: expected a mapping with a `datasets` mapping")
    out: dict[str, Dataset] = {}
    for name, entry in tree["datasets"].items():
        try:
            files = tuple(DataFile(path=str(f["path"]), url=str(f["url"]), sha256=f.get("sha256") or None)
                          for f in entry["files"])
            out[name] = Dataset(name=name, description=str(entry.get("description", "")), source=str(entry["source"]),
                                revision=str(entry["revision"]), license=str(entry.get("license", "")), files=files,
                                includes=tuple(entry.get("includes", ())), loaders=tuple(entry.get("loaders", ())),
                                note=str(entry.get("note", "")))
        except (KeyError, TypeError) as exc:
            raise DataError(f"{p}: dataset {name!r}: missing or malformed key {exc}") from None
        for f in files:
            if f.sha256 is not None and (len(f.sha256) != 64 or any(c not in "0123456789abcdef" for c in f.sha256)):
                raise DataError(f"{p}: dataset {name!r}, file {f.path}: sha256 must be 64 lowercase hex digits or null")
    for d in out.values():
        for inc in d.includes:
            if inc not in out:
                raise DataError(f"{p}: dataset {d.name!r} includes unknown dataset {inc!r}")
    return out


def default_fetch_dir() -> Path:
    """Where `fetch` writes by default: `<cache_dir>/data`."""
    from recode_rl.data.records import cache_dir

    return cache_dir() / "data"


def data_search_dirs() -> list[Path]:
    """Where loaders look, in order: `$RECODE_DATA_DIR` (else ../shared/data), then the fetch cache."""
    from recode_rl.data.records import data_dir

    return [data_dir(), default_fetch_dir()]


def dataset_for_path(relative: str, manifest: dict[str, Dataset] | None = None) -> Dataset | None:
    """The manifest dataset that provides a layout path (None when none does)."""
    for d in (manifest if manifest is not None else load_manifest()).values():
        if any(f.path == relative for f in d.files):
            return d
    return None


def fetch_command(relative: str) -> str | None:
    """`recode data fetch NAME` for the dataset that provides `relative`, or None."""
    try:
        d = dataset_for_path(relative)
    except DataError:
        return None
    return f"recode data fetch {d.name}" if d else None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def _download(url: str, part: Path, timeout: float) -> None:
    """Append the rest of `url` to `part` (resuming from its size when the server honours Range)."""
    have = part.stat().st_size if part.exists() else 0
    req = urllib.request.Request(url, headers={"User-Agent": "recode-rl data fetch"})
    if have:
        req.add_header("Range", f"bytes={have}-")
    try:
        resp = urllib.request.urlopen(req, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # the partial file is already complete
            return
        raise DataError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise DataError(f"{url}: cannot download: {exc}") from None
    with resp:
        resumed = have and resp.status == 206
        with open(part, "ab" if resumed else "wb") as fh:
            for block in iter(lambda: resp.read(_CHUNK), b""):
                fh.write(block)


def _read_index(root: Path) -> dict[str, Any]:
    p = root / FETCHED_INDEX
    if not p.exists():
        return {}
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(f"{p}: invalid JSON: {exc}") from None


def _write_index(root: Path, index: dict[str, Any]) -> None:
    tmp = root / (FETCHED_INDEX + ".tmp")
    tmp.write_text(json.dumps(index, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, root / FETCHED_INDEX)


def fetch_file(f: DataFile, dataset: Dataset, root: Path, *, timeout: float = 60.0,
               log: Callable[[str], None] = print) -> Path:
    """One file into `root/<layout path>`: skip when present with the right hash; resume; verify."""
    dest = root / f.path
    dest.parent.mkdir(parents=True, exist_ok=True)
    index = _read_index(root)
    if dest.exists():
        got = _sha256(dest)
        if f.sha256 is None or got == f.sha256:
            log(f"  {f.path}: present ({'sha256 ok' if f.sha256 else 'unpinned, sha256 ' + got})")
            return dest
        raise DataError(f"{dest}: present but its sha256 is {got}, expected {f.sha256} (from {f.url}); "
                        "delete it and fetch again")
    part = dest.with_name(dest.name + ".part")
    log(f"  {f.path}: downloading {f.url}" + (" (resuming)" if part.exists() else ""))
    _download(f.url, part, timeout)
    got = _sha256(part)
    if f.sha256 is not None and got != f.sha256:
        part.unlink()
        raise DataError(f"{f.url}: sha256 mismatch for {f.path}: got {got}, expected {f.sha256}; "
                        "the download was deleted (the source changed, or the transfer was corrupted)")
    os.replace(part, dest)
    if f.sha256 is None:
        log(f"  warning: {f.path} is UNPINNED (the manifest has no sha256 for it); "
            f"downloaded bytes have sha256 {got} — check it before relying on this file")
    index[f.path] = {"dataset": dataset.name, "url": f.url, "revision": dataset.revision, "source": dataset.source,
                     "sha256": got, "pinned": f.sha256 is not None,
                     "fetched_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    _write_index(root, index)
    return dest


def _expand(names: list[str], manifest: dict[str, Dataset]) -> list[Dataset]:
    if not names:
        raise DataError(f"name a dataset to fetch, or `all`; known: {', '.join(manifest)}")
    wanted = list(manifest) if "all" in names else names
    unknown = [n for n in wanted if n not in manifest]
    if unknown:
        raise DataError(f"unknown dataset(s) {', '.join(unknown)}; known: {', '.join(manifest)}, all")
    out: list[Dataset] = []
    for n in wanted:
        for dep in (*manifest[n].includes, n):
            if manifest[dep] not in out:
                out.append(manifest[dep])
    return out


def fetch_dataset(names: list[str], root: str | os.PathLike[str] | None = None, *,
                  manifest: dict[str, Dataset] | None = None, timeout: float = 60.0,
                  log: Callable[[str], None] = print) -> list[Path]:
    """Fetch every file of the named datasets (`all` = every dataset) into `root`; the paths written."""
    manifest = manifest if manifest is not None else load_manifest()
    target = Path(root) if root else default_fetch_dir()
    paths: list[Path] = []
    for d in _expand(names, manifest):
        log(f"{d.name}: {d.source} @ {d.revision}")
        for f in d.files:
            paths.append(fetch_file(f, d, target, timeout=timeout, log=log))
    unpinned = sum(f.sha256 is None for d in _expand(names, manifest) for f in d.files)
    if unpinned:
        print(f"warning: {unpinned} file(s) were unpinned; their computed sha256 is in {target / FETCHED_INDEX}",
              file=sys.stderr)
    return paths


def list_datasets(dirs: list[Path] | None = None, *, manifest: dict[str, Dataset] | None = None) -> list[dict[str, Any]]:
    """Per dataset: its files, where each is present (first hit in `dirs`) and its provenance."""
    manifest = manifest if manifest is not None else load_manifest()
    dirs = dirs if dirs is not None else data_search_dirs()
    rows = []
    for d in manifest.values():
        files = []
        for f in d.files:
            where = next((root / f.path for root in dirs if (root / f.path).exists()), None)
            files.append({"path": f.path, "present": where is not None, "location": str(where) if where else None,
                          "url": f.url, "pinned": f.sha256 is not None})
        rows.append({"name": d.name, "description": d.description, "source": d.source, "revision": d.revision,
                     "license": d.license, "files": files, "present": all(x["present"] for x in files)})
    return rows
