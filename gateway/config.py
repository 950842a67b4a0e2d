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
    **dict.fromkeys(["orders", "menu", "points", "case-classes", "calendar", "hotline", "departments"], "orders"),
    **dict.fromkeys(["postings", "employers", "applications", "seekers", "fairs", "trainings"], "jobs"),
}


class Settings(ProcessSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")
    secret_fields = ("key_encryption_secret", "pii_keys", "blind_index_key")

    service_name: str = "gateway"
    extra_connections = 1  # the notification hub's LISTEN connection
    listen_database_url: str | None = Field(
        default=None,
        description="the notification hub's LISTEN connection, a session of its own: behind PgBouncer in"
        " transaction mode, PostgreSQL itself (or a session-mode pool); none: DATABASE_URL",
    )
    public_issuer: str = Field(default="grid-platform-gateway", description="the `iss` of the tokens it signs")
    openapi_file: Path | None = Field(
        default=None,
        description="the merged API document GET /openapi.json serves (gateway.contract): the checkout's"
        " docs/openapi.json by default, /app/openapi.json in the image; without it, built at the first request",
    )

    # Upstreams (``service_urls``, from the base settings) and the route table.
    routes: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_ROUTES),
        description="resource (/api/v1/<resource>) → the service owning it",
    )
    proxy_large_bodies: dict[str, int] = Field(
        default_factory=lambda: dict(LARGE_BODIES),
        description='"METHOD path" → bytes: the services\' routes that take more than MAX_BODY_BYTES (photos, imports)',
    )
    proxy_connect_timeout: float = Field(default=2.0, gt=0, description="seconds to connect to a service")
    proxy_total_timeout: float = Field(default=10.0, gt=0, description="seconds a service has to answer")
    proxy_slow_paths: dict[str, float] = Field(
        default_factory=lambda: {"/api/v1/residents/import": 300.0},
        description="path → seconds, for paths that may take longer (a register of 100,000 residents)",
    )
    proxy_pool_size: int = Field(default=100, ge=1, description="connections to each service, at most")
    circuit_failure_threshold: int = Field(
        default=5, ge=1, description="failures in a row after which a service's circuit opens (503 + Retry-After)"
    )
    circuit_open_seconds: float = Field(default=10.0, gt=0, description="how long an open circuit stays open")

    # Tokens.
    access_token_ttl_seconds: int = Field(default=900, ge=60, le=3600, description="an access token's life")
    refresh_token_ttl_seconds: int = Field(default=30 * 24 * 3600, ge=3600, description="a refresh token's life")
    refresh_retry_grace_seconds: int = Field(
        default=10, ge=0, le=120, description="a refresh token used again this soon gets the same successor (retries)"
    )
    key_encryption_secret: str | None = Field(
        default=None, description="seals the ES256 signing keys kept in the database (any long random string)"
    )

    # Personal data (account phones).
    pii_keys: str | None = Field(
        default=None, description="AES-GCM keys of account phones, `kid:<base64 of 32 bytes>,...`; the first encrypts"
    )
    blind_index_key: str | None = Field(
        default=None, description="the key of the phones' blind index (finding by phone), base64 of 32+ bytes"
    )

    # Login flows.
    sms_provider_url: str | None = Field(
        default=None,
        description="the SMS gateway's URL; none: codes go to the log in development, no SMS sign-in in production",
    )
    sms_provider_api_key: str | None = Field(default=None, description="the SMS gateway's API key")
    sms_sign_name: str = Field(default="网格治理", description="the SMS signature (签名) registered with the provider")
    sms_template: str = Field(default="SMS_LOGIN_CODE", description="the SMS template of the sign-in code")
    wechat_appid: str | None = Field(default=None, description="the mini-program's AppID; none: no WeChat sign-in")
    wechat_secret: str | None = Field(default=None, description="the mini-program's AppSecret")
    wechat_api_base: str = Field(default="https://api.weixin.qq.com", description="WeChat's API")

    webhook_allow_private_targets: bool | None = Field(
        default=None,
        description="accept http and loopback/private webhook targets; none: only in the development profile",
    )
    webhook_interval_seconds: float = Field(default=1.0, gt=0, description="how often the webhook dispatcher looks")

    @property
    def allow_private_webhooks(self) -> bool:
        if self.webhook_allow_private_targets is not None:
            return self.webhook_allow_private_targets
        return self.profile == "development"

    # Rate limits: (requests, seconds). Failed sign-ins: gateway/auth/guard.py, docs/OPERATIONS.md.
    login_failures_per_source: tuple[int, int] = Field(
        default=(5, 900), description="[failures, seconds] per username and address, then 429 until the window ends"
    )
    login_failures_per_ip: tuple[int, int] = Field(
        default=(30, 900), description="[failures, seconds] per address across usernames, then 429"
    )
    login_failures_per_account: tuple[int, int] = Field(
        default=(10, 900),
        description="[failures, seconds] per username from everywhere before each attempt waits 1, 2, 4 ... s"
        " (forgotten that many seconds after the last)",
    )
    login_delay_max_seconds: int = Field(default=60, ge=1, le=3600, description="the longest of those waits")
    login_known_source_days: int = Field(
        default=30, ge=0, le=365, description="an address the account signed in from this recently is never slowed"
    )
    sms_per_phone: tuple[int, int] = Field(default=(1, 60), description="[codes, seconds] per phone number")
    sms_per_phone_daily: tuple[int, int] = Field(default=(10, 86400), description="[codes, seconds] per phone a day")
    sms_per_ip: tuple[int, int] = Field(default=(20, 3600), description="[codes, seconds] per address")
    writes_per_account: tuple[int, int] = Field(
        default=(120, 60), description="[writes, seconds] per account through the gateway"
    )
    writes_per_ip: tuple[int, int] = Field(default=(600, 60), description="[writes, seconds] per address")

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
