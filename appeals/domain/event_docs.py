"""The event catalogue (docs/events.md), written from the event classes.

``render()`` lists every stored event with every field as its class declares
it, so the document cannot drift from the code: a test compares the file with
``render()``. To refresh the file: ``python -m appeals.domain.event_docs >
docs/events.md``.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator

from eventsourcing.utils import get_topic

from appeals.domain import events
from appeals.domain.disclosure import disclosure_table
from appeals.domain.indexes import AppealIndex, RequestRecord

INTRODUCTION = """\
# Events: catalogue and schema changes

Stored events are the system of record, so their shape is a public contract.
This file is generated from the event classes (`appeals/domain/events.py`,
`appeals/domain/indexes.py`) by `python -m appeals.domain.event_docs`; a test
fails when it differs from what the classes say.

## Topics

Each event class declares `TOPIC`, the name under which it is stored. The
library resolves stored topics through a registry filled from these names, so a
class can be renamed or moved to another module without orphaning what is
stored. Renaming a `TOPIC` is a schema change; never do it.

Every appeal event also stores `originator_id` (the appeal), `originator_version`,
`timestamp` (the business time of the command), `actor` and `chain` (its link in
the appeal's hash chain, `appeals/domain/chain.py`); the first event of an
aggregate also stores `originator_topic`. `actor` is `{"id", "role", "name",
"unit", "uscc"}` of the authenticated principal. Closed sets (channel, category,
priority, outcome, satisfaction) are stored as their plain codes (`"hotline"`),
with labels in `appeals.domain.values`. Instants are stored with their offset.
Read through the API (history, feed, export, webhooks) an event shows its
aggregate as `aggregate_id`, its `version` and log `position`, `type`,
`business_time`, `recorded_time`, `actor`, `payload` and `chain`; the feed
leaves out the ledger's own bookkeeping (`AppealIndex.*` ticket and source
claims, `RequestRecord.*` idempotency records).

## Clocks: dispatch, then the unit's

The 12345 centre's own stage, **dispatch** (接诉转办), runs from receipt
(`Received.dispatch_due`), from each return (退单, `Returned.dispatch_due`) and
from the reopening of an appeal answered on the spot (`Reopened.dispatch_due`)
until the next `Assigned` or `AnsweredOnTheSpot` (当场办), which complete it,
or a withdrawal or merge, which end it. It is charged to the centre (unit
`12345`, `appeals.domain.identities.CENTRE_UNIT`), escalates like any late
stage, and is never a unit's.

The **first-response** clock of an appeal received with a dispatch deadline
starts at assignment: `Assigned.first_response_due` is set on each assignment
while the appeal has had no first response, a return ends the running one, and
a re-assignment starts it afresh for the new unit; `Received.first_response_due`
is then null. So the centre's dispatch time and a bounced appeal's time are
never charged to a unit. Appeals received before (no `dispatch_due` in their
`Received`) keep the receipt-based `first_response_due` they were given.
An answer on the spot is the first response.

Every deadline is recorded when its stage starts and never recomputed;
`counting` names the convention it was counted by (`office_hours`: N x office
hours from the start instant; `next_day`: N working days from the next day, due
at close of business), absent on events recorded before conventions were named
(which read `office_hours`). On `Assigned` it is the convention of
`resolve_due`; a limit in hours is always counted in office hours.
"""

SCHEMA_CHANGES = """\
## Changing an event's fields (upcasting)

Old events are never rewritten. To change a class:

1. Raise its `class_version` (absent means 1) and change the fields.
2. Add a static method `upcast_v1_v2(state: dict) -> None` to the class that
   turns a stored version-1 state dict into a version-2 one in place (add a
   default, rename a key, split a field). For each later change add
   `upcast_v2_v3`, and so on.
3. When loading, the library reads the stored `class_version` and applies the
   upcasters in order; new events are stored with the new version.
4. Snapshots of the aggregate follow the same rule with the aggregate class's
   own `class_version` and `upcast_vN_vN+1` methods; or delete the snapshots and
   they are taken again.
5. Add a test that decodes a stored version-1 JSON payload into the new class.
6. Regenerate this file.

A new field with a default (written `= False` above) needs no new version: an
event stored before it existed reads the default. `provisional` is such a field:
true when a deadline the event records falls in a year whose official holiday
notice is not yet known, so its working days are an estimate.

Example:

```python
class Assigned(Event):
    TOPIC = "Appeal.Assigned"
    class_version = 2
    unit: str
    cadre: str | None
    cadre_phone: str | None        # new in v2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["cadre_phone"] = None
```
"""


def catalogue() -> Iterator[type[object]]:
    """Every stored event class, in the order of its module."""
    for value in vars(events).values():
        if (
            inspect.isclass(value)
            and issubclass(value, events.Event)
            and value not in (events.Event, events.Created)
        ):
            yield value
    yield AppealIndex.Claimed
    yield RequestRecord.Recorded


COMMON = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic"}
    | {"actor", "chain"}
)
"""Fields every event stores (described once, above the table)."""


def fields(event_class: type[object]) -> str:
    """The event's own fields, with their types as declared."""
    declared: dict[str, str] = {}
    for cls in reversed(event_class.__mro__):
        declared.update(inspect.get_annotations(cls))
    missing = object()

    def shown(name: str, kind: str) -> str:
        default = getattr(event_class, name, missing)
        suffix = "" if default is missing else f" = {default!r}"
        return f"`{name}: {kind}{suffix}`".replace("|", "\\|")

    return ", ".join(
        shown(name, kind)
        for name, kind in declared.items()
        if name not in COMMON and not kind.startswith("ClassVar")
    )


def meaning(event_class: type[object]) -> str:
    """The first paragraph of the docstring written on the class (not the
    signature the library generates for a redefined class)."""
    for cls in event_class.__mro__:
        doc = cls.__dict__.get("__doc__")
        if doc and not doc.startswith(f"{cls.__name__}("):
            paragraph = inspect.cleandoc(doc).split("\n\n")[0]
            return " ".join(paragraph.split())
    return ""


DISCLOSURE = """\
## Public and internal text

What the enterprise reads is decided in `appeals/domain/disclosure.py`. Each
event's free text is public (the enterprise reads it in its view, history,
exports and Open311 `status_notes`) or internal (officials only); where the
command has a `public` field the writer chooses and the event records it
(the enterprise's own comments and attachments are always public). Hidden
events are left out of the enterprise's history altogether; so are
attachments not marked public.
"""


def disclosure() -> str:
    rows = [
        "| topic | text | default | writer chooses |",
        "|---|---|---|---|",
        *(
            f"| `{topic}` | {text or '-'} | {default} | {'yes' if choosable else '-'} |"
            for topic, text, default, choosable in disclosure_table()
        ),
    ]
    return f"{DISCLOSURE}\n" + "\n".join(rows) + "\n"


def render() -> str:
    """docs/events.md as the classes say it should read."""
    rows = [
        "| topic | meaning | fields |",
        "|---|---|---|",
        *(
            f"| `{get_topic(cls)}` | {meaning(cls)} | {fields(cls)} |"
            for cls in catalogue()
        ),
    ]
    table = "\n".join(rows)
    return f"{INTRODUCTION}\n{table}\n\n{disclosure()}\n{SCHEMA_CHANGES}"


if __name__ == "__main__":
    print(render(), end="")
