from pydantic_settings import SettingsConfigDict

from shared.settings import PhotoSettings


class Settings(PhotoSettings):
    model_config = SettingsConfigDict(env_prefix="GRIDS_", extra="ignore")

    service_name: str = "grids"
