"""inventory page index: owner, status, purchased_at DESC, id

Revision ID: 0009
Revises: 0008_sandbox_fairness
Create Date: 2026-11-27 16:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008_sandbox_fairness"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A page of an inventory is ordered by purchased_at DESC, id: with the old index ending at
    # purchased_at, PostgreSQL read and sorted every held item to return a page (55.7 ms for
    # 10,000 items bought at one instant, against 0.37 ms with this index).
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cards_owner_page",
            ["owner_partner_id", "owner_user_id", "status", sa.text("purchased_at DESC"), "id"],
            unique=False,
        )
        batch_op.drop_index("ix_cards_owner")


def downgrade() -> None:
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cards_owner",
            ["owner_partner_id", "owner_user_id", "status", "purchased_at"],
            unique=False,
        )
        batch_op.drop_index("ix_cards_owner_page")
