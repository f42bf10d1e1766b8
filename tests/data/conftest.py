"""Shared fixtures: the offline benchmark data (skip when absent) and a private cache dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from recode_rl.data.records import data_dir


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    # EvalPlus expected outputs are cached under RECODE_CACHE_DIR; keep tests off ~/.cache.
    monkeypatch.setenv("RECODE_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "recode-cache"))


@pytest.fixture
def shared_data() -> Path:
    root = data_dir()
    if not (root / "mbpp" / "mbpp.jsonl").exists():
        pytest.skip(f"shared benchmark data not found at {root} (set RECODE_DATA_DIR)")
    return root
