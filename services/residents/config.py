from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ProcessSettings


class Settings(ProcessSettings):
    model_config = SettingsConfigDict(env_prefix="RESIDENTS_", extra="ignore")
    secret_fields = ("pii_keys", "blind_index_key")

    service_name: str = "residents"
    pii_keys: str | None = Field(
        default=None,
        description="AES-GCM keys of ID numbers and phones, `kid:<base64 of 32 bytes>,...`; the first encrypts",
    )
    blind_index_key: str | None = Field(
        default=None, description="the key of their blind index (finding by value), base64 of 32+ bytes"
    )
