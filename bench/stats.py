"""Percentiles within a run, medians and spreads across runs.

A figure in the report is the median of its per-run values with the
smallest and largest beside it (``median [min-max]``); a ratio is computed
per run against the baseline measured in the same round, and then
summarised the same way, so drift between rounds cancels out.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (``fraction`` in 0..1); NaN if empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Spread:
    """A figure over several runs."""

    median: float
    low: float
    high: float
    runs: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        finite = [v for v in values if not math.isnan(v)]
        if not finite:
            return cls(math.nan, math.nan, math.nan, 0)
        return cls(statistics.median(finite), min(finite), max(finite), len(finite))

    def format(self, digits: int = 0, unit: str = "") -> str:
        if self.runs == 0:
            return "n/a"
        value = _number(self.median, digits)
        if self.runs == 1:
            return f"{value}{unit}"
        low, high = _number(self.low, digits), _number(self.high, digits)
        return f"{value}{unit} [{low}–{high}]"


def ratios(values: Sequence[float], baselines: Sequence[float]) -> Spread:
    """Per-run ratios value/baseline (pairs from the same round)."""
    return Spread.of(
        [v / b for v, b in zip(values, baselines, strict=False) if b and b == b]
    )


def num(value: Any) -> float:
    """A figure from results.json; NaN where it is missing (None)."""
    return math.nan if value is None else float(value)


def _number(value: float, digits: int) -> str:
    if math.isnan(value):
        return "n/a"
    if digits == 0:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"
