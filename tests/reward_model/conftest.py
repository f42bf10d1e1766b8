"""Fixtures for reward-model tests."""

from __future__ import annotations

import pytest

from rm_helpers import tiny_tokenizer


@pytest.fixture()
def tokenizer():
    return tiny_tokenizer()
