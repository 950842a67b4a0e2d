from pydantic_settings import SettingsConfigDict

from shared.settings import ProcessSettings


class Settings(ProcessSettings):
    model_config = SettingsConfigDict(env_prefix="RESIDENTS_", extra="ignore")
    secret_fields = ("pii_keys", "blind_index_key")

    service_name: str = "residents"
    # ID numbers and phones: ``kid:<base64 32 bytes>,...`` (the first encrypts), and the HMAC key of
    # the blind index (base64, 32+ bytes). Development derives fixed keys; production must set both.
    pii_keys: str | None = None
    blind_index_key: str | None = None
