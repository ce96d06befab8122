"""The orjson transcoder writes the library's bytes and reads them back:
against eventsourcing's own JSONTranscoder on every event a ledger stores
(both stores), on generated values (hypothesis), and for events written by
either transcoder and read by the other; unknown types and names are refused
as the library refuses them."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from appeals.application.service import AppealLedger
from appeals.bootstrap import open_ledger
from appeals.domain.values import Satisfaction
from appeals.infra.clock import FixedClock
from appeals.infra.settings import ConfigurationError, Settings
from appeals.infra.transcoder import OrjsonTranscoder
from tests.support.organisation import register_test_organisation
from tests.support.reports import appeal, closed_after_evaluation, history


def library() -> JSONTranscoder:
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    return transcoder


def ours() -> OrjsonTranscoder:
    transcoder = OrjsonTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    return transcoder


def test_every_stored_event_round_trips_to_the_same_bytes(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    assert isinstance(ledger.mapper.transcoder, OrjsonTranscoder)  # the default
    history(ledger, clock)
    closed_after_evaluation(ledger, appeal(ledger, clock), Satisfaction.SATISFIED)
    theirs, mine = library(), ours()
    records = ledger.event_log.after(0, 10_000)
    assert len(records) > 20
    table = ledger.database.table(getattr(ledger.recorder, "events_table_name"))  # noqa: B009
    with ledger.database.reading() as sql:
        rows = sql.execute(f"SELECT state FROM {table}").all()
    assert len(rows) == len(records)
    for (raw,) in rows:
        stored = bytes(raw)
        decoded = theirs.decode(stored)
        assert mine.decode(stored) == decoded
        assert mine.encode(decoded) == stored  # byte for byte
        assert theirs.encode(mine.decode(stored)) == stored


def test_a_store_written_by_one_is_read_by_the_other(
    settings: Settings, clock: FixedClock
) -> None:
    written = open_ledger(replace(settings, transcoder="library"), clock=clock)
    try:
        assert isinstance(written.mapper.transcoder, JSONTranscoder)
        register_test_organisation(written)
        ids = history(written, clock)
    finally:
        written.close()
    reader = open_ledger(replace(settings, create_tables=False), clock=clock)
    try:
        assert isinstance(reader.mapper.transcoder, OrjsonTranscoder)
        done = reader.get(ids["done"])
        assert done.status == "evaluated"
        more = history(reader, clock)  # and it writes where the library wrote
    finally:
        reader.close()
    again = open_ledger(
        replace(settings, transcoder="library", create_tables=False), clock=clock
    )
    try:
        assert again.get(more["slow"]).status == "in_progress"
    finally:
        again.close()


ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=8)), timezone(-timedelta(hours=5))]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.text(max_size=20),
    st.uuids(),
    st.datetimes(timezones=ZONES),
    st.decimals(allow_nan=False, allow_infinity=False, places=4),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.text(max_size=8), inner, max_size=4),
    ),
    max_leaves=20,
)


@given(st.dictionaries(st.text(max_size=10), VALUES, max_size=8))
@settings(max_examples=300, deadline=None)
def test_generated_values_are_written_as_the_library_writes_them(
    value: dict[str, Any],
) -> None:
    theirs, mine = library(), ours()
    written = theirs.encode(value)
    assert mine.encode(value) == written
    assert mine.decode(written) == theirs.decode(written)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_read_back_equal(value: float) -> None:
    theirs, mine = library(), ours()
    assert theirs.decode(mine.encode({"x": value})) == {"x": value}
    assert mine.decode(theirs.encode({"x": value})) == {"x": value}


def test_what_the_library_refuses_is_refused() -> None:
    mine = ours()
    with pytest.raises(TranscodingNotRegisteredError):
        mine.encode({"when": datetime(2026, 1, 1).date()})
    with pytest.raises(TranscodingNotRegisteredError):
        mine.decode(b'{"x":{"_type_":"unknown","_data_":1}}')
    with pytest.raises(ValueError, match="finite"):
        mine.encode({"x": math.nan})
    # a dict that merely has a _type_ key is data, as the library reads it
    assert mine.decode(b'{"_type_":"uuid_hex"}') == {"_type_": "uuid_hex"}
    assert mine.decode(b'{"a":[{"_type_":"decimal_str","_data_":"1.5"}]}') == {
        "a": [Decimal("1.5")]
    }
    assert mine.decode(
        b'{"_type_":"uuid_hex","_data_":"' + UUID(int=1).hex.encode() + b'"}'
    ) == UUID(int=1)


def test_the_setting_names_a_transcoder() -> None:
    assert Settings.from_env({}).transcoder == "orjson"
    assert Settings.from_env({"APPEALS_TRANSCODER": "library"}).transcoder == "library"
    with pytest.raises(ConfigurationError, match="APPEALS_TRANSCODER"):
        Settings.from_env({"APPEALS_TRANSCODER": "pickle"})


def test_what_orjson_cannot_do_falls_back_to_json() -> None:
    theirs, mine = library(), ours()
    huge = {"n": 2**70, "m": -(2**65)}
    assert mine.encode(huge) == theirs.encode(huge)  # written as json writes it
    written = theirs.encode({"x": math.nan, "y": math.inf})  # a store's old NaN
    decoded = mine.decode(written)
    assert math.isnan(decoded["x"])
    assert decoded["y"] == math.inf


def test_keys_and_subclasses_as_the_library_takes_them() -> None:
    theirs, mine = library(), ours()
    keyed = {3: "three", 2.5: "half", True: "yes", None: "none"}
    assert mine.encode(keyed) == theirs.encode(keyed)
    for bad in ({UUID(int=1): "x"}, {datetime(2026, 1, 1, tzinfo=UTC): "x"}):
        with pytest.raises(TypeError):
            theirs.encode(bad)
        with pytest.raises(TypeError):
            mine.encode(bad)

    class Share(float):
        pass

    assert mine.decode(mine.encode({"rate": Share(0.5)})) == {"rate": 0.5}
    assert mine.encode({"rate": Share(0.5)}) == theirs.encode({"rate": Share(0.5)})
