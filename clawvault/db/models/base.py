"""The declarative base, its naming convention, the column types and statuses every table shares."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Integer,
    MetaData,
)
from sqlalchemy.orm import DeclarativeBase

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
