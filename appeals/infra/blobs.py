"""The blob store: attachments' bytes, content-addressed by SHA-256.

An appeal's ``AttachmentAdded`` event records the hash, size, type and name,
so the appeal's hash chain covers the file; the bytes live here, under their
hash. Two stores, chosen by ``APPEALS_BLOB_STORE``:

- a directory (the embedded default, ``var/blobs``): ``ab/cd/abcd...`` files,
  written to a temporary name and renamed into place, so a reader never sees
  half a file;
- ``s3://bucket/prefix``: any S3-compatible store (AWS, MinIO, Ceph, OSS...)
  through boto3, the AWS SDK; ``APPEALS_S3_ENDPOINT_URL`` points it at a
  store other than AWS and the credentials are boto3's usual ones
  (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, a profile, a role).

Writing the same bytes twice stores them once. Nothing is ever deleted here: a
blob that no event names (an upload whose command was refused) is harmless and
unreadable, since downloads go through the appeal's events.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from appeals.infra.settings import ConfigurationError


class BlobStore(Protocol):
    """Where attachments' bytes are kept, by their SHA-256 (hex)."""

    def put(self, sha256: str, data: bytes, media_type: str) -> None: ...

    def get(self, sha256: str) -> bytes | None:
        """The bytes, or None if there are none under that hash."""
        ...

    def describe(self) -> str: ...


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class FileBlobStore:
    """Blobs as files under ``root`` (``ab/cd/<hash>``)."""

    root: Path

    def path_of(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, sha256: str, data: bytes, media_type: str) -> None:
        target = self.path_of(sha256)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise

    def get(self, sha256: str) -> bytes | None:
        try:
            return self.path_of(sha256).read_bytes()
        except FileNotFoundError:
            return None

    def describe(self) -> str:
        return f"directory {self.root}"


class S3BlobStore:
    """Blobs as objects ``<prefix><hash>`` in an S3-compatible bucket."""

    def __init__(self, bucket: str, prefix: str, client: Any) -> None:
        self.bucket, self.prefix, self.client = bucket, prefix, client

    def key_of(self, sha256: str) -> str:
        return f"{self.prefix}{sha256}"

    def put(self, sha256: str, data: bytes, media_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=self.key_of(sha256),
            Body=data,
            ContentType=media_type,
        )

    def get(self, sha256: str) -> bytes | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.key_of(sha256))
        except self.client.exceptions.NoSuchKey:
            return None
        body: bytes = answer["Body"].read()
        return body

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


def open_blob_store(location: str, endpoint_url: str | None = None) -> BlobStore:
    """The store ``location`` names: ``s3://bucket/prefix`` or a directory."""
    if location.startswith("s3://"):
        parts = urlsplit(location)
        if not parts.netloc:
            raise ConfigurationError(
                f"APPEALS_BLOB_STORE={location!r} names no bucket (s3://bucket/prefix)"
            )
        prefix = parts.path.lstrip("/")
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        import boto3  # only where S3 is configured

        client = boto3.client("s3", endpoint_url=endpoint_url or None)
        return S3BlobStore(parts.netloc, prefix, client)
    if "://" in location:
        raise ConfigurationError(
            f"APPEALS_BLOB_STORE={location!r}: give a directory or s3://bucket/prefix"
        )
    return FileBlobStore(Path(location))


def stored_hashes(blobs: BlobStore, hashes: Iterator[str]) -> Iterator[tuple[str, str]]:
    """``(sha256, problem)`` for each hash whose bytes are missing or no longer
    hash to it (what ``appeals audit verify`` reports)."""
    for sha256 in hashes:
        data = blobs.get(sha256)
        if data is None:
            yield sha256, "missing"
        elif digest(data) != sha256:
            yield sha256, f"its bytes now hash to {digest(data)}"
