"""``S3Storage``: the ``PhotoStorage`` on an S3-compatible object store (MinIO, SeaweedFS, Ceph; Aliyun OSS, Tencent
COS and Huawei OBS speak the same protocol), shared by every replica of a process.

The client is MinIO's Python SDK: typed, small (about 7 MiB more in a grids process with its client built, where
boto3 with an S3 client costs about 24 MiB) and blocking, so each call runs in a worker thread like
``LocalDiskStorage``'s. This module is imported only when a process is configured with ``PHOTO_STORAGE=s3``
(``shared.photos.photo_storage``): on the local disk a process pays nothing for it.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import urllib3
from minio import Minio
from minio.error import S3Error
from pydantic import SecretStr

from shared.errors import SATURATED_RETRY_AFTER, ServiceUnavailable
from shared.photos import StorageFull, ThreadedStorage, check_key, content_type_of

if TYPE_CHECKING:
    from shared.settings import PhotoSettings

# What an object store answers when the bucket or the account has no room left (MinIO's, Ceph's, the clouds').
_NO_ROOM = frozenset({"QuotaExceeded", "XMinioStorageFull", "XMinioAdminBucketQuotaExceeded", "InsufficientStorage"})
_MISSING = frozenset({"NoSuchKey", "NoSuchObject"})


class PhotoStoreUnavailable(ServiceUnavailable):
    """The object store did not answer, or refused the process (docs/OPERATIONS.md, "Faults"): 503 with
    ``Retry-After``, and nothing of an upload kept."""

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {})["Retry-After"] = str(SATURATED_RETRY_AFTER)
        super().__init__(detail, **kwargs)


class S3Storage(ThreadedStorage):
    """``PhotoStorage`` on an S3-compatible bucket: key ``k`` is the object ``prefix + k``. A put replaces the
    object whole (a reader never sees half of one), so a repeated put leaves the same bytes; deleting a missing
    object is no error; keys are checked as the local disk checks them, so none leaves the prefix."""

    def __init__(
        self,
        *,
        endpoint: str,
        bucket: str,
        access_key: str | None,
        secret_key: str | None,
        region: str = "us-east-1",
        prefix: str = "",
        virtual_host: bool = False,
        timeout_seconds: float = 10.0,
    ) -> None:
        url = urlsplit(endpoint)
        if url.scheme not in ("http", "https") or not url.netloc:
            raise ValueError("the endpoint is not an http(s) URL")
        if prefix and not prefix.endswith("/"):
            raise ValueError("the key prefix must end with /")
        self.bucket = bucket
        self.prefix = prefix
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=min(timeout_seconds, 5.0), read=timeout_seconds),
            # A connection reset or a 503 from the store is tried again, briefly: every request is idempotent.
            retries=urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=(500, 502, 503, 504)),
            maxsize=10,
        )
        self.client = Minio(
            url.netloc,
            access_key=access_key,
            secret_key=secret_key,
            region=region,
            secure=url.scheme == "https",
            http_client=http,
        )
        if virtual_host:
            self.client.enable_virtual_style_endpoint()
        else:
            self.client.disable_virtual_style_endpoint()

    @classmethod
    def from_settings(cls, settings: PhotoSettings) -> S3Storage:
        return cls(
            endpoint=settings.photo_s3_endpoint,
            bucket=settings.photo_s3_bucket,
            access_key=_reveal(settings.photo_s3_access_key),
            secret_key=_reveal(settings.photo_s3_secret_key),
            region=settings.photo_s3_region,
            prefix=settings.photo_s3_prefix,
            virtual_host=settings.photo_s3_addressing == "virtual",
            timeout_seconds=settings.photo_s3_timeout_seconds,
        )

    def object_name(self, key: str) -> str:
        """The object ``key`` is kept as; ``ValueError`` for a key that is not a plain relative path."""
        return self.prefix + check_key(key)

    def _put(self, key: str, data: bytes) -> None:
        name = self.object_name(key)
        try:
            self.client.put_object(self.bucket, name, io.BytesIO(data), len(data), content_type=content_type_of(key))
        except S3Error as exc:
            if exc.code in _NO_ROOM:
                raise StorageFull("the photo store is full; try again later") from exc
            raise _unavailable(exc) from exc
        except urllib3.exceptions.HTTPError as exc:
            raise _unavailable(exc) from exc

    def _get(self, key: str) -> bytes:
        name = self.object_name(key)
        try:
            response = self.client.get_object(self.bucket, name)
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()
        except S3Error as exc:
            if exc.code in _MISSING:
                raise KeyError(key) from None
            raise _unavailable(exc) from exc
        except urllib3.exceptions.HTTPError as exc:
            raise _unavailable(exc) from exc

    def _delete(self, key: str) -> None:
        name = self.object_name(key)
        try:
            self.client.remove_object(self.bucket, name)  # S3 answers 204 for a missing object too
        except S3Error as exc:
            if exc.code in _MISSING:
                return
            raise _unavailable(exc) from exc
        except urllib3.exceptions.HTTPError as exc:
            raise _unavailable(exc) from exc


def _reveal(secret: SecretStr | None) -> str | None:
    return secret.get_secret_value() or None if secret is not None else None


def _unavailable(exc: Exception) -> PhotoStoreUnavailable:
    # The store's own error code names what went wrong (AccessDenied, NoSuchBucket, ...); never the credentials.
    reason = exc.code if isinstance(exc, S3Error) else type(exc).__name__
    return PhotoStoreUnavailable(f"the photo store cannot be reached ({reason}); try again later")
