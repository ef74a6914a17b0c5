"""statuses: the reposts of an account, read from an index alone

A For you page counts, for every post of its 48-hour window, how many of the accounts the
viewer follows liked or reposted it (the social proof). The reposts were read with every
other status of those accounts (a heap row each: 3,222 rows for a viewer following 755
accounts), which tied the count to the in-network source's read. This partial index on
(account_id, reblog_of_id), reposts only, answers "the followed accounts' reposts of the
window's posts" by itself, so the count runs as a statement of its own, on a second
connection beside the other sources (algorithm/candidates.py).

Revision ID: 0013_reposts_index
Revises: 0012_follows_covering
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_reposts_index"
down_revision = "0012_follows_covering"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_statuses_reposts", "statuses", ["account_id", "reblog_of_id"],
                    unique=False, postgresql_where=sa.text("reblog_of_id IS NOT NULL"),
                    sqlite_where=sa.text("reblog_of_id IS NOT NULL"))


def downgrade() -> None:
    op.drop_index("ix_statuses_reposts", table_name="statuses")
