"""The accountability report's descriptive rates (docs/domain.md, "Rates"), over
what happened in a period: of the first responses that came due, of the
acceptances and resolutions made, of the evaluations recorded.

- response rate: first responses made on time / first responses due;
- resolution rate: evaluations judging the appeal resolved / evaluations;
- satisfaction rate: (satisfied + basically satisfied) / evaluations;
- on-time acceptance and resolution: on time / done.

They describe activity; they rank nobody. The ranking of units and cadres is
the assessment's (appeals.domain.assessment), whose denominators are what was
due, open and late stages included, under a published, versioned scheme. A
rate with nothing to divide is ``None`` (no data), never 0 or 100%.
"""

from __future__ import annotations

from collections.abc import Mapping


def ratio(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def rates(counts: Mapping[str, int]) -> dict[str, float | None]:
    """The rates of one group's counters (keys as in accountability.COUNTERS)."""
    evaluated = counts.get("evaluated", 0)
    return {
        "response_rate": ratio(
            counts.get("responded_on_time", 0), counts.get("responses_due", 0)
        ),
        "resolution_rate": ratio(counts.get("judged_resolved", 0), evaluated),
        "satisfaction_rate": ratio(
            counts.get("satisfied", 0) + counts.get("basically_satisfied", 0),
            evaluated,
        ),
        "on_time_acceptance_rate": ratio(
            counts.get("accepted_on_time", 0), counts.get("accepted", 0)
        ),
        "on_time_resolution_rate": ratio(
            counts.get("resolved_on_time", 0), counts.get("resolved", 0)
        ),
    }
