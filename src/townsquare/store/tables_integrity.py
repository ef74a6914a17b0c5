"""Tables of the integrity domain (issue 8): detected campaigns with their members and evidence,
and the moderators' queue of undeclared-automation suspects. Migration 0008_integrity."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    Table,
)

from townsquare.store.tables import metadata

integrity_campaigns = Table(
    "integrity_campaigns", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("size", Integer, nullable=False),
    Column("score", Float, nullable=False),
    Column("kinds", JSON, nullable=False),  # kind -> co-actions
    Column("evidence", JSON, nullable=False),  # links with scores, shared actions with times
    Column("active", Boolean, nullable=False, default=True),  # found by the latest run
    Column("window_start", DateTime(timezone=True), nullable=False),
    Column("window_end", DateTime(timezone=True), nullable=False),
    Column("detected_at", DateTime(timezone=True), nullable=False),
)

integrity_campaign_members = Table(
    "integrity_campaign_members", metadata,
    Column("campaign_id", BigInteger, ForeignKey("integrity_campaigns.id", ondelete="CASCADE"),
           nullable=False),
    Column("account_id", BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"),
           nullable=False, index=True),
    PrimaryKeyConstraint("campaign_id", "account_id"),
)

integrity_queue = Table(
    "integrity_queue", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("account_id", BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("signals", JSON, nullable=False),  # the numbers behind each reason
    Column("reasons", JSON, nullable=False),  # human-readable evidence
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True), nullable=True),
)
