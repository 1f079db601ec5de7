"""The sandbox's tables: state of each sandbox key (its clock, users, pulls, holdings, FMVs,
forced errors, quotes, orders, seeds). They live in the main database only with
CLAWVAULT_SANDBOX_PERSIST=1; by default in a throwaway database of their own (sandbox.store), so
they never reference production rows by foreign key (cards and packs are read by id). On the
production metadata, so one migration history holds both."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from clawvault.db.models import Base, BigId


class SandboxItemStatus(StrEnum):
    HELD = "held"
    SOLD = "sold"
    SHIPPING = "shipping"
    SHIPPED = "shipped"


class SandboxClock(Base):
    __tablename__ = "sandbox_clocks"
    key_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    offset_seconds: Mapped[float] = mapped_column(Float)


class SandboxUser(Base):
    __tablename__ = "sandbox_users"
    key_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    created_at: Mapped[datetime]


class SandboxSession(Base):
    __tablename__ = "sandbox_sessions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    key_id: Mapped[int] = mapped_column(BigInteger, index=True)
    user_id: Mapped[str] = mapped_column(String(256))
    pack_id: Mapped[str] = mapped_column(String(64))
    amount: Mapped[int] = mapped_column(Integer)
    public_id: Mapped[str] = mapped_column(String(16))
    tx_hash: Mapped[str] = mapped_column(String(128))
    # The pack's odds table at the pull (a receipt's odds_canonical).
    odds_canonical: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class SandboxFairnessSeed(Base):
    """A committed server seed of one (sandbox key, user): the sandbox twin of FairnessSeed."""

    __tablename__ = "sandbox_fairness_seeds"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[str] = mapped_column(String(256))
    server_seed: Mapped[str] = mapped_column(String(64))
    server_seed_hash: Mapped[str] = mapped_column(String(64))
    client_seed: Mapped[str] = mapped_column(String(64))
    next_nonce: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime]
    revealed_at: Mapped[datetime | None]
    __table_args__ = (
        Index(
            "uq_sandbox_fairness_seeds_active",
            "key_id",
            "user_id",
            unique=True,
            sqlite_where=text("revealed_at IS NULL"),
            postgresql_where=text("revealed_at IS NULL"),
        ),
        Index("ix_sandbox_fairness_seeds_user", "key_id", "user_id", "id"),
    )


class SandboxItem(Base):
    """One holding of a catalog card by a sandbox user: its price is frozen at the pull."""

    __tablename__ = "sandbox_items"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key_id: Mapped[int] = mapped_column(BigInteger)
    session_id: Mapped[str] = mapped_column(String(36))
    position: Mapped[int] = mapped_column(Integer)
    card_id: Mapped[str] = mapped_column(String(128))
    pack_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(16))
    tier_id: Mapped[int] = mapped_column(Integer)
    fmv_cents: Mapped[int] = mapped_column(BigInteger)
    buyback_bps: Mapped[int] = mapped_column(Integer)
    buyback_price_cents: Mapped[int] = mapped_column(BigInteger)
    purchased_at: Mapped[datetime]
    buyback_expires_at: Mapped[datetime]
    order_id: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[datetime]
    # clawvault-fair-v1, as on production pulls: the seed (sandbox_fairness_seeds.id) and nonce
    # that drew the item, the drawn number and pool key, the card's pool key, and the odds table
    # the draw used (the pack's tiers that had a candidate for this key at that moment).
    seed_id: Mapped[int | None] = mapped_column(BigInteger)
    nonce: Mapped[int | None] = mapped_column(BigInteger)
    draw: Mapped[float | None] = mapped_column(Float)
    drawn_key: Mapped[int | None] = mapped_column(BigInteger)
    card_key: Mapped[int | None] = mapped_column(BigInteger)
    odds_canonical: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (
        UniqueConstraint("seed_id", "nonce", name="uq_sandbox_items_seed_nonce"),
        Index("ix_sandbox_items_owner", "key_id", "user_id", "status"),
        Index("ix_sandbox_items_session", "session_id", "position"),
        Index("ix_sandbox_items_order", "order_id"),
        # A key holds a card at most once at a time (sold holdings are history).
        Index(
            "uq_sandbox_items_active_card",
            "key_id",
            "card_id",
            unique=True,
            sqlite_where=text("status <> 'sold'"),
            postgresql_where=text("status <> 'sold'"),
        ),
    )


class SandboxFmv(Base):
    __tablename__ = "sandbox_fmvs"
    key_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    card_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    fmv_cents: Mapped[int] = mapped_column(BigInteger)
    set_at: Mapped[datetime]


class SandboxForcedError(Base):
    __tablename__ = "sandbox_forced_errors"
    key_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    card_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    error: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]


class SandboxQuote(Base):
    __tablename__ = "sandbox_quotes"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    key_id: Mapped[int] = mapped_column(BigInteger, index=True)
    user_id: Mapped[str] = mapped_column(String(256))
    item_ids: Mapped[list[Any]] = mapped_column(JSON)
    destination: Mapped[dict[str, Any]] = mapped_column(JSON)
    declared_value_cents: Mapped[int] = mapped_column(BigInteger)
    zone: Mapped[str] = mapped_column(String(16))
    rates: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class SandboxOrder(Base):
    __tablename__ = "sandbox_orders"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    key_id: Mapped[int] = mapped_column(BigInteger, index=True)
    user_id: Mapped[str] = mapped_column(String(256))
    quote_id: Mapped[str] = mapped_column(String(40), unique=True)
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


class SandboxOrderItem(Base):
    __tablename__ = "sandbox_order_items"
    order_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    card_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    key_id: Mapped[int] = mapped_column(BigInteger, index=True)
    name: Mapped[str] = mapped_column(String(300))
    image: Mapped[str] = mapped_column(String(500))
    back_image: Mapped[str | None] = mapped_column(String(500))


SANDBOX_TABLES = tuple(
    Base.metadata.tables[model.__tablename__]
    for model in (
        SandboxClock,
        SandboxUser,
        SandboxSession,
        SandboxItem,
        SandboxFmv,
        SandboxForcedError,
        SandboxQuote,
        SandboxOrder,
        SandboxOrderItem,
        SandboxFairnessSeed,
    )
)
