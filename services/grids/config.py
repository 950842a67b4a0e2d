from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ProcessSettings


class Settings(ProcessSettings):
    model_config = SettingsConfigDict(env_prefix="GRIDS_", extra="ignore")

    service_name: str = "grids"
    photo_dir: str = Field(default="var/photos", description="where the local photo storage keeps its files")
