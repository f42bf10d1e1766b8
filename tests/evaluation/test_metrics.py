import math

import pytest

from recode_rl.evaluation.metrics import aggregate, mean_pass_at_k, pass_at_k, per_task_counts


def test_pass_at_k_hand_computed():
    # n=5, c=2: pass@1 = c/n = 0.4
    assert pass_at_k(5, 2, 1) == pytest.approx(0.4)
    # pass@2 = 1 - C(3,2)/C(5,2) = 1 - 3/10 = 0.7
    assert pass_at_k(5, 2, 2) == pytest.approx(0.7)
    # n=10, c=3, k=5: 1 - C(7,5)/C(10,5) = 1 - 21/252 = 0.916666...
    assert pass_at_k(10, 3, 5) == pytest.approx(1 - 21 / 252)
    assert pass_at_k(3, 0, 2) == 0.0
    assert pass_at_k(4, 3, 2) == 1.0   # only one failing sample: any 2 contain a pass
    assert pass_at_k(1, 1, 1) == 1.0


def test_pass_at_k_matches_combinatorial_formula():
    for n in range(1, 9):
        for c in range(n + 1):
            for k in range(1, n + 1):
                exact = 1 - math.comb(n - c, k) / math.comb(n, k)
                assert pass_at_k(n, c, k) == pytest.approx(exact)


def test_pass_at_k_rejects_bad_arguments():
    with pytest.raises(ValueError):
        pass_at_k(3, 4, 1)
    with pytest.raises(ValueError):
        pass_at_k(3, 1, 4)


def test_aggregate_by_difficulty_and_tokens():
    recs = [
        {"task_id": "a", "passed": True, "difficulty": "easy", "completion_tokens": 10},
        {"task_id": "a", "passed": False, "difficulty": "easy", "completion_tokens": 20},
        {"task_id": "b", "passed": False, "difficulty": "hard", "completion_tokens": 30},
        {"task_id": "b", "passed": False, "difficulty": "hard", "completion_tokens": None},
    ]
    s = aggregate(recs, ks=(1, 2))
    # task a: pass@1 = 1/2, pass@2 = 1; task b: 0, 0 -> means 25% and 50%
    assert s["pass@1"] == pytest.approx(25.0)
    assert s["pass@2"] == pytest.approx(50.0)
    assert s["mean_tokens"] == pytest.approx(20.0) and s["tokens_unknown"] == 1
    assert s["by_difficulty"]["easy"]["pass@1"] == pytest.approx(50.0)
    assert s["by_difficulty"]["easy"]["mean_tokens"] == pytest.approx(15.0)
    assert s["by_difficulty"]["hard"]["pass@2"] == 0.0


def test_mean_pass_at_k_refuses_uneven_sample_counts():
    counts = per_task_counts([{"task_id": "a", "passed": True}, {"task_id": "a", "passed": True},
                              {"task_id": "b", "passed": False}])
    assert counts == {"a": (2, 2), "b": (1, 0)}
    with pytest.raises(ValueError):
        mean_pass_at_k(counts, 2)
