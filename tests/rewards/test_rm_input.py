"""One reward-model input on every path: the text it is trained on is the text it is scored on.

Training: CRPL pairs carry `prompt = problem_text(problem)` (statement + starter code), rendered
with the RM's scoring card. Scoring: `score_batch` (recode score, TRL, veRL), the TRL dataset
rows and the veRL parquet all hand the scorer `problem_text(problem)`; an `http` scorer renders
with the RM's own card, not a default one.
"""

from __future__ import annotations

import pytest

from recode_rl.data.schema import Problem
from recode_rl.execution.types import ExecutionResult, Verdict
from recode_rl.execution.types import TestResult as TR
from recode_rl.execution.types import TestSuite as Suite  # aliased: pytest would try to collect Test*
from recode_rl.prompts import problem_text
from recode_rl.reward_model.scoring import DEFAULT_CARD, ScoringCard, write_card
from recode_rl.rewards.config import ScorerConfig, http_card
from recode_rl.rewards.core import RewardConfig
from recode_rl.rewards.pipeline import score_batch
from recode_rl.rewards.trl_reward import ReCodeReward, trl_dataset_rows
from recode_rl.rewards.verl_data import verl_row
from recode_rl.synthesis.pairs import ProblemSynth, build_pairs

GCD = Problem(task_id="gcd", prompt="Implement g(a, b) returning the gcd.", starter_code="def g(a, b):\n    pass",
              tests=Suite(kind="functional", inputs=([4, 6],), outputs=(2,), fn_name="g"))
RESPONSE = "<think>Euclid: swap until b is 0.</think><answer>\n```python\ndef g(a, b):\n    return a\n```\n</answer>"
EXPECTED = "Implement g(a, b) returning the gcd.\n\nStarter code:\n```python\ndef g(a, b):\n    pass\n```"


class Recording:
    name = "recording"

    def __init__(self) -> None:
        self.problems: list[str] = []

    def score(self, problems, reasonings):
        self.problems += list(problems)
        return [0.5] * len(problems)


def _passing(jobs, limits=None, *, max_workers=None):
    return [ExecutionResult(Verdict.PASSED, [TR(Verdict.PASSED)] * len(tests)) for _, tests in jobs]


def test_training_pairs_and_every_scoring_path_use_the_same_problem_text():
    assert problem_text(GCD) == EXPECTED
    # what the RM is trained on: the CRPL pairs' prompt
    pairs, _ = build_pairs([ProblemSynth("gcd", problem_text(GCD), "gen", "t", ["t+ better"], ["t- worse"])],
                           ["opt>deg"])
    assert pairs[0]["prompt"] == EXPECTED
    # recode score / the pipeline
    scorer = Recording()
    score_batch([GCD], [RESPONSE], RewardConfig(kind="recode"), scorer, executor=_passing)
    assert scorer.problems == [EXPECTED]
    # TRL: rows -> the reward callable -> the scorer
    rows = trl_dataset_rows([GCD])
    assert rows[0]["problem"] == EXPECTED
    trl_scorer = Recording()
    reward = ReCodeReward(RewardConfig(kind="recode"), trl_scorer, executor=_passing)
    reward(prompts=[rows[0]["prompt"]], completions=[RESPONSE],
           **{k: [rows[0][k]] for k in ("problem", "tests", "program_prefix", "task_id")})
    assert trl_scorer.problems == [EXPECTED]
    # veRL: the parquet row's extra_info is what compute_score hands the scorer
    assert verl_row(GCD, 0)["extra_info"]["problem"] == EXPECTED
    # idempotent: a Problem rebuilt from that text (TRL, veRL) gives the same text again
    assert problem_text(Problem(task_id="x", prompt=EXPECTED, tests=GCD.tests)) == EXPECTED


def test_http_scorer_renders_with_the_reward_models_own_card(tmp_path, capsys):
    rm = tmp_path / "rm"
    rm.mkdir()
    own = ScoringCard(template="P: {problem}\nR: {reasoning}", max_length=4096, truncation="reasoning_middle")
    write_card(rm, own)
    url = "http://127.0.0.1:1/classify"
    assert http_card(ScorerConfig(kind="http", url=url, card=str(rm))) == own
    assert http_card(ScorerConfig(kind="http", url=url, model=str(rm))) == own   # vLLM serving the RM folder
    assert http_card(ScorerConfig(kind="http", url=url, model=str(rm), max_length=2048)).max_length == 2048
    assert capsys.readouterr().err == ""
    # no card known: the default, said loudly (only right for an RM trained with the default card)
    assert http_card(ScorerConfig(kind="http", url=url, model="crpl-rm")) == DEFAULT_CARD
    assert "no scoring card" in capsys.readouterr().err
    # our JSON protocol renders on the server (`serve-scorer` reads the RM folder's card): no warning
    http_card(ScorerConfig(kind="http", url="http://127.0.0.1:1/score"))
    assert capsys.readouterr().err == ""
    with pytest.raises(Exception):
        http_card(ScorerConfig(kind="http", url=url, card=str(tmp_path / "missing")))
