"""Notifications out: an outbox that follows the event log by position and
delivers each event to the webhook subscribers that want it.

- **At least once, each appeal's in order.** Each subscriber has its own
  cursor. An appeal's events go one at a time in log order, up to
  ``concurrency`` appeals side by side (1: every event one at a time in log
  order); the cursor moves over the delivered prefix in log order. A
  failure (an error status, a refused connection, a timeout) is retried with
  exponential backoff, and nothing after it is sent meanwhile (other
  appeals' events already sent after it come again with it), so a receiver
  never sees an appeal's events out of order. A receiver may see an event
  twice (that, a timeout after it had processed it, or a crash before the
  cursor, written once per batch, was saved): ``X-Appeals-Delivery`` is the
  same each time, for it to drop repeats.
- **Dead letters.** After ``max_attempts`` the event goes to the subscriber's
  dead-letter list and the cursor moves on; ``appeals webhooks replay ID
  --from POSITION`` sends again from any position.
- **One deliverer at a time**: each pass takes the ``webhooks`` lease
  (appeals.infra.lease), however many processes run it.

The body is the event as auditors read it (``record_entry``): officials'
systems (政务微信, 钉钉, an SMS gateway's adapter) subscribe. The enterprise's
own messages are the milestones of appeals.application.notifications, which
such an adapter turns into texts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import httpx
import orjson

from appeals.application.audit import record_entry
from appeals.infra.clock import Clock
from appeals.infra.event_log import EventLog, StoredRecord
from appeals.infra.webhooks import SIGNATURE_HEADER, Subscriber, WebhookStore, sign


@dataclass
class DeliveryPolicy:
    timeout: float = 10.0
    """Seconds for one delivery (connect, send, answer)."""
    max_attempts: int = 8
    first_backoff: float = 1.0
    """Seconds before the first retry; doubled each time, up to ``max_backoff``."""
    max_backoff: float = 300.0
    batch: int = 100
    """Events read at a time; the cursor is written once per batch."""
    concurrency: int = 8
    """Appeals whose events are sent at once (each appeal's one at a time,
    in order): a receiver's round trip is waited for in parallel."""
    pass_seconds: float = 5.0
    """How long one pass may go on delivering before it lets go of the lease
    (a subscriber far behind is served batch after batch until then)."""

    def backoff(self, attempts: int) -> float:
        return float(min(self.max_backoff, self.first_backoff * 2 ** (attempts - 1)))


@dataclass
class PassResult:
    delivered: int = 0
    failed: int = 0
    buried: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
    more: bool = False
    """A subscriber was left behind when the pass's time ran out: pass again
    without waiting."""


class Deliverer:
    """Delivers what each subscriber has not had yet (one pass at a time)."""

    def __init__(
        self,
        log: EventLog,
        store: WebhookStore,
        clock: Clock,
        policy: DeliveryPolicy | None = None,
        client: httpx.Client | None = None,
        monotonic: Callable[[], float] = time.time,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.log, self.store, self.clock = log, store, clock
        self.policy = policy or DeliveryPolicy()
        self.client = client or httpx.Client(timeout=self.policy.timeout)
        self.now = monotonic  # when retries are due
        self.wall = wall  # the signature's timestamp (Unix seconds)
        self._executor: ThreadPoolExecutor | None = None

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown()
        self.client.close()

    def run_pass(self) -> PassResult:
        result = PassResult()
        for subscriber in self.store.active():
            self._serve(subscriber, result)
        return result

    def _serve(self, subscriber: Subscriber, result: PassResult) -> None:
        """Delivers the subscriber's events, batch after batch, until it is
        caught up, a delivery fails or the pass's time
        (``policy.pass_seconds``) is up. Within a batch the appeals' events
        go ``policy.concurrency`` appeals at a time, each appeal's in order;
        the cursor then moves over the delivered prefix of the batch, in log
        order, and is written once per batch (and before a failure is
        recorded). Events after a failure that went out meanwhile are sent
        again with it, and after a crash up to one batch may come again:
        at least once, and never an appeal's event before its predecessor."""
        state = self.store.state(subscriber.id)
        if state.retry_at is not None and self.now() < state.retry_at:
            return
        attempts = state.attempts
        done = _Done(self.store, subscriber.id, state.cursor, self.clock)
        deadline = self.now() + self.policy.pass_seconds
        while True:
            head = self.log.head()  # read first: commit order is log order
            records = self.log.after(done.cursor, self.policy.batch, subscriber.kinds)
            # Appeals' histories read for this batch only: read after it, they
            # hold its events; a later batch may hold newer ones (a transfer).
            histories: dict[UUID, list[StoredRecord]] = {}
            wanted = [r for r in records if self._wanted(subscriber, r, histories)]
            errors = self._send_all(subscriber, wanted)
            for record in records:
                if record.position not in errors:  # not for this subscriber
                    done.skip(record.position)
                    if record.topic.startswith("Appeal."):
                        result.skipped += 1
                    continue
                error = errors[record.position]
                if error is None:
                    done.delivered(record.position)
                    result.delivered += 1
                    attempts = 0
                    continue
                if error is NOT_SENT:  # its appeal's earlier event failed
                    done.write()
                    result.more = True
                    return
                attempts += 1
                result.errors.append(f"{subscriber.id} @{record.position}: {error}")
                done.write()
                if attempts >= self.policy.max_attempts:
                    self.store.bury(
                        subscriber.id,
                        record.position,
                        attempts,
                        error,
                        self.clock.now(),
                    )
                    done.written(record.position)
                    result.buried += 1
                    attempts = 0
                    continue
                retry_at = self.now() + self.policy.backoff(attempts)
                self.store.failed(subscriber.id, attempts, retry_at, error)
                result.failed += 1
                return  # nothing after it until it is delivered
            if len(records) < self.policy.batch:
                # Nothing else up to ``head`` is for this subscriber.
                done.skip(head)
                done.write()
                return
            done.write()
            if self.now() >= deadline:
                result.more = True  # the rest in the next pass
                return

    def _wanted(
        self,
        subscriber: Subscriber,
        record: StoredRecord,
        histories: dict[UUID, list[StoredRecord]],
    ) -> bool:
        """An appeal's event, of the subscriber's unit if it names one."""
        if not record.topic.startswith("Appeal."):
            return False
        unit = subscriber.unit
        return unit is None or self._unit_at(record, histories) == unit

    def _send_all(
        self, subscriber: Subscriber, records: list[StoredRecord]
    ) -> dict[int, str | None]:
        """Sends ``records``, each appeal's in order and up to
        ``policy.concurrency`` appeals at once; by position, None for a
        delivered event, why not for a failed one, and :data:`NOT_SENT` for
        the events of an appeal after its failed one."""
        by_appeal: dict[UUID, list[StoredRecord]] = {}
        for record in records:
            by_appeal.setdefault(record.originator_id, []).append(record)

        def send_in_order(events: list[StoredRecord]) -> dict[int, str | None]:
            """Each in turn; after a failure, the rest are not sent."""
            outcome: dict[int, str | None] = {}
            for index, event in enumerate(events):
                error = outcome[event.position] = self._send(subscriber, event)
                if error is not None:
                    later = events[index + 1 :]
                    outcome.update((held.position, NOT_SENT) for held in later)
                    break
            return outcome

        if self.policy.concurrency <= 1 or len(by_appeal) <= 1:
            return send_in_order(records)  # one at a time, in log order
        errors: dict[int, str | None] = {}
        for outcome in self._pool().map(send_in_order, by_appeal.values()):
            errors.update(outcome)
        return errors

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                self.policy.concurrency, thread_name_prefix="webhooks"
            )
        return self._executor

    def _unit_at(
        self, record: StoredRecord, histories: dict[UUID, list[StoredRecord]]
    ) -> str | None:
        """The unit holding the appeal when ``record`` happened (a return is
        still the returning unit's event)."""
        if record.topic in ("Appeal.Assigned", "Appeal.Returned"):
            return record.state.get("unit")
        if record.originator_id not in histories:
            histories[record.originator_id] = self.log.history(record.originator_id)
        unit = None
        for earlier in histories[record.originator_id]:
            if earlier.version > record.version:
                break
            if earlier.topic == "Appeal.Assigned":
                unit = earlier.state.get("unit")
            elif earlier.topic == "Appeal.Returned":
                unit = None
        return unit

    def _send(self, subscriber: Subscriber, record: StoredRecord) -> str | None:
        """Posts one event; None when the receiver took it, else why not."""
        body = orjson.dumps(
            {"delivery": f"{subscriber.id}:{record.position}", **record_entry(record)}
        )
        timestamp = int(self.wall())
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(subscriber.secret, timestamp, body),
            "X-Appeals-Delivery": f"{subscriber.id}:{record.position}",
            "X-Appeals-Event": record.topic,
            "User-Agent": "appeal-ledger-webhooks/1",
        }
        try:
            response = self.client.post(subscriber.url, content=body, headers=headers)
        except httpx.TimeoutException:
            return "timed out"
        except httpx.HTTPError as error:
            return f"{type(error).__name__}: {error}"
        if 200 <= response.status_code < 300:
            return None
        return f"HTTP {response.status_code}"


NOT_SENT = "not sent: an earlier event of its appeal failed"
"""The outcome of an event held back behind its appeal's failed one."""


class _Done:
    """How far one subscriber is done (delivered or skipped), written to the
    store in one statement when asked rather than once per event."""

    def __init__(
        self, store: WebhookStore, subscriber: str, cursor: int, clock: Clock
    ) -> None:
        self.store, self.subscriber, self.clock = store, subscriber, clock
        self.cursor = cursor
        self._written = cursor
        self._delivered = 0

    def skip(self, position: int) -> None:
        self.cursor = max(self.cursor, position)

    def delivered(self, position: int) -> None:
        self.cursor = position
        self._delivered += 1

    def written(self, position: int) -> None:
        """The store's cursor was moved to ``position`` by someone else (a
        dead letter)."""
        self.cursor = self._written = position

    def write(self) -> None:
        if self._delivered:
            self.store.done_with(
                self.subscriber, self.cursor, self.clock.now(), self._delivered
            )
        elif self.cursor > self._written:
            self.store.skip(self.subscriber, self.cursor)
        self._written = self.cursor
        self._delivered = 0


def status(store: WebhookStore, head: int) -> list[dict[str, Any]]:
    """Per subscriber: its cursor, how far behind the log it is, its last
    error, and its dead letters (``appeals webhooks status``)."""
    rows = []
    dead = store.dead_letters()
    for subscriber in store.active():
        state = store.state(subscriber.id)
        rows.append(
            {
                "id": subscriber.id,
                "url": subscriber.url,
                "kinds": list(subscriber.kinds) or ["*"],
                "unit": subscriber.unit,
                "cursor": state.cursor,
                "behind": max(0, head - state.cursor),
                "delivered": state.delivered,
                "attempts": state.attempts,
                "retry_at": None
                if state.retry_at is None
                else datetime.fromtimestamp(state.retry_at).isoformat(),
                "last_error": state.last_error,
                "last_delivered_at": state.last_delivered_at,
                "dead_letters": [
                    d.position for d in dead if d.subscriber == subscriber.id
                ],
            }
        )
    return rows
