"""version counters: mentions and tags bump their post only when deleted (store/versions.py)

A post's mentions and tags are inserted with the post, before any reader could have cached
it, or by an edit, which bumps the post itself; the triggers on their INSERT and UPDATE only
cost every post with a mention or a hashtag an extra UPDATE of its own row.

Revision ID: 0011_fewer_version_triggers
Revises: 0010_posting, 0010_algorithm_index
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0011_fewer_version_triggers"
down_revision = ("0010_posting", "0010_algorithm_index")
branch_labels = None
depends_on = None

DROPPED = [f"tsv_{table}_status_1_{op_}_{row}"
           for table in ("status_mentions", "status_tags")
           for op_, row in (("insert", "new"), ("update", "new"), ("update", "old"))]


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name in DROPPED:
        table = name.split("_status_1_")[0].removeprefix("tsv_")
        op.execute(f"DROP TRIGGER IF EXISTS {name}" if sqlite
                   else f"DROP TRIGGER IF EXISTS {name} ON {table}")


def downgrade() -> None:
    pass  # the counters then move a little less often than before; nothing to restore
