"""Attachments over HTTP: ``POST /appeals/{id}/attachments`` (multipart form:
``file``, optional ``purpose`` and ``public``) and
``GET /appeals/{id}/attachments/{sha256}``. The rules are the application's
(appeals.application.attachments); this module reads forms and writes bytes.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from appeals.application import queries
from appeals.application.attachments import (
    Upload,
    attach,
    download,
    readable_attachment,
)
from appeals.domain.values import AttachmentPurpose
from appeals.http.appeals import command_response
from appeals.http.auth import authenticate
from appeals.http.context import context_of
from appeals.http.parameters import invalid
from appeals.http.problems import HttpProblem
from appeals.http.requests import convert, idempotent_request, path_uuid, too_large
from appeals.infra.blobs import digest

FORM_OVERHEAD = 16 * 1024
"""Room for the multipart boundaries and the small fields beside the file."""


async def upload_attachment(request: Request) -> Response:
    actor = await authenticate(request)
    appeal_id = path_uuid(request)
    context = context_of(request)
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise HttpProblem(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            "upload a file as multipart/form-data (field 'file'; optional "
            "'purpose' and 'public')",
        )
    limit = context.attachment_limit + FORM_OVERHEAD
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise too_large(int(declared), context.attachment_limit)
    form = await request.form(max_files=1, max_fields=4, max_part_size=4096)
    try:
        upload, fields = await _upload_of(form, context.attachment_limit)
    finally:
        await form.close()
    idempotency = idempotent_request(request, actor, fields)
    result = await run_in_threadpool(
        lambda: attach(
            context.ledger,
            context.blobs,
            appeal_id,
            upload,
            actor,
            limit=context.attachment_limit,
            request=idempotency,
        )
    )
    return await command_response(request, actor, result, 201)


async def _upload_of(form: Any, limit: int) -> tuple[Upload, dict[str, Any]]:
    """The upload from the form, or a 422 naming every bad field."""
    errors: list[dict[str, str]] = []
    for name in form:
        if name not in ("file", "purpose", "public"):
            errors.append({"field": name, "reason": "is not a field of this upload"})
    file = form.get("file")
    if not isinstance(file, UploadFile):
        errors.append({"field": "file", "reason": "is required (a file part)"})
    purpose = AttachmentPurpose.SUPPLEMENT
    try:
        purpose = convert(AttachmentPurpose, form.get("purpose") or purpose.value)
    except ValueError as error:
        errors.append({"field": "purpose", "reason": str(error)})
    public: bool | None = None
    raw_public = form.get("public")
    if raw_public is not None:
        if raw_public not in ("true", "false"):
            errors.append({"field": "public", "reason": "must be true or false"})
        public = raw_public == "true"
    if errors or not isinstance(file, UploadFile):
        raise invalid(errors)
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise too_large(len(data), limit)
    filename = (file.filename or "").strip() or "attachment"
    upload = Upload(data=data, filename=filename, purpose=purpose, public=public)
    fields = {
        "sha256": digest(data),
        "filename": filename,
        "purpose": purpose.value,
        "public": public,
    }
    return upload, fields


async def get_attachment(request: Request) -> Response:
    actor = await authenticate(request)
    appeal_id = path_uuid(request)
    sha256 = request.path_params["sha256"]
    context = context_of(request)
    view, _ = await run_in_threadpool(queries.appeal_view, context.ledger, appeal_id)
    attachment = readable_attachment(view, sha256, actor)
    data = await run_in_threadpool(download, context.blobs, sha256)
    name = attachment["name"]
    return Response(
        data,
        media_type=attachment["media_type"],
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff",
            "ETag": f'"{sha256}"',
            "Cache-Control": "private, max-age=0",
        },
    )


def attachment_routes() -> list[Route]:
    return [
        Route(
            "/appeals/{appeal_id}/attachments",
            upload_attachment,
            methods=["POST"],
        ),
        Route("/appeals/{appeal_id}/attachments/{sha256}", get_attachment),
    ]
