"""Attachments (附件): upload, download and the audit of their bytes.

An upload is checked before anything is stored: its size, its type sniffed
from the content (``filetype``; the client's Content-Type and file name are
not trusted), and the command itself decided on a copy of the appeal (who may
attach to it, whether it is open). Then the bytes go to the blob store under
their SHA-256 and the ``AttachmentAdded`` event is saved; a race lost between
the two leaves a blob no event names, which nobody can download.

A download is authorised by the appeal's own read scope (a handler reads only
its unit's appeals, an enterprise only its own) and, for the enterprise, by
the attachment being public; its bytes are checked against the recorded hash
on the way out.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import filetype

from appeals.application.claims import IdempotentRequest
from appeals.application.queries import AppealView
from appeals.application.service import AppealLedger, CommandResult, decide
from appeals.domain import commands as cmd
from appeals.domain.errors import AttachmentDamaged, AttachmentNotFound, InvalidField
from appeals.domain.permissions import check_read, reads_internal_text
from appeals.domain.values import Actor, AttachmentPurpose
from appeals.infra.blobs import BlobStore, digest

ACCEPTED_TYPES: dict[str, str] = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WebP",
    "image/tiff": "TIFF",
    "image/bmp": "BMP",
    "image/heic": "HEIC",
    "application/msword": "Word 97-2003",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word",
    "application/vnd.ms-excel": "Excel 97-2003",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel",
    "application/vnd.ms-powerpoint": "PowerPoint 97-2003",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (
        "PowerPoint"
    ),
    "application/vnd.oasis.opendocument.text": "OpenDocument text",
    "application/vnd.oasis.opendocument.spreadsheet": "OpenDocument spreadsheet",
}
"""What an attachment may be, by its sniffed type: scans, photos, office files."""


@dataclass(frozen=True)
class Upload:
    data: bytes
    filename: str
    purpose: AttachmentPurpose = AttachmentPurpose.SUPPLEMENT
    public: bool | None = None


def sniff(data: bytes, limit: int) -> str:
    """The media type of ``data`` by its content, or :class:`InvalidField`."""
    if not data:
        raise InvalidField("file", "is empty")
    if len(data) > limit:
        raise InvalidField("file", f"is {len(data)} bytes, at most {limit}")
    kind = filetype.guess(data)
    media_type = getattr(kind, "mime", None)
    if media_type not in ACCEPTED_TYPES:
        found = media_type or "unrecognised content"
        accepted = ", ".join(sorted(set(ACCEPTED_TYPES.values())))
        raise InvalidField(
            "file",
            f"类型不允许 ({found}); 可上传 accepted: {accepted}",
        )
    return str(media_type)


def attach(
    ledger: AppealLedger,
    blobs: BlobStore,
    appeal_id: UUID,
    upload: Upload,
    actor: Actor,
    *,
    limit: int,
    request: IdempotentRequest | None = None,
) -> CommandResult:
    """Stores the upload's bytes and records it on the appeal."""
    media_type = sniff(upload.data, limit)
    sha256 = digest(upload.data)
    command = cmd.AddAttachment(
        sha256=sha256,
        size=len(upload.data),
        media_type=media_type,
        filename=upload.filename,
        purpose=upload.purpose,
        public=upload.public,
    )
    # Decided once on a copy first: a refused upload stores nothing.
    decide(ledger.get(appeal_id), command, actor, ledger.clock.now(), ledger.rules)
    blobs.put(sha256, upload.data, media_type)
    return ledger.execute(appeal_id, command, actor, request=request)


def readable_attachment(view: AppealView, sha256: str, actor: Actor) -> dict[str, str]:
    """The attachment's record if ``actor`` may download it (else not found:
    another unit's or an internal file looks like no file)."""
    check_read(actor, unit=view.unit, uscc=view.uscc, co_units=view.co_units)
    for attachment in view.attachments:
        if attachment["sha256"] != sha256:
            continue
        if attachment["public"] or reads_internal_text(actor):
            return attachment
    raise AttachmentNotFound(sha256)


def download(blobs: BlobStore, sha256: str) -> bytes:
    """The bytes under ``sha256``, checked against it."""
    data = blobs.get(sha256)
    if data is None:
        raise AttachmentDamaged(sha256, "missing from the blob store")
    if digest(data) != sha256:
        raise AttachmentDamaged(sha256, "altered (its bytes no longer match)")
    return data
