"""Commands decide on the cached appeal (appeals.infra.store): two ledgers
over one store stand for two server processes. B writes; A, whose cached
copy is then stale, still executes its command, after one retry on the
appeal loaded afresh; a stale ``If-Match`` is still refused; A's reads show
B's events. Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, OperationalError

from appeals.application.queries import appeal_view
from appeals.application.service import AppealLedger
from appeals.bootstrap import open_ledger
from appeals.domain import commands as cmd
from appeals.domain.appeal import Appeal
from appeals.domain.errors import VersionConflict
from appeals.domain.identities import enterprise_id
from appeals.domain.values import Status
from appeals.infra.clock import SHANGHAI, FixedClock
from appeals.infra.settings import Settings
from tests.builders import USCC, receive
from tests.domain.lifecycle_fixtures import DISPATCHER, HANDLER, UNIT
from tests.support.organisation import register_test_organisation


@pytest.fixture
def two(
    settings: Settings, clock: FixedClock
) -> Iterator[tuple[AppealLedger, AppealLedger]]:
    """Two ledgers (two processes' worth) over the same store."""
    assert settings.aggregate_cache > 0  # the cache these tests are about
    a = open_ledger(settings, clock=clock)
    register_test_organisation(a)
    b = open_ledger(settings, clock=clock, storage_ready=True)
    yield a, b
    b.close()
    a.close()


class Saves:
    """Counts a ledger's saves and what each raised."""

    def __init__(self, ledger: AppealLedger, monkeypatch: pytest.MonkeyPatch) -> None:
        self.outcomes: list[str] = []
        original: Callable[..., Any] = ledger.save

        def counted(*objs: Any, **kwargs: Any) -> Any:
            try:
                result = original(*objs, **kwargs)
            except Exception as error:
                self.outcomes.append(type(error).__name__)
                raise
            self.outcomes.append("saved")
            return result

        monkeypatch.setattr(ledger, "save", counted)


def cached(ledger: AppealLedger, appeal_id: UUID) -> Appeal | None:
    """The copy in the ledger's aggregate cache, if any."""
    cache = ledger.repository.cache
    assert cache is not None
    try:
        found = cache.get(appeal_id)
    except KeyError:
        return None
    assert isinstance(found, Appeal)
    return found


def accepted(ledger: AppealLedger) -> UUID:
    appeal_id = receive(ledger).appeal_id
    ledger.execute(appeal_id, cmd.Assign(unit=UNIT), DISPATCHER)
    ledger.execute(appeal_id, cmd.Accept(), HANDLER)
    return appeal_id


def test_a_stale_cached_copy_is_refused_by_the_store_and_decided_again_fresh(
    two: tuple[AppealLedger, AppealLedger], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = two
    appeal_id = accepted(a)
    held = cached(a, appeal_id)
    assert held is not None
    assert held.version == 3  # A's copy, as A saved it
    b.execute(appeal_id, cmd.NoteProgress(note="B 的进展"), HANDLER)
    saves = Saves(a, monkeypatch)
    result = a.execute(appeal_id, cmd.NoteProgress(note="A 的进展"), HANDLER)
    # Decided on the cached copy first (no query for B's event): the store
    # refused its version 4; decided again on the fresh appeal, it is 5.
    assert saves.outcomes == ["IntegrityError", "saved"]
    assert result.version == 5
    stored = list(a.events.get(appeal_id))
    assert [e.originator_version for e in stored] == [1, 2, 3, 4, 5]
    assert [getattr(e, "note", None) for e in stored[3:]] == ["B 的进展", "A 的进展"]
    assert result.position == a.position_of(appeal_id, 5)
    now_cached = cached(a, appeal_id)
    assert now_cached is not None
    assert now_cached.version == 5


def test_a_refusal_on_a_stale_cached_copy_is_decided_again_fresh(
    two: tuple[AppealLedger, AppealLedger],
) -> None:
    a, b = two
    appeal_id = receive(a).appeal_id
    a.execute(appeal_id, cmd.Assign(unit=UNIT), DISPATCHER)
    b.execute(appeal_id, cmd.Accept(), HANDLER)
    held = cached(a, appeal_id)
    assert held is not None
    assert held.status == Status.ASSIGNED  # stale: B accepted it
    # On A's copy a progress note is not allowed yet (not accepted): only
    # the fresh appeal may refuse it, and it does not.
    result = a.execute(appeal_id, cmd.NoteProgress(note="已联系企业"), HANDLER)
    assert result.version == 4
    assert a.get(appeal_id).status == Status.IN_PROGRESS


def test_if_match_is_checked_against_the_store_not_a_stale_cache(
    two: tuple[AppealLedger, AppealLedger],
) -> None:
    a, b = two
    appeal_id = accepted(a)
    b.execute(appeal_id, cmd.NoteProgress(note="B 的进展"), HANDLER)
    # What A's cache says (3) is stale: still a conflict, the current
    # version named, nothing written.
    with pytest.raises(VersionConflict) as conflict:
        a.execute(appeal_id, cmd.NoteProgress(note="过时"), HANDLER, expected_version=3)
    assert (conflict.value.expected, conflict.value.actual) == (3, 4)
    assert len(list(a.events.get(appeal_id))) == 4
    # The version the client read from the store (4) is current, though
    # A's cache held 3 until just now: accepted.
    b.execute(appeal_id, cmd.NoteProgress(note="B 又一条"), HANDLER)
    result = a.execute(
        appeal_id, cmd.NoteProgress(note="最新"), HANDLER, expected_version=5
    )
    assert result.version == 6


def test_a_stale_if_match_loses_a_race_with_another_process(
    two: tuple[AppealLedger, AppealLedger], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = two
    appeal_id = accepted(a)
    b.execute(appeal_id, cmd.NoteProgress(note="B 的进展"), HANDLER)
    # A's cache says 3 and the client expects 3: the save is refused by the
    # store, and the fresh appeal (4) is not what the client expected.
    saves = Saves(a, monkeypatch)
    with pytest.raises(VersionConflict) as conflict:
        a.execute(appeal_id, cmd.NoteProgress(note="A"), HANDLER, expected_version=3)
    assert (conflict.value.expected, conflict.value.actual) == (3, 4)
    assert saves.outcomes == ["IntegrityError"]
    assert [e.originator_version for e in a.events.get(appeal_id)] == [1, 2, 3, 4]


def test_reads_in_one_process_show_the_writes_of_another(
    two: tuple[AppealLedger, AppealLedger],
) -> None:
    a, b = two
    appeal_id = accepted(a)
    assert a.get(appeal_id).version == 3  # cached in A now
    b.execute(appeal_id, cmd.NoteProgress(note="B 的进展"), HANDLER)
    assert a.get(appeal_id).version == 4
    assert [type(e).__name__ for e in a.history(appeal_id)][-1] == "ProgressNoted"
    view, _ = appeal_view(a, appeal_id)
    assert view.version == 4


def test_the_cache_holds_the_appeal_as_saved(
    two: tuple[AppealLedger, AppealLedger],
) -> None:
    a, _ = two
    appeal_id = accepted(a)
    a.execute(appeal_id, cmd.NoteProgress(note="已联系企业"), HANDLER)
    held = cached(a, appeal_id)
    assert held is not None
    assert held.pending_events == []
    loaded: Appeal = a.repository.get(appeal_id, version=4)  # from the store
    assert held.version == loaded.version == 4
    assert vars(held) == vars(loaded)


def test_a_failed_save_leaves_no_copy_in_the_cache(
    two: tuple[AppealLedger, AppealLedger], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, _ = two
    appeal_id = accepted(a)
    assert cached(a, appeal_id) is not None

    def outage(*objs: Any, **kwargs: Any) -> Any:
        raise OperationalError("the database went away")

    with monkeypatch.context() as patched:
        patched.setattr(a, "save", outage)
        with pytest.raises(OperationalError):
            a.execute(appeal_id, cmd.NoteProgress(note="丢失"), HANDLER)
    assert cached(a, appeal_id) is None
    result = a.execute(appeal_id, cmd.NoteProgress(note="重试"), HANDLER)
    assert result.version == 4


def test_a_snapshot_already_stored_does_not_make_a_saved_command_run_again(
    two: tuple[AppealLedger, AppealLedger], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, _ = two
    appeal_id = accepted(a)

    def duplicate_snapshot(self: Application[UUID], processing_event: Any) -> None:
        raise IntegrityError("snapshot at this version exists")

    monkeypatch.setattr(Application, "_take_snapshots", duplicate_snapshot)
    result = a.execute(appeal_id, cmd.NoteProgress(note="一次"), HANDLER)
    assert result.version == 4
    notes = [getattr(e, "note", None) for e in a.events.get(appeal_id)]
    assert notes.count("一次") == 1


def test_the_scheduler_decides_again_fresh_after_another_process_wrote(
    two: tuple[AppealLedger, AppealLedger],
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a, b = two
    clock.set(datetime(2026, 9, 22, 10, tzinfo=SHANGHAI))
    appeal_id = accepted(a)  # resolve due at the close of 30 Sep
    b.execute(appeal_id, cmd.NoteProgress(note="B 的进展"), HANDLER)
    clock.set(datetime(2026, 10, 8, 10, tzinfo=SHANGHAI))
    saves = Saves(a, monkeypatch)
    result = a.escalate(appeal_id, "resolve", 0)
    assert result is not None
    assert result.version == 5
    assert saves.outcomes == ["IntegrityError", "saved"]
    escalated = [e for e in a.history(appeal_id) if isinstance(e, Appeal.Escalated)]
    assert [(e.stage, e.level) for e in escalated] == [("resolve", 0)]


def test_an_enterprise_known_registered_is_not_looked_up_again(
    two: tuple[AppealLedger, AppealLedger], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = two
    receive(b)  # B registers the enterprise with its first appeal
    looked_up: list[UUID] = []
    original = a.repository.get

    def spied(aggregate_id: UUID, **kwargs: Any) -> Any:
        looked_up.append(aggregate_id)
        return original(aggregate_id, **kwargs)

    monkeypatch.setattr(a.repository, "get", spied)
    receive(a, title="第二件")  # A finds B's registration, once
    receive(a, title="第三件")
    assert looked_up.count(enterprise_id(USCC)) == 1
    registrations = [
        n
        for n in a.recorder.select_notifications(start=1, limit=1000)
        if n.originator_id == enterprise_id(USCC)
    ]
    assert len(registrations) == 1
