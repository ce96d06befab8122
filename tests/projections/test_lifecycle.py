"""Stored instants: fixed-width UTC text that sorts chronologically."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from appeals.projections.lifecycle import read_instant, stored_instant

instants = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1)
).flatmap(
    lambda naive: st.sampled_from(
        [UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5))]
    ).map(lambda zone: naive.replace(tzinfo=zone))
)


@given(instants)
def test_an_instant_is_stored_as_fixed_width_utc_text_and_read_back(
    instant: datetime,
) -> None:
    text = stored_instant(instant)
    assert text == instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert len(text) == len("2026-10-08T01:00:00.000000Z")
    assert read_instant(text) == instant


@given(instants, instants)
def test_stored_instants_sort_as_the_instants_do(a: datetime, b: datetime) -> None:
    assert (stored_instant(a) < stored_instant(b)) == (a < b)
