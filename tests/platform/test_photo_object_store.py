"""Photos on an S3-compatible object store (``shared.objectstore.S3Storage``), against a real one on loopback
(SeaweedFS): what a put leaves in the bucket, what a get and a delete do, keys that cannot leave the prefix, the
settings that choose the store, and a store that refuses the process."""

from __future__ import annotations

import base64
import subprocess
import sys
import uuid
from typing import Any

import pytest

from services.grids.config import Settings as GridsSettings
from services.orders.config import Settings as OrdersSettings
from shared.errors import NotFound
from shared.objectstore import PhotoStoreUnavailable, S3Storage
from shared.photos import LocalDiskStorage, photo_key, photo_storage, stored_bytes
from shared.settings import SettingsError
from tests.support.objectstore import ObjectStore, fresh_prefix

pytestmark = [pytest.mark.no_db, pytest.mark.timeout(120)]


def storage(store: ObjectStore, prefix: str, **overrides: str) -> S3Storage:
    values: dict[str, Any] = {"endpoint": store.endpoint, "access_key": store.access_key}
    values |= {"secret_key": store.secret_key, **overrides}
    return S3Storage(bucket=store.bucket, prefix=prefix, **values)


def a_key(extension: str = "jpg") -> str:
    return photo_key(uuid.uuid4(), uuid.uuid4(), extension)


async def test_put_get_and_delete_one_object_under_the_prefix(object_store: ObjectStore) -> None:
    prefix = fresh_prefix()
    photos = storage(object_store, prefix)
    key = a_key("png")

    await photos.put(key, b"\x89PNG first")
    await photos.put(key, b"\x89PNG first")  # a repeated put: the same single object
    assert await photos.get(key) == b"\x89PNG first"
    assert object_store.objects(prefix) == {prefix + key: b"\x89PNG first"}
    stat = object_store.client().stat_object(object_store.bucket, prefix + key)
    assert stat.content_type == "image/png"

    await photos.delete(key)
    assert object_store.objects(prefix) == {}
    await photos.delete(key)  # already gone: no error
    with pytest.raises(KeyError):
        await photos.get(key)


async def test_a_missing_photo_is_404_as_on_the_local_disk(object_store: ObjectStore, tmp_path: object) -> None:
    class Row:
        id = uuid.uuid4()
        sha256 = "0" * 64
        storage_key = a_key()
        content_type = "image/jpeg"

    for photos in (storage(object_store, fresh_prefix()), LocalDiskStorage(str(tmp_path))):
        with pytest.raises(NotFound, match="missing from storage"):
            await stored_bytes(photos, Row(), Row.id, "visit x")


async def test_keys_never_leave_the_prefix(object_store: ObjectStore) -> None:
    prefix = fresh_prefix()
    photos = storage(object_store, prefix)
    bad = ("../escape.jpg", "/absolute.jpg", "a//double.jpg", "a/./dot.jpg", "a/../up.jpg", ".hidden", "a\\back.jpg")
    for key in (*bad, ""):
        with pytest.raises(ValueError, match="invalid storage key"):
            await photos.put(key, b"data")
        with pytest.raises(ValueError, match="invalid storage key"):
            await photos.get(key)
    written = object_store.objects("")  # the whole bucket: nothing written, inside the prefix or beside it
    assert not [name for name in written if name.endswith(tuple(key.rsplit("/", 1)[-1] for key in bad))]

    other = storage(object_store, fresh_prefix())  # another process's prefix in the same bucket
    key = a_key()
    await photos.put(key, b"mine")
    with pytest.raises(KeyError):
        await other.get(key)


async def test_a_store_that_refuses_the_credentials_is_503_without_the_secret(object_store: ObjectStore) -> None:
    photos = storage(object_store, fresh_prefix(), secret_key="wrong-secret-value")
    with pytest.raises(PhotoStoreUnavailable) as refused:
        await photos.put(a_key(), b"data")
    assert refused.value.status == 503 and "wrong-secret-value" not in str(refused.value)
    nowhere = storage(object_store, fresh_prefix(), endpoint="http://127.0.0.1:9")  # nothing listens there
    with pytest.raises(PhotoStoreUnavailable):
        await nowhere.get(a_key())


def test_settings_choose_the_store_and_name_what_is_missing(tmp_path: object) -> None:
    assert isinstance(photo_storage(GridsSettings(profile="test")), LocalDiskStorage)
    s3 = GridsSettings(
        profile="test", photo_storage="s3", photo_s3_endpoint="http://127.0.0.1:8333", photo_s3_bucket="photos"
    )
    assert isinstance(photo_storage(s3), S3Storage)

    with pytest.raises(SettingsError, match="GRIDS_PHOTO_S3_ENDPOINT must be set when GRIDS_PHOTO_STORAGE is s3"):
        GridsSettings(profile="test", photo_storage="s3", photo_s3_bucket="photos")
    with pytest.raises(SettingsError, match="ORDERS_PHOTO_S3_ENDPOINT is not an http"):
        OrdersSettings(profile="test", photo_storage="s3", photo_s3_endpoint="127.0.0.1:8333", photo_s3_bucket="photos")
    key = base64.b64encode(bytes(range(32))).decode()
    production: dict[str, Any] = {
        "profile": "production",
        "events_secret": "a-real-events-secret",
        "pii_keys": f"k1:{key}",  # the orders service's own secret (hotline callers' phones)
        "blind_index_key": key,
        "photo_storage": "s3",
        "photo_s3_endpoint": "https://oss-cn-beijing.aliyuncs.com",
        "photo_s3_bucket": "street-photos",
        "photo_s3_access_key": "AKIDEXAMPLEVALUE",
    }
    with pytest.raises(SettingsError) as missing:
        OrdersSettings(**production)
    assert "ORDERS_PHOTO_S3_SECRET_KEY must be set when ORDERS_PHOTO_STORAGE is s3" in str(missing.value)
    assert "AKIDEXAMPLEVALUE" not in str(missing.value)
    settings = OrdersSettings(**production, photo_s3_secret_key="the-secret-value")
    assert "the-secret-value" not in repr(settings) and "AKIDEXAMPLEVALUE" not in repr(settings)


def test_a_process_on_the_local_disk_does_not_load_the_s3_client() -> None:
    program = (
        "import sys\n"
        "from services.grids.app import create_app\n"
        "from services.grids.config import Settings\n"
        "create_app(Settings(profile='test'))\n"
        "print('minio' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.strip() == "False"
