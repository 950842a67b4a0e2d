from pydantic_settings import SettingsConfigDict

from shared.settings import ProcessSettings


class Settings(ProcessSettings):
    model_config = SettingsConfigDict(env_prefix="RESIDENTS_", extra="ignore")

    service_name: str = "residents"
