"""statuses: the indexes of in_reply_to_id, reblog_of_id and quote_of_id hold no NULLs

Most posts reply to, repost and quote nothing, yet each full index held an entry for every
post (on the generated 100k network's 6.5M posts: 43-56 MB each, mostly NULLs), written by
every post. SQLite's planner, once ANALYZE has run, also read such an index's statistics as
"each value matches most of the table" and scanned statuses instead (finding a post's quotes
on the generated 10k network). Rebuilt as partial indexes WHERE col IS NOT NULL: every
lookup they serve is `col = x` or `col IN (...)` (replies, reposts and quotes of a post,
and the cascades of its deletion), which implies it.

Revision ID: 0016_partial_reference_indexes
Revises: 0015_status_cascade_indexes
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_partial_reference_indexes"
down_revision = "0015_status_cascade_indexes"
branch_labels = None
depends_on = None

COLUMNS = ("in_reply_to_id", "reblog_of_id", "quote_of_id")


def upgrade() -> None:
    for col in COLUMNS:
        op.drop_index(f"ix_statuses_{col}", table_name="statuses")
        op.create_index(f"ix_statuses_{col}", "statuses", [col], unique=False,
                        postgresql_where=sa.text(f"{col} IS NOT NULL"),
                        sqlite_where=sa.text(f"{col} IS NOT NULL"))


def downgrade() -> None:
    for col in COLUMNS:
        op.drop_index(f"ix_statuses_{col}", table_name="statuses")
        op.create_index(f"ix_statuses_{col}", "statuses", [col], unique=False)
