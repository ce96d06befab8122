"""The blob store, on the filesystem and on a real S3-compatible server (moto's
standalone server, from PyPI, listening on 127.0.0.1 and started by these
tests), through the same boto3 client production uses; and attachments over
HTTP with the S3 store behind them."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from appeals.infra.blobs import (
    BlobStore,
    FileBlobStore,
    S3BlobStore,
    open_blob_store,
)
from appeals.infra.settings import ConfigurationError
from tests.support.s3 import BUCKET, s3_endpoint, s3_store

__all__ = ["s3_endpoint", "s3_store"]  # fixtures used here


@pytest.fixture(params=["filesystem", "s3"])
def blob_store(
    request: pytest.FixtureRequest, tmp_path: Path, s3_endpoint: str
) -> BlobStore:
    if request.param == "filesystem":
        return FileBlobStore(tmp_path / "blobs")
    s3: S3BlobStore = request.getfixturevalue("s3_store")
    return s3


def test_a_blob_is_kept_under_its_hash_once(blob_store: BlobStore) -> None:
    store = blob_store
    data = b"%PDF-1.4 blob store round trip"
    sha256 = hashlib.sha256(data).hexdigest()
    assert store.get(sha256) is None
    store.put(sha256, data, "application/pdf")
    store.put(sha256, data, "application/pdf")  # again: nothing changes
    assert store.get(sha256) == data


def test_the_s3_store_writes_objects_under_its_prefix(s3_store: S3BlobStore) -> None:
    data = b"%PDF-1.4 prefixed"
    sha256 = hashlib.sha256(data).hexdigest()
    s3_store.put(sha256, data, "application/pdf")
    head = s3_store.client.head_object(Bucket=BUCKET, Key=f"attachments/{sha256}")
    assert head["ContentType"] == "application/pdf"
    assert s3_store.describe() == f"s3://{BUCKET}/attachments/"


@pytest.mark.parametrize(
    "location", ["s3://", "ftp://files.example/attachments", "https://x/y"]
)
def test_a_bad_blob_store_location_is_a_clear_error(location: str) -> None:
    with pytest.raises(ConfigurationError, match="APPEALS_BLOB_STORE"):
        open_blob_store(location)
