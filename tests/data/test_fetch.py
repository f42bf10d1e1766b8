"""`recode data fetch/list` against a local HTTP server: pins, resume, idempotence, loader fallback."""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from recode_rl.cli import main
from recode_rl.data import load_problems
from recode_rl.data.fetch import FETCHED_INDEX, fetch_dataset, list_datasets, load_manifest
from recode_rl.data.records import find_data_file
from recode_rl.errors import DataError

MATH = b'{"problem": "What is 1+1?", "answer": "2"}\n{"problem": "What is 2+3?", "answer": "5"}\n'


class _Server:
    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.requests: list[tuple[str, str | None]] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                rng = self.headers.get("Range")
                server.requests.append((self.path, rng))
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                start = int(rng.split("=")[1].split("-")[0]) if rng else 0
                self.send_response(206 if rng else 200)
                self.send_header("Content-Length", str(len(body) - start))
                self.end_headers()
                self.wfile.write(body[start:])

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def server() -> Iterator[_Server]:
    s = _Server({"/math.jsonl": MATH, "/other.jsonl": b'{"x": 1}\n'})
    yield s
    s.httpd.shutdown()


def _manifest(tmp_path: Path, server: _Server, sha: str | None = hashlib.sha256(MATH).hexdigest()) -> Path:
    tree = {"datasets": {
        "math500": {"description": "tiny", "source": "local", "revision": "r1", "license": "MIT",
                    "files": [{"path": "math500/test.jsonl", "url": server.url + "/math.jsonl", "sha256": sha}]},
        "other": {"description": "x", "source": "local", "revision": "main", "includes": ["math500"],
                  "files": [{"path": "other/o.jsonl", "url": server.url + "/other.jsonl", "sha256": None}]},
    }}
    p = tmp_path / "sources.yaml"
    p.write_text(yaml.safe_dump(tree))
    return p


def test_fetch_verifies_writes_provenance_and_is_idempotent(tmp_path, server):
    manifest = load_manifest(_manifest(tmp_path, server))
    root = tmp_path / "data"
    [path] = fetch_dataset(["math500"], root, manifest=manifest, log=lambda _: None)
    assert path == root / "math500/test.jsonl" and path.read_bytes() == MATH
    index = json.loads((root / FETCHED_INDEX).read_text())
    assert index["math500/test.jsonl"]["pinned"] is True and index["math500/test.jsonl"]["revision"] == "r1"
    n = len(server.requests)
    fetch_dataset(["math500"], root, manifest=manifest, log=lambda _: None)
    assert len(server.requests) == n  # present with the right hash: no download


def test_sha256_mismatch_is_an_error_and_leaves_nothing(tmp_path, server):
    manifest = load_manifest(_manifest(tmp_path, server, sha="0" * 64))
    with pytest.raises(DataError, match="sha256 mismatch for math500/test.jsonl"):
        fetch_dataset(["math500"], tmp_path / "data", manifest=manifest, log=lambda _: None)
    assert not (tmp_path / "data/math500/test.jsonl").exists()
    assert not (tmp_path / "data/math500/test.jsonl.part").exists()


def test_resume_from_a_partial_download(tmp_path, server):
    manifest = load_manifest(_manifest(tmp_path, server))
    part = tmp_path / "data/math500/test.jsonl.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(MATH[:10])
    fetch_dataset(["math500"], tmp_path / "data", manifest=manifest, log=lambda _: None)
    assert (tmp_path / "data/math500/test.jsonl").read_bytes() == MATH
    assert server.requests[-1] == ("/math.jsonl", "bytes=10-")


def test_unpinned_file_prints_its_hash_and_includes_are_fetched(tmp_path, server):
    manifest = load_manifest(_manifest(tmp_path, server))
    lines: list[str] = []
    paths = fetch_dataset(["other"], tmp_path / "data", manifest=manifest, log=lines.append)
    assert [p.relative_to(tmp_path / "data").as_posix() for p in paths] == ["math500/test.jsonl", "other/o.jsonl"]
    digest = hashlib.sha256(b'{"x": 1}\n').hexdigest()
    assert any("UNPINNED" in line and digest in line for line in lines)
    assert json.loads((tmp_path / "data" / FETCHED_INDEX).read_text())["other/o.jsonl"]["pinned"] is False


def test_cli_fetch_list_and_loader_fallback_to_the_cache(tmp_path, server, monkeypatch, capsys):
    monkeypatch.setenv("RECODE_DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("RECODE_CACHE_DIR", str(tmp_path / "cache"))
    manifest = _manifest(tmp_path, server)
    # before: the loader's error names the exact fetch command (from the packaged manifest)
    with pytest.raises(DataError, match=r"recode data fetch math500"):
        load_problems("math500")
    assert main(["data", "fetch", "math500", f"manifest={manifest}"]) == 0
    assert (tmp_path / "cache/data/math500/test.jsonl").exists()
    assert [p.answer for p in load_problems("math500")] == ["2", "5"]
    assert find_data_file("math500/test.jsonl") == tmp_path / "cache/data/math500/test.jsonl"
    capsys.readouterr()
    assert main(["data", "list", f"manifest={manifest}", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out.strip().splitlines()[-1])}
    assert rows["math500"]["present"] and rows["math500"]["files"][0]["location"].startswith(str(tmp_path / "cache"))
    assert not rows["other"]["present"] and rows["other"]["revision"] == "main"
    assert main(["data", "fetch", "nope", f"manifest={manifest}"]) == 2


def test_packaged_manifest_covers_the_loaders_and_its_pins_match_the_shared_data(shared_data):
    """Every file a loader asks for is fetchable; every pinned hash agrees with our verified copy."""
    from recode_rl.data.bigcodebench import BIGCODEBENCH_FILES
    from recode_rl.data.evalplus import HUMANEVAL_PLUS_FILE, MBPP_PLUS_FILE
    from recode_rl.data.livecodebench import LCB_OFFICIAL_V5_FILES
    from recode_rl.data.math import MATH_FILES
    from recode_rl.data.mbpp import MBPP_FILE
    from recode_rl.data.rllm import RLLM_FILES

    manifest = load_manifest()
    provided = {f.path: f for d in manifest.values() for f in d.files}
    wanted = [HUMANEVAL_PLUS_FILE, MBPP_PLUS_FILE, MBPP_FILE, *MATH_FILES.values(), *RLLM_FILES.values(),
              *BIGCODEBENCH_FILES.values(), *LCB_OFFICIAL_V5_FILES]
    assert [w for w in wanted if w not in provided] == []
    for name in ("livecodebench-v6", "dapo-math-17k", "deepcoder-taco", "rewardbench", "bigcodebench-hard"):
        assert name in manifest
    checked = 0
    for f in provided.values():
        assert f.url.startswith("https://")
        local = shared_data / f.path
        if f.sha256 and local.exists():
            assert hashlib.sha256(local.read_bytes()).hexdigest() == f.sha256, f.path
            checked += 1
    assert checked >= 12
    rows = list_datasets([shared_data], manifest=manifest)
    assert next(r for r in rows if r["name"] == "mbpp")["present"]


def test_livecodebench_falls_back_to_the_fetched_official_files(tmp_path, monkeypatch):
    from recode_rl.data.livecodebench import LCB_OFFICIAL_FILES, LCB_OFFICIAL_V5_FILES, load_livecodebench

    monkeypatch.setenv("RECODE_DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("RECODE_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(DataError, match="recode data fetch livecodebench-v5"):
        load_livecodebench()
    tests = json.dumps([{"input": "1\n", "output": "1\n", "testtype": "stdin"}])
    for i, rel in enumerate(LCB_OFFICIAL_FILES["v6"]):
        rec = {"question_title": "t", "question_content": "echo", "platform": "atcoder", "question_id": f"q{i}",
               "contest_id": "c", "contest_date": f"2024-1{i % 3}-05T00:00:00", "starter_code": "", "difficulty": "easy",
               "public_test_cases": tests, "private_test_cases": tests, "metadata": "{}"}
        path = tmp_path / "cache/data" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(rec) + "\n")
    assert LCB_OFFICIAL_V5_FILES == LCB_OFFICIAL_FILES["v6"][:5]
    problems = load_livecodebench(start="2024-10-01", end="2024-11-30")
    assert [p.task_id for p in problems] == ["q0", "q1", "q3", "q4"]  # release_v5 = test..test5
    assert all(p.metadata["n_private"] == 1 for p in problems)
    assert [p.task_id for p in load_livecodebench(release="v6")] == [f"q{i}" for i in range(6)]
