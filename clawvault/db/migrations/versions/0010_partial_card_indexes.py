"""partial card indexes: owner, session, order and buyback expiry hold only cards with a value

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 04:40:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# name: (columns, the column whose value a row needs to be in the index)
INDEXES: dict[str, tuple[list[str | sa.TextClause], str]] = {
    "ix_cards_owner_page": (
        ["owner_partner_id", "owner_user_id", "status", sa.text("purchased_at DESC"), "id"],
        "owner_partner_id",
    ),
    "ix_cards_session_id": (["session_id"], "session_id"),
    "ix_cards_order_id": (["order_id"], "order_id"),
    "ix_cards_buyback_expiry": (["status", "buyback_expires_at"], "buyback_expires_at"),
}


def _create(name: str, partial: bool) -> None:
    columns, column = INDEXES[name]
    where: dict[str, Any] = {}
    if partial:
        condition = sa.text(f"{column} IS NOT NULL")
        where = {"postgresql_where": condition, "sqlite_where": condition}
    op.create_index(name, "cards", columns, unique=False, **where)


def upgrade() -> None:
    # Every pooled card had an entry in each of these (NULLs), which a claim had to find and
    # delete (a random page among all the pool's entries) before adding the holder's; a
    # sellback, the reverse. Partial, they hold held and ordered cards only.
    for name in INDEXES:
        op.drop_index(name, table_name="cards")
        _create(name, partial=True)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="cards")
        _create(name, partial=False)
