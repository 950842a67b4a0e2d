from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.middleware import IMPORT_BODY_BYTES, PHOTO_BODY_BYTES, SYNC_BODY_BYTES
from shared.settings import ProcessSettings

# Which service owns which resource: the first path segment after /api/v1/ (docs/API.md).
# The services' routes that take more than the 1 MiB of JSON (their ``x-max-body-bytes`` in the API
# document; tests/gateway/test_body_limits.py keeps the two equal): "METHOD path" → bytes.
LARGE_BODIES: dict[str, int] = {
    "POST /api/v1/orders/{order_id}/photos": PHOTO_BODY_BYTES,
    "POST /api/v1/visits/{visit_id}/photos": PHOTO_BODY_BYTES,
    "POST /api/v1/visits/sync": SYNC_BODY_BYTES,
    "POST /api/v1/residents/import": IMPORT_BODY_BYTES,
}
DEFAULT_ROUTES: dict[str, str] = {
    **dict.fromkeys(["residents", "households", "compounds", "buildings", "tags"], "residents"),
    **dict.fromkeys(
        [
            "grids",
            "streets",
            "communities",
            "members",
            "visits",
            "party-orgs",
            "activities",
            "notices",
            "teams",
            "property",
            "bindings",
        ],
        "grids",
    ),
    **dict.fromkeys(["orders", "menu", "points"], "orders"),
    **dict.fromkeys(["postings", "employers", "applications", "seekers", "fairs", "trainings"], "jobs"),
}


class Settings(ProcessSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")
    secret_fields = ("key_encryption_secret", "pii_keys", "blind_index_key")

    service_name: str = "gateway"
    extra_connections = 1  # the notification hub's LISTEN connection
    # The notification hub LISTENs on one connection that must be a session of its own: behind PgBouncer
    # in transaction mode, point this at PostgreSQL itself (or a session-mode pool). Default: database_url.
    listen_database_url: str | None = None
    public_issuer: str = "grid-platform-gateway"
    # The public API's merged document that GET /openapi.json serves (gateway.contract): the committed
    # docs/openapi.json of a source checkout by default; the image sets /app/openapi.json. Without the
    # file, the document is built from the code at its first request (seconds, and the services' modules
    # loaded into the gateway).
    openapi_file: Path | None = None

    # Upstreams (``service_urls``, from the base settings) and the route table.
    routes: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_ROUTES))
    # Bodies of up to max_body_bytes (1 MiB) pass through to the services; these routes take more.
    proxy_large_bodies: dict[str, int] = Field(default_factory=lambda: dict(LARGE_BODIES))
    proxy_connect_timeout: float = Field(default=2.0, gt=0)
    proxy_total_timeout: float = Field(default=10.0, gt=0)
    # Paths that may take longer (importing 100,000 residents takes tens of seconds): seconds each.
    proxy_slow_paths: dict[str, float] = Field(default_factory=lambda: {"/api/v1/residents/import": 300.0})
    proxy_pool_size: int = Field(default=100, ge=1)
    circuit_failure_threshold: int = Field(default=5, ge=1)
    circuit_open_seconds: float = Field(default=10.0, gt=0)

    # Tokens.
    access_token_ttl_seconds: int = Field(default=900, ge=60, le=3600)
    refresh_token_ttl_seconds: int = Field(default=30 * 24 * 3600, ge=3600)
    refresh_retry_grace_seconds: int = Field(default=10, ge=0, le=120)
    key_encryption_secret: str | None = None

    # Personal data (account phones).
    pii_keys: str | None = None
    blind_index_key: str | None = None

    # Login flows.
    sms_provider_url: str | None = None
    sms_provider_api_key: str | None = None
    sms_sign_name: str = "网格治理"
    sms_template: str = "SMS_LOGIN_CODE"
    wechat_appid: str | None = None
    wechat_secret: str | None = None
    wechat_api_base: str = "https://api.weixin.qq.com"

    # Webhooks: http and loopback/private targets are refused unless this is true (by default: only in
    # the development profile, so a local receiver works there).
    webhook_allow_private_targets: bool | None = None
    webhook_interval_seconds: float = Field(default=1.0, gt=0)

    @property
    def allow_private_webhooks(self) -> bool:
        if self.webhook_allow_private_targets is not None:
            return self.webhook_allow_private_targets
        return self.profile == "development"

    # Rate limits: (requests, seconds).
    # Failed sign-ins (gateway/auth/guard.py): per username and address, then per address, failures in a
    # window before 429 until it ends; per username from everywhere, failures (forgotten after that many
    # seconds without one) before each attempt waits 1, 2, 4 ... seconds, at most login_delay_max_seconds,
    # except from addresses the account signed in from within login_known_source_days.
    login_failures_per_source: tuple[int, int] = (5, 900)
    login_failures_per_ip: tuple[int, int] = (30, 900)
    login_failures_per_account: tuple[int, int] = (10, 900)
    login_delay_max_seconds: int = Field(default=60, ge=1, le=3600)
    login_known_source_days: int = Field(default=30, ge=0, le=365)
    sms_per_phone: tuple[int, int] = (1, 60)
    sms_per_phone_daily: tuple[int, int] = (10, 86400)
    sms_per_ip: tuple[int, int] = (20, 3600)
    writes_per_account: tuple[int, int] = (120, 60)
    writes_per_ip: tuple[int, int] = (600, 60)

    @property
    def longest_throttle_window(self) -> int:
        """Seconds after which every counter kept in PostgreSQL is spent."""
        limits = (
            self.login_failures_per_source,
            self.login_failures_per_ip,
            self.login_failures_per_account,
            self.sms_per_phone,
            self.sms_per_phone_daily,
            self.sms_per_ip,
        )
        return max(seconds for _, seconds in limits) + self.login_delay_max_seconds
