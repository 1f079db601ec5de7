"""The tables, one metadata (`Base.metadata`): the domains reference each other (cards are in
packs, orders hold cards, ledger entries point at all of them), so their tables live together
here, by subject, and every name is importable from `clawvault.db.models`. The sandbox's
tables, on the same metadata, are in clawvault.sandbox.models."""

from clawvault.db.models.activity import (
    Buyback,
    FairnessSeed,
    LedgerEntry,
    Pull,
    PurchaseSession,
    User,
)
from clawvault.db.models.base import (
    NAMING_CONVENTION,
    Base,
    BigId,
    CardStatus,
    Environment,
    LedgerKind,
    OrderStatus,
    Timestamp,
)
from clawvault.db.models.catalog import (
    AVAILABLE_SQL,
    CATALOG_TABLES,
    Card,
    CardPrice,
    Pack,
    PackEvHistory,
    PackTier,
    is_available,
)
from clawvault.db.models.platform import (
    ApiKey,
    IdempotencyKey,
    IdempotencyState,
    Partner,
    RateLimitWindow,
    ScheduledJob,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEndpoint,
    WebhookEvent,
)
from clawvault.db.models.shipping import (
    Order,
    OrderEvent,
    OrderItem,
    Quote,
)

__all__ = [
    "AVAILABLE_SQL",
    "CATALOG_TABLES",
    "NAMING_CONVENTION",
    "ApiKey",
    "Base",
    "BigId",
    "Buyback",
    "Card",
    "CardPrice",
    "CardStatus",
    "Environment",
    "FairnessSeed",
    "IdempotencyKey",
    "IdempotencyState",
    "LedgerEntry",
    "LedgerKind",
    "Order",
    "OrderEvent",
    "OrderItem",
    "OrderStatus",
    "Pack",
    "PackEvHistory",
    "PackTier",
    "Partner",
    "Pull",
    "PurchaseSession",
    "Quote",
    "RateLimitWindow",
    "ScheduledJob",
    "Timestamp",
    "User",
    "WebhookDelivery",
    "WebhookDeliveryStatus",
    "WebhookEndpoint",
    "WebhookEvent",
    "is_available",
]
