"""Shared fixtures: the offline benchmark data (skip when absent) and a private cache dir."""

from __future__ import annotations


import pytest



@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    # EvalPlus expected outputs are cached under RECODE_CACHE_DIR; keep tests off ~/.cache.
    monkeypatch.setenv("RECODE_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "recode-cache"))


