"""The exploitable probe scorers: hand-computed scores, through the `import` scorer path the twin uses."""

import pytest

from recode_rl.rewards.config import ScorerConfig, build_scorer
from recode_rl.rewards.probes import KeywordScorer, LengthScorer


def test_length_scorer_by_hand():
    s = LengthScorer(target_words=4)
    assert s.score(["p", "p", "p"], ["", "one two", "a b c d e f"]) == [0.0, 0.5, 1.0]
    with pytest.raises(ValueError):
        s.score(["p"], [])
    with pytest.raises(ValueError):
        LengthScorer(target_words=0)


def test_keyword_scorer_counts_whole_words_case_insensitively():
    s = KeywordScorer(target_hits=4)
    assert s.score(["p", "p"], ["Verify each STEP, check: checked", "nothing here"]) == [0.75, 0.0]


def test_built_through_the_import_scorer_config():
    scorer = build_scorer(ScorerConfig(kind="import", factory="recode_rl.rewards.probes:LengthScorer",
                                       kwargs={"target_words": 2}))
    assert scorer.score(["p"], ["a b c"]) == [1.0]
