"""version counters for cache checks: statuses/accounts.version, users.relations_version and
marks_version, and the triggers that keep them (store/versions.py); merges the domain heads

Revision ID: 0009_versions
Revises: 0005_algorithm, 0006_notes, 0007_moderation, 0008_integrity
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from townsquare.store import versions

revision = "0009_versions"
down_revision = ("0005_algorithm", "0006_notes", "0007_moderation", "0008_integrity")
branch_labels = None
depends_on = None

COLUMNS = [("statuses", "version"), ("accounts", "version"), ("users", "relations_version"),
           ("users", "marks_version")]


def upgrade() -> None:
    for table, column in COLUMNS:
        op.add_column(table, sa.Column(column, sa.BigInteger(), nullable=False,
                                       server_default="0"))
    for sql in versions.create_statements(op.get_bind().dialect.name):
        op.execute(sql)


def downgrade() -> None:
    for sql in versions.drop_statements(op.get_bind().dialect.name):
        op.execute(sql)
    for table, column in reversed(COLUMNS):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
