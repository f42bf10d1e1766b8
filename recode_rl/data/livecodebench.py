"""LiveCodeBench `code_generation_lite` records -> `Problem`s.

A record has `question_id, question_content, starter_code, difficulty, contest_date,
public_test_cases, private_test_cases, metadata`. Test cases are a JSON list of
`{"input", "output", "testtype"}`:

* `stdin`      -> a `stdio` suite (input/output strings as given);
* `functional`  -> a `functional` suite on LeetCode's `class Solution`: each input line is one
  JSON value (the positional arguments), the output is one JSON value, and the method name
  comes from `metadata.func_name` (or, failing that, the starter code's `def name(self`).

Private tests are either plain JSON or base64(zlib(pickle(json-string))). The pickle layer is
decoded by `decode_private_tests` with an unpickler that refuses every global/class lookup and
accepts only a plain `str`, so a crafted record cannot run code on the trusted side.

Departure from LiveCodeBench: its harness prepends a fixed import block to every program;
we record ours in `metadata["program_prefix"]` (see `recode_rl.data.prelude`) instead of
silently editing programs. The shared copies here have no private tests (public-test scores).
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import pickle
import re
import zlib
from datetime import date
from pathlib import Path
from typing import Any

from recode_rl.data.prelude import LEETCODE_PRELUDE, STDIN_PRELUDE
from recode_rl.data.records import Where, find_data_file, get_str, parse_json_field, read_records
from recode_rl.data.schema import Problem
from recode_rl.errors import DataError
from recode_rl.execution.types import TestSuite

__all__ = ["decode_private_tests", "lcb_test_suite", "problem_from_lcb", "load_livecodebench",
           "func_name_from_starter", "LCB_V5_FILE", "LCB_OFFICIAL_FILES", "LCB_OFFICIAL_V5_FILES"]

LCB_V5_FILE = "livecodebench/lcb_v5_public_tests_with_metadata.jsonl"
# the official release files (`recode data fetch livecodebench-v5|v6`, with private tests):
# release_vN is the union of test.jsonl .. testN.jsonl
LCB_OFFICIAL_FILES = {f"v{n}": tuple(f"livecodebench/code_generation_lite/test{'' if k == 1 else k}.jsonl"
                                     for k in range(1, n + 1)) for n in (5, 6)}
LCB_OFFICIAL_V5_FILES = LCB_OFFICIAL_FILES["v5"]
_MAX_DECOMPRESSED = 1 << 30  # 1 GiB: larger is a zip bomb, not a test set


class _StrOnlyUnpickler(pickle.Unpickler):
    """Refuses every global lookup: only built-in containers/str/numbers can be rebuilt."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refused to load global {module}.{name}")

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError("refused persistent id")


def _unpickle_str(blob: bytes) -> str:
    value = _StrOnlyUnpickler(io.BytesIO(blob)).load()
    if not isinstance(value, str):
        raise pickle.UnpicklingError(f"expected a pickled str, got {type(value).__name__}")
    return value


def decode_private_tests(raw: str | list[Any] | None) -> list[Any]:
    """`private_test_cases` -> list of test dicts. Plain JSON or base64(zlib(pickle(json)))."""
    if raw is None or raw == "" or raw == []:
        return []
    if isinstance(raw, list):
        return raw
    text = raw.strip()
    if text.startswith("["):
        value = json.loads(text)
    else:
        try:
            compressed = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"neither JSON nor base64: {exc}") from None
        inflater = zlib.decompressobj()
        try:
            blob = inflater.decompress(compressed, _MAX_DECOMPRESSED)
        except zlib.error as exc:
            raise ValueError(f"not zlib data: {exc}") from None
        if inflater.unconsumed_tail:
            raise ValueError(f"decompresses to more than {_MAX_DECOMPRESSED} bytes")
        try:
            value = json.loads(_unpickle_str(blob))
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as exc:
            raise ValueError(f"bad pickle payload: {exc}") from None
    if not isinstance(value, list):
        raise ValueError(f"expected a list of tests, got {type(value).__name__}")
    return value


_DEF_SELF = re.compile(r"def\s+([A-Za-z_]\w*)\s*\(\s*self\b")


def func_name_from_starter(starter_code: str) -> str | None:
    """The first `def name(self, ...)` of a LeetCode class stub."""
    m = _DEF_SELF.search(starter_code)
    return m.group(1) if m else None


def lcb_test_suite(tests: list[Any], *, func_name: str | None, where: Where, field: str) -> TestSuite:
    """List of `{input, output, testtype}` -> one stdio or functional suite (all one type)."""
    if not tests:
        raise where.error(field, "no test cases")
    kinds = set()
    inputs: list[Any] = []
    outputs: list[Any] = []
    for i, t in enumerate(tests):
        if not isinstance(t, dict) or not isinstance(t.get("input"), str) or not isinstance(t.get("output"), str):
            raise where.error(field, f"test {i}: expected an object with string 'input' and 'output'")
        kind = t.get("testtype", "stdin")
        kinds.add(kind)
        if kind == "stdin":
            inputs.append(t["input"])
            outputs.append(t["output"])
        elif kind == "functional":
            try:
                inputs.append([json.loads(line) for line in t["input"].split("\n") if line.strip()])
                outputs.append(json.loads(t["output"]))
            except json.JSONDecodeError as exc:
                raise where.error(field, f"test {i}: functional input/output is not JSON: {exc}") from None
        else:
            raise where.error(field, f"test {i}: unknown testtype {kind!r} (expected 'stdin' or 'functional')")
    if len(kinds) > 1:
        raise where.error(field, f"mixed test types {sorted(kinds)} in one problem")
    if kinds == {"stdin"}:
        return TestSuite(kind="stdio", inputs=tuple(inputs), outputs=tuple(outputs))
    if not func_name:
        raise where.error(field, "functional tests but no function name (metadata.func_name or a `def name(self` in starter_code)")
    return TestSuite(kind="functional", inputs=tuple(inputs), outputs=tuple(outputs),
                     fn_name=func_name, class_name="Solution")


def problem_from_lcb(rec: dict[str, Any], where: Where, *, source: str = "livecodebench",
                     include_private: bool = True) -> Problem:
    """One `code_generation_lite` record -> Problem (task_id = question_id)."""
    qid = get_str(rec, "question_id", where)
    starter = get_str(rec, "starter_code", where, default="")
    meta = parse_json_field(rec.get("metadata") or "{}", "metadata", where)
    if not isinstance(meta, dict):
        raise where.error("metadata", "expected a JSON object")
    public = parse_json_field(rec.get("public_test_cases") or "[]", "public_test_cases", where)
    if not isinstance(public, list):
        raise where.error("public_test_cases", "expected a JSON list")
    private: list[Any] = []
    if include_private:
        try:
            private = decode_private_tests(rec.get("private_test_cases"))
        except (ValueError, json.JSONDecodeError) as exc:
            raise where.error("private_test_cases", str(exc)) from None
    func_name = meta.get("func_name") or func_name_from_starter(starter)
    suite = lcb_test_suite(public + private, func_name=func_name, where=where,
                           field="public_test_cases" if not private else "public_test_cases+private_test_cases")
    contest_date = rec.get("contest_date")
    return Problem(
        task_id=qid,
        prompt=get_str(rec, "question_content", where),
        tests=suite,
        source=source,
        starter_code=starter,
        difficulty=rec.get("difficulty") or None,
        contest_date=str(contest_date)[:10] if contest_date else None,
        metadata={
            "title": rec.get("question_title", ""),
            "platform": rec.get("platform", ""),
            "contest_id": rec.get("contest_id", ""),
            "n_public": len(public),
            "n_private": len(private),
            "program_prefix": LEETCODE_PRELUDE if suite.kind == "functional" else STDIN_PRELUDE,
        },
    )


def _as_date(value: str | date | None, name: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise DataError(f"livecodebench option {name}={value!r}: expected an ISO date YYYY-MM-DD") from None


def load_livecodebench(path: str | Path | None = None, *, start: str | date | None = None,
                       end: str | date | None = None, difficulty: str | None = None,
                       include_private: bool = True, limit: int | None = None,
                       release: str | None = None) -> list[Problem]:
    """LiveCodeBench problems with contest_date in [start, end] (inclusive; None = open).

    Default data: the shared public-tests file, else the official release_v5 files fetched by
    `recode data fetch livecodebench-v5` (which carry the private tests). `release="v5"|"v6"`
    reads the official files of that release (`recode data fetch livecodebench-v6`).
    """
    if release is not None and release not in LCB_OFFICIAL_FILES:
        raise DataError(f"livecodebench option release={release!r}: expected one of {', '.join(LCB_OFFICIAL_FILES)}")
    if path:
        paths = [Path(path)]
    elif release:
        paths = [_official_file(f, release) for f in LCB_OFFICIAL_FILES[release]]
    else:
        paths = _default_lcb_files()
    lo, hi = _as_date(start, "start"), _as_date(end, "end")
    problems = []
    records = (item for p in paths for item in read_records(p))
    for where, rec in records:
        p = problem_from_lcb(rec, where, include_private=include_private)
        d = date.fromisoformat(p.contest_date) if p.contest_date else None
        if (lo or hi) and d is None:
            raise where.error("contest_date", "missing, but a date window was requested")
        if (lo and d < lo) or (hi and d > hi):
            continue
        if difficulty and p.difficulty != difficulty:
            continue
        problems.append(p)
        if limit and len(problems) >= limit:
            break
    return problems


def _official_file(relative: str, release: str) -> Path:
    try:
        return find_data_file(relative)
    except DataError as exc:
        raise DataError(f"{exc} Run `recode data fetch livecodebench-{release}`.") from None


def _default_lcb_files() -> list[Path]:
    try:
        return [find_data_file(LCB_V5_FILE)]
    except DataError as missing:
        try:
            return [find_data_file(f) for f in LCB_OFFICIAL_V5_FILES]
        except DataError:
            raise DataError(f"{missing} Or run `recode data fetch livecodebench-v5` for the official files "
                            "with private tests.") from None
