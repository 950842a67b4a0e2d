"""Visit photos: the content check (JPEG, PNG, WebP only, judged by the bytes) and local disk storage."""

from __future__ import annotations

import hashlib
import io
import os
import random
import shutil
import stat
import uuid
from pathlib import Path

import pytest
from PIL import Image

from shared.photos import (
    MAX_PHOTO_BYTES,
    LocalDiskStorage,
    PhotoRejected,
    PhotoStorage,
    PhotoTooLarge,
    StorageFull,
    check_photo,
    photo_key,
)

pytestmark = pytest.mark.no_db


def image_bytes(image_format: str, size: tuple[int, int] = (64, 48), mode: str = "RGB") -> bytes:
    """A real image with noisy pixels, so that the compressed data is not trivially short."""
    noise = random.Random(7).randbytes(size[0] * size[1] * 3)
    image = Image.frombytes("RGB", size, noise)
    if mode != "RGB":
        image = image.convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, image_format)
    return buffer.getvalue()


def tree(path: Path) -> list[Path]:
    return sorted(path.rglob("*"))


@pytest.mark.parametrize(
    ("image_format", "content_type", "extension"),
    [("JPEG", "image/jpeg", "jpg"), ("PNG", "image/png", "png"), ("WEBP", "image/webp", "webp")],
)
def test_accepts_jpeg_png_and_webp(image_format: str, content_type: str, extension: str) -> None:
    data = image_bytes(image_format)
    checked = check_photo(data)
    assert checked.content_type == content_type
    assert checked.extension == extension
    assert checked.size == len(data)
    assert checked.sha256 == hashlib.sha256(data).hexdigest()


def test_accepts_a_multi_picture_jpeg_as_jpeg() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(buffer, "MPO", save_all=True, append_images=[Image.new("RGB", (64, 48))])
    checked = check_photo(buffer.getvalue())
    assert (checked.content_type, checked.extension) == ("image/jpeg", "jpg")


def test_rejects_gif() -> None:
    with pytest.raises(PhotoRejected, match="not a JPEG, PNG or WebP image"):
        check_photo(image_bytes("GIF", mode="P"))


def test_rejects_other_image_formats() -> None:
    for image_format in ("BMP", "TIFF"):
        with pytest.raises(PhotoRejected):
            check_photo(image_bytes(image_format))


def test_rejects_text() -> None:
    with pytest.raises(PhotoRejected, match="not a JPEG, PNG or WebP image"):
        check_photo(b"just some notes.txt, renamed to photo.jpg\n" * 20)


def test_rejects_jpeg_magic_followed_by_garbage() -> None:
    with pytest.raises(PhotoRejected):
        check_photo(b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 10)


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_rejects_truncated_images(image_format: str) -> None:
    data = image_bytes(image_format)
    with pytest.raises(PhotoRejected):
        check_photo(data[: len(data) * 3 // 4])


def test_rejects_a_jpeg_with_corrupted_header() -> None:
    data = bytearray(image_bytes("JPEG"))
    data[20:200] = b"\x00" * 180
    with pytest.raises(PhotoRejected):
        check_photo(bytes(data))


def test_rejects_random_bytes() -> None:
    with pytest.raises(PhotoRejected):
        check_photo(random.Random(1).randbytes(4096))


def test_rejects_empty_data() -> None:
    with pytest.raises(PhotoRejected):
        check_photo(b"")


def test_size_is_checked_before_decoding() -> None:
    data = image_bytes("PNG")
    data += b"\x00" * (MAX_PHOTO_BYTES + 1 - len(data))
    assert len(data) == MAX_PHOTO_BYTES + 1
    with pytest.raises(PhotoTooLarge):
        check_photo(data)


def test_exactly_the_limit_is_not_too_large() -> None:
    # Padding after IEND is ignored by Pillow, so this is a valid PNG of exactly MAX_PHOTO_BYTES.
    data = image_bytes("PNG")
    data += b"\x00" * (MAX_PHOTO_BYTES - len(data))
    assert check_photo(data).size == MAX_PHOTO_BYTES


def test_rejects_a_decompression_bomb() -> None:
    buffer = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(buffer, "PNG")  # 100 megapixels in about 12 kB
    assert len(buffer.getvalue()) < 100_000
    with pytest.raises(PhotoRejected, match="too large"):
        check_photo(buffer.getvalue())


def test_rejects_more_than_40_megapixels() -> None:
    buffer = io.BytesIO()
    Image.new("1", (7_000, 6_000)).save(buffer, "PNG")  # 42 megapixels: below Pillow's own bomb limit
    with pytest.raises(PhotoRejected, match="40 megapixels"):
        check_photo(buffer.getvalue())


def test_photo_key() -> None:
    visit, photo = uuid.uuid4(), uuid.uuid4()
    assert photo_key(visit, photo, "jpg") == f"{visit}/{photo}.jpg"
    with pytest.raises(ValueError):
        photo_key(visit, photo, "../x")


async def test_local_disk_round_trip(tmp_path: Path) -> None:
    storage: PhotoStorage = LocalDiskStorage(tmp_path / "photos")
    data = image_bytes("JPEG")
    key = photo_key(uuid.uuid4(), uuid.uuid4(), "jpg")
    await storage.put(key, data)
    assert await storage.get(key) == data
    stored = tmp_path / "photos" / key
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    await storage.put(key, b"replaced")
    assert await storage.get(key) == b"replaced"
    # Only the file itself is left: no temporary files.
    assert os.listdir(stored.parent) == [stored.name]


async def test_local_disk_missing_key(tmp_path: Path) -> None:
    storage = LocalDiskStorage(tmp_path)
    key = photo_key(uuid.uuid4(), uuid.uuid4(), "png")
    with pytest.raises(KeyError):
        await storage.get(key)
    await storage.delete(key)  # no error when missing


async def test_local_disk_keeps_its_minimum_free_space(tmp_path: Path) -> None:
    """A write that would leave less free space on the disk than the store keeps is refused (507), and
    leaves nothing; one that leaves enough is kept."""
    data = image_bytes("PNG")
    free = shutil.disk_usage(tmp_path).free
    full = LocalDiskStorage(tmp_path / "photos", min_free_bytes=free + 2**40)
    with pytest.raises(StorageFull):
        await full.put("a/b.png", data)
    assert [path for path in tree(tmp_path) if path.is_file()] == []
    roomy = LocalDiskStorage(tmp_path / "photos", min_free_bytes=1024)
    await roomy.put("a/b.png", data)
    assert await roomy.get("a/b.png") == data


async def test_local_disk_delete(tmp_path: Path) -> None:
    storage = LocalDiskStorage(tmp_path)
    key = photo_key(uuid.uuid4(), uuid.uuid4(), "webp")
    await storage.put(key, b"photo")
    await storage.delete(key)
    with pytest.raises(KeyError):
        await storage.get(key)
    await storage.delete(key)


@pytest.mark.parametrize(
    "key",
    ["../x", "/etc/passwd", "a/../../x", "a\\b", "..", ".", "", "a//b", "a/", "a/./b", "a/.hidden", "a\x00b"],
)
async def test_local_disk_rejects_keys_outside_the_root(tmp_path: Path, key: str) -> None:
    root = tmp_path / "root"
    root.mkdir()
    storage = LocalDiskStorage(root)
    before = tree(tmp_path)
    with pytest.raises(ValueError):
        await storage.put(key, b"evil")
    with pytest.raises(ValueError):
        await storage.get(key)
    with pytest.raises(ValueError):
        await storage.delete(key)
    assert tree(tmp_path) == before


async def test_local_disk_rejects_a_symlink_out_of_the_root(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "link").symlink_to(outside, target_is_directory=True)
    storage = LocalDiskStorage(root)
    with pytest.raises(ValueError):
        await storage.put("link/x.jpg", b"evil")
    assert list(outside.iterdir()) == []
