"""The schema, one SQLAlchemy Core table per concept. Migrations are generated from this.

Conventions: ids are snowflakes (BigInteger); times are UTC; counters that pages show
(followers, replies, likes...) are kept on the row and changed in the same transaction as the
fact they count, so they cannot drift.

On SQLite every BigInteger is declared INTEGER (the same type affinity there), so that a
table keyed by one integer column is keyed by its rowid: one B-tree where BIGINT PRIMARY KEY
keeps two (the table in rowid order and an index from the key to the rowid), so a lookup by
id descends one B-tree instead of two and an insert writes one fewer (migration 0014). (An
INSERT without an id would then get the next rowid instead of failing: every write assigns
its snowflake id, and PostgreSQL, on which every test also runs, refuses such an insert.)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.ext.compiler import compiles


@compiles(BigInteger, "sqlite")
def _sqlite_bigint(type_: BigInteger, compiler: Any, **kw: Any) -> str:
    return "INTEGER"


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _id() -> Column:
    return Column("id", BigInteger, primary_key=True, autoincrement=False)


def _fk(name: str, target: str, *, nullable: bool = False, index: bool = False,
        ondelete: str = "CASCADE") -> Column:
    return Column(name, BigInteger, ForeignKey(target, ondelete=ondelete), nullable=nullable,
                  index=index)


def _ts(name: str = "created_at", *, nullable: bool = False) -> Column:
    return Column(name, DateTime(timezone=True), nullable=nullable)


def _version(name: str = "version") -> Column:
    """A change counter kept by database triggers (store/versions.py); never set by code."""
    return Column(name, BigInteger, nullable=False, server_default="0")


accounts = Table(
    "accounts", metadata,
    _id(),
    Column("username", String(30), nullable=False),
    Column("username_lower", String(30), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False, default=""),
    Column("note", Text, nullable=False, default=""),  # bio as written
    Column("note_html", Text, nullable=False, default=""),
    Column("avatar_file", String(100), nullable=True),  # file names in the media store
    Column("header_file", String(100), nullable=True),
    Column("bot", Boolean, nullable=False, default=False),
    Column("locked", Boolean, nullable=False, default=False),
    Column("discoverable", Boolean, nullable=False, default=True),
    Column("role", String(16), nullable=False, default="user"),
    Column("followers_count", Integer, nullable=False, default=0),
    Column("following_count", Integer, nullable=False, default=0),
    Column("statuses_count", Integer, nullable=False, default=0),
    _ts("last_status_at", nullable=True),
    _ts("suspended_at", nullable=True),
    _ts(),
    _ts("updated_at"),
    _version(),
)

# Credentials of local accounts (remote accounts, once federation lands, have none).
users = Table(
    "users", metadata,
    Column("account_id", BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"),
           primary_key=True, autoincrement=False),
    Column("email", String(254), nullable=False, unique=True),  # stored lowercased
    Column("password_hash", String(200), nullable=False),
    Column("locale", String(16), nullable=False, default="en"),
    Column("default_visibility", String(10), nullable=False, default="public"),
    Column("default_sensitive", Boolean, nullable=False, default=False),
    Column("default_language", String(8), nullable=True),
    _ts(),
    _ts("last_active_at", nullable=True),
    _version("relations_version"),  # the viewer's follows, blocks, mutes, muted words
    _version("marks_version"),  # the viewer's likes, reposts, bookmarks, pins, votes, hides
)

apps = Table(
    "apps", metadata,
    _id(),
    Column("name", String(200), nullable=False),
    Column("website", String(500), nullable=True),
    Column("redirect_uris", Text, nullable=False),  # newline-separated
    Column("scopes", String(500), nullable=False),
    Column("client_id", String(64), nullable=False, unique=True),
    Column("client_secret", String(64), nullable=False),
    _ts(),
)

oauth_codes = Table(
    "oauth_codes", metadata,
    Column("code_hash", String(64), primary_key=True),
    _fk("app_id", "apps.id"),
    _fk("account_id", "accounts.id"),
    Column("scopes", String(500), nullable=False),
    Column("redirect_uri", Text, nullable=False),
    Column("code_challenge", String(128), nullable=True),
    Column("code_challenge_method", String(10), nullable=True),
    _ts("expires_at"),
)

# Tokens are stored as SHA-256 hashes: a leaked database does not leak sessions.
tokens = Table(
    "tokens", metadata,
    _id(),
    Column("token_hash", String(64), nullable=False, unique=True),
    _fk("app_id", "apps.id", nullable=True, index=True),
    _fk("account_id", "accounts.id", nullable=True, index=True),
    Column("scopes", String(500), nullable=False),
    _ts(),
    _ts("revoked_at", nullable=True),
    _ts("last_used_at", nullable=True),
)

media = Table(
    "media", metadata,
    _id(),
    _fk("account_id", "accounts.id", index=True),
    Column("status_id", BigInteger, ForeignKey("statuses.id", ondelete="SET NULL"),
           nullable=True, index=True),
    Column("position", Integer, nullable=False, default=0),
    Column("type", String(10), nullable=False, default="image"),
    Column("mime", String(40), nullable=False),
    Column("file_name", String(100), nullable=False),
    Column("preview_name", String(100), nullable=False),
    Column("size", Integer, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("preview_width", Integer, nullable=False),
    Column("preview_height", Integer, nullable=False),
    Column("description", Text, nullable=True),
    Column("focus_x", Float, nullable=False, default=0.0),
    Column("focus_y", Float, nullable=False, default=0.0),
    Column("blurhash", String(64), nullable=True),
    _ts(),
)

statuses = Table(
    "statuses", metadata,
    _id(),
    _fk("account_id", "accounts.id"),
    Column("text", Text, nullable=False, default=""),  # as written (the `source`)
    Column("content", Text, nullable=False, default=""),  # safe HTML
    Column("spoiler_text", Text, nullable=False, default=""),
    Column("visibility", String(10), nullable=False),  # public | unlisted | private | direct
    Column("sensitive", Boolean, nullable=False, default=False),
    Column("language", String(8), nullable=True),
    Column("in_reply_to_id", BigInteger, ForeignKey("statuses.id", ondelete="SET NULL"),
           nullable=True),
    Column("in_reply_to_account_id", BigInteger, nullable=True),
    Column("reblog_of_id", BigInteger, ForeignKey("statuses.id", ondelete="CASCADE"),
           nullable=True),
    Column("quote_of_id", BigInteger, ForeignKey("statuses.id", ondelete="SET NULL"),
           nullable=True),
    Column("conversation_id", BigInteger, nullable=True, index=True),  # id of the thread's root
    _fk("application_id", "apps.id", nullable=True, ondelete="SET NULL"),
    Column("replies_count", Integer, nullable=False, default=0),
    Column("reblogs_count", Integer, nullable=False, default=0),
    Column("favourites_count", Integer, nullable=False, default=0),
    Column("quotes_count", Integer, nullable=False, default=0),
    _ts(),
    _ts("edited_at", nullable=True),
    _version(),
    Index("ix_statuses_account_id_id", "account_id", "id"),
    Index("ix_statuses_visibility_id", "visibility", "id"),
    # Who reposted what, by account: the social proof of a For you page reads the reposts
    # of the accounts a viewer follows from this index alone (migration 0013). Partial: an
    # original post (most of them) costs it nothing.
    Index("ix_statuses_reposts", "account_id", "reblog_of_id",
          postgresql_where=text("reblog_of_id IS NOT NULL"),
          sqlite_where=text("reblog_of_id IS NOT NULL")),
    # The posts replying to, reposting or quoting a post: partial (migration 0016), since
    # most posts are none of these. A full index holds an entry for every NULL, written by
    # every post; and SQLite, once ANALYZE has run, reads its statistics as "every value
    # matches most of the table" and scanned the table instead (a post's quotes on the
    # generated 10k network). `col = x` and `col IN (...)` imply `col IS NOT NULL`.
    *(Index(f"ix_statuses_{col}", col, postgresql_where=text(f"{col} IS NOT NULL"),
            sqlite_where=text(f"{col} IS NOT NULL"))
      for col in ("in_reply_to_id", "reblog_of_id", "quote_of_id")),
)

status_edits = Table(
    "status_edits", metadata,
    _id(),
    _fk("status_id", "statuses.id", index=True),
    Column("text", Text, nullable=False),
    Column("content", Text, nullable=False),
    Column("spoiler_text", Text, nullable=False),
    Column("sensitive", Boolean, nullable=False),
    Column("media_ids", JSON, nullable=False),
    Column("poll_options", JSON, nullable=True),
    _ts(),
)

status_mentions = Table(
    "status_mentions", metadata,
    _fk("status_id", "statuses.id"),
    _fk("account_id", "accounts.id", index=True),
    PrimaryKeyConstraint("status_id", "account_id"),
)

tags = Table(
    "tags", metadata,
    _id(),
    Column("name", String(100), nullable=False, unique=True),  # lowercased
    Column("display_name", String(100), nullable=False),
    _ts(),
)

status_tags = Table(
    "status_tags", metadata,
    _fk("status_id", "statuses.id"),
    _fk("tag_id", "tags.id"),
    PrimaryKeyConstraint("status_id", "tag_id"),
    Index("ix_status_tags_tag_id_status_id", "tag_id", "status_id"),
)

polls = Table(
    "polls", metadata,
    _id(),
    Column("status_id", BigInteger, ForeignKey("statuses.id", ondelete="CASCADE"),
           nullable=False, unique=True),
    _ts("expires_at"),
    Column("multiple", Boolean, nullable=False, default=False),
    Column("hide_totals", Boolean, nullable=False, default=False),
    Column("votes_count", Integer, nullable=False, default=0),
    Column("voters_count", Integer, nullable=False, default=0),
    _ts("ended_notified_at", nullable=True),  # set once the "poll ended" notices went out
    _ts(),
)

poll_options = Table(
    "poll_options", metadata,
    _fk("poll_id", "polls.id"),
    Column("position", Integer, nullable=False),
    Column("title", String(200), nullable=False),
    Column("votes_count", Integer, nullable=False, default=0),
    PrimaryKeyConstraint("poll_id", "position"),
)

poll_votes = Table(
    "poll_votes", metadata,
    _id(),
    _fk("poll_id", "polls.id"),
    _fk("account_id", "accounts.id", index=True),
    Column("choice", Integer, nullable=False),
    _ts(),
    UniqueConstraint("poll_id", "account_id", "choice"),
)


def _edge(name: str, *extra: Column | Index, target_index: bool = True) -> Table:
    """account -> target relations (follows, blocks, mutes...), one row per pair."""
    return Table(
        name, metadata,
        _id(),
        _fk("account_id", "accounts.id"),
        _fk("target_account_id", "accounts.id", index=target_index),
        *extra,
        _ts(),
        UniqueConstraint("account_id", "target_account_id"),
    )


follows = _edge("follows", Column("show_reblogs", Boolean, nullable=False, default=True),
                Column("notify", Boolean, nullable=False, default=False),
                # An account's followers, read from the index alone (the fan-out of every
                # post): a follower's row sits on a heap page of its own (rows are in the
                # order follows were made), so reading 100 followers through a plain index
                # on the target read 100 pages (migration 0012).
                Index("ix_follows_target_account_id_account_id_show_reblogs",
                      "target_account_id", "account_id", "show_reblogs"),
                target_index=False)
follow_requests = _edge("follow_requests",
                        Column("show_reblogs", Boolean, nullable=False, default=True),
                        Column("notify", Boolean, nullable=False, default=False))
blocks = _edge("blocks")
mutes = _edge("mutes", Column("hide_notifications", Boolean, nullable=False, default=True),
              _ts("expires_at", nullable=True))


def _status_edge(name: str) -> Table:
    """account -> status marks (likes, bookmarks, pins); the id orders the account's list."""
    return Table(
        name, metadata,
        _id(),
        _fk("account_id", "accounts.id"),
        _fk("status_id", "statuses.id", index=True),
        _ts(),
        UniqueConstraint("account_id", "status_id"),
    )


favourites = _status_edge("favourites")
bookmarks = _status_edge("bookmarks")
pins = _status_edge("pins")

notifications = Table(
    "notifications", metadata,
    _id(),
    _fk("account_id", "accounts.id"),  # the recipient
    _fk("from_account_id", "accounts.id"),
    Column("type", String(24), nullable=False),
    Column("status_id", BigInteger, ForeignKey("statuses.id", ondelete="CASCADE"),
           nullable=True, index=True),
    _ts(),
    Index("ix_notifications_account_id_id", "account_id", "id"),
)

# The embedded home-timeline store: one row per (reader, entry), filled on write. A cache of
# what the follows and statuses say (timelines/truth.py rebuilds it), kept without foreign
# keys, as Redis keeps it: checking both parents of each of a post's ~100 rows was ~30% of
# writing them on SQLite (and locks every reader's account row on PostgreSQL). A deleted post
# leaves every timeline by a trigger on statuses (migration 0015; it also runs for the
# reposts a deletion cascades to); accounts are never deleted.
home_timeline = Table(
    "home_timeline", metadata,
    Column("account_id", BigInteger, nullable=False),  # the reader
    Column("status_id", BigInteger, nullable=False),
    Column("author_id", BigInteger, nullable=False),  # who posted (or reposted) the entry
    Column("origin_author_id", BigInteger, nullable=False),  # author of the reposted post
    # Every post inserts a row per follower: into the key, where each row lands at its
    # reader's place, and into the status_id index, which the trigger reads (without an
    # index, deleting a post or taking a repost back scanned the whole table: 56-137 ms on
    # the 10k network, holding SQLite's one writer). A new post's rows all go to that index's
    # right edge, so it costs little; no third index (migration 0010_posting dropped one).
    # On SQLite the table is its key (WITHOUT ROWID): no rowid B-tree beside it.
    PrimaryKeyConstraint("account_id", "status_id"),
    Index("ix_home_timeline_status_id", "status_id"),
    sqlite_with_rowid=False,
)

markers = Table(
    "markers", metadata,
    _fk("account_id", "accounts.id"),
    Column("timeline", String(16), nullable=False),
    Column("last_read_id", BigInteger, nullable=False),
    Column("version", Integer, nullable=False, default=1),
    _ts("updated_at"),
    PrimaryKeyConstraint("account_id", "timeline"),
)


# ---------------------------------------------------------------------------------------
# The open algorithm (issue 5): feed choice, custom feeds, feedback, opt-outs, served-feed
# logs for replay, and the communities batch job's output. Migration 0005_algorithm.
# ---------------------------------------------------------------------------------------

feed_preferences = Table(
    "feed_preferences", metadata,
    Column("account_id", BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"),
           primary_key=True, autoincrement=False),
    Column("default_feed", String(32), nullable=False),  # following | for_you | <custom id>
    _ts("updated_at"),
)

custom_feeds = Table(
    "custom_feeds", metadata,
    _id(),
    _fk("account_id", "accounts.id", index=True),  # the author of the definition
    Column("title", String(100), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("definition", JSON, nullable=False),
    Column("published", Boolean, nullable=False, default=False),
    _ts(),
    _ts("updated_at"),
)

feed_subscriptions = Table(
    "feed_subscriptions", metadata,
    _id(),
    _fk("account_id", "accounts.id"),
    _fk("feed_id", "custom_feeds.id", index=True),
    Column("pinned", Boolean, nullable=False, default=False),
    _ts(),
    UniqueConstraint("account_id", "feed_id"),
)

# "Show more / show less like this": one opinion per (reader, post), kept with the author.
feed_feedback = Table(
    "feed_feedback", metadata,
    _id(),
    _fk("account_id", "accounts.id"),
    _fk("status_id", "statuses.id"),
    Column("author_id", BigInteger, nullable=False),
    Column("kind", String(8), nullable=False),  # more | less
    _ts(),
    UniqueConstraint("account_id", "status_id"),
    Index("ix_feed_feedback_account_id_author_id", "account_id", "author_id"),
    Index("ix_feed_feedback_status_id", "status_id"),  # ON DELETE CASCADE of a post
)

# Authors keep a post, or all their posts, out of non-followers' ranked feeds.
status_recommendation_optouts = Table(
    "status_recommendation_optouts", metadata,
    Column("status_id", BigInteger, ForeignKey("statuses.id", ondelete="CASCADE"),
           primary_key=True, autoincrement=False),
    _fk("account_id", "accounts.id", index=True),
    _ts(),
)

account_recommendation_optouts = Table(
    "account_recommendation_optouts", metadata,
    Column("account_id", BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"),
           primary_key=True, autoincrement=False),
    _ts(),
)

# Every ranked page served: its candidates' raw signals, the weights snapshot and the result,
# so `townsquare algorithm replay` can recompute it exactly.
served_feeds = Table(
    "served_feeds", metadata,
    _id(),
    _fk("account_id", "accounts.id"),
    Column("feed", String(40), nullable=False),
    Column("weights_version", Integer, nullable=False),
    Column("weights_digest", String(16), nullable=False),
    Column("previous_id", BigInteger, nullable=True),  # the page before, for "next page"
    Column("status_ids", JSON, nullable=False),
    Column("log", LargeBinary, nullable=False),  # LZ4-framed MessagePack (algorithm/replay.py)
    _ts("served_at"),
    Index("ix_served_feeds_account_id_id", "account_id", "id"),
)

community_runs = Table(
    "community_runs", metadata,
    _id(),
    Column("producers", Integer, nullable=False),
    Column("users", Integer, nullable=False),
    Column("communities", Integer, nullable=False),
    Column("seconds", Float, nullable=False),
    Column("params", JSON, nullable=False),
    _ts(),
)

# SimClusters-style output: producers' "known for" and users' "interested in" vectors.
community_known_for = Table(
    "community_known_for", metadata,
    _fk("account_id", "accounts.id"),
    Column("community", Integer, nullable=False),
    Column("score", Float, nullable=False),
    PrimaryKeyConstraint("account_id", "community"),
    Index("ix_community_known_for_community", "community"),
)

community_interests = Table(
    "community_interests", metadata,
    _fk("account_id", "accounts.id"),
    Column("community", Integer, nullable=False),
    Column("score", Float, nullable=False),
    PrimaryKeyConstraint("account_id", "community"),
)

# SimClusters' cluster-to-top-posts index (algorithm/community_index.py): every original
# public post by a producer that has been liked or reposted, under its author's community,
# with likes + 2 * reposts. Kept by actions/interactions.py in the same transaction as the
# counters, rebuilt with the communities job's output (actions/feeds.store_communities).
# Migration 0010_algorithm_index.
community_posts = Table(
    "community_posts", metadata,
    Column("community", Integer, nullable=False),
    Column("status_id", BigInteger, ForeignKey("statuses.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("engaged", Integer, nullable=False),  # favourites_count + 2 * reblogs_count
    PrimaryKeyConstraint("community", "status_id"),
)

# Domain tables kept in their own modules register on the same metadata.
from townsquare.store import tables_integrity as _integrity  # noqa: E402, F401
from townsquare.store import tables_moderation as _moderation  # noqa: E402, F401
from townsquare.store import tables_notes as _notes  # noqa: E402, F401
