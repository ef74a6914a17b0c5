"""posting: home_timeline keeps one index (its primary key), not two

Every post inserts one home_timeline row per follower. The second index,
(account_id, author_id), was there for unfollow and follow backfill only, and on SQLite it
was most of the fan-out's cost: 1.8 -> 0.6-0.7 ms of CPU per post to 100 followers without
it (16 posts per transaction; docs/scale.md, "Posting"). Unfollow now reads the follower's
own entries through the primary key (account_id, status_id); backfill checks each
candidate by primary key.

Revision ID: 0010_posting
Revises: 0009_versions
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0010_posting"
down_revision = "0009_versions"  # after the merge of the domain heads
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_home_timeline_account_id_author_id", table_name="home_timeline")


def downgrade() -> None:
    op.create_index("ix_home_timeline_account_id_author_id", "home_timeline",
                    ["account_id", "author_id"], unique=False)
