"""Settings: one small class, every value overridable with a CLAWVAULT_ environment variable."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLAWVAULT_", extra="ignore")

    database_url: str = "sqlite:///./clawvault.db"
    # SQLite durability: FULL fsyncs every commit (an acknowledged write survives power loss);
    # NORMAL survives a process crash only.
    sqlite_synchronous: str = "FULL"
    sqlite_busy_timeout_ms: int = 30_000
    db_pool_size: int = 10
    # PostgreSQL's plan_cache_mode for clawvault's connections. Generic plans: a hot statement
    # is planned once per connection, not at every run (the claims were planned again each
    # time, ~0.3 ms of PostgreSQL CPU a pull); "auto" is PostgreSQL's default.
    pg_plan_cache_mode: Literal["force_generic_plan", "auto", "force_custom_plan"] = (
        "force_generic_plan"
    )
    # PostgreSQL's max_parallel_workers_per_gather for clawvault's connections. 0: a statement
    # runs in its backend alone. The EV refresh's count of a pack's stock ran as a parallel
    # sequential scan, three processes taking ~260 ms of CPU from the requests where one
    # bitmap scan takes ~44 ms (54,000 cards of 300,000).
    pg_parallel_workers: int = 0

    buyback_window_days: float = 7.0
    quote_ttl_seconds: int = 15 * 60
    recent_pulls_default_limit: int = 20
    chase_count: int = 5
    ev_refresh_seconds: float = 2.0
    # vm/available is answered from a per-process copy this old at most (0 = always fresh).
    packs_cache_seconds: float = 1.0
    # Inventory answers are kept per process, rendered, and served again while the database has
    # had no commit since they were read (never stale); bounded by their bytes (0 = off).
    inventory_cache_bytes: int = 16 * 1024 * 1024
    # vm/available and inventory answered by core.fastpath (False: by their FastAPI routes).
    fast_gets: bool = True
    # vm/buy/init, vm/buyback and ship/quote answered by core.fastpath (False: by their routes).
    fast_posts: bool = True
    # FastAPI's own OpenTelemetry traces, metrics and logs of each request, sent to the providers
    # the process has configured. Off: looking for providers cost every request ~5 us (measured).
    opentelemetry: bool = False
    # Bytes a request body may have (0 = no limit); over it, 413 "Content Too Large". 1 MiB: the
    # largest body of the Partner API (a quote of many items) is a few KB.
    max_body_bytes: int = 1024 * 1024

    # Sandbox state (/_/api/v1): by default in a throwaway SQLite database on memory-backed
    # storage, gone after a restart; CLAWVAULT_SANDBOX_PERSIST=1 keeps it in the main database.
    # `clawvault serve` sets sandbox_database_url so that all its workers share one store.
    sandbox_persist: bool = False
    sandbox_database_url: str | None = None

    # Idempotency-Key: answers are kept this long; a claim older than the lock time whose work
    # never committed may be taken over by a retry.
    idempotency_retention_hours: float = 24.0
    idempotency_lock_seconds: float = 60.0

    # Requests per API key per window (0 = no limit); counted in the database, so shared by
    # every process.
    rate_limit_requests: int = 0
    rate_limit_window_seconds: int = 60

    # Webhooks: how often each process looks for due deliveries (0 = never), how long before a
    # sellback window closes buyback.expiring is sent, the retry schedule, and whether private
    # or loopback targets are allowed (never in production).
    webhook_poll_seconds: float = 1.0
    webhook_expiring_scan_seconds: float = 60.0
    webhook_expiring_lead_hours: float = 24.0
    webhook_timeout_seconds: float = 10.0
    webhook_retry_base_seconds: float = 30.0
    webhook_retry_max_delay_seconds: float = 4 * 3600.0
    webhook_max_attempts: int = 15
    webhook_allow_private_targets: bool = False

    # Simulated fulfilment (demos, staging): each open order moves one status forward after
    # waiting this many minutes in its status (0 = off: the operator or a carrier moves orders).
    fulfilment_simulation_minutes: float = 0.0

    public_base_url: str = "http://127.0.0.1:8000"
    tracking_url_template: str = "https://tracking.clawvault.dev/{carrier}/{tracking_number}"

    # Catalog and prices (README "Catalog and prices").
    admin_token: str = ""  # the operator's token for /admin/v1; empty: the admin API is off
    price_max_age_hours: float = 168.0  # older prices are stale: no sellback on them; 0 = never
    price_feed_url: str = ""  # an HTTP JSON price feed to poll; empty: no feed
    price_feed_format: str = "records"  # "records" or "map"
    price_feed_source: str = "feed"
    price_feed_interval_seconds: float = 300.0
    price_feed_timeout_seconds: float = 10.0
    market_simulation: bool = False  # the demo's simulated market (`clawvault serve --demo`)
    market_seed: int = 1
    market_interval_seconds: float = 3.0
    market_cards_per_turn: int = 250
    market_volatility: float = 0.02
    market_jump_probability: float = 0.01


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
