"""integrity: campaigns, their members, the automation queue

Revision ID: 0008_integrity
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_integrity"
down_revision = "0002"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "integrity_campaigns",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _ts("window_start"), _ts("window_end"), _ts("detected_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrity_campaigns")),
    )
    op.create_table(
        "integrity_campaign_members",
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["integrity_campaigns.id"], ondelete="CASCADE",
                                name=op.f("fk_integrity_campaign_members_campaign_id_"
                                          "integrity_campaigns")),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE",
                                name=op.f("fk_integrity_campaign_members_account_id_accounts")),
        sa.PrimaryKeyConstraint("campaign_id", "account_id",
                                name=op.f("pk_integrity_campaign_members")),
    )
    op.create_index(op.f("ix_integrity_campaign_members_account_id"),
                    "integrity_campaign_members", ["account_id"])
    op.create_table(
        "integrity_queue",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("signals", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        _ts("created_at"), _ts("resolved_at", True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE",
                                name=op.f("fk_integrity_queue_account_id_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrity_queue")),
    )
    op.create_index(op.f("ix_integrity_queue_account_id"), "integrity_queue", ["account_id"])


def downgrade() -> None:
    op.drop_table("integrity_queue")
    op.drop_table("integrity_campaign_members")
    op.drop_table("integrity_campaigns")
