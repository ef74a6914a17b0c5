"""Tables of the moderation domain: reports, decisions (statements of reasons), appeals, the
moderation state of posts and accounts, labels and labelers, and each person's own filters."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from townsquare.store.tables import metadata


def _ts(name: str = "created_at", *, nullable: bool = False) -> Column:
    return Column(name, DateTime(timezone=True), nullable=nullable)


def _account(name: str, *, nullable: bool = False, index: bool = False) -> Column:
    return Column(name, BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"),
                  nullable=nullable, index=index)


reports = Table(
    "reports", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    _account("account_id", index=True),  # the reporter: never shown publicly
    _account("target_account_id", index=True),
    Column("status_ids", JSON, nullable=False),
    Column("category", String(16), nullable=False),  # spam | legal | violation | other
    Column("rule_ids", JSON, nullable=False),
    Column("comment", Text, nullable=False),
    Column("forward", Boolean, nullable=False, default=False),
    _ts(),
    _ts("resolved_at", nullable=True),
    Column("resolved_by", BigInteger, nullable=True),
    Column("resolution", String(16), nullable=True),  # actioned | dismissed
)

# A decision is the statement of reasons (EU DSA art. 17 fields). Rows are never deleted:
# the public log is this table, minus personal data.
moderation_decisions = Table(
    "moderation_decisions", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(24), nullable=False),  # see moderation/policy.py KINDS
    Column("label", String(40), nullable=True),
    _account("target_account_id", index=True),
    Column("target_status_id", BigInteger, nullable=True, index=True),  # kept after deletion
    Column("visibility_effect", String(16), nullable=False),  # labelled, demoted, warned, ...
    _ts("ends_at", nullable=True),  # None = indefinite
    Column("facts", Text, nullable=False),
    Column("ground_type", String(8), nullable=False),  # law | rule
    Column("ground_reference", String(200), nullable=False),
    Column("ground_text", Text, nullable=False),  # the law or rule, quoted
    Column("automated_detection", Boolean, nullable=False),
    Column("automated_decision", Boolean, nullable=False),
    Column("source", String(16), nullable=False),  # report | moderator | automated
    Column("report_id", BigInteger, nullable=True),
    Column("moderator_id", BigInteger, nullable=True),  # internal; the log shows the role only
    Column("content_snapshot", Text, nullable=False, default=""),  # what was decided on
    _ts(),
    _ts("reversed_at", nullable=True),
    _ts("expired_at", nullable=True),
)

appeals = Table(
    "appeals", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("decision_id", BigInteger, ForeignKey("moderation_decisions.id", ondelete="CASCADE"),
           nullable=False, unique=True),
    _account("account_id"),
    Column("text", Text, nullable=False),
    _ts(),
    _ts("decided_at", nullable=True),
    Column("decided_by", BigInteger, nullable=True),
    Column("outcome", String(10), nullable=True),  # upheld | reversed
    Column("outcome_reason", Text, nullable=True),
)

# The effect of decisions on a post, joined into every status read.
status_moderation = Table(
    "status_moderation", metadata,
    Column("status_id", BigInteger, ForeignKey("statuses.id", ondelete="CASCADE"),
           primary_key=True, autoincrement=False),
    Column("reach_limited", Boolean, nullable=False, default=False),
    Column("interstitial", Boolean, nullable=False, default=False),
    Column("removed", Boolean, nullable=False, default=False),
    _ts("updated_at"),
)

account_moderation = Table(
    "account_moderation", metadata,
    Column("account_id", BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"),
           primary_key=True, autoincrement=False),
    Column("reach_limited", Boolean, nullable=False, default=False),
    _ts("updated_at"),
)

# Labels on posts or accounts, by the platform (labeler_id 0) or a labeler account.
labels = Table(
    "labels", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("labeler_id", BigInteger, nullable=False),
    Column("value", String(40), nullable=False),
    Column("status_id", BigInteger, ForeignKey("statuses.id", ondelete="CASCADE"),
           nullable=True, index=True),
    _account("account_id", nullable=True, index=True),
    Column("decision_id", BigInteger, nullable=True),
    _ts(),
    _ts("removed_at", nullable=True),
)

labeler_definitions = Table(
    "labeler_definitions", metadata,
    Column("labeler_id", BigInteger, nullable=False),
    Column("value", String(40), nullable=False),
    Column("description", Text, nullable=False),
    Column("default_setting", String(8), nullable=False, default="warn"),  # show | warn | hide
    _ts(),
    PrimaryKeyConstraint("labeler_id", "value"),
)

labeler_subscriptions = Table(
    "labeler_subscriptions", metadata,
    _account("account_id"),
    _account("labeler_id"),
    _ts(),
    PrimaryKeyConstraint("account_id", "labeler_id"),
)

label_preferences = Table(
    "label_preferences", metadata,
    _account("account_id"),
    Column("labeler_id", BigInteger, nullable=False),
    Column("value", String(40), nullable=False),
    Column("setting", String(8), nullable=False),  # show | warn | hide
    PrimaryKeyConstraint("account_id", "labeler_id", "value"),
)

# Mastodon filters v2 (muted words and phrases), plus townsquare's "except people I follow".
filters = Table(
    "filters", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    _account("account_id", index=True),
    Column("title", String(200), nullable=False),
    Column("context", JSON, nullable=False),  # home | notifications | public | thread | account
    Column("filter_action", String(8), nullable=False),  # warn | hide
    Column("except_following", Boolean, nullable=False, default=False),
    _ts("expires_at", nullable=True),
    _ts(),
)

filter_keywords = Table(
    "filter_keywords", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("filter_id", BigInteger, ForeignKey("filters.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("keyword", String(200), nullable=False),
    Column("whole_word", Boolean, nullable=False, default=True),
)

filter_statuses = Table(
    "filter_statuses", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("filter_id", BigInteger, ForeignKey("filters.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("status_id", BigInteger, ForeignKey("statuses.id", ondelete="CASCADE"),
           nullable=False),
    Index("ix_filter_statuses_status_id", "status_id"),  # ON DELETE CASCADE of a post
)

hidden_statuses = Table(
    "hidden_statuses", metadata,
    _account("account_id"),
    Column("status_id", BigInteger, ForeignKey("statuses.id", ondelete="CASCADE"),
           nullable=False),
    _ts(),
    PrimaryKeyConstraint("account_id", "status_id"),
    Index("ix_hidden_statuses_status_id", "status_id"),  # ON DELETE CASCADE of a post
)

# Who may reply to a post (everyone | followers | mentioned); absent = everyone.
reply_policies = Table(
    "reply_policies", metadata,
    Column("status_id", BigInteger, ForeignKey("statuses.id", ondelete="CASCADE"),
           primary_key=True, autoincrement=False),
    Column("policy", String(12), nullable=False),
)

# A quoted author detached their post from a quote: the quote shows it was removed by them.
quote_detachments = Table(
    "quote_detachments", metadata,
    Column("status_id", BigInteger, ForeignKey("statuses.id", ondelete="CASCADE"),
           primary_key=True, autoincrement=False),  # the quoting post
    Column("detached_status_id", BigInteger, nullable=False),
    _ts(),
    Index("ix_quote_detachments_detached_status_id", "detached_status_id"),
)


# Which notification carried which decision (the author's notice with its appeal link).
decision_notifications = Table(
    "decision_notifications", metadata,
    Column("notification_id", BigInteger, ForeignKey("notifications.id", ondelete="CASCADE"),
           primary_key=True, autoincrement=False),
    Column("decision_id", BigInteger,
           ForeignKey("moderation_decisions.id", ondelete="CASCADE"), nullable=False,
           index=True),
)
