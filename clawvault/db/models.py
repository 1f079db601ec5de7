"""All production tables in one module: the domains reference each other (cards are in packs,
orders hold cards, ledger entries point at all of them), so one metadata avoids import cycles.
The sandbox's tables, on the same metadata, are in clawvault.sandbox.models."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ColumnElement,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    literal_column,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT on PostgreSQL, INTEGER (so a rowid alias that autoincrements) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")
Timestamp = DateTime(timezone=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, datetime: Timestamp}  # noqa: RUF012


class Environment(StrEnum):
    PRODUCTION = "production"
    SANDBOX = "sandbox"


class CardStatus(StrEnum):
    AVAILABLE = "available"  # in its pack's pool
    HELD = "held"  # in a user's inventory
    SHIPPING = "shipping"  # in a shipping order that has not been delivered
    SHIPPED = "shipped"  # delivered: out of the platform for good
    RETIRED = "retired"  # taken out of the pool by the operator


class OrderStatus(StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    LABEL_CREATED = "label_created"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    FAILED = "failed"


class LedgerKind(StrEnum):
    PULL = "pull"
    BUYBACK = "buyback"
    SHIPPING = "shipping"
    SHIPPING_REFUND = "shipping_refund"


class Partner(Base):
    __tablename__ = "partners"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime]


class ApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(16))
    environment: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class Pack(Base):
    __tablename__ = "packs"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    slug: Mapped[str | None] = mapped_column(String(120), unique=True)
    platform: Mapped[str] = mapped_column(String(32), default="mainnet")
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    enable: Mapped[bool] = mapped_column(Boolean, default=True)
    mint_price_cents: Mapped[int] = mapped_column(BigInteger)
    max_per_mint: Mapped[int] = mapped_column(Integer)
    categories: Mapped[list[Any]] = mapped_column(JSON, default=list)
    buyback_bps: Mapped[int] = mapped_column(Integer)
    buyback_window_seconds: Mapped[int | None] = mapped_column(Integer)
    claw_image_url: Mapped[str] = mapped_column(String(500), default="")
    ev_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    min_ev_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    max_ev_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    ev_updated_at: Mapped[datetime]
    created_at: Mapped[datetime]


class PackTier(Base):
    __tablename__ = "pack_tiers"
    pack_id: Mapped[str] = mapped_column(ForeignKey("packs.id"), primary_key=True)
    tier_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(64))
    color: Mapped[str] = mapped_column(String(7))
    lower_cents: Mapped[int] = mapped_column(BigInteger)
    upper_cents: Mapped[int] = mapped_column(BigInteger)
    weight: Mapped[float] = mapped_column(Float)


class PackEvHistory(Base):
    __tablename__ = "pack_ev_history"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    pack_id: Mapped[str] = mapped_column(ForeignKey("packs.id"))
    ev_cents: Mapped[int] = mapped_column(BigInteger)
    recorded_at: Mapped[datetime]
    __table_args__ = (Index("ix_pack_ev_history_pack_time", "pack_id", "recorded_at"),)


def _where_not_null(column: str) -> dict[str, Any]:
    """A partial index's condition: rows whose `column` has a value (a query's `column = x`
    or range on it implies it, so both databases' planners use the index for such queries)."""
    condition = text(f"{column} IS NOT NULL")
    return {"postgresql_where": condition, "sqlite_where": condition}


# A card in its pack's pool, as the partial indexes ix_cards_pool and ix_cards_value hold them:
# the status a literal in the SQL (`is_available`): a planner always sees that a literal meets
# an index's condition, a bound parameter not always (PostgreSQL's generic plans never).
AVAILABLE_SQL = f"'{CardStatus.AVAILABLE.value}'"


def _where_available() -> dict[str, Any]:
    condition = text(f"status = {AVAILABLE_SQL}")
    return {"postgresql_where": condition, "sqlite_where": condition}


class Card(Base):
    __tablename__ = "cards"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    pack_id: Mapped[str] = mapped_column(ForeignKey("packs.id"))
    name: Mapped[str] = mapped_column(String(300))
    image: Mapped[str] = mapped_column(String(500))
    back_image: Mapped[str | None] = mapped_column(String(500))
    attributes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    type: Mapped[str] = mapped_column(String(16))
    custodian: Mapped[str | None] = mapped_column(String(32))
    mint_address: Mapped[str | None] = mapped_column(String(64))
    collection_address: Mapped[str | None] = mapped_column(String(64))
    token_standard: Mapped[str | None] = mapped_column(String(32))
    fmv_cents: Mapped[int] = mapped_column(BigInteger)
    fmv_source: Mapped[str] = mapped_column(String(64), default="seed")
    fmv_as_of: Mapped[datetime]
    # The tier whose FMV band holds the card (NULL when no band of its pack does).
    tier_id: Mapped[int | None] = mapped_column(Integer)
    # Random position in the pool: a pull takes the first available card at or after a random key.
    pool_key: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    owner_partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"))
    owner_user_id: Mapped[str | None] = mapped_column(String(256))
    session_id: Mapped[str | None] = mapped_column(String(36))
    purchased_at: Mapped[datetime | None]
    buyback_expires_at: Mapped[datetime | None]
    order_id: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[datetime]
    __table_args__ = (
        # The pool's cards only: a claim deletes the card's entries, a sellback adds them,
        # where an index holding every card moved them from one status's range to another's.
        Index("ix_cards_pool", "pack_id", "tier_id", "pool_key", **_where_available()),
        Index("ix_cards_value", "pack_id", "fmv_cents", "tier_id", **_where_available()),
        # Every card of a pack (the operator's tools): no claim or sellback changes its entry.
        Index("ix_cards_pack", "pack_id"),
        # The inventory page's order (newest first, then id): a page is an index range scan
        # that stops after `limit` rows, however many items share a purchase time.
        # The indexes below hold only the cards that have a value there (held, in an order):
        # a card in the pool has none, so a claim adds its entries without first finding and
        # deleting entries among every pooled card's, and a sellback the other way round
        # (and on PostgreSQL, whose updates here add a new entry to every index whose
        # condition the row meets, a pooled card's versions add none to them).
        Index(
            "ix_cards_owner_page",
            "owner_partner_id",
            "owner_user_id",
            "status",
            text("purchased_at DESC"),
            "id",
            **_where_not_null("owner_partner_id"),
        ),
        Index("ix_cards_session_id", "session_id", **_where_not_null("session_id")),
        Index("ix_cards_order_id", "order_id", **_where_not_null("order_id")),
        Index("ix_cards_fmv_as_of", "fmv_as_of"),
        Index(
            "ix_cards_buyback_expiry",
            "status",
            "buyback_expires_at",
            **_where_not_null("buyback_expires_at"),
        ),
    )


def is_available(status: Any = Card.status) -> ColumnElement[bool]:
    """`status` (the cards table's column, of whichever alias) says the card is in the pool,
    in the form the partial indexes ix_cards_pool and ix_cards_value serve."""
    condition: ColumnElement[bool] = status == literal_column(AVAILABLE_SQL)
    return condition


class User(Base):
    __tablename__ = "users"
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    created_at: Mapped[datetime]


class PurchaseSession(Base):
    __tablename__ = "purchase_sessions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    user_id: Mapped[str] = mapped_column(String(256))
    pack_id: Mapped[str] = mapped_column(ForeignKey("packs.id"))
    amount: Mapped[int] = mapped_column(Integer)
    price_cents: Mapped[int] = mapped_column(BigInteger)
    public_id: Mapped[str] = mapped_column(String(16))
    tx_hash: Mapped[str] = mapped_column(String(128))
    # The odds table in force, exactly as its hash in the fairness receipt is taken over.
    odds_canonical: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class FairnessSeed(Base):
    """A committed server seed of one (partner, user): secret until rotated, then revealed."""

    __tablename__ = "fairness_seeds"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    user_id: Mapped[str] = mapped_column(String(256))
    server_seed: Mapped[str] = mapped_column(String(64))
    server_seed_hash: Mapped[str] = mapped_column(String(64))
    client_seed: Mapped[str] = mapped_column(String(64))
    next_nonce: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime]
    revealed_at: Mapped[datetime | None]
    __table_args__ = (
        # At most one active (unrevealed) seed per user.
        Index(
            "uq_fairness_seeds_active",
            "partner_id",
            "user_id",
            unique=True,
            sqlite_where=text("revealed_at IS NULL"),
            postgresql_where=text("revealed_at IS NULL"),
        ),
        Index("ix_fairness_seeds_user", "partner_id", "user_id", "id"),
    )


class Pull(Base):
    __tablename__ = "pulls"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("purchase_sessions.id"))
    position: Mapped[int] = mapped_column(Integer)
    card_id: Mapped[str] = mapped_column(ForeignKey("cards.id"))
    pack_id: Mapped[str] = mapped_column(ForeignKey("packs.id"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    user_id: Mapped[str] = mapped_column(String(256))
    tier_id: Mapped[int] = mapped_column(Integer)
    draw: Mapped[float] = mapped_column(Float)
    # clawvault-fair-v1: which committed seed and nonce drew this card, the pool key drawn and
    # the pool key of the card taken.
    seed_id: Mapped[int | None] = mapped_column(ForeignKey("fairness_seeds.id"))
    nonce: Mapped[int | None] = mapped_column(BigInteger)
    drawn_key: Mapped[int | None] = mapped_column(BigInteger)
    card_key: Mapped[int | None] = mapped_column(BigInteger)
    value_cents: Mapped[int] = mapped_column(BigInteger)
    buyback_price_cents: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    __table_args__ = (
        UniqueConstraint("session_id", "position"),
        UniqueConstraint("seed_id", "nonce", name="uq_pulls_seed_nonce"),  # a nonce draws once
        Index("ix_pulls_pack_recent", "pack_id", "id"),
        Index("ix_pulls_created_at", "created_at"),
    )


class Buyback(Base):
    __tablename__ = "buybacks"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    card_id: Mapped[str] = mapped_column(ForeignKey("cards.id"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    user_id: Mapped[str] = mapped_column(String(256))
    pack_id: Mapped[str] = mapped_column(ForeignKey("packs.id"))
    session_id: Mapped[str] = mapped_column(String(36))
    fmv_cents: Mapped[int] = mapped_column(BigInteger)
    buyback_bps: Mapped[int] = mapped_column(Integer)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    # One sellback per holding: the purchase session that put the card in the user's hands.
    __table_args__ = (UniqueConstraint("card_id", "session_id"),)


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    kind: Mapped[str] = mapped_column(String(32))
    # Signed, from the partner's side: a pull or a shipment is negative, a sellback positive.
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    reference: Mapped[str] = mapped_column(String(80))
    user_id: Mapped[str | None] = mapped_column(String(256))
    created_at: Mapped[datetime]
    __table_args__ = (
        UniqueConstraint("kind", "reference"),
        Index("ix_ledger_entries_partner_time", "partner_id", "created_at"),
    )


class Quote(Base):
    __tablename__ = "quotes"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    user_id: Mapped[str] = mapped_column(String(256))
    item_ids: Mapped[list[Any]] = mapped_column(JSON)
    destination: Mapped[dict[str, Any]] = mapped_column(JSON)
    declared_value_cents: Mapped[int] = mapped_column(BigInteger)
    zone: Mapped[str] = mapped_column(String(16))
    rates: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    user_id: Mapped[str] = mapped_column(String(256))
    quote_id: Mapped[str] = mapped_column(ForeignKey("quotes.id"), unique=True)
    rate_key: Mapped[str] = mapped_column(String(32))
    carrier: Mapped[str] = mapped_column(String(32))
    service: Mapped[str] = mapped_column(String(64))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    destination: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    tracking_url: Mapped[str | None] = mapped_column(String(300))
    error_message: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    shipped_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    __table_args__ = (Index("ix_orders_status_created", "status", "created_at"),)


class OrderItem(Base):
    __tablename__ = "order_items"
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    card_id: Mapped[str] = mapped_column(ForeignKey("cards.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    image: Mapped[str] = mapped_column(String(500))
    back_image: Mapped[str | None] = mapped_column(String(500))
    # False while the order holds the card; a cancelled order releases its cards.
    released: Mapped[bool] = mapped_column(Boolean, default=False)
    __table_args__ = (
        # Last guard of "one order per card": at most one unreleased order line per card.
        Index(
            "uq_order_items_active_card",
            "card_id",
            unique=True,
            sqlite_where=text("released = 0"),
            postgresql_where=text("released = false"),
        ),
    )


class OrderEvent(Base):
    __tablename__ = "order_events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]


class CardPrice(Base):
    """Price history of a card: every FMV the oracle stored, with its provenance."""

    __tablename__ = "card_prices"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    card_id: Mapped[str] = mapped_column(ForeignKey("cards.id"))
    fmv_cents: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(64))
    as_of: Mapped[datetime]
    recorded_at: Mapped[datetime]
    # One price per card, source and as-of time: re-importing the same prices adds nothing.
    __table_args__ = (UniqueConstraint("card_id", "as_of", "source"),)


class ScheduledJob(Base):
    """Background jobs that every server process runs: a process runs a job only after it
    claims the row with a conditional update (next_run_at <= now), so one run per interval."""

    __tablename__ = "scheduled_jobs"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_run_at: Mapped[datetime]
    runs: Mapped[int] = mapped_column(BigInteger, default=0)
    last_started_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))


class IdempotencyState(StrEnum):
    IN_PROGRESS = "in_progress"  # claimed; no effect committed yet
    APPLIED = "applied"  # effects committed, the answer not yet stored
    COMPLETED = "completed"  # the answer is stored and is replayed


class IdempotencyKey(Base):
    """One POST of a partner under an Idempotency-Key: claimed before the work runs, marked in
    the same transaction as its effects, and holding the answer to replay."""

    __tablename__ = "idempotency_keys"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    environment: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    claim_token: Mapped[str] = mapped_column(String(32))
    claimed_at: Mapped[datetime]
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    __table_args__ = (
        UniqueConstraint("partner_id", "environment", "key", name="uq_idempotency_keys_key"),
        Index("ix_idempotency_keys_created_at", "created_at"),
    )


class RateLimitWindow(Base):
    """Requests of one API key in one fixed window (shared by every process)."""

    __tablename__ = "rate_limit_windows"
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(Integer)


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    environment: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(80))
    # Event types the endpoint receives; empty = all.
    events: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]
    __table_args__ = (Index("ix_webhook_endpoints_partner", "partner_id", "environment"),)


class WebhookEvent(Base):
    """The outbox: written in the same transaction as the change it reports."""

    __tablename__ = "webhook_events"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    environment: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(64))
    # Set for events that must be sent once per subject (buyback.expiring per holding).
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    __table_args__ = (Index("ix_webhook_events_partner_time", "partner_id", "created_at"),)


class WebhookDeliveryStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # every retry used up


class WebhookDelivery(Base):
    """One event to one endpoint: the delivery log, and the queue of the delivery worker."""

    __tablename__ = "webhook_deliveries"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("webhook_events.id"))
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    last_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_partner", "partner_id", "created_at"),
    )


# What a catalog import or a demo seed fills in bulk.
CATALOG_TABLES = (Card.__tablename__, Pack.__tablename__, PackTier.__tablename__)
