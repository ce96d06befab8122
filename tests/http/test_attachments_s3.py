"""Attachments over HTTP with the S3-compatible blob store behind them
(tests/support/s3.py starts the server on loopback)."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from appeals.application.audit import verify_log
from appeals.application.service import AppealLedger
from appeals.http.app import create_app
from appeals.infra.blobs import S3BlobStore
from tests.http.conftest import Auth
from tests.http.test_attachments import PDF, upload
from tests.http.test_interaction import filed_and_in_progress
from tests.support.s3 import BUCKET, s3_endpoint, s3_store

__all__ = ["s3_endpoint", "s3_store"]  # fixtures used here


@pytest.mark.asyncio
async def test_attachments_over_http_on_the_s3_store(
    ledger: AppealLedger, auth: Auth, s3_store: S3BlobStore
) -> None:
    app = create_app(lambda: ledger, blobs=s3_store, attachment_limit=64 * 1024)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://appeals.test"
        ) as client:
            appeal = await filed_and_in_progress(client, auth)
            uploaded = await upload(client, appeal, auth("enterprise"))
            assert uploaded.status_code == 201, uploaded.text
            sha256 = hashlib.sha256(PDF).hexdigest()
            got = await client.get(
                f"/appeals/{appeal}/attachments/{sha256}", headers=auth("handler")
            )
            assert (got.status_code, got.content) == (200, PDF)
        assert verify_log(ledger.event_log, [], blobs=s3_store).clean
        s3_store.client.put_object(
            Bucket=BUCKET, Key=f"attachments/{sha256}", Body=b"%PDF-1.4 swapped"
        )
        (damaged,) = verify_log(ledger.event_log, [], blobs=s3_store).damaged
        assert damaged.sha256 == sha256
