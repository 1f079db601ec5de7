"""Settings: one small class, every value overridable with a CLAWVAULT_ environment variable."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLAWVAULT_", extra="ignore")

    database_url: str = "sqlite:///./clawvault.db"
    # SQLite durability: FULL fsyncs every commit (an acknowledged write survives power loss);
    # NORMAL survives a process crash only.
    sqlite_synchronous: str = "FULL"
    sqlite_busy_timeout_ms: int = 30_000
    db_pool_size: int = 10

    buyback_window_days: float = 7.0
    quote_ttl_seconds: int = 15 * 60
    recent_pulls_default_limit: int = 20
    chase_count: int = 5
    ev_refresh_seconds: float = 2.0
    # vm/available is answered from a per-process copy this old at most (0 = always fresh).
    packs_cache_seconds: float = 1.0

    public_base_url: str = "http://127.0.0.1:8000"
    tracking_url_template: str = "https://tracking.clawvault.dev/{carrier}/{tracking_number}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
