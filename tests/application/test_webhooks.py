"""Notifications out (issue 17, item 7): a real HTTP receiver on 127.0.0.1
that fails, times out and then accepts; every event arrives, signed, and no
appeal's events arrive out of order; a unit's subscriber gets only its
appeals' events; dead letters and replay (both stores)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
import pytest

from appeals.application.service import AppealLedger
from appeals.application.webhooks import Deliverer, DeliveryPolicy, status
from appeals.domain import commands as cmd
from appeals.infra.webhooks import SIGNATURE_HEADER, WebhookStore, verify
from tests.builders import (
    DISPATCHER,
    HANDLER,
    OTHER_HANDLER,
    TAX_UNIT,
    UNIT,
    receive,
)

TIMEOUT = 0.3


@dataclass
class Receiver:
    """Answers by script: each entry is a status, or "hang" (answer after
    the client gave up); 200 once the script runs out."""

    script: list[Any]
    bodies: list[tuple[dict[str, Any], dict[str, str], bytes]] = field(
        default_factory=list
    )
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_answer(self) -> Any:
        with self.lock:
            return self.script.pop(0) if self.script else 200


@pytest.fixture
def receiver() -> Iterator[tuple[str, Receiver]]:
    state = Receiver(script=[500, "hang", 503])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            answer = state.next_answer()
            if answer == "hang":
                time.sleep(TIMEOUT * 3)
                answer = 200  # too late: the deliverer has given up on it
            if answer == 200:
                with state.lock:
                    state.bodies.append((orjson.loads(body), dict(self.headers), body))
            self.send_response(answer)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", state
    finally:
        server.shutdown()
        server.server_close()


class Ticking:
    """A clock for backoff that moves a minute each time it is read."""

    def __init__(self) -> None:
        self.value = time.time()

    def __call__(self) -> float:
        self.value += 60
        return self.value


def busy_history(ledger: AppealLedger) -> list[Any]:
    appeals = [receive(ledger, title=f"诉求{n}").appeal_id for n in range(3)]
    for appeal_id in appeals:
        ledger.execute(appeal_id, cmd.Assign(unit=UNIT), DISPATCHER)
    for appeal_id in appeals:
        ledger.execute(appeal_id, cmd.Accept(), HANDLER)
        ledger.execute(appeal_id, cmd.NoteProgress(note="进展"), HANDLER)
    return appeals


def drain(deliverer: Deliverer, passes: int = 40) -> None:
    for _ in range(passes):  # bounded
        deliverer.run_pass()


@pytest.mark.parametrize("concurrency", [1, 4])
def test_nothing_is_lost_and_nothing_is_out_of_order(
    ledger: AppealLedger, receiver: tuple[str, Receiver], concurrency: int
) -> None:
    url, state = receiver
    store = WebhookStore(ledger.database)
    subscriber = store.add(url, (), None, start_after=0, now=ledger.clock.now())
    busy_history(ledger)
    deliverer = Deliverer(
        ledger.event_log,
        store,
        ledger.clock,
        DeliveryPolicy(timeout=TIMEOUT, first_backoff=1.0, concurrency=concurrency),
        monotonic=Ticking(),
    )
    try:
        drain(deliverer)
    finally:
        deliverer.close()
    appeal_positions = [
        r.position for r in ledger.event_log.stream() if r.topic.startswith("Appeal.")
    ]
    received = [body["position"] for body, _, _ in state.bodies]
    assert set(received) == set(appeal_positions)  # nothing lost
    first_seen: dict[str, list[int]] = {}
    for body, _, _ in state.bodies:
        seen = first_seen.setdefault(body["aggregate_id"], [])
        if body["version"] not in seen:
            seen.append(body["version"])
    for versions in first_seen.values():
        assert versions == sorted(versions)  # in order per appeal
    if concurrency == 1:
        assert received == sorted(received)  # and in log order overall
    else:  # appeals side by side: repeats after a failure, never a gap
        assert len(received) >= len(appeal_positions)
    for body, headers, raw in state.bodies:
        assert verify(subscriber.secret, headers[SIGNATURE_HEADER], raw, time.time())
        assert headers["X-Appeals-Delivery"] == f"{subscriber.id}:{body['position']}"
        assert not verify("whsec_wrong", headers[SIGNATURE_HEADER], raw, time.time())
    (row,) = status(store, ledger.event_log.head())
    assert (row["behind"], row["dead_letters"]) == (0, [])


def test_a_units_subscriber_gets_only_its_appeals_events(
    ledger: AppealLedger, receiver: tuple[str, Receiver]
) -> None:
    url, state = receiver
    state.script.clear()
    store = WebhookStore(ledger.database)
    store.add(
        url,
        ("Appeal.NoteProgress", "Appeal.ProgressNoted"),
        TAX_UNIT,
        0,
        ledger.clock.now(),
    )
    appeals = busy_history(ledger)
    ledger.execute(appeals[0], cmd.Return(reason="非本单位"), HANDLER)
    ledger.execute(appeals[0], cmd.Assign(unit=TAX_UNIT), DISPATCHER)
    tax_handler = HANDLER.__class__("h-9", HANDLER.role, "李四", unit=TAX_UNIT)
    ledger.execute(appeals[0], cmd.Accept(), tax_handler)
    ledger.execute(appeals[0], cmd.NoteProgress(note="税务局进展"), tax_handler)
    deliverer = Deliverer(
        ledger.event_log, store, ledger.clock, DeliveryPolicy(timeout=TIMEOUT)
    )
    try:
        drain(deliverer, passes=3)
    finally:
        deliverer.close()
    assert [b["payload"]["note"] for b, _, _ in state.bodies] == ["税务局进展"]


def test_a_dead_letter_and_its_replay(
    ledger: AppealLedger, receiver: tuple[str, Receiver]
) -> None:
    url, state = receiver
    state.script[:] = [500, 500]
    store = WebhookStore(ledger.database)
    subscriber = store.add(url, ("Appeal.Received",), None, 0, ledger.clock.now())
    first = receive(ledger).appeal_id
    receive(ledger, external_id="second")
    policy = DeliveryPolicy(timeout=TIMEOUT, max_attempts=2, concurrency=1)
    deliverer = Deliverer(
        ledger.event_log, store, ledger.clock, policy, monotonic=Ticking()
    )
    try:
        drain(deliverer, passes=5)
        (dead,) = store.dead_letters(subscriber.id)
        assert dead.position == ledger.position_of(first, 1)
        assert [b["aggregate_id"] for b, _, _ in state.bodies] != [str(first)]
        assert len(state.bodies) == 1  # the second went on
        store.replay_from(subscriber.id, dead.position)
        drain(deliverer, passes=3)
    finally:
        deliverer.close()
    assert store.dead_letters(subscriber.id) == []
    assert [b["aggregate_id"] for b, _, _ in state.bodies][-2:][0] == str(first)


def test_one_pass_catches_a_subscriber_up_writing_its_cursor_once_per_batch(
    ledger: AppealLedger, receiver: tuple[str, Receiver]
) -> None:
    url, state = receiver
    state.script.clear()  # every delivery taken
    store = WebhookStore(ledger.database)
    subscriber = store.add(url, (), None, start_after=0, now=ledger.clock.now())
    busy_history(ledger)
    wanted = [
        r.position for r in ledger.event_log.stream() if r.topic.startswith("Appeal.")
    ]
    writes: list[int] = []
    done_with = store.done_with

    def counted(subscriber: str, position: int, now: Any, delivered: int = 1) -> None:
        writes.append(delivered)
        done_with(subscriber, position, now, delivered)

    store.done_with = counted  # type: ignore[method-assign]
    deliverer = Deliverer(
        ledger.event_log, store, ledger.clock, DeliveryPolicy(timeout=5.0, batch=4)
    )
    try:
        result = deliverer.run_pass()
    finally:
        deliverer.close()
    assert sorted(body["position"] for body, _, _ in state.bodies) == wanted
    assert (result.delivered, result.more) == (len(wanted), False)
    assert len(writes) < len(wanted)  # once per batch, not per event
    assert sum(writes) == len(wanted)
    assert store.state(subscriber.id).delivered == len(wanted)
    (row,) = status(store, ledger.event_log.head())
    assert row["behind"] == 0


def test_a_pass_out_of_time_leaves_the_rest_for_the_next_without_waiting(
    ledger: AppealLedger, receiver: tuple[str, Receiver]
) -> None:
    url, state = receiver
    state.script.clear()
    store = WebhookStore(ledger.database)
    subscriber = store.add(url, (), None, start_after=0, now=ledger.clock.now())
    busy_history(ledger)
    policy = DeliveryPolicy(timeout=5.0, batch=4, pass_seconds=0.0)
    deliverer = Deliverer(ledger.event_log, store, ledger.clock, policy)
    try:
        first = deliverer.run_pass()
        fourth = list(ledger.event_log.stream())[3].position
        assert first.more  # one batch of 4 only
        assert store.state(subscriber.id).cursor == fourth
        delivered = first.delivered
        for _ in range(20):  # bounded
            later = deliverer.run_pass()
            delivered += later.delivered
            if not later.more:
                break
    finally:
        deliverer.close()
    wanted = [r for r in ledger.event_log.stream() if r.topic.startswith("Appeal.")]
    assert delivered == len(wanted)
    (row,) = status(store, ledger.event_log.head())
    assert row["behind"] == 0


@contextmanager
def receiving(
    answer: Callable[[dict[str, Any]], int],
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A receiver on 127.0.0.1 answering each delivery ``answer(body)``;
    yields its URL and the bodies as they arrived."""
    arrived: list[dict[str, Any]] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = orjson.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with lock:
                arrived.append(body)
            self.send_response(answer(body))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", arrived
    finally:
        server.shutdown()
        server.server_close()


def test_appeals_are_delivered_side_by_side_each_in_order(
    ledger: AppealLedger,
) -> None:
    # The first two requests meet at a barrier: they must be in flight at
    # once, or the barrier breaks and both are refused.
    meeting = threading.Barrier(2, timeout=5.0)
    count = iter(range(10**6))

    def answer(body: dict[str, Any]) -> int:
        if next(count) >= 2:
            return 200
        try:
            meeting.wait()
        except threading.BrokenBarrierError:
            return 500
        return 200

    store = WebhookStore(ledger.database)
    with receiving(answer) as (url, arrived):
        subscriber = store.add(url, (), None, start_after=0, now=ledger.clock.now())
        busy_history(ledger)
        policy = DeliveryPolicy(timeout=10.0, concurrency=4)
        deliverer = Deliverer(ledger.event_log, store, ledger.clock, policy)
        try:
            result = deliverer.run_pass()
        finally:
            deliverer.close()
    assert not meeting.broken  # two were in flight at once
    assert result.failed == 0
    versions: dict[str, list[int]] = {}
    for body in arrived:
        versions.setdefault(body["aggregate_id"], []).append(body["version"])
    assert len(versions) == 3
    for seen in versions.values():
        assert seen == sorted(seen)  # each appeal's in order
    (row,) = status(store, ledger.event_log.head())
    assert row["behind"] == 0
    assert store.state(subscriber.id).delivered == len(arrived)


@pytest.mark.parametrize("concurrency", [1, 4])
def test_a_failure_after_a_delivery_in_the_same_batch_is_retried_and_buried(
    ledger: AppealLedger, concurrency: int
) -> None:
    appeal_id = receive(ledger, title="甲").appeal_id
    ledger.execute(appeal_id, cmd.Assign(unit=UNIT), DISPATCHER)  # version 2
    store = WebhookStore(ledger.database)
    with receiving(lambda body: 500 if body["version"] == 2 else 200) as (url, _):
        subscriber = store.add(url, (), None, 0, ledger.clock.now())
        policy = DeliveryPolicy(timeout=5.0, max_attempts=2, concurrency=concurrency)
        deliverer = Deliverer(
            ledger.event_log, store, ledger.clock, policy, monotonic=Ticking()
        )
        try:
            results = [deliverer.run_pass() for _ in range(4)]
        finally:
            deliverer.close()
    assert [r.failed for r in results[:2]] == [1, 0]  # counted, then buried
    assert results[1].buried == 1
    (dead,) = store.dead_letters(subscriber.id)
    assert dead.position == ledger.position_of(appeal_id, 2)
    (row,) = status(store, ledger.event_log.head())
    assert row["behind"] == 0


def test_a_units_subscriber_follows_a_transfer_made_during_a_long_pass(
    ledger: AppealLedger,
) -> None:
    appeal_id = receive(ledger, title="甲").appeal_id
    ledger.execute(appeal_id, cmd.Assign(unit=UNIT), DISPATCHER)
    store = WebhookStore(ledger.database)
    log = ledger.event_log
    after = log.after
    transferred: list[bool] = []

    def after_with_traffic(position: int, limit: int, topics: Any = ()) -> Any:
        # New events arrive while the pass goes batch after batch.
        if position >= log.head() - 1 and not transferred:
            transferred.append(True)
            ledger.execute(appeal_id, cmd.Return(reason="非本单位"), HANDLER)
            ledger.execute(appeal_id, cmd.Assign(unit=TAX_UNIT), DISPATCHER)
            ledger.execute(appeal_id, cmd.Accept(), OTHER_HANDLER)
            ledger.execute(
                appeal_id, cmd.NoteProgress(note="税务局进展"), OTHER_HANDLER
            )
        return after(position, limit, topics)

    log.after = after_with_traffic  # type: ignore[method-assign]
    with receiving(lambda body: 200) as (url, arrived):
        store.add(url, (), TAX_UNIT, 0, ledger.clock.now())
        deliverer = Deliverer(log, store, ledger.clock, DeliveryPolicy(batch=1))
        try:
            deliverer.run_pass()
        finally:
            deliverer.close()
    assert transferred
    # The tax office's: its assignment, its acceptance, its progress note.
    assert [body["version"] for body in arrived] == [4, 5, 6]
