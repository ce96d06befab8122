"""The three rates (响应率 / 解决率 / 满意率) and the composite score
(DOMAIN.md, "Rates"). Defined once here; the accountability report and the
docs quote these definitions.

- response rate: first responses made on time / first responses due;
- resolution rate: evaluations judging the appeal resolved / evaluations;
- satisfaction rate: (satisfied + basically satisfied) / evaluations;
- composite: a weighted sum, by default 0.1 response + 0.5 resolution +
  0.4 satisfaction.

Evaluation windows that lapsed with no evaluation are left out of the
resolution and satisfaction rates and reported beside them. A rate with
nothing to divide is ``None`` (no data), never 0 or 100%.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class RateWeights:
    """Weights of the composite score; they must sum to 1."""

    response: float = 0.1
    resolution: float = 0.5
    satisfaction: float = 0.4

    def __post_init__(self) -> None:
        total = self.response + self.resolution + self.satisfaction
        if min(self.response, self.resolution, self.satisfaction) < 0 or (
            abs(total - 1) > 1e-9
        ):
            raise ValueError(f"rate weights must be non-negative and sum to 1: {self}")


def ratio(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def rates(counts: Mapping[str, int], weights: RateWeights) -> dict[str, float | None]:
    """The rates of one group's counters (keys as in accountability.COUNTERS)."""
    evaluated = counts.get("evaluated", 0)
    response = ratio(counts.get("responded_on_time", 0), counts.get("responses_due", 0))
    resolution = ratio(counts.get("judged_resolved", 0), evaluated)
    satisfaction = ratio(
        counts.get("satisfied", 0) + counts.get("basically_satisfied", 0), evaluated
    )
    parts = [
        (weights.response, response),
        (weights.resolution, resolution),
        (weights.satisfaction, satisfaction),
    ]
    known = [(w, r) for w, r in parts if r is not None]
    # With a rate missing, the others are reweighted so the score stays 0-1.
    weight = sum(w for w, _ in known)
    composite = (
        None if not known or weight == 0 else sum(w * r for w, r in known) / weight
    )
    return {
        "response_rate": response,
        "resolution_rate": resolution,
        "satisfaction_rate": satisfaction,
        "on_time_acceptance_rate": ratio(
            counts.get("accepted_on_time", 0), counts.get("accepted", 0)
        ),
        "on_time_resolution_rate": ratio(
            counts.get("resolved_on_time", 0), counts.get("resolved", 0)
        ),
        "composite": composite,
    }
