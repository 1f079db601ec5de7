"""sandbox fairness: committed seeds of sandbox users, draws recorded on sandbox items

Revision ID: 0008_sandbox_fairness
Revises: 0006
Create Date: 2026-11-27 15:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_sandbox_fairness"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sandbox_fairness_seeds",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("key_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.String(length=256), nullable=False),
        sa.Column("server_seed", sa.String(length=64), nullable=False),
        sa.Column("server_seed_hash", sa.String(length=64), nullable=False),
        sa.Column("client_seed", sa.String(length=64), nullable=False),
        sa.Column("next_nonce", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revealed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_fairness_seeds")),
    )
    with op.batch_alter_table("sandbox_fairness_seeds", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sandbox_fairness_seeds_user", ["key_id", "user_id", "id"], unique=False
        )
        batch_op.create_index(
            "uq_sandbox_fairness_seeds_active",
            ["key_id", "user_id"],
            unique=True,
            sqlite_where=sa.text("revealed_at IS NULL"),
            postgresql_where=sa.text("revealed_at IS NULL"),
        )

    with op.batch_alter_table("sandbox_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seed_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("nonce", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("draw", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("drawn_key", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("card_key", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("odds_canonical", sa.Text(), nullable=True))
        batch_op.create_unique_constraint("uq_sandbox_items_seed_nonce", ["seed_id", "nonce"])

    with op.batch_alter_table("sandbox_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("odds_canonical", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sandbox_sessions", schema=None) as batch_op:
        batch_op.drop_column("odds_canonical")

    with op.batch_alter_table("sandbox_items", schema=None) as batch_op:
        batch_op.drop_constraint("uq_sandbox_items_seed_nonce", type_="unique")
        batch_op.drop_column("odds_canonical")
        batch_op.drop_column("card_key")
        batch_op.drop_column("drawn_key")
        batch_op.drop_column("draw")
        batch_op.drop_column("nonce")
        batch_op.drop_column("seed_id")

    with op.batch_alter_table("sandbox_fairness_seeds", schema=None) as batch_op:
        batch_op.drop_index("uq_sandbox_fairness_seeds_active")
        batch_op.drop_index("ix_sandbox_fairness_seeds_user")

    op.drop_table("sandbox_fairness_seeds")
