"""The scoring card (one dataclass, its JSON form) and the one sigmoid."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from recode_rl.errors import DataError
from recode_rl.reward_model.scoring import CARD_KEYS, DEFAULT_CARD, ScoringCard, read_card, sigmoid, write_card


def test_sigmoid_values_and_tails():
    assert sigmoid(0.0) == 0.5
    assert sigmoid(math.log(3)) == pytest.approx(0.75)   # 1 / (1 + 1/3)
    assert sigmoid(-math.log(3)) == pytest.approx(0.25)
    assert sigmoid(-1000.0) == 0.0 and sigmoid(1000.0) == 1.0  # no OverflowError


def test_card_render_is_single_pass():
    card = ScoringCard(template="P: {problem} | R: {reasoning}")
    # a problem that mentions "{reasoning}" must not get the reasoning spliced into it
    assert card.render("print {reasoning}", "think") == "P: print {reasoning} | R: think"


def test_card_roundtrip(tmp_path: Path):
    card = ScoringCard(template="Q {problem} A {reasoning}", max_length=64, truncation="right", backbone="tiny",
                       trained_on={"pairs": 3})
    path = write_card(tmp_path, card)
    assert set(json.loads(path.read_text())) == set(CARD_KEYS) == set(card.to_dict())
    assert read_card(tmp_path) == card == ScoringCard.from_dict(card.to_dict())
    assert read_card(path).source == str(path)
    assert ScoringCard.from_dict({"template": DEFAULT_CARD.template, "max_length": 1024,
                                  "truncation": "reasoning_middle"}) == DEFAULT_CARD


def test_card_is_validated_on_construction():
    with pytest.raises(ValueError, match="truncation"):
        ScoringCard(truncation="middle")
    with pytest.raises(ValueError, match="template"):
        ScoringCard(template="no slot")


def test_read_card_errors_name_the_file_and_key(tmp_path: Path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"template": "{problem} {reasoning}", "max_length": 8, "truncation": "middle"}))
    with pytest.raises(DataError, match=r"bad.json, field 'truncation'"):
        read_card(bad)
    bad.write_text(json.dumps({"template": "no slot", "max_length": 8, "truncation": "left"}))
    with pytest.raises(DataError, match="field 'template'"):
        read_card(bad)
    bad.write_text(json.dumps({"template": "{problem} {reasoning}", "truncation": "left"}))
    with pytest.raises(DataError, match="field 'max_length': missing"):
        read_card(bad)
    bad.write_text(json.dumps({"template": "{problem} {reasoning}", "max_length": True, "truncation": "left"}))
    with pytest.raises(DataError, match="field 'max_length'"):
        read_card(bad)
    bad.write_text(json.dumps({"template": "{problem} {reasoning}", "max_length": 8, "truncation": "left",
                               "mapping": "tanh"}))
    with pytest.raises(DataError, match="field 'mapping'"):
        read_card(bad)
    bad.write_text("{not json")
    with pytest.raises(DataError, match="not valid JSON"):
        read_card(bad)
    with pytest.raises(DataError, match="not found"):
        read_card(tmp_path / "missing.json")
