"""Attachments (issue 16, item 4): uploaded with a size and type limit (the
type sniffed from the content), stored by SHA-256 in the blob store, recorded
in the event (so the chain covers them), downloaded under the appeal's own
scope; a damaged blob is reported by the download and by the audit (both
stores, the filesystem blob store; tests/infra/test_blobs.py runs the S3 one)."""

from __future__ import annotations

import hashlib
from uuid import UUID

import httpx
import pytest

from appeals.application.audit import verify_log
from appeals.application.service import AppealLedger
from appeals.domain import events as ev
from appeals.infra.blobs import BlobStore, FileBlobStore
from tests.builders import post
from tests.http.conftest import Auth
from tests.http.test_interaction import filed_and_in_progress, run
from tests.http.test_openapi import check

pytestmark = pytest.mark.asyncio

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + b"\x00" * 32


async def upload(
    client: httpx.AsyncClient,
    appeal: str,
    headers: dict[str, str],
    data: bytes = PDF,
    name: str = "营业执照副本.pdf",
    declared: str = "image/png",  # what the client says is never trusted
    **fields: str,
) -> httpx.Response:
    return await client.post(
        f"/appeals/{appeal}/attachments",
        files={"file": (name, data, declared)},
        data=fields,
        headers=headers,
    )


async def test_an_enterprise_supplies_materials_with_an_attachment(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, blobs: BlobStore
) -> None:
    spec = (await client.get("/openapi.json")).json()
    enterprise = auth("enterprise")
    appeal = await filed_and_in_progress(client, auth)
    await run(client, auth, appeal, "handler", "pause", reason="请补充营业执照副本")
    uploaded = await upload(client, appeal, enterprise)
    assert uploaded.status_code == 201, uploaded.text
    check(spec, uploaded)
    sha256 = hashlib.sha256(PDF).hexdigest()
    (attachment,) = uploaded.json()["attachments"]
    assert attachment["sha256"] == sha256
    assert attachment["media_type"] == "application/pdf"  # sniffed, not declared
    assert (attachment["size"], attachment["name"]) == (len(PDF), "营业执照副本.pdf")
    assert attachment["public"] is True
    assert blobs.get(sha256) == PDF
    added = ledger.history(UUID(appeal))[-1]
    assert isinstance(added, ev.AttachmentAdded)
    assert (added.sha256, added.size, added.media_type) == (
        sha256,
        len(PDF),
        "application/pdf",
    )
    supplied = await post(
        client,
        f"/appeals/{appeal}/supply-materials",
        {"note": "营业执照副本见附件", "attachments": [sha256]},
        enterprise,
    )
    assert supplied.status_code == 200, supplied.text
    assert supplied.json()["paused"] is False
    for who in ("enterprise", "handler", "auditor"):
        got = await client.get(
            f"/appeals/{appeal}/attachments/{sha256}", headers=auth(who)
        )
        assert got.status_code == 200, (who, got.text)
        assert got.content == PDF
        assert got.headers["content-type"] == "application/pdf"
        assert got.headers["x-content-type-options"] == "nosniff"
        assert "filename*=UTF-8''" in got.headers["content-disposition"]
    # Another unit's handler and another enterprise see no file at all.
    for who in ("other_handler", "other_enterprise"):
        refused = await client.get(
            f"/appeals/{appeal}/attachments/{sha256}", headers=auth(who)
        )
        assert refused.status_code in (403, 404), (who, refused.text)
        assert PDF not in refused.content


async def test_an_officials_attachment_is_internal_unless_marked_public(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    appeal = await filed_and_in_progress(client, auth)
    internal = await upload(client, appeal, auth("handler"), purpose="evidence")
    assert internal.status_code == 201, internal.text
    shown = await upload(
        client, appeal, auth("handler"), data=PNG, name="现场照片.png", public="true"
    )
    assert shown.status_code == 201, shown.text
    own = (await client.get(f"/appeals/{appeal}", headers=auth("enterprise"))).json()
    assert [a["name"] for a in own["attachments"]] == ["现场照片.png"]
    hidden = hashlib.sha256(PDF).hexdigest()
    refused = await client.get(
        f"/appeals/{appeal}/attachments/{hidden}", headers=auth("enterprise")
    )
    assert refused.status_code == 404
    assert refused.json()["type"].endswith("/attachment-not-found")
    history = await client.get(f"/appeals/{appeal}/history", headers=auth("enterprise"))
    assert hidden not in history.text
    official = (
        await client.get(f"/appeals/{appeal}", headers=auth("supervisor"))
    ).json()
    assert {a["purpose"] for a in official["attachments"]} == {"evidence", "supplement"}


@pytest.mark.parametrize(
    ("data", "name", "fields", "status", "field"),
    [
        (b"MZ\x90\x00" + b"\x00" * 64, "说明.pdf", {}, 422, "file"),  # a program
        (b"just some text, called a pdf", "x.pdf", {}, 422, "file"),
        (b"", "empty.pdf", {}, 422, "file"),
        (PDF, "x.pdf", {"purpose": "gossip"}, 422, "purpose"),
        (PDF, "x.pdf", {"public": "yes"}, 422, "public"),
        (PDF, "x.pdf", {"colour": "red"}, 422, "colour"),
        (b"%PDF-1.4\n" + b"0" * 70_000, "big.pdf", {}, 413, None),
    ],
)
async def test_a_bad_upload_is_refused_and_stores_nothing(
    client: httpx.AsyncClient,
    auth: Auth,
    ledger: AppealLedger,
    blobs: BlobStore,
    data: bytes,
    name: str,
    fields: dict[str, str],
    status: int,
    field: str | None,
) -> None:
    appeal = await filed_and_in_progress(client, auth)
    head = ledger.recorder.max_notification_id()
    refused = await upload(client, appeal, auth("enterprise"), data, name, **fields)
    assert refused.status_code == status, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    if field is not None:
        assert field in [e["field"] for e in refused.json()["errors"]]
    assert ledger.recorder.max_notification_id() == head
    assert isinstance(blobs, FileBlobStore)
    assert not blobs.root.exists() or not any(blobs.root.rglob("*"))


async def test_refused_uploads_store_no_bytes(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, blobs: BlobStore
) -> None:
    """Another enterprise's appeal, or a closed door: decided before storing."""
    appeal = await filed_and_in_progress(client, auth)
    for who in ("other_enterprise", "other_handler", "auditor"):
        refused = await upload(client, appeal, auth(who))
        assert refused.status_code == 403, (who, refused.text)
    not_multipart = await client.post(
        f"/appeals/{appeal}/attachments", content=PDF, headers=auth("enterprise")
    )
    assert not_multipart.status_code == 415
    assert blobs.get(hashlib.sha256(PDF).hexdigest()) is None


async def test_a_damaged_attachment_is_reported_by_download_and_audit(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, blobs: BlobStore
) -> None:
    appeal = await filed_and_in_progress(client, auth)
    assert (await upload(client, appeal, auth("enterprise"))).status_code == 201
    sha256 = hashlib.sha256(PDF).hexdigest()
    clean = verify_log(ledger.event_log, [], blobs=blobs)
    assert (clean.clean, clean.attachments) == (True, 1)
    assert isinstance(blobs, FileBlobStore)
    blobs.path_of(sha256).write_bytes(PDF.replace(b"Catalog", b"Catalig"))
    damaged = await client.get(
        f"/appeals/{appeal}/attachments/{sha256}", headers=auth("enterprise")
    )
    assert damaged.status_code == 500
    assert damaged.json()["type"].endswith("/attachment-damaged")
    audit = verify_log(ledger.event_log, [], blobs=blobs)
    assert not audit.clean
    assert audit.finding is None  # the events are intact; the bytes are not
    (finding,) = audit.damaged
    assert (finding.appeal, finding.sha256) == (UUID(appeal), sha256)
    assert "altered" in finding.problem
    blobs.path_of(sha256).unlink()
    (missing,) = verify_log(ledger.event_log, [], blobs=blobs).damaged
    assert "missing" in missing.problem


async def test_an_enterprise_follows_its_appeal_to_closing_with_its_own_token(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    """Issue 16's "done when": files, comments, supplies materials with an
    attachment and follows to closing, seeing no internal text."""
    enterprise = auth("enterprise")
    secrets = ["内部：该企业曾多次投诉", "内部督办：限期", "内部销号备注"]
    appeal = await filed_and_in_progress(client, auth)
    await run(
        client, auth, appeal, "handler", "note-progress", note=secrets[0], public=False
    )
    await run(client, auth, appeal, "handler", "pause", reason="请上传营业执照副本")
    commented = await post(
        client, f"/appeals/{appeal}/comment", {"text": "今天上传"}, enterprise
    )
    assert commented.status_code == 200
    assert (await upload(client, appeal, enterprise)).status_code == 201
    sha256 = hashlib.sha256(PDF).hexdigest()
    supplied = await post(
        client,
        f"/appeals/{appeal}/supply-materials",
        {"note": "已上传", "attachments": [sha256]},
        enterprise,
    )
    assert supplied.status_code == 200, supplied.text
    await run(client, auth, appeal, "supervisor", "supervise", level=1, note=secrets[1])
    await run(
        client,
        auth,
        appeal,
        "handler",
        "resolve",
        outcome="resolved",
        result="证照已变更",
    )
    await run(
        client, auth, appeal, "handler", "reply", channel="portal", content="请查收"
    )
    evaluated = await post(
        client,
        f"/appeals/{appeal}/evaluate",
        {"resolved": True, "satisfaction": "satisfied"},
        enterprise,
    )
    assert evaluated.status_code == 200
    await run(client, auth, appeal, "intake", "close", note=secrets[2])
    reads = [
        await client.get(f"/appeals/{appeal}", headers=enterprise),
        await client.get(f"/appeals/{appeal}/history", headers=enterprise),
        await client.get(f"/appeals/{appeal}/attachments/{sha256}", headers=enterprise),
        await client.get("/appeals", headers=enterprise),
    ]
    assert [r.status_code for r in reads] == [200, 200, 200, 200]
    assert reads[0].json()["status"] == "closed"
    assert reads[0].json()["latest_public_note"] == "请查收"
    for response in reads:
        for secret in secrets:
            assert secret not in response.text
