"""Settings base shared by every process; each process subclasses it with its own env prefix."""

from __future__ import annotations

import binascii
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Profile = Literal["development", "test", "production"]

# Secret fields get these placeholders only in the development and test profiles.
DEVELOPMENT_SECRET = "development-only-secret-do-not-use-in-production"


class SettingsError(ValueError):
    """Settings that cannot start a process: each wrong one named by its environment variable, and
    never its value (pydantic's own error quotes the input, secrets included)."""

    @classmethod
    def of(cls, settings: type[ProcessSettings], error: ValidationError) -> SettingsError:
        lines = []
        for item in error.errors(include_url=False, include_input=False, include_context=False):
            message = str(item["msg"]).removeprefix("Value error, ")
            if item["loc"]:
                lines.append(f"{settings.env_name(str(item['loc'][0]))}: {message}")
            else:
                lines.append(message)
        return cls(f"{settings.__module__}: the settings cannot start the process:\n  " + "\n  ".join(lines))


class ProcessSettings(BaseSettings):
    """What every process reads from its environment.

    Subclasses set ``model_config = SettingsConfigDict(env_prefix="ORDERS_")`` and list their
    secret fields in ``secret_fields``: those must be given explicitly outside development.
    """

    model_config = SettingsConfigDict(extra="ignore", env_file=None)

    secret_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as error:
            raise SettingsError.of(type(self), error) from None

    @classmethod
    def required_secrets(cls) -> tuple[str, ...]:
        """The secrets production requires (development and test get placeholders): the process's own and
        the events secret every process shares."""
        return (*cls.secret_fields, "events_secret")

    @classmethod
    def env_name(cls, field: str) -> str:
        """The environment variable a field is read from."""
        return f"{cls.model_config.get('env_prefix', '')}{field}".upper()

    profile: Profile = Field(
        default="development",
        description="production refuses missing secrets and development placeholders; development derives"
        " fixed keys and writes SMS codes to the log; test is for the test suite",
    )
    service_name: str = "process"
    database_url: str | None = Field(
        default=None,
        description="the process's own PostgreSQL database, postgresql://user:password@host:5432/name;"
        " none: make run's embedded server",
    )
    # Connections to its database a process may hold at once (docs/OPERATIONS.md, "Connection budget").
    db_pool_size: int = Field(default=5, ge=1, le=200, description="ORM pool (writes): connections kept open")
    db_max_overflow: int = Field(
        default=5, ge=0, le=200, description="ORM pool: connections opened beyond that on demand, closed after use"
    )
    fastlane_pool_size: int = Field(
        default=10, ge=1, le=200, description="the read fast lane's asyncpg pool (the relay and idempotency share it)"
    )
    fastlane_idle_seconds: float = Field(
        default=30.0, gt=0, description="a fast-lane connection unused this long is closed (the pool keeps one)"
    )
    db_pool_timeout_seconds: float = Field(
        default=10.0, gt=0, le=120, description="how long a request waits for a pooled connection, then 503"
    )
    db_connect_timeout_seconds: float = Field(
        default=5.0, gt=0, le=60, description="how long opening a connection may take, then 503 (asyncpg's own: 60)"
    )
    max_body_bytes: int = Field(
        default=1_048_576,
        ge=1024,
        description="the largest body of a JSON route; photo and import routes have their own",
    )
    trusted_proxies: str = Field(
        default="",
        description="proxies whose X-Forwarded-For/-Proto are believed, IPs or CIDRs, comma-separated (OPERATIONS.md)",
    )
    metrics_port: int | None = Field(
        default=None, ge=1, le=65535, description="Prometheus metrics on this port of their own; none: not served"
    )
    metrics_host: str = Field(default="127.0.0.1", description="the address the metrics port listens on")
    loop_failing_seconds: float = Field(
        default=300.0, gt=0, description="/readyz names a background loop failing, with no success, longer than this"
    )
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR; JSON lines on stdout")
    jwks_url: str = Field(
        default="http://127.0.0.1:8000/.well-known/jwks.json", description="where the gateway publishes its keys"
    )
    jwt_issuer: str = Field(default="grid-platform-gateway", description="the `iss` tokens must carry")
    revocations_url: str | None = Field(
        default="http://127.0.0.1:8000/.well-known/revocations.json",
        description="the gateway's list of disabled accounts, polled; none: not polled (a disabled account's token"
        " works until it expires)",
    )
    revocations_interval_seconds: float = Field(default=30.0, gt=0, description="how often that list is polled")
    cors_origins: list[str] = Field(default=[], description="origins browsers may call from (JSON list)")
    service_urls: dict[str, str] = Field(
        default={
            "residents": "http://127.0.0.1:8101",
            "grids": "http://127.0.0.1:8102",
            "orders": "http://127.0.0.1:8103",
            "jobs": "http://127.0.0.1:8104",
        },
        description="where the services answer (JSON map): calls on a caller's behalf, event deliveries, routes",
    )
    peer_timeout_seconds: float = Field(default=5.0, gt=0, description="seconds a call to another process may take")
    gateway_url: str = Field(
        default="http://127.0.0.1:8000", description="the gateway as the services reach it (events for its inbox)"
    )
    events_secret: str | None = Field(
        default=None, description="signs and verifies events between processes: the same value in every process"
    )
    relay_interval_seconds: float = Field(default=1.0, gt=0, description="how often the outbox relay looks")
    relay_max_attempts: int = Field(
        default=12, ge=1, description="deliveries of an event before it is set aside as dead (backing off)"
    )

    # Connections of its own besides the pools (the gateway's notification LISTEN connection).
    extra_connections: ClassVar[int] = 0

    @property
    def connections_at_most(self) -> int:
        """The most connections this process opens to its database at once."""
        return self.db_pool_size + self.db_max_overflow + self.fastlane_pool_size + self.extra_connections

    @model_validator(mode="after")
    def _secrets_present(self) -> ProcessSettings:
        for name in self.required_secrets():
            value = getattr(self, name)
            if value in (None, ""):
                if self.profile == "production":
                    raise ValueError(f"{self.env_name(name)} must be set when the profile is production")
                object.__setattr__(self, name, DEVELOPMENT_SECRET)
            elif self.profile == "production" and value == DEVELOPMENT_SECRET:
                raise ValueError(f"{self.env_name(name)} must not be the development placeholder in production")
        if "pii_keys" in self.secret_fields:
            self._pii_keys_well_formed()
        return self

    def _pii_keys_well_formed(self) -> None:
        from shared.pii import PiiCipher, parse_keys

        for name in ("pii_keys", "blind_index_key"):
            try:
                if name == "pii_keys":
                    parse_keys(getattr(self, name))
                else:
                    PiiCipher.from_settings(DEVELOPMENT_SECRET, getattr(self, name))
            except (ValueError, binascii.Error) as error:
                shape = "'kid:<base64 of 32 bytes>', comma-separated" if name == "pii_keys" else "base64 of 32 bytes"
                raise ValueError(f"{self.env_name(name)} is not {shape} ({type(error).__name__})") from None

    @property
    def asyncpg_dsn(self) -> str:
        """The database URL as asyncpg itself takes it (no SQLAlchemy driver suffix)."""
        if not self.database_url:
            raise RuntimeError(f"{self.service_name}: no database URL configured")
        return to_asyncpg_dsn(self.database_url)

    @property
    def sqlalchemy_url(self) -> str:
        if not self.database_url:
            raise RuntimeError(f"{self.service_name}: no database URL configured")
        return to_sqlalchemy_url(self.database_url)


def to_sqlalchemy_url(url: str) -> str:
    """Accept ``postgresql://``, ``postgres://`` or ``postgresql+asyncpg://`` and name the asyncpg driver."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError("database URL must start with postgresql://")


def to_asyncpg_dsn(url: str) -> str:
    return "postgresql://" + to_sqlalchemy_url(url)[len("postgresql+asyncpg://") :]


class PhotoSettings(ProcessSettings):
    """Where a process that takes photos (grids, orders) keeps them: the local disk (the default) or an
    S3-compatible object store that every replica shares (docs/OPERATIONS.md, "Photos on object storage")."""

    photo_storage: Literal["local", "s3"] = Field(
        default="local",
        description="where photos are kept: local (files under PHOTO_DIR, one machine's) or s3 (an S3-compatible"
        " object store every replica shares: MinIO, SeaweedFS, Ceph, Aliyun OSS, Tencent COS, Huawei OBS)",
    )
    photo_dir: str = Field(default="var/photos", description="where the local photo storage keeps its files")
    # An upload that would leave less than this free on the photo store's disk is refused (507), so the disk
    # never fills up to the last byte (docs/OPERATIONS.md, "Faults"). 0: only a full disk refuses.
    photo_min_free_bytes: int = Field(
        default=100 * 1024 * 1024,
        ge=0,
        description="free space the local photo storage leaves on its disk, in bytes (not used with s3)",
    )
    photo_s3_endpoint: str = Field(
        default="",
        description="the object store's URL, scheme, host and port only (http://127.0.0.1:8333,"
        " https://oss-cn-beijing.aliyuncs.com); required with PHOTO_STORAGE=s3",
    )
    photo_s3_bucket: str = Field(
        default="",
        pattern=r"^([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])?$",
        description="the bucket photos are kept in (it must exist); required with PHOTO_STORAGE=s3",
    )
    photo_s3_region: str = Field(default="us-east-1", description="the region the requests are signed for")
    photo_s3_prefix: str = Field(
        default="",
        pattern=r"^([A-Za-z0-9_-]+/)*$",
        description="what every photo's key in the bucket starts with, ending in / (grids/), so that"
        " processes may share a bucket; empty: none",
    )
    photo_s3_addressing: Literal["path", "virtual"] = Field(
        default="path",
        description="path: http://host/bucket/key (most self-hosted stores); virtual: http://bucket.host/key"
        " (Aliyun OSS and Tencent COS need it)",
    )
    photo_s3_access_key: SecretStr | None = Field(
        default=None, description="the object store's access key id; required with PHOTO_STORAGE=s3 in production"
    )
    photo_s3_secret_key: SecretStr | None = Field(
        default=None, description="the object store's secret access key; required with PHOTO_STORAGE=s3 in production"
    )
    photo_s3_timeout_seconds: float = Field(
        default=10.0, gt=0, le=120, description="how long one request to the object store may take, in seconds"
    )

    @model_validator(mode="after")
    def _photo_store_complete(self) -> PhotoSettings:
        if self.photo_storage != "s3":
            return self
        needed = ["photo_s3_endpoint", "photo_s3_bucket"]
        if self.profile == "production":
            needed += ["photo_s3_access_key", "photo_s3_secret_key"]
        for name in needed:
            value = getattr(self, name)
            if not (value.get_secret_value() if isinstance(value, SecretStr) else value):
                raise ValueError(f"{self.env_name(name)} must be set when {self.env_name('photo_storage')} is s3")
        endpoint = urlsplit(self.photo_s3_endpoint)
        if endpoint.scheme not in ("http", "https") or not endpoint.hostname or endpoint.path not in ("", "/"):
            raise ValueError(f"{self.env_name('photo_s3_endpoint')} is not an http(s) URL of a host and port")
        return self
