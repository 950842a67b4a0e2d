from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import PhotoSettings


class Settings(PhotoSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERS_", extra="ignore")

    service_name: str = "orders"
    photo_dir: str = Field(default="var/order-photos", description="where the local photo storage keeps its files")
    # SLA of wishes and issues (no menu item): minutes to dispatch, to accept, to finish; their base points.
    default_sla_minutes: tuple[int, int, int] = (240, 240, 4320)
    default_points: int = Field(default=10, ge=0)
    # Minutes after a stage runs past its SLA until the order is escalated to the community, then the street.
    escalation_minutes: tuple[int, int] = (0, 1440)
    scheduler_interval_seconds: float = Field(default=30.0, gt=0)
