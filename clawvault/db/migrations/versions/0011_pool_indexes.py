"""pool indexes: ix_cards_pool and ix_cards_value hold the pool's cards only; ix_cards_pack

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 10:00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AVAILABLE = sa.text("status = 'available'")
IN_POOL: dict[str, Any] = {"postgresql_where": AVAILABLE, "sqlite_where": AVAILABLE}


def upgrade() -> None:
    # With status among their columns, a claim moved the card's entry in each from the
    # 'available' range to the 'held' one (a delete and an insert at two random pages), and a
    # sellback back. Holding the pool's cards only, a claim deletes and a sellback inserts.
    # Queries that must find every card of a pack (the operator's tools, a tier change) have
    # ix_cards_pack, which neither changes.
    op.create_index("ix_cards_pack", "cards", ["pack_id"], unique=False)
    op.drop_index("ix_cards_pool", table_name="cards")
    op.drop_index("ix_cards_value", table_name="cards")
    op.create_index("ix_cards_pool", "cards", ["pack_id", "tier_id", "pool_key"], **IN_POOL)
    op.create_index("ix_cards_value", "cards", ["pack_id", "fmv_cents", "tier_id"], **IN_POOL)


def downgrade() -> None:
    op.drop_index("ix_cards_pool", table_name="cards")
    op.drop_index("ix_cards_value", table_name="cards")
    op.create_index("ix_cards_pool", "cards", ["pack_id", "status", "tier_id", "pool_key"])
    op.create_index("ix_cards_value", "cards", ["pack_id", "status", "fmv_cents", "tier_id"])
    op.drop_index("ix_cards_pack", table_name="cards")
