"""community notes: notes, ratings, status history, status changes, scoring runs, contributors

Revision ID: 0006_notes
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_notes"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "community_notes",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("status_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("classification", sa.String(length=40), nullable=False),
        sa.Column("reasons", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["status_id"], ["statuses.id"], ondelete="CASCADE",
                                name=op.f("fk_community_notes_status_id_statuses")),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE",
                                name=op.f("fk_community_notes_account_id_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_notes")),
        sa.UniqueConstraint("status_id", "account_id",
                            name=op.f("uq_community_notes_status_id_account_id")),
    )
    op.create_index(op.f("ix_community_notes_status_id"), "community_notes", ["status_id"])
    op.create_index(op.f("ix_community_notes_account_id"), "community_notes", ["account_id"])

    op.create_table(
        "note_ratings",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("note_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("helpfulness", sa.String(length=20), nullable=False),
        sa.Column("helpful_tags", sa.Integer(), nullable=False),
        sa.Column("not_helpful_tags", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["note_id"], ["community_notes.id"], ondelete="CASCADE",
                                name=op.f("fk_note_ratings_note_id_community_notes")),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE",
                                name=op.f("fk_note_ratings_account_id_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note_ratings")),
        sa.UniqueConstraint("note_id", "account_id",
                            name=op.f("uq_note_ratings_note_id_account_id")),
    )
    op.create_index(op.f("ix_note_ratings_account_id"), "note_ratings", ["account_id"])
    op.create_index(op.f("ix_note_ratings_version"), "note_ratings", ["version"])

    op.create_table(
        "note_status",
        sa.Column("note_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("status_id", sa.BigInteger(), nullable=False),
        sa.Column("current_status", sa.String(length=32), nullable=False),
        sa.Column("current_status_ms", sa.BigInteger(), nullable=True),
        sa.Column("current_core_status", sa.String(length=32), nullable=True),
        sa.Column("current_decided_by", sa.String(length=64), nullable=True),
        sa.Column("first_non_nmr_status", sa.String(length=32), nullable=True),
        sa.Column("first_non_nmr_ms", sa.BigInteger(), nullable=True),
        sa.Column("most_recent_non_nmr_status", sa.String(length=32), nullable=True),
        sa.Column("most_recent_non_nmr_ms", sa.BigInteger(), nullable=True),
        sa.Column("locked_status", sa.String(length=32), nullable=True),
        sa.Column("lock_ms", sa.BigInteger(), nullable=True),
        sa.Column("retro_lock_ms", sa.BigInteger(), nullable=True),
        sa.Column("intercept", sa.Float(), nullable=True),
        sa.Column("factor", sa.Float(), nullable=True),
        sa.Column("num_ratings", sa.Integer(), nullable=False),
        sa.Column("first_tag", sa.String(length=48), nullable=True),
        sa.Column("second_tag", sa.String(length=48), nullable=True),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["note_id"], ["community_notes.id"], ondelete="CASCADE",
                                name=op.f("fk_note_status_note_id_community_notes")),
        sa.PrimaryKeyConstraint("note_id", name=op.f("pk_note_status")),
    )
    op.create_index(op.f("ix_note_status_status_id"), "note_status", ["status_id"])
    op.create_index("ix_note_status_status_id_current_status", "note_status",
                    ["status_id", "current_status"])

    op.create_table(
        "note_status_changes",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("note_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("previous_status", sa.String(length=32), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["note_id"], ["community_notes.id"], ondelete="CASCADE",
                                name=op.f("fk_note_status_changes_note_id_community_notes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note_status_changes")),
    )
    op.create_index(op.f("ix_note_status_changes_note_id"), "note_status_changes", ["note_id"])

    op.create_table(
        "note_scoring_runs",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("now_ms", sa.BigInteger(), nullable=False),
        sa.Column("watermark", sa.BigInteger(), nullable=False),
        sa.Column("notes_count", sa.Integer(), nullable=False),
        sa.Column("ratings_count", sa.Integer(), nullable=False),
        sa.Column("helpful_count", sa.Integer(), nullable=False),
        sa.Column("not_helpful_count", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note_scoring_runs")),
    )

    op.create_table(
        "note_contributors",
        sa.Column("account_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("rater_intercept", sa.Float(), nullable=True),
        sa.Column("rater_factor", sa.Float(), nullable=True),
        sa.Column("rater_agree_ratio", sa.Float(), nullable=True),
        sa.Column("crh_crnh_ratio_difference", sa.Float(), nullable=True),
        sa.Column("mean_note_score", sa.Float(), nullable=True),
        sa.Column("above_helpfulness_threshold", sa.Boolean(), nullable=False),
        sa.Column("successful_helpful", sa.Integer(), nullable=False),
        sa.Column("successful_not_helpful", sa.Integer(), nullable=False),
        sa.Column("unsuccessful_helpful", sa.Integer(), nullable=False),
        sa.Column("unsuccessful_not_helpful", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE",
                                name=op.f("fk_note_contributors_account_id_accounts")),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_note_contributors")),
    )


def downgrade() -> None:
    for table in ("note_contributors", "note_scoring_runs", "note_status_changes",
                  "note_status", "note_ratings", "community_notes"):
        op.drop_table(table)
