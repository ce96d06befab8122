"""The assessment engine on hand-built facts (November 2026, assessed on
1 December): every denominator is what was due, so ignoring an appeal never
helps (the issue's D1–D7), and the ranking shares ties, sets the centre
apart, and ranks nobody on too few cases or a missing indicator."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from itertools import count
from pathlib import Path

import pytest

from appeals.domain.assessment import (
    Activity,
    CycleFact,
    Period,
    Row,
    Scheme,
    Weighting,
    assess,
    digest,
)
from appeals.domain.errors import InvalidField
from appeals.domain.identities import CENTRE_UNIT
from appeals.infra.assessment_scheme import (
    SchemeFileError,
    load_scheme,
    parse_scheme,
    scheme_of,
)
from appeals.infra.clock import SHANGHAI
from appeals.infra.settings import ConfigurationError, Settings

NOVEMBER = Period(2026, 11)
AS_OF = datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)
DUE = datetime(2026, 11, 10, 17, 30, tzinfo=SHANGHAI)
numbers = count(1)

# Only the three rates count (the default scheme's weights), no floor, and a
# sample of 1, unless a test says otherwise.
SCHEME = Scheme(
    version="test-1",
    name="测试",
    source="tests",
    min_sample=1,
    weights={
        "response_rate": Weighting(0.3),
        "on_time_resolution_rate": Weighting(0.35),
        "satisfaction_rate": Weighting(0.35),
    },
)


def cycle(
    stage: str,
    unit: str = "SZ-A",
    *,
    done: timedelta | None = timedelta(hours=-1),
    ended_by: str | None = None,
    ended: timedelta | None = None,
    cadre: str | None = "C-1",
    due: datetime = DUE,
    appeal: str | None = None,
    **verdict: object,
) -> CycleFact:
    """A cycle due at ``due``; ``done``: completed that long after the
    deadline (negative: before; None: not completed)."""
    return CycleFact(
        appeal_id=appeal or f"a{next(numbers)}",
        stage=stage,
        cycle=1,
        unit=unit,
        cadre=cadre,
        category="tax",
        locality="320583",
        started_at=due - timedelta(days=5),
        due=due,
        completed_at=None if done is None else due + done,
        ended_by=ended_by,
        ended_at=None if ended is None else due + ended,
        **verdict,  # type: ignore[arg-type]
    )


def resolved(unit: str = "SZ-A", late: bool = False, **kw: object) -> CycleFact:
    """A resolve cycle met (or late), judged resolved and satisfied."""
    return cycle(
        "resolve",
        unit,
        done=timedelta(days=2) if late else timedelta(hours=-1),
        verdict_resolved=True,
        verdict_satisfaction="satisfied",
        **kw,
    )


def by_unit(*facts: CycleFact, scheme: Scheme = SCHEME) -> dict[str, Row]:
    rows = assess(facts, [], scheme, NOVEMBER, AS_OF, SHANGHAI, "unit")
    return {row.key[0]: row for row in rows}


def test_an_ignored_appeal_lowers_every_rate_of_its_unit() -> None:
    """D1, D2: a resolve cycle nobody met is due: on-time resolution and
    completion fall to 1/2, and with no result there is no verdict, so it is
    counted unresolved and unsatisfied (1/2), not left out."""
    response = cycle("first_response")
    diligent = by_unit(response, resolved(), resolved())["SZ-A"]
    ignoring = by_unit(response, resolved(), cycle("resolve", done=None))["SZ-A"]
    assert diligent.values["on_time_resolution_rate"] == 1.0
    assert ignoring.values["on_time_resolution_rate"] == 0.5
    assert ignoring.values["completion_rate"] == 0.5
    assert ignoring.values["resolution_rate"] == 0.5
    assert ignoring.values["satisfaction_rate"] == 0.5
    assert ignoring.samples["satisfaction_rate"] == [1, 2]
    # 0.3 + 0.35 × 1/2 + 0.35 × 1/2 = 0.65, against 1.0
    assert ignoring.score == pytest.approx(0.65)
    assert diligent.score == pytest.approx(1.0)


def test_a_late_resolution_counts_as_done_but_not_on_time() -> None:
    row = by_unit(resolved(late=True), resolved())["SZ-A"]
    assert row.values["on_time_resolution_rate"] == 0.5
    assert row.values["completion_rate"] == 1.0


def test_an_open_overdue_first_response_is_missed() -> None:
    row = by_unit(cycle("first_response"), cycle("first_response", done=None))["SZ-A"]
    assert row.samples["response_rate"] == [1, 2]


@pytest.mark.parametrize("ending", ["withdrawn", "merged", "returned"])
def test_an_appeal_ended_before_its_deadline_is_not_due_but_after_it_is(
    ending: str,
) -> None:
    """D3: ended by withdrawal, merge or return before the deadline: not
    due; after the deadline: due and missed."""
    early = cycle("first_response", done=None, ended_by=ending, ended=-timedelta(1))
    late = cycle("first_response", done=None, ended_by=ending, ended=timedelta(1))
    assert by_unit(cycle("first_response"), early)["SZ-A"].samples["response_rate"] == [
        1,
        1,
    ]
    assert by_unit(cycle("first_response"), late)["SZ-A"].samples["response_rate"] == [
        1,
        2,
    ]


def test_a_cycle_due_after_the_assessment_or_outside_the_month_is_not_counted() -> None:
    in_december = cycle(
        "resolve", done=None, due=datetime(2026, 12, 2, tzinfo=SHANGHAI)
    )
    in_october = cycle(
        "resolve", done=None, due=datetime(2026, 10, 30, tzinfo=SHANGHAI)
    )
    row = by_unit(resolved(), in_december, in_october)["SZ-A"]
    assert row.samples["on_time_resolution_rate"] == [1, 1]
    end_of_month = resolved(due=datetime(2026, 11, 30, 17, 30, tzinfo=SHANGHAI))
    on_20_november = datetime(2026, 11, 20, tzinfo=SHANGHAI)
    preview = assess(
        [end_of_month], [], SCHEME, NOVEMBER, on_20_november, SHANGHAI, "unit"
    )
    assert preview == []  # nothing due yet on 20 Nov


def test_an_excluded_appeal_is_not_due() -> None:
    row = by_unit(resolved(), cycle("resolve", done=None, excluded=True))["SZ-A"]
    assert row.samples["on_time_resolution_rate"] == [1, 1]


def test_lapsed_and_pending_verdicts_are_counted_apart() -> None:
    """A unit that resolved and replied is not blamed for an enterprise that
    never evaluated: the cycle is out of 解决率/满意率 and counted apart."""
    lapsed = cycle("resolve", verdict_lapsed=True)
    pending = cycle("resolve")
    row = by_unit(resolved(), lapsed, pending)["SZ-A"]
    assert row.samples["satisfaction_rate"] == [1, 1]
    assert (row.verdicts_lapsed, row.verdicts_pending) == (1, 1)


def test_ties_share_a_rank_and_the_next_rank_skips() -> None:
    """D6: competition ranking (1, 1, 3)."""
    facts = [
        *(
            f
            for u in ("SZ-A", "SZ-B")
            for f in (resolved(u), cycle("first_response", u))
        ),
        resolved("SZ-C", late=True),
        cycle("first_response", "SZ-C"),
    ]
    rows = assess(facts, [], SCHEME, NOVEMBER, AS_OF, SHANGHAI, "unit")
    assert [(r.key[0], r.rank) for r in rows] == [("SZ-A", 1), ("SZ-B", 1), ("SZ-C", 3)]


def test_the_centre_is_reported_apart_and_never_ranked() -> None:
    """D6: the centre's dispatch row is listed after the units, unranked."""
    facts = [
        resolved(),
        cycle("first_response"),
        cycle("dispatch", CENTRE_UNIT, cadre=None),
        cycle("dispatch", CENTRE_UNIT, cadre=None, done=timedelta(hours=3)),
    ]
    rows = assess(facts, [], SCHEME, NOVEMBER, AS_OF, SHANGHAI, "unit")
    assert [r.key[0] for r in rows] == ["SZ-A", CENTRE_UNIT]
    centre = rows[-1]
    assert (centre.centre, centre.ranked, centre.rank) == (True, False, None)
    assert centre.values["dispatch_rate"] == 0.5
    assert "12345" in centre.note


def test_unassigned_cycles_make_no_row() -> None:
    assert by_unit(cycle("resolve", None, done=None)) == {}


def test_below_the_minimum_sample_a_row_is_shown_flagged_and_not_ranked() -> None:
    """D6: 3 cases do not make a ranking; the row still shows its figures."""
    scheme = replace(SCHEME, min_sample=5)
    rows = by_unit(
        *(resolved() for _ in range(5)),
        *(cycle("first_response") for _ in range(5)),
        *(resolved("SZ-B") for _ in range(3)),
        *(cycle("first_response", "SZ-B") for _ in range(5)),
        scheme=scheme,
    )
    assert (rows["SZ-A"].ranked, rows["SZ-A"].rank) == (True, 1)
    small = rows["SZ-B"]
    assert (small.ranked, small.rank) == (False, None)
    assert "fewer than 5" in small.note
    assert small.values["on_time_resolution_rate"] == 1.0


def test_a_missing_indicator_is_reported_not_reweighted() -> None:
    """D6: no first response was due: the score is not computed from the
    other two rates re-weighted; the row says what is missing."""
    row = by_unit(resolved())["SZ-A"]
    assert row.values["response_rate"] is None
    assert (row.score, row.missing, row.ranked) == (None, ("response_rate",), False)
    assert "missing" in row.note


def test_cadres_are_rows_within_the_unit_they_served_then() -> None:
    """D7: by code within the unit charged at the time: a cadre who moved
    from SZ-A to SZ-B has a row in each, with that time's cycles."""
    facts = [
        resolved("SZ-A", cadre="C-7"),
        resolved("SZ-B", cadre="C-7", late=True),
        resolved("SZ-B", cadre="C-8"),
        cycle("resolve", "SZ-B", cadre=None, done=None),
    ]
    rows = assess(facts, [], SCHEME, NOVEMBER, AS_OF, SHANGHAI, "cadre")
    keys = {r.key: r for r in rows}
    assert set(keys) == {("SZ-A", "C-7"), ("SZ-B", "C-7"), ("SZ-B", "C-8")}
    assert keys[("SZ-A", "C-7")].values["on_time_resolution_rate"] == 1.0
    assert keys[("SZ-B", "C-7")].values["on_time_resolution_rate"] == 0.0


def test_threshold_and_lower_is_better_scoring() -> None:
    """Satisfaction 1/2 under a floor of 0.6 scores 0; a return rate of 1/4
    scores 0.75. Score = 0.5 × 1.0 (response) + 0.25 × 0 + 0.25 × 0.75."""
    scheme = replace(
        SCHEME,
        weights={
            "response_rate": Weighting(0.5),
            "satisfaction_rate": Weighting(0.25, floor=0.6),
            "return_rate": Weighting(0.25),
        },
    )
    facts = [
        cycle("first_response"),
        resolved(),
        cycle("resolve", verdict_resolved=False, verdict_satisfaction="unsatisfied"),
    ]
    activity = [
        Activity(date(2026, 11, 3), "SZ-A", "C-1", "tax", None, assigned=4, returned=1)
    ]
    (row,) = assess(facts, activity, scheme, NOVEMBER, AS_OF, SHANGHAI, "unit")
    assert row.values["satisfaction_rate"] == 0.5
    assert row.values["return_rate"] == 0.25
    assert row.score == pytest.approx(0.5 * 1.0 + 0.25 * 0 + 0.25 * 0.75)


def test_locality_and_category_rows_leave_the_centre_out() -> None:
    facts = [resolved(), cycle("dispatch", CENTRE_UNIT, cadre=None)]
    for group in ("locality", "category"):
        rows = assess(facts, [], SCHEME, NOVEMBER, AS_OF, SHANGHAI, group)
        assert [r.samples["dispatch_rate"][1] for r in rows] == [0]


def test_the_digest_depends_on_the_rows_not_their_order() -> None:
    rows = [{"key": ["SZ-A"], "score": 0.9}, {"key": ["SZ-B"], "score": 0.8}]
    assert digest({"unit": rows}) == digest({"unit": rows[::-1]})
    changed = [{"key": ["SZ-A"], "score": 0.91}, rows[1]]
    assert digest({"unit": rows}) != digest({"unit": changed})


def test_a_period_is_a_month() -> None:
    assert str(Period.parse("2026-11")) == "2026-11"
    start, end = NOVEMBER.bounds(SHANGHAI)
    assert (start.day, end.month, end.day) == (1, 12, 1)
    for bad in ("2026-13", "0001-01", "26-11", "2026-1"):
        with pytest.raises(InvalidField) as refused:
            Period.parse(bad)
        assert refused.value.field == "period"


def test_the_default_scheme_weighs_the_three_rates_30_35_35() -> None:
    scheme = load_scheme()
    assert scheme.scored == [
        "response_rate",
        "on_time_resolution_rate",
        "satisfaction_rate",
    ]
    assert [scheme.weights[k].weight for k in scheme.scored] == [0.3, 0.35, 0.35]
    assert scheme.min_sample == 5


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (
            "[indicators.response_rate]\nweight = 0.5\n",
            "indicators: the weights must sum to 1",
        ),
        ("[indicators.speed]\nweight = 1\n", "indicators.speed: unknown indicator"),
        (
            "[indicators.response_rate]\nweight = 1\nfloor = 2\n",
            "indicators.response_rate.floor: must be a number between 0 and 1",
        ),
        (
            "[indicators.response_rate]\nweight = true\n",
            "indicators.response_rate.weight: required",
        ),
    ],
)
def test_a_bad_scheme_file_names_the_key(text: str, where: str) -> None:
    document = f'version = "v"\nname = "n"\nmin_sample = 3\n{text}'
    with pytest.raises(SchemeFileError) as refused:
        parse_scheme(document, "scheme.toml")
    assert where in str(refused.value)
    assert "scheme.toml" in str(refused.value)


def test_a_bad_scheme_named_by_the_environment_stops_start_up(tmp_path: Path) -> None:
    bad = tmp_path / "scheme.toml"
    bad.write_text(
        'version = "v"\nname = "n"\n[indicators.response_rate]\nweight = 2\n'
    )
    settings = Settings.from_env({"APPEALS_ASSESSMENT_SCHEME": str(bad)})
    with pytest.raises(ConfigurationError, match="APPEALS_ASSESSMENT_SCHEME"):
        scheme_of(settings)
    assert scheme_of(Settings.from_env({})).version == "assessment-2026-1"
