"""the community source's index (SimClusters' cluster-to-top-posts): community_posts, filled
from the posts of the last window

Revision ID: 0010_algorithm_index
Revises: 0009_versions
Create Date: 2026-12-03
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0010_algorithm_index"
down_revision = "0009_versions"  # after the merge of the domain heads
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "community_posts",
        sa.Column("community", sa.Integer(), nullable=False),
        sa.Column("status_id", sa.BigInteger(), nullable=False),
        sa.Column("engaged", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["status_id"], ["statuses.id"],
                                name=op.f("fk_community_posts_status_id_statuses"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("community", "status_id", name=op.f("pk_community_posts")),
    )
    op.create_index(op.f("ix_community_posts_status_id"), "community_posts", ["status_id"])
    # Filled now from the stored communities, as the communities job would (idempotent).
    from townsquare.algorithm.community_index import expected, window_floor
    from townsquare.algorithm.weights import current
    from townsquare.store.tables import community_known_for, community_posts, statuses

    rows = expected(window_floor(datetime.now(UTC), current())).order_by(
        community_known_for.c.community, statuses.c.id)
    op.execute(sa.insert(community_posts).from_select(
        ["community", "status_id", "engaged"], rows))


def downgrade() -> None:
    op.drop_index(op.f("ix_community_posts_status_id"), table_name="community_posts")
    op.drop_table("community_posts")
