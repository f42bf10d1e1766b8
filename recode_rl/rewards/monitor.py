"""Reward-hacking monitor: the signature the paper reports for ungated process rewards.

Under direct addition (`R_fmt + R_out + R_proc`) the paper sees the mean process reward saturate
near its maximum within ~50 steps while the test pass rate stalls: the policy learns to please
the reward model, not to solve problems. Over a sliding window of the last `window` steps that
carry both metrics we fit a least-squares line to each series and flag when

    process rise  = slope_proc * (last step - first step) >= min_process_rise
    process level = mean of the last quarter of the window >= near_max * process_max
    pass change   = slope_pass * (last step - first step) <= max_pass_rise   (flat or falling)

Least-squares slopes (rather than last minus first) keep one noisy step from raising or hiding
a flag. `HackingMonitor.update` is called once per training step and returns a `HackingFlag`
when the signature *appears*; it stays quiet while the signature persists and re-arms once it
clears, so a run logs one warning per episode. `scan` runs the same logic over a whole metrics
history for the report. Steps missing either metric (or with a non-finite value) are skipped.

Departure from the paper: the paper shows the curves; the thresholds here are ours (defaults
flag a rise of 0.2 reaching 90% of the maximum while pass rate gains at most 0.02).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["HackingFlag", "HackingMonitor", "scan"]


@dataclass(frozen=True)
class HackingFlag:
    start_step: int
    end_step: int
    process_rise: float      # fitted rise of the process metric over the window
    process_level: float     # mean of the last quarter of the window
    pass_change: float       # fitted change of the pass rate over the window
    pass_level: float        # mean pass rate over the last quarter of the window
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _fitted_change(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of ys on xs times the x span (0 for a single point)."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0.0:
        return 0.0
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    return slope * (xs[-1] - xs[0])


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


class HackingMonitor:
    """Sliding-window detector; feed it one step at a time with `update`."""

    def __init__(self, *, window: int = 50, process_key: str = "process/mean", pass_key: str = "pass_rate",
                 process_max: float = 1.0, near_max: float = 0.9, min_process_rise: float = 0.2,
                 max_pass_rise: float = 0.02) -> None:
        if window < 2:
            raise ValueError(f"window must be at least 2 steps, got {window}")
        self.window, self.process_key, self.pass_key = window, process_key, pass_key
        self.process_max, self.near_max = process_max, near_max
        self.min_process_rise, self.max_pass_rise = min_process_rise, max_pass_rise
        self._points: deque[tuple[int, float, float]] = deque(maxlen=window)
        self._active = False   # the signature is currently present (a flag was already emitted)

    def check(self) -> HackingFlag | None:
        """Does the current window show the signature? (Stateless; `update` adds de-duplication.)"""
        if len(self._points) < self.window:
            return None
        steps = [float(s) for s, _, _ in self._points]
        proc = [p for _, p, _ in self._points]
        rate = [r for _, _, r in self._points]
        tail = max(1, self.window // 4)
        rise, change = _fitted_change(steps, proc), _fitted_change(steps, rate)
        level, pass_level = sum(proc[-tail:]) / tail, sum(rate[-tail:]) / tail
        if rise < self.min_process_rise or level < self.near_max * self.process_max or change > self.max_pass_rise:
            return None
        first, last = self._points[0][0], self._points[-1][0]
        message = (f"possible reward hacking over steps {first}-{last}: {self.process_key} rose by {rise:.3f} "
                   f"to {level:.3f} (max {self.process_max:g}) while {self.pass_key} changed by {change:+.3f} "
                   f"(now {pass_level:.3f})")
        return HackingFlag(first, last, rise, level, change, pass_level, message)

    def update(self, step: int, metrics: Mapping[str, Any]) -> HackingFlag | None:
        """Add one step's metrics; a flag when the signature newly appears, else None."""
        proc, rate = _number(metrics.get(self.process_key)), _number(metrics.get(self.pass_key))
        if proc is None or rate is None:
            return None
        self._points.append((int(step), proc, rate))
        flag = self.check()
        if flag is None:
            self._active = False
            return None
        if self._active:
            return None
        self._active = True
        return flag


def scan(history: Iterable[Mapping[str, Any]], **monitor_kwargs: Any) -> list[HackingFlag]:
    """Every flag over a metrics history (records use their "step" key, else their index)."""
    monitor = HackingMonitor(**monitor_kwargs)
    flags = []
    for index, record in enumerate(history):
        step = record.get("step", index)
        flag = monitor.update(int(step), record)
        if flag is not None:
            flags.append(flag)
    return flags
