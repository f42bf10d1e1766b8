"""Reward-hacking monitor (recode_rl.rewards.monitor)."""

from __future__ import annotations

import math

import pytest

from recode_rl.rewards.monitor import HackingMonitor, _fitted_change, scan


def rising(s: int, start: int = 0) -> float:
    """Process mean 0.5 at `start`, +0.05 per step, saturating at 1.0 ten steps later."""
    return min(1.0, 0.5 + 0.05 * (s - start))


def run(pass_rate, steps: int = 30, process=rising) -> list[dict]:
    return [{"step": s, "process/mean": process(s), "pass_rate": pass_rate(s)} for s in range(steps)]


def test_fitted_change_is_slope_times_span():
    # y = 2x + 1 on x = 0..4: slope 2, span 4 -> 8; a constant series -> 0; one point -> 0.
    assert _fitted_change([0, 1, 2, 3, 4], [1, 3, 5, 7, 9]) == pytest.approx(8.0)
    assert _fitted_change([0, 1, 2], [5, 5, 5]) == 0.0
    assert _fitted_change([3], [1]) == 0.0


def test_flags_the_hacking_signature_once_with_its_numbers():
    flags = scan(run(lambda s: 0.3), window=10)
    # First full window = steps 0..9: process 0.50..0.95 linear -> fitted rise 0.05 * 9 = 0.45 >= 0.2;
    # level = mean of the last 10 // 4 = 2 points = (0.90 + 0.95) / 2 = 0.925 >= 0.9 * 1.0;
    # pass-rate change 0 <= 0.02. Later windows keep the signature (no new flag) until the
    # all-saturated window 10..19 (rise 0) clears it; nothing rises again -> exactly one flag.
    assert len(flags) == 1
    f = flags[0]
    assert (f.start_step, f.end_step) == (0, 9)
    assert f.process_rise == pytest.approx(0.45)
    assert f.process_level == pytest.approx(0.925)
    assert f.pass_change == pytest.approx(0.0, abs=1e-12)
    assert f.pass_level == pytest.approx(0.3)
    assert "steps 0-9" in f.message and "process/mean" in f.message
    assert f.to_dict()["end_step"] == 9


def test_healthy_run_is_not_flagged():
    # Pass rate 0.30 + 0.01/step: change over 9 steps = 0.09 > 0.02.
    assert scan(run(lambda s: 0.3 + 0.01 * s), window=10) == []


def test_falling_pass_rate_is_flagged():
    # Pass rate 0.5 - 0.01/step: change -0.09 <= 0.02 -> flat-or-falling counts.
    flags = scan(run(lambda s: 0.5 - 0.01 * s), window=10)
    assert len(flags) == 1 and flags[0].pass_change == pytest.approx(-0.09)


def test_level_is_relative_to_the_process_maximum():
    # Same run, but scores live in [0, 2]: level 0.925 < 0.9 * 2 -> no flag.
    assert scan(run(lambda s: 0.3), window=10, process_max=2.0) == []


def test_rearms_after_the_signature_clears():
    # Rise 0..9, plateau, drop to 0.5 at step 30, rise again 30..39.
    process = lambda s: rising(s, 0) if s < 30 else rising(s, 30)  # noqa: E731
    flags = scan(run(lambda s: 0.3, steps=60, process=process), window=10)
    assert [(f.start_step, f.end_step) for f in flags] == [(0, 9), (30, 39)]


def test_update_skips_steps_without_both_metrics():
    m = HackingMonitor(window=3)
    assert m.update(0, {"process/mean": 0.5, "pass_rate": 0.3}) is None
    assert m.update(1, {"process/mean": 0.7}) is None                               # no pass rate
    assert m.update(1, {"process/mean": math.nan, "pass_rate": 0.3}) is None        # not finite
    assert m.update(1, {"process/mean": 0.75, "pass_rate": 0.3}) is None            # 2 of 3 points
    # Steps 0,1,2 with process 0.5, 0.75, 1.0: rise 0.25 * 2 = 0.5; level = last 1 point = 1.0.
    flag = m.update(2, {"process/mean": 1.0, "pass_rate": 0.3})
    assert flag is not None and flag.process_rise == pytest.approx(0.5) and flag.process_level == 1.0
    assert m.update(3, {"process/mean": 1.0, "pass_rate": 0.3}) is None             # still active: quiet


def test_custom_keys_and_thresholds():
    history = [{"rm": 0.5 + 0.05 * s, "acc": 0.3} for s in range(10)]
    assert scan(history, window=10, process_key="rm", pass_key="acc")               # index used as step
    assert not scan(history, window=10, process_key="rm", pass_key="acc", min_process_rise=0.5)


def test_window_must_be_at_least_two():
    with pytest.raises(ValueError, match="window"):
        HackingMonitor(window=1)
