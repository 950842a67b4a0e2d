from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ProcessSettings


class Settings(ProcessSettings):
    model_config = SettingsConfigDict(env_prefix="GRIDS_", extra="ignore")

    service_name: str = "grids"
    photo_dir: str = Field(default="var/photos", description="where the local photo storage keeps its files")
    # An upload that would leave less than this free on the photo store's disk is refused (507), so the disk
    # never fills up to the last byte (docs/OPERATIONS.md, "Faults"). 0: only a full disk refuses.
    photo_min_free_bytes: int = Field(
        default=100 * 1024 * 1024, ge=0, description="free space the photo storage leaves on its disk, in bytes"
    )
