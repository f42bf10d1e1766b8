"""Fixtures shared by every test package."""

from pathlib import Path

import pytest

from recode_rl.data.records import data_dir


@pytest.fixture
def shared_data() -> Path:
    root = data_dir()
    if not (root / "mbpp" / "mbpp.jsonl").exists():
        pytest.skip(f"shared benchmark data not found at {root} (set RECODE_DATA_DIR)")
    return root
