"""Fixtures shared by every test package."""

import os
from pathlib import Path

# One BLAS/OpenMP thread per process: the tests' models are tiny, and on a busy 2-core machine
# (CI beside other jobs) multi-threaded kernels spin against each other and run several times slower.
# Set before any test module imports torch; subprocesses (CLI tests) inherit it.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import pytest

from recode_rl.data.records import data_dir


@pytest.fixture
def shared_data() -> Path:
    root = data_dir()
    if not (root / "mbpp" / "mbpp.jsonl").exists():
        pytest.skip(f"shared benchmark data not found at {root} (set RECODE_DATA_DIR)")
    return root
