"""Packs, their tiers and EV history, the cards in their pools and the cards' price history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ColumnElement,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    literal_column,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from clawvault.db.models.base import (
    Base,
    BigId,
    CardStatus,
)


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


# What a catalog import or a demo seed fills in bulk.
CATALOG_TABLES = (Card.__tablename__, Pack.__tablename__, PackTier.__tablename__)
