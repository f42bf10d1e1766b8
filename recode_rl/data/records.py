"""Reading raw records from local files, with errors that say where.

`read_records(path)` yields `(Where, dict)` for every record of a `.jsonl`, `.jsonl.gz`,
`.json` (a list, or a dict of lists/records) or `.parquet` file; it is the one JSON-records
reader of the project (data, samples, caches, metrics). A `Where` names the file and the line
(JSON Lines) or record index (JSON, Parquet) so every caller can raise
`where.error(field, message)` -> `DataError("mbpp.jsonl, line 17, field 'test_list': ...")`.
Line policy: blank (whitespace-only) lines are skipped; invalid JSON is a DataError naming file
and line. `torn_tail=True` (append-only files we write, read while a writer may be mid-line)
also skips an invalid LAST line that has no newline. `write_records` / `append_records` write
JSON Lines; `repair_torn_tail` drops such a torn last line before a writer appends again.

Also here: small typed field accessors (`get_str`, `get_list`, ...) and `find_data_file`,
which resolves the shared benchmark-data layout (`$RECODE_DATA_DIR`, else `../shared/data`
next to the repository, then the `recode data fetch` cache; see `data/fetch.py`).
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from recode_rl.errors import DataError

__all__ = ["Where", "read_records", "load_records", "write_records", "append_records", "repair_torn_tail", "get_str", "get_list", "get_str_list", "parse_json_field",
           "data_dir", "find_data_file", "cache_dir"]

_REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Where:
    """A record's location: file plus 1-based line (JSON Lines) or 0-based record index."""

    file: str
    line: int | None = None
    index: int | None = None

    def __str__(self) -> str:
        if self.line is not None:
            return f"{self.file}, line {self.line}"
        if self.index is not None:
            return f"{self.file}, record {self.index}"
        return self.file

    def error(self, field: str | None, message: str) -> DataError:
        where = str(self) + (f", field {field!r}" if field else "")
        return DataError(f"{where}: {message}")


def read_records(path: str | os.PathLike[str], *, torn_tail: bool = False) -> Iterator[tuple[Where, dict[str, Any]]]:
    """Yield every record of a local data file; malformed JSON or a non-object record -> DataError."""
    p = Path(path)
    name = p.name
    if not p.exists():
        raise DataError(f"{p}: file not found")
    suffixes = "".join(p.suffixes[-2:]).lower()
    if p.suffix.lower() == ".jsonl" or suffixes == ".jsonl.gz":
        opener = gzip.open if p.suffix.lower() == ".gz" else open
        with opener(p, "rt", encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                where = Where(name, line=lineno)
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as exc:
                    if torn_tail and not line.endswith("\n"):  # the last line, cut short mid-write
                        return
                    raise where.error(None, f"invalid JSON: {exc}") from None
                yield where, _as_record(where, rec)
    elif p.suffix.lower() == ".json" or suffixes == ".json.gz":
        opener = gzip.open if p.suffix.lower() == ".gz" else open
        with opener(p, "rt", encoding="utf-8") as fh:
            try:
                data = json.load(fh)
            except json.JSONDecodeError as exc:
                raise DataError(f"{name}: invalid JSON: {exc}") from None
        if isinstance(data, dict):
            # {"id": record, ...} or {"data": [records]} — the two dict layouts seen in the wild
            lists = [v for v in data.values() if isinstance(v, list)]
            if len(data) == 1 and len(lists) == 1:
                data = lists[0]
            elif all(isinstance(v, dict) for v in data.values()):
                data = [{"task_id": k, **v} if "task_id" not in v else v for k, v in data.items()]
        if not isinstance(data, list):
            raise DataError(f"{name}: expected a JSON list of records, got {type(data).__name__}")
        for i, rec in enumerate(data):
            where = Where(name, index=i)
            yield where, _as_record(where, rec)
    elif p.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq  # lazy: pyarrow is an optional dependency

        for i, rec in enumerate(pq.read_table(p).to_pylist()):
            where = Where(name, index=i)
            yield where, _as_record(where, rec)
    else:
        raise DataError(f"{p}: unknown file type; expected .jsonl, .jsonl.gz, .json or .parquet")


def load_records(path: str | os.PathLike[str], *, missing_ok: bool = False,
                 torn_tail: bool = False) -> list[dict[str, Any]]:
    """`read_records` as a list of records; a missing file is [] when `missing_ok`."""
    if missing_ok and not Path(path).exists():
        return []
    return [rec for _, rec in read_records(path, torn_tail=torn_tail)]


def write_records(path: str | os.PathLike[str], records: Iterable[dict[str, Any]]) -> Path:
    """Write records as JSON Lines (gzip for `.gz`), atomically: a temp file then a rename."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    gz = p.suffix.lower() == ".gz"
    with (gzip.open(tmp, "wt", encoding="utf-8") if gz else open(tmp, "w", encoding="utf-8")) as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    os.replace(tmp, p)
    return p


def append_records(fh: IO[str], records: Iterable[dict[str, Any]]) -> None:
    """Append records as JSON Lines to an open text file and make them durable (flush + fsync)."""
    for rec in records:
        fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    fh.flush()
    os.fsync(fh.fileno())


def repair_torn_tail(path: str | os.PathLike[str]) -> bool:
    """Drop a last line without a newline (a crash mid-append); True when something was dropped."""
    p = Path(path)
    if not p.exists():
        return False
    raw = p.read_bytes()
    if not raw or raw.endswith(b"\n"):
        return False
    with p.open("r+b") as fh:
        fh.truncate(raw.rfind(b"\n") + 1)
    return True


def _as_record(where: Where, rec: Any) -> dict[str, Any]:
    if not isinstance(rec, dict):
        raise where.error(None, f"expected a JSON object, got {type(rec).__name__}")
    return rec


# ---- typed field access --------------------------------------------------------------------

def get_str(rec: dict[str, Any], field: str, where: Where, *, default: str | None = None) -> str:
    """A string field; missing or null -> `default`, or DataError when there is no default."""
    value = rec.get(field)
    if value is None:
        if default is not None:
            return default
        raise where.error(field, "missing")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # integer ids (MBPP task_id) are fine as strings
    if not isinstance(value, str):
        raise where.error(field, f"expected a string, got {type(value).__name__}")
    return value


def get_list(rec: dict[str, Any], field: str, where: Where, *, default: list[Any] | None = None) -> list[Any]:
    if field not in rec or rec[field] is None:
        if default is not None:
            return default
        raise where.error(field, "missing")
    value = rec[field]
    if not isinstance(value, (list, tuple)):
        raise where.error(field, f"expected a list, got {type(value).__name__}")
    return list(value)


def get_str_list(rec: dict[str, Any], field: str, where: Where, *, default: list[str] | None = None) -> list[str]:
    value = get_list(rec, field, where, default=default)
    if not all(isinstance(v, str) for v in value):
        raise where.error(field, "expected a list of strings")
    return value


def parse_json_field(value: Any, field: str, where: Where) -> Any:
    """Fields that are JSON encoded as a string (LiveCodeBench, TACO); non-strings pass through."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise where.error(field, f"invalid JSON string: {exc}") from None


# ---- where the shared data and caches live -------------------------------------------------

def data_dir() -> Path:
    """`$RECODE_DATA_DIR`, else `../shared/data` relative to the repository root."""
    env = os.environ.get("RECODE_DATA_DIR")
    return Path(env) if env else _REPO_ROOT.parent / "shared" / "data"


def find_data_file(relative: str) -> Path:
    """A benchmark file in the shared data layout: `data_dir()`, then the `recode data fetch` cache.

    Missing everywhere -> DataError naming both places and the exact `recode data fetch NAME`
    that downloads it (when the data manifest knows the file).
    """
    from recode_rl.data.fetch import data_search_dirs, fetch_command  # lazy: fetch imports this module

    dirs = data_search_dirs()
    for root in dirs:
        path = root / relative
        if path.exists():
            return path
    command = fetch_command(relative)
    how = (f"Run `{command}` to download it into {dirs[-1]}, or set" if command else "Set")
    raise DataError(
        f"{relative}: data file not found in {' or '.join(str(d) for d in dirs)}. {how} RECODE_DATA_DIR "
        f"to a directory laid out like shared/data (it must contain {relative}), or pass an explicit path."
    )


def cache_dir() -> Path:
    """`$RECODE_CACHE_DIR`, else `~/.cache/recode-rl`."""
    env = os.environ.get("RECODE_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "recode-rl"
