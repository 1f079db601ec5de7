"""What partners' users do: users, pull sessions and their pulls, fairness seeds, sellbacks, and
the ledger."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from clawvault.db.models.base import (
    Base,
    BigId,
)


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
