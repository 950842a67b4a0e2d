from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ProcessSettings


class Settings(ProcessSettings):
    model_config = SettingsConfigDict(env_prefix="GRIDS_", extra="ignore")

    service_name: str = "grids"
    # Photos of up to 5 MB arrive as multipart bodies, and a sync of 200 visits with notes passes 1 MB.
    max_body_bytes: int = Field(default=6 * 1024 * 1024, ge=1024)
    photo_dir: str = Field(default="var/photos", description="where the local photo storage keeps its files")
