"""Settings: one small class, every value overridable with a CLAWVAULT_ environment variable.

Each field's description is the documentation's configuration table (docs/operator/
configuration.md is generated from it), so a new setting needs one."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLAWVAULT_", extra="ignore")

    database_url: str = Field(
        "sqlite:///./clawvault.db",
        description="`sqlite:///PATH` or `postgresql://user:pass@host/db`; the driver is "
        "chosen for you (SQLite: Python's own sqlite3; PostgreSQL: asyncpg).",
    )
    sqlite_synchronous: str = Field(
        "FULL",
        description="SQLite durability: `FULL` fsyncs every commit (an acknowledged write "
        "survives power loss); `NORMAL` survives a process crash only.",
    )
    sqlite_busy_timeout_ms: int = Field(
        30_000, description="How long a SQLite writer waits for another process's lock."
    )
    db_pool_size: int = Field(
        10,
        description="Connections per process. PostgreSQL keeps this many plus 20 overflow; "
        "SQLite keeps this many for reads and 2 for writes (a process's writes share one "
        "connection).",
    )
    pg_plan_cache_mode: Literal["force_generic_plan", "auto", "force_custom_plan"] = Field(
        "force_generic_plan",
        description="PostgreSQL's `plan_cache_mode` for clawvault's connections. Generic plans: "
        "a hot statement is planned once per connection, not at every run (with `auto`, "
        "PostgreSQL's default, the claims were planned again at every pull, ~0.3 ms of "
        "PostgreSQL CPU each).",
    )
    pg_parallel_workers: int = Field(
        0,
        description="PostgreSQL's `max_parallel_workers_per_gather` for clawvault's connections. "
        "`0`: a statement runs in its backend alone (the EV refresh's count of a pack's stock "
        "had run as a three-process parallel scan, ~260 ms of CPU, where one bitmap scan "
        "takes ~44 ms); raise it to let PostgreSQL's default planning back in.",
    )

    buyback_window_days: float = Field(
        7.0,
        description="Days to sell a card back after its pull, for packs that set no window "
        "of their own.",
    )
    quote_ttl_seconds: int = Field(15 * 60, description="Shipping quotes expire after this.")
    recent_pulls_default_limit: int = Field(
        20, description="Pulls listed by `vm/recent-pulls` when the request sets no `limit`."
    )
    chase_count: int = Field(5, description="Cards listed by `vm/chase/{slug}`.")
    ev_refresh_seconds: float = Field(
        2.0,
        description="How often pack EV is brought up to date after pulls and sellbacks, by one "
        "server process a turn (0 = never).",
    )
    packs_cache_seconds: float = Field(
        1.0,
        description="How old each process's copy of the `vm/available` listing may be "
        "(0 = always fresh).",
    )
    inventory_cache_bytes: int = Field(
        16 * 1024 * 1024,
        description="Bytes of rendered inventory answers each process keeps (about 0.7 KiB an "
        "item). An answer is served again only while the database has had no commit since it "
        "was read, so never stale (0 = off).",
    )
    fast_gets: bool = Field(
        True,
        description="`GET vm/available` and `GET inventory/{user_id}` answered by a lean ASGI "
        "path (`clawvault/core/fastpath.py`) with the same answers; `0` hands them back to "
        "their FastAPI routes.",
    )
    fast_posts: bool = Field(
        True,
        description="The same for `POST ship/quote`: the same answers, statuses and headers "
        "(request ids, rate limits, `Idempotency-Key`, body limit); `0` hands it back to its "
        "route.",
    )
    opentelemetry: bool = Field(
        False,
        description="`1`: FastAPI's own OpenTelemetry traces, metrics and logs of each request, "
        "sent to the providers the process has configured (off, each request skips looking "
        "for them: ~5 µs measured).",
    )
    max_body_bytes: int = Field(
        1024 * 1024,
        description="The most bytes a request body may have (1 MiB: the largest Partner API "
        "body, a quote of many items, is a few KB; 0 = no limit); a longer one is answered "
        '`413 {"error": "Content Too Large"}` with its `X-Request-Id`, whether '
        "`Content-Length` announced it or it came in chunks, and nothing of it is written.",
    )

    sandbox_persist: bool = Field(
        False,
        description="`1`: keep sandbox state in the main database, across restarts, instead "
        "of a throwaway in-memory store.",
    )
    sandbox_database_url: str | None = Field(
        None,
        description="The in-memory sandbox store shared by a server's workers; "
        "`clawvault serve` sets it.",
    )

    idempotency_retention_hours: float = Field(
        24.0, description="How long an `Idempotency-Key`'s answer is kept."
    )
    idempotency_lock_seconds: float = Field(
        60.0,
        description="After this, a retry may take over a claim whose work never committed.",
    )

    rate_limit_requests: int = Field(
        0,
        description="Requests per API key per window (0 = no limit); counted in the database, "
        "so shared by every process.",
    )
    rate_limit_window_seconds: int = Field(60, description="The rate-limit window.")

    webhook_poll_seconds: float = Field(
        1.0, description="How often each process sends due webhook deliveries (0 = never)."
    )
    webhook_expiring_scan_seconds: float = Field(
        60.0, description="How often held cards are scanned for `buyback.expiring`."
    )
    webhook_expiring_lead_hours: float = Field(
        24.0, description="`buyback.expiring` is sent this long before a sellback window closes."
    )
    webhook_timeout_seconds: float = Field(
        10.0, description="A delivery with no answer after this is a failed attempt."
    )
    webhook_retry_base_seconds: float = Field(
        30.0, description="The first retry's delay; each next one doubles it."
    )
    webhook_retry_max_delay_seconds: float = Field(
        4 * 3600.0, description="The longest delay between two attempts."
    )
    webhook_max_attempts: int = Field(
        15, description="Attempts before a delivery is `failed` (about 24 hours in all)."
    )
    webhook_allow_private_targets: bool = Field(
        False,
        description="Allow webhook URLs that resolve to private or loopback addresses (tests, "
        "local development; never in production).",
    )

    fulfilment_simulation_minutes: float = Field(
        0.0,
        description="Simulated fulfilment for demos and staging: every open order moves one "
        "status forward after waiting this long in its status (0 = off).",
    )

    public_base_url: str = Field(
        "http://127.0.0.1:8000",
        description="Where this server is reached (`clawvault serve` sets its own "
        "`http://HOST:PORT`); the demo catalog's pictures link to `{this}/demo/...`.",
    )
    tracking_url_template: str = Field(
        "https://tracking.clawvault.dev/{carrier}/{tracking_number}",
        description="Tracking links of shipped orders.",
    )

    admin_token: str = Field(
        "",
        description="The operator's token for the admin API and `/console`; empty: both off.",
    )
    price_max_age_hours: float = Field(
        168.0,
        description="Older prices are stale: no sellback on them (0 = never stale).",
    )
    price_feed_url: str = Field("", description="An HTTP JSON price feed to poll; empty: none.")
    price_feed_format: str = Field("records", description="`records` or `map`.")
    price_feed_source: str = Field(
        "feed", description="The source recorded for feed entries without one."
    )
    price_feed_interval_seconds: float = Field(
        300.0, description="Poll interval (one poll per interval across all processes)."
    )
    price_feed_timeout_seconds: float = Field(10.0, description="A feed fetch's timeout.")
    market_simulation: bool = Field(
        False, description="The demo's simulated market (`clawvault serve --demo` sets it)."
    )
    market_seed: int = Field(1, description="The simulated market's random seed.")
    market_interval_seconds: float = Field(
        3.0, description="Seconds between two turns of the simulated market."
    )
    market_cards_per_turn: int = Field(250, description="Cards the simulated market moves a turn.")
    market_volatility: float = Field(0.02, description="The simulated market's step in log-price.")
    market_jump_probability: float = Field(
        0.01, description="The chance of a rare jump in a card's simulated price."
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
