"""The domain's errors: one family, each carrying structured data.

The HTTP edge maps each class to a status code and an RFC 9457 problem type
once; nothing else needs to know about HTTP.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID


class AppealError(Exception):
    """Base of every error the domain raises on purpose."""

    type_slug = "appeal-error"

    def details(self) -> dict[str, Any]:
        """Structured fields for problem details."""
        return {}


class InvalidField(AppealError):
    """A value given to a command is malformed or out of range."""

    type_slug = "invalid-field"

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")

    def details(self) -> dict[str, Any]:
        return {"errors": [{"field": self.field, "reason": self.reason}]}


class InvalidCreditCode(InvalidField):
    """A Unified Social Credit Code fails GB 32100-2015 (format or check)."""

    type_slug = "invalid-credit-code"


class CommandNotAllowed(AppealError):
    """The appeal's current state does not allow the command (docs/domain.md
    lifecycle); nothing was recorded."""

    type_slug = "command-not-allowed"

    def __init__(self, command: str, status: str, reason: str = "") -> None:
        self.command = command
        self.status = status
        self.reason = reason
        message = f"cannot {command} an appeal that is {status}"
        if reason:
            message += f": {reason}"
        super().__init__(message)

    def details(self) -> dict[str, Any]:
        return {"command": self.command, "appeal_status": self.status}


class NotPermitted(AppealError):
    """The actor's role (or unit, or credit code) may not issue this command."""

    type_slug = "not-permitted"

    def __init__(self, command: str, role: str, reason: str) -> None:
        self.command = command
        self.role = role
        self.reason = reason
        super().__init__(f"a {role} may not {command}: {reason}")

    def details(self) -> dict[str, Any]:
        return {"command": self.command, "role": self.role}


class AppealNotFound(AppealError):
    """No appeal has this id or ticket number."""

    type_slug = "appeal-not-found"

    def __init__(self, reference: UUID | str) -> None:
        self.reference = str(reference)
        super().__init__(f"no appeal {self.reference}")

    def details(self) -> dict[str, Any]:
        return {"appeal": self.reference}


class AttachmentNotFound(AppealError):
    """No attachment with this hash on the appeal that the reader may read
    (another unit's, or an internal one for the enterprise, looks the same)."""

    type_slug = "attachment-not-found"

    def __init__(self, sha256: str) -> None:
        self.sha256 = sha256
        super().__init__(f"no attachment {sha256} on this appeal for you")

    def details(self) -> dict[str, Any]:
        return {"sha256": self.sha256}


class AttachmentDamaged(AppealError):
    """The blob store's bytes no longer match the hash the event recorded."""

    type_slug = "attachment-damaged"

    def __init__(self, sha256: str, problem: str) -> None:
        self.sha256, self.problem = sha256, problem
        super().__init__(
            f"attachment {sha256} is {problem}; `appeals audit verify` lists "
            "every damaged attachment"
        )

    def details(self) -> dict[str, Any]:
        return {"sha256": self.sha256}


class VersionConflict(AppealError):
    """The command expected another version of the appeal than the stored one
    (optimistic concurrency): someone else changed it first."""

    type_slug = "version-conflict"

    def __init__(self, appeal_id: UUID, expected: int, actual: int) -> None:
        self.appeal_id = appeal_id
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"appeal {appeal_id} is at version {actual}, not {expected} as expected"
        )

    def details(self) -> dict[str, Any]:
        return {"expected_version": self.expected, "current_version": self.actual}


class IdempotencyKeyReused(AppealError):
    """An ``Idempotency-Key`` already used for a different request."""

    type_slug = "idempotency-key-reused"

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(
            f"Idempotency-Key {key!r} was already used for a different request"
        )

    def details(self) -> dict[str, Any]:
        return {"errors": [{"field": "Idempotency-Key", "reason": str(self)}]}
