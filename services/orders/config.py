from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import PhotoSettings


class Settings(PhotoSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERS_", extra="ignore")
    secret_fields = ("pii_keys", "blind_index_key")

    service_name: str = "orders"
    pii_keys: str | None = Field(
        default=None,
        description="AES-GCM keys of hotline callers' phones, `kid:<base64 of 32 bytes>,...`; the first encrypts",
    )
    blind_index_key: str | None = Field(
        default=None, description="the key of their blind index (finding a caller's tickets), base64 of 32+ bytes"
    )
    photo_dir: str = Field(default="var/order-photos", description="where the local photo storage keeps its files")
    default_sla_minutes: tuple[int, int, int] = Field(
        default=(240, 240, 4320),
        description="[to dispatch, to accept, to finish] minutes of wishes and issues (no menu item of their own)",
    )
    default_points: int = Field(default=10, ge=0, description="points a completed wish or issue earns")
    escalation_minutes: tuple[int, int] = Field(
        default=(0, 1440),
        description="[to the community, to the street]: minutes after a stage runs past its limit until it escalates",
    )
    scheduler_interval_seconds: float = Field(default=30.0, gt=0, description="how often the SLA scheduler looks")
