"""Tables of community notes: notes on posts, ratings of notes, each note's status
(noteStatusHistory), the log of status changes, scoring runs and contributors' scores.

Reasons and tags are bitmasks in the published column order (notes.constants MISLEADING_TAGS,
NOT_MISLEADING_TAGS, HELPFUL_TAGS, NOT_HELPFUL_TAGS), so the scorer's boolean tag matrices come
out of a column with one vectorised shift instead of a loop over JSON lists.  Times the scorer
reads are epoch milliseconds (the published files' unit): a note's creation time is its
snowflake id >> 16, a rating's is its `version` >> 16.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from townsquare.store.tables import metadata


def _ts(name: str = "created_at", *, nullable: bool = False) -> Column:
    return Column(name, DateTime(timezone=True), nullable=nullable)


def _fk(name: str, target: str, *, index: bool = False) -> Column:
    return Column(name, BigInteger, ForeignKey(target, ondelete="CASCADE"), nullable=False,
                  index=index)


community_notes = Table(
    "community_notes", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),  # snowflake: >> 16 = ms
    _fk("status_id", "statuses.id", index=True),
    _fk("account_id", "accounts.id", index=True),  # the writer; never shown to others
    Column("classification", String(40), nullable=False),  # published classification names
    Column("reasons", Integer, nullable=False),  # bitmask over the classification's checkboxes
    Column("summary", Text, nullable=False),  # as written
    Column("content", Text, nullable=False),  # safe HTML
    _ts(),
    UniqueConstraint("status_id", "account_id"),  # one note per writer per post
)

note_ratings = Table(
    "note_ratings", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    _fk("note_id", "community_notes.id"),
    _fk("account_id", "accounts.id", index=True),  # the rater; never shown to others
    Column("helpfulness", String(20), nullable=False),  # HELPFUL | SOMEWHAT_HELPFUL | NOT_HELPFUL
    Column("helpful_tags", Integer, nullable=False, default=0),  # bitmask, HELPFUL_TAGS order
    Column("not_helpful_tags", Integer, nullable=False, default=0),
    # Snowflake of the latest change (latest wins): orders changes for the rescoring
    # watermark, and >> 16 is the rating's time in ms (the scorer's createdAtMillis).
    Column("version", BigInteger, nullable=False, index=True),
    _ts(),
    _ts("updated_at"),
    UniqueConstraint("note_id", "account_id"),
)

# noteStatusHistory (one row per scored note, published columns) plus the run's scores.
# Statuses are the published names; *_ms are epoch milliseconds, NULL when unset.
note_status = Table(
    "note_status", metadata,
    Column("note_id", BigInteger, ForeignKey("community_notes.id", ondelete="CASCADE"),
           primary_key=True, autoincrement=False),
    Column("status_id", BigInteger, nullable=False, index=True),  # the post (denormalised)
    Column("current_status", String(32), nullable=False),
    Column("current_status_ms", BigInteger, nullable=True),
    Column("current_core_status", String(32), nullable=True),
    Column("current_decided_by", String(64), nullable=True),
    Column("first_non_nmr_status", String(32), nullable=True),
    Column("first_non_nmr_ms", BigInteger, nullable=True),
    Column("most_recent_non_nmr_status", String(32), nullable=True),
    Column("most_recent_non_nmr_ms", BigInteger, nullable=True),
    Column("locked_status", String(32), nullable=True),
    Column("lock_ms", BigInteger, nullable=True),
    Column("retro_lock_ms", BigInteger, nullable=True),
    Column("intercept", Float, nullable=True),  # coreNoteIntercept (NULL: not in the fit)
    Column("factor", Float, nullable=True),  # coreNoteFactor1
    Column("num_ratings", Integer, nullable=False, default=0),
    Column("first_tag", String(48), nullable=True),
    Column("second_tag", String(48), nullable=True),
    Column("run_id", BigInteger, nullable=False),
    Index("ix_note_status_status_id_current_status", "status_id", "current_status"),
)

# Every change of a note's current status, kept forever (the note's visible history).
note_status_changes = Table(
    "note_status_changes", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    _fk("note_id", "community_notes.id", index=True),
    Column("status", String(32), nullable=False),
    Column("previous_status", String(32), nullable=True),
    Column("decided_by", String(64), nullable=True),
    Column("run_id", BigInteger, nullable=False),
    _ts(),
)

note_scoring_runs = Table(
    "note_scoring_runs", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("trigger", String(16), nullable=False),  # schedule | ratings | manual
    Column("now_ms", BigInteger, nullable=False),  # the scorer's clock
    Column("watermark", BigInteger, nullable=False),  # highest rating version included
    Column("notes_count", Integer, nullable=False),
    Column("ratings_count", Integer, nullable=False),
    Column("helpful_count", Integer, nullable=False),
    Column("not_helpful_count", Integer, nullable=False),
    Column("seconds", Float, nullable=False),
    _ts(),
)

# The published helpfulness scores of the latest run, one row per contributor it scored.
note_contributors = Table(
    "note_contributors", metadata,
    Column("account_id", BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"),
           primary_key=True, autoincrement=False),
    Column("rater_intercept", Float, nullable=True),
    Column("rater_factor", Float, nullable=True),
    Column("rater_agree_ratio", Float, nullable=True),
    Column("crh_crnh_ratio_difference", Float, nullable=True),
    Column("mean_note_score", Float, nullable=True),
    Column("above_helpfulness_threshold", Boolean, nullable=False),
    Column("successful_helpful", Integer, nullable=False),
    Column("successful_not_helpful", Integer, nullable=False),
    Column("unsuccessful_helpful", Integer, nullable=False),
    Column("unsuccessful_not_helpful", Integer, nullable=False),
    Column("run_id", BigInteger, nullable=False),
)
