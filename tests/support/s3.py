"""An S3-compatible server of the tests' own: moto's standalone server (from
PyPI) on 127.0.0.1, reached through boto3 as production reaches any S3 store.
Import the fixtures into a test module to use them."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer

from appeals.infra.blobs import S3BlobStore, open_blob_store

BUCKET = "appeal-attachments"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """An S3-compatible server of the tests' own, on loopback."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_store(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> S3BlobStore:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "appeals-test",
        "AWS_SECRET_ACCESS_KEY": "appeals-test-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=s3_endpoint)
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if BUCKET not in existing:
        client.create_bucket(Bucket=BUCKET)
    store = open_blob_store(f"s3://{BUCKET}/attachments", s3_endpoint)
    assert isinstance(store, S3BlobStore)
    return store
