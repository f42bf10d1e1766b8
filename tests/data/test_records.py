"""Reading and writing records: formats, the blank/torn-line policy, errors naming file, line and field."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from recode_rl.data.records import (Where, append_records, find_data_file, get_str, get_str_list, load_records,
                                    read_records, repair_torn_tail, write_records)
from recode_rl.errors import DataError


def test_jsonl_skips_blank_lines_and_reports_line_numbers(tmp_path: Path) -> None:
    f = tmp_path / "a.jsonl"
    f.write_text('{"x": 1}\n\n{"x": 2}\n')
    got = [(str(w), r["x"]) for w, r in read_records(f)]
    assert got == [("a.jsonl, line 1", 1), ("a.jsonl, line 3", 2)]


def test_gzip_json_list_and_dict_layouts(tmp_path: Path) -> None:
    gz = tmp_path / "b.jsonl.gz"
    with gzip.open(gz, "wt") as fh:
        fh.write('{"x": 1}\n')
    assert [r for _, r in read_records(gz)] == [{"x": 1}]
    lst = tmp_path / "c.json"
    lst.write_text(json.dumps([{"x": 1}, {"x": 2}]))
    assert [str(w) for w, _ in read_records(lst)] == ["c.json, record 0", "c.json, record 1"]
    wrapped = tmp_path / "d.json"
    wrapped.write_text(json.dumps({"data": [{"x": 3}]}))
    assert [r for _, r in read_records(wrapped)] == [{"x": 3}]
    keyed = tmp_path / "e.json"
    keyed.write_text(json.dumps({"t1": {"x": 4}}))
    assert [r for _, r in read_records(keyed)] == [{"task_id": "t1", "x": 4}]


def test_parquet(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    f = tmp_path / "p.parquet"
    pq.write_table(pa.Table.from_pylist([{"x": 1}, {"x": 2}]), f)
    assert [r["x"] for _, r in read_records(f)] == [1, 2]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.jsonl", '{"x": 1}\n{"x": \n', "bad.jsonl, line 2: invalid JSON"),
        ("list.jsonl", "[1, 2]\n", "list.jsonl, line 1: expected a JSON object, got list"),
        ("scalar.json", "3", "scalar.json: expected a JSON list of records, got int"),
        ("x.csv", "a,b\n", "unknown file type"),
    ],
)
def test_malformed_files(tmp_path: Path, name: str, content: str, message: str) -> None:
    f = tmp_path / name
    f.write_text(content)
    with pytest.raises(DataError, match=message):
        list(read_records(f))


def test_field_errors_name_field() -> None:
    where = Where("mbpp.jsonl", line=17)
    with pytest.raises(DataError, match=r"^mbpp.jsonl, line 17, field 'test_list': expected a list of strings$"):
        get_str_list({"test_list": ["assert f(1) == 1", 3]}, "test_list", where)
    with pytest.raises(DataError, match=r"field 'prompt': missing"):
        get_str({}, "prompt", where)
    assert get_str({"task_id": 7}, "task_id", where) == "7"
    assert get_str({"starter_code": None}, "starter_code", where, default="") == ""


def test_missing_data_file_says_which_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECODE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RECODE_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(DataError, match="RECODE_DATA_DIR") as err:
        find_data_file("mbpp/mbpp.jsonl")
    assert "mbpp/mbpp.jsonl" in str(err.value) and "`recode data fetch mbpp`" in str(err.value)


def test_whitespace_only_lines_are_blank(tmp_path: Path) -> None:
    f = tmp_path / "w.jsonl"
    f.write_text('  \t\n{"x": 1}\r\n \n{"x": 2}')  # CRLF and a last line without newline are fine
    assert [(w.line, r["x"]) for w, r in read_records(f)] == [(2, 1), (4, 2)]


@pytest.mark.parametrize("torn_tail", [False, True])
def test_bad_middle_line_is_always_an_error(tmp_path: Path, torn_tail: bool) -> None:
    f = tmp_path / "m.jsonl"
    f.write_text('{"x": 1}\n{"x": \n{"x": 3}\n')
    with pytest.raises(DataError, match=r"^m.jsonl, line 2: invalid JSON"):
        load_records(f, torn_tail=torn_tail)


def test_torn_last_line(tmp_path: Path) -> None:
    f = tmp_path / "t.jsonl"
    f.write_text('{"x": 1}\n{"x": 2}\n{"x": ')  # a writer crashed mid-line
    with pytest.raises(DataError, match="t.jsonl, line 3: invalid JSON"):
        load_records(f)
    assert load_records(f, torn_tail=True) == [{"x": 1}, {"x": 2}]
    # a complete (newline-terminated) bad last line is not torn: still an error
    f.write_text('{"x": 1}\nnot json\n')
    with pytest.raises(DataError, match="t.jsonl, line 2: invalid JSON"):
        load_records(f, torn_tail=True)


def test_write_append_repair_round_trip(tmp_path: Path) -> None:
    f = write_records(tmp_path / "sub" / "r.jsonl", [{"x": 1, "s": "é"}])
    assert load_records(f) == [{"x": 1, "s": "é"}] and not (tmp_path / "sub" / "r.jsonl.tmp").exists()
    gz = write_records(tmp_path / "r.jsonl.gz", [{"x": 1}, {"x": 2}])
    assert load_records(gz) == [{"x": 1}, {"x": 2}]
    with f.open("a", encoding="utf-8") as fh:
        append_records(fh, [{"x": 2}])
        fh.write('{"x": 3')  # torn
    assert repair_torn_tail(f) is True and repair_torn_tail(f) is False
    assert load_records(f) == [{"x": 1, "s": "é"}, {"x": 2}]
    assert load_records(tmp_path / "missing.jsonl", missing_ok=True) == []
    with pytest.raises(DataError, match="file not found"):
        load_records(tmp_path / "missing.jsonl")
