"""Photos (visits, orders): deciding what an upload really is, and keeping the bytes.

``check_photo`` looks only at the content: Pillow must recognise a JPEG, PNG or WebP image, the file must survive
``verify()`` and a full decode, and the picture must not be a decompression bomb. Whatever filename or content type
the client sent plays no part. ``PhotoStorage`` is the small interface the service stores bytes through;
``LocalDiskStorage`` keeps them under a root directory with atomic writes and keys that cannot leave the root,
``shared.objectstore.S3Storage`` in an S3-compatible bucket that every replica shares (``photo_storage`` chooses).
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import io
import os
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from struct import error as struct_error
from typing import TYPE_CHECKING, Annotated, Protocol, TypeVar

from fastapi import Depends, File, Request, UploadFile
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from shared.errors import Conflict, DomainError, NotFound, PayloadTooLarge, ValidationFailed

if TYPE_CHECKING:
    from shared.settings import PhotoSettings

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTO_PIXELS = 40_000_000

# Pillow format name → (content type, file extension).
ALLOWED: dict[str, tuple[str, str]] = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
# Many phones and cameras write JPEGs with a multi-picture (MPO) extension; Pillow reports those as "MPO", but the
# file is an ordinary JPEG to every browser, so it is accepted and stored as one. (Pillow's JPEG opener is the one that
# returns MPO images, so "MPO" is not passed to Image.open's ``formats``.)
_ALIASES = {"MPO": "JPEG"}

NOT_AN_IMAGE = "not a JPEG, PNG or WebP image"
DAMAGED = "the image is damaged"


class PhotoRejected(ValueError):
    """The upload is not an acceptable photo; ``reason`` is a human-readable English sentence fragment."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PhotoTooLarge(ValueError):
    """The upload is larger than ``MAX_PHOTO_BYTES``."""

    def __init__(self, size: int) -> None:
        super().__init__(f"the photo is {size} bytes, more than the limit of {MAX_PHOTO_BYTES} bytes")
        self.size = size


@dataclass(frozen=True)
class CheckedPhoto:
    content_type: str
    extension: str
    size: int
    sha256: str  # hex digest


def check_photo(data: bytes) -> CheckedPhoto:
    """What ``data`` is, judged by its content alone; raises ``PhotoTooLarge`` or ``PhotoRejected``.

    Blocking and CPU-bound (it decodes the whole image): call it through ``asyncio.to_thread`` from async code.
    """
    from PIL import Image  # imported at the first photo: a process that takes none does not hold Pillow

    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoTooLarge(len(data))
    if not data:
        raise PhotoRejected("the file is empty")
    # catch_warnings changes process-wide state and is not thread-safe; the explicit pixel limit below does not
    # depend on it, so a concurrent call that misses the filter is still stopped there.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=list(ALLOWED)) as image:
                image_format = _ALIASES.get(image.format or "", image.format or "")
                if image_format not in ALLOWED:
                    raise PhotoRejected(NOT_AN_IMAGE)
                width, height = image.size
                if width * height > MAX_PHOTO_PIXELS:
                    raise PhotoRejected(f"the image is too large ({width}x{height} pixels, at most 40 megapixels)")
                image.verify()
            # verify() checks little for JPEG (it passes a truncated one), so decode the image as well. A JPEG is
            # decoded at 1/8 scale, which still reads every byte of the entropy-coded data but needs 64 times
            # less memory.
            with Image.open(io.BytesIO(data), formats=list(ALLOWED)) as image:
                if image_format == "JPEG":
                    image.draft(None, (max(1, width // 8), max(1, height // 8)))
                image.load()
        except PhotoRejected:
            raise
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise PhotoRejected("the image is too large (possible decompression bomb)") from exc
        except Image.UnidentifiedImageError as exc:
            raise PhotoRejected(NOT_AN_IMAGE) from exc
        except (OSError, ValueError, SyntaxError, EOFError, IndexError, TypeError, struct_error) as exc:
            # Pillow's decoders signal broken data with any of these (SyntaxError in older plugins).
            raise PhotoRejected(DAMAGED) from exc
    content_type, extension = ALLOWED[image_format]
    return CheckedPhoto(
        content_type=content_type,
        extension=extension,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def photo_key(owner_id: uuid.UUID, photo_id: uuid.UUID, extension: str) -> str:
    """The storage key of one photo of a visit or an order: ``"<owner uuid>/<photo uuid>.<extension>"``."""
    if extension not in {ext for _, ext in ALLOWED.values()}:
        raise ValueError(f"unknown photo extension {extension!r}")
    return f"{owner_id}/{photo_id}.{extension}"


class PhotoStorage(Protocol):
    async def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key``, replacing whatever was there."""
        ...

    async def get(self, key: str) -> bytes:
        """The bytes under ``key``; ``KeyError`` when there are none."""
        ...

    async def delete(self, key: str) -> None:
        """Remove ``key``; no error when it is already gone."""
        ...


def check_key(key: str) -> str:
    """``key`` when it is a plain relative path (``"<uuid>/<uuid>.jpg"``), else ``ValueError``: no absolute path, no
    empty segment, no ``.``/``..`` and nothing hidden, so that a key stays inside a storage's root or prefix."""
    if not key or "\\" in key or "\x00" in key or key.startswith("/"):
        raise ValueError(f"invalid storage key {key!r}")
    parts = key.split("/")
    # Empty segments ("a//b", "a/"), "." and ".." are refused, and so is anything hidden: the temporary files
    # of unfinished writes start with a dot and must never be reachable as keys.
    if any(not part or part.startswith(".") for part in parts) or PurePosixPath(key).is_absolute():
        raise ValueError(f"invalid storage key {key!r}")
    return key


def content_type_of(key: str) -> str:
    """The content type of the photo a key names, by its extension (``application/octet-stream``: not a photo's)."""
    extension = key.rpartition(".")[2]
    for content_type, known in ALLOWED.values():
        if extension == known:
            return content_type
    return "application/octet-stream"


class StorageFull(DomainError):
    """The photo store has no room for the upload (the disk or the quota is full, or what is left is below
    the process's ``PHOTO_MIN_FREE_BYTES``): nothing of the upload is kept (docs/OPERATIONS.md, "Faults")."""

    status, slug, title = 507, "insufficient-storage", "Insufficient storage"


# The write failed for want of room: the disk is full (ENOSPC), the quota is used up (EDQUOT), or the file
# would pass the process's file size limit (EFBIG, RLIMIT_FSIZE).
_NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


class ThreadedStorage:
    """A ``PhotoStorage`` whose work is blocking calls (a filesystem, an HTTP client): ``_put``, ``_get`` and
    ``_delete`` run in a worker thread, off the event loop."""

    def _put(self, key: str, data: bytes) -> None:
        raise NotImplementedError

    def _get(self, key: str) -> bytes:
        raise NotImplementedError

    def _delete(self, key: str) -> None:
        raise NotImplementedError

    async def put(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self._put, key, data)

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._get, key)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._delete, key)


class LocalDiskStorage(ThreadedStorage):
    """``PhotoStorage`` on the local filesystem under ``root``: one file per key, written atomically (mode 0o600).
    A write that would leave less than ``min_free_bytes`` free on the disk, or that the disk has no room
    for, is refused with ``StorageFull`` and leaves no file behind."""

    def __init__(self, root: str | Path, *, min_free_bytes: int = 0) -> None:
        self.root = Path(root).resolve()
        self.min_free_bytes = min_free_bytes

    def path_for(self, key: str) -> Path:
        """The file for ``key``; ``ValueError`` for any key that is not a plain relative path inside the root."""
        parts = check_key(key).split("/")
        path = self.root.joinpath(*parts)
        # Last line of defence, e.g. against a symlink inside the root that points out of it.
        if not path.resolve().is_relative_to(self.root):
            raise ValueError(f"storage key {key!r} leads outside the storage root")
        return path

    # Everything touching the filesystem, including resolving the key, runs in a worker thread (ThreadedStorage).
    def _put(self, key: str, data: bytes) -> None:
        path = self.path_for(key)
        if self.min_free_bytes:
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            if shutil.disk_usage(self.root).free - len(data) < self.min_free_bytes:
                raise StorageFull("the photo store is full; try again later")
        try:
            _write_atomically(path, data)
        except OSError as exc:
            if exc.errno in _NO_ROOM:
                raise StorageFull("the photo store is full; try again later") from exc
            raise

    def _get(self, key: str) -> bytes:
        path = self.path_for(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise KeyError(key) from None

    def _delete(self, key: str) -> None:
        path = self.path_for(key)
        try:
            path.unlink(missing_ok=True)
        except NotADirectoryError:
            pass  # a parent of the key is a file, so the key cannot exist


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # mode 0o600
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def photo_storage(settings: PhotoSettings) -> PhotoStorage:
    """The process's photo store as its settings choose: the local disk, or an S3-compatible object store (whose
    client library is imported only then: a process on the local disk does not hold it)."""
    if settings.photo_storage == "s3":
        from shared.objectstore import S3Storage

        return S3Storage.from_settings(settings)
    return LocalDiskStorage(settings.photo_dir, min_free_bytes=settings.photo_min_free_bytes)


async def accept_upload(data: bytes) -> CheckedPhoto:
    """Check an upload off the event loop: the photo, or the problem to answer (413 when too large,
    422 on ``file`` when it is not an acceptable photo)."""
    try:
        return await asyncio.to_thread(check_photo, data)
    except PhotoTooLarge as exc:
        raise PayloadTooLarge(str(exc)) from exc
    except PhotoRejected as exc:
        raise ValidationFailed.on("file", str(exc)) from exc


class PhotoRow(Protocol):
    """A table row that records a stored photo (a visit's, an order's)."""

    id: uuid.UUID
    sha256: str
    storage_key: str
    content_type: str


Row = TypeVar("Row", bound=PhotoRow)


async def keep_once(
    *,
    session: AsyncSession,
    storage: PhotoStorage,
    data: bytes,
    checked: CheckedPhoto,
    owner_id: uuid.UUID,
    stored: Sequence[Row],
    limit: int,
    owner: str,
    new_row: Callable[[CheckedPhoto], Row],
) -> tuple[Row, bool]:
    """The owner's photo with these bytes (False: sent before), or a new row, its bytes kept in storage
    (True); 409 when the owner (``"a visit"``) already keeps ``limit``. ``stored`` are the owner's photo
    rows, read under the owner's row lock so that two uploads do not both pass the limit."""
    for photo in stored:
        if photo.sha256 == checked.sha256:
            return photo, False
    if len(stored) >= limit:
        raise Conflict(f"{owner} keeps at most {limit} photos")
    photo = new_row(checked)
    photo.storage_key = photo_key(owner_id, photo.id, checked.extension)
    await storage.put(photo.storage_key, data)  # StorageFull (507): no file, and no row either
    session.add(photo)
    try:
        await session.flush()
    except Exception:
        await storage.delete(photo.storage_key)  # no file that no row points at
        raise
    return photo, True


async def stored_bytes(
    storage: PhotoStorage, photo: PhotoRow | None, photo_id: uuid.UUID, owner: str
) -> tuple[bytes, str]:
    """A photo's bytes and content type; 404 when there is no such photo on the owner (``"visit <id>"``)
    or its bytes are gone from storage."""
    if photo is None:
        raise NotFound(f"no photo {photo_id} on {owner}")
    try:
        return await storage.get(photo.storage_key), photo.content_type
    except KeyError as exc:
        raise NotFound(f"photo {photo_id} is missing from storage") from exc


# What a photo-serving route declares, and how it answers.
PHOTO_CONTENT: dict[str, dict[str, str]] = {"image/jpeg": {}, "image/png": {}, "image/webp": {}}


def photo_response(data: bytes, content_type: str) -> Response:
    return Response(
        data,
        media_type=content_type,
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


def _storage(request: Request) -> PhotoStorage:
    storage: PhotoStorage = request.app.state.photos
    return storage


# The photo store of the process (``app.state.photos``), and the multipart field an upload comes in.
StorageDep = Annotated[PhotoStorage, Depends(_storage)]
PhotoUpload = Annotated[UploadFile, File(description="a JPEG, PNG or WebP photo, at most 5 MB (checked by content)")]
