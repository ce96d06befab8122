"""Stored events made by hand, for tests of the store itself."""

from __future__ import annotations

from eventsourcing.persistence import StoredEvent


def probe_event(originator: object, version: int) -> StoredEvent:
    """An event of no aggregate type the application knows (topic
    ``tests:Probe``), at ``version`` of ``originator``."""
    return StoredEvent(
        originator_id=originator,  # type: ignore[arg-type]
        originator_version=version,
        topic="tests:Probe",
        state=b"{}",
    )
