"""Version counters the database keeps itself, so per-process caches can be checked cheaply.

A status as the API shows it depends on its row and on rows of other tables (its moderation
state, poll, media, helpful notes, labels); its author's entity on the account row and the
account's moderation and labels. A viewer's page depends on whom they follow or block and
whether they mute words (their *relations*), and on what they liked, reposted, bookmarked,
pinned or hid (their *marks*). Each of those has a counter:

- `statuses.version`, `accounts.version`: bumped by any UPDATE of the row itself and by any
  change of a row listed in BUMPS that points at it;
- `users.relations_version`, `users.marks_version`: bumped by the viewer's follows, blocks
  (both sides), mutes, muted words, and by their likes, reposts, bookmarks, pins, votes and
  hidden posts.

The counters are maintained by triggers, in the writing transaction, on SQLite and
PostgreSQL alike: no write path (actions, jobs, the CLI, a moderator's SQL) can change what a
status looks like without its counter moving, so a cache entry stored with the counter it was
read under is valid exactly while the counter is unchanged (queries/status_cache.py,
queries/viewer_cache.py). Migration 0009 creates them; the synthetic bulk loader drops and
re-creates them around its load (`drop_statements` / `create_statements`).
"""

from __future__ import annotations

from dataclasses import dataclass

# What a bump of each target updates; {key} is an SQL expression giving the target row's id.
TARGETS = {
    "status": "UPDATE statuses SET version = version + 1 WHERE id = {key}",
    "account": "UPDATE accounts SET version = version + 1 WHERE id = {key}",
    "relations": "UPDATE users SET relations_version = relations_version + 1 "
                 "WHERE account_id = {key}",
    "marks": "UPDATE users SET marks_version = marks_version + 1 WHERE account_id = {key}",
}

ALL = ("INSERT", "UPDATE", "DELETE")


@dataclass(frozen=True)
class Bump:
    """A change of a row of `table` bumps `target` for the id `key` gives ({row} is NEW or
    OLD). `when` limits it to some rows; `ops` to some kinds of change."""

    table: str
    target: str
    key: str
    ops: tuple[str, ...] = ALL
    when: str | None = None

    def name(self, n: int) -> str:
        return f"tsv_{self.table}_{self.target}_{n}"


BUMPS: list[Bump] = [
    # what every viewer sees of a status
    Bump("status_moderation", "status", "{row}.status_id"),
    Bump("quote_detachments", "status", "{row}.status_id"),
    Bump("note_status", "status", "{row}.status_id"),
    Bump("labels", "status", "{row}.status_id", when="{row}.status_id IS NOT NULL"),
    Bump("polls", "status", "{row}.status_id"),
    Bump("poll_options", "status",
         "(SELECT status_id FROM polls WHERE polls.id = {row}.poll_id)"),
    Bump("media", "status", "{row}.status_id", when="{row}.status_id IS NOT NULL"),
    # Mentions and tags are written with the post or by an edit (which bumps the post
    # itself); only a mentioned account's deletion removes some on its own.
    Bump("status_mentions", "status", "{row}.status_id", ops=("DELETE",)),
    Bump("status_tags", "status", "{row}.status_id", ops=("DELETE",)),
    # what every viewer sees of an author
    Bump("account_moderation", "account", "{row}.account_id"),
    Bump("labels", "account", "{row}.account_id", when="{row}.account_id IS NOT NULL"),
    # the viewer's relations
    Bump("follows", "relations", "{row}.account_id"),
    Bump("blocks", "relations", "{row}.account_id"),
    Bump("blocks", "relations", "{row}.target_account_id"),
    Bump("mutes", "relations", "{row}.account_id"),
    Bump("filters", "relations", "{row}.account_id"),
    Bump("filter_keywords", "relations",
         "(SELECT account_id FROM filters WHERE filters.id = {row}.filter_id)"),
    # the viewer's marks on statuses
    Bump("favourites", "marks", "{row}.account_id"),
    Bump("bookmarks", "marks", "{row}.account_id"),
    Bump("pins", "marks", "{row}.account_id"),
    Bump("hidden_statuses", "marks", "{row}.account_id"),
    Bump("poll_votes", "marks", "{row}.account_id"),
    Bump("statuses", "marks", "{row}.account_id", ops=("INSERT", "DELETE"),
         when="{row}.reblog_of_id IS NOT NULL"),
]

SELF = ("statuses", "accounts")  # tables whose own UPDATEs bump their version


def _rows(op: str) -> tuple[str, ...]:
    return {"INSERT": ("NEW",), "DELETE": ("OLD",), "UPDATE": ("NEW", "OLD")}[op]


def _numbered() -> list[tuple[str, Bump]]:
    counts: dict[tuple[str, str], int] = {}
    out = []
    for b in BUMPS:
        n = counts[(b.table, b.target)] = counts.get((b.table, b.target), 0) + 1
        out.append((b.name(n), b))
    return out


def _sqlite_create() -> list[str]:
    out = []
    for table in SELF:
        # Fires for UPDATEs that leave the version alone; its own UPDATE changes the version
        # (and SQLite does not run triggers recursively), so it runs once per row.
        out.append(
            f"CREATE TRIGGER tsv_{table}_self AFTER UPDATE ON {table} FOR EACH ROW "
            f"WHEN NEW.version = OLD.version BEGIN "
            f"UPDATE {table} SET version = version + 1 WHERE id = NEW.id; END")
    for name, b in _numbered():
        for op in b.ops:
            for row in _rows(op):
                when = f" WHEN {b.when.format(row=row)}" if b.when else ""
                sql = TARGETS[b.target].format(key=b.key.format(row=row))
                out.append(f"CREATE TRIGGER {name}_{op.lower()}_{row.lower()} AFTER {op} ON "
                           f"{b.table} FOR EACH ROW{when} BEGIN {sql}; END")
    return out


def _sqlite_drop() -> list[str]:
    out = [f"DROP TRIGGER IF EXISTS tsv_{table}_self" for table in SELF]
    for name, b in _numbered():
        for op in b.ops:
            for row in _rows(op):
                out.append(f"DROP TRIGGER IF EXISTS {name}_{op.lower()}_{row.lower()}")
    return out


def _pg_create() -> list[str]:
    out = []
    for table in SELF:
        out.append(
            f"CREATE FUNCTION tsv_{table}_self() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN IF NEW.version = OLD.version THEN NEW.version := OLD.version + 1; END IF; "
            f"RETURN NEW; END $$")
        out.append(f"CREATE TRIGGER tsv_{table}_self BEFORE UPDATE ON {table} FOR EACH ROW "
                   f"EXECUTE FUNCTION tsv_{table}_self()")
    for name, b in _numbered():
        for row in ("NEW", "OLD"):
            sql = TARGETS[b.target].format(key=b.key.format(row=row))
            out.append(f"CREATE FUNCTION {name}_{row.lower()}() RETURNS trigger "
                       f"LANGUAGE plpgsql AS $$ BEGIN {sql}; RETURN NULL; END $$")
        for op in b.ops:
            for row in _rows(op):
                when = f" WHEN ({b.when.format(row=row)})" if b.when else ""
                out.append(f"CREATE TRIGGER {name}_{op.lower()}_{row.lower()} AFTER {op} ON "
                           f"{b.table} FOR EACH ROW{when} "
                           f"EXECUTE FUNCTION {name}_{row.lower()}()")
    return out


def _pg_drop() -> list[str]:
    out = []
    for table in SELF:
        out.append(f"DROP TRIGGER IF EXISTS tsv_{table}_self ON {table}")
        out.append(f"DROP FUNCTION IF EXISTS tsv_{table}_self()")
    for name, b in _numbered():
        for op in b.ops:
            for row in _rows(op):
                out.append(f"DROP TRIGGER IF EXISTS {name}_{op.lower()}_{row.lower()} "
                           f"ON {b.table}")
        out.extend(f"DROP FUNCTION IF EXISTS {name}_{row}()" for row in ("new", "old"))
    return out


def trigger_names() -> list[tuple[str, str]]:
    """(table, trigger name) of every trigger create_statements makes."""
    out = [(table, f"tsv_{table}_self") for table in SELF]
    for name, b in _numbered():
        out.extend((b.table, f"{name}_{op.lower()}_{row.lower()}")
                   for op in b.ops for row in _rows(op))
    return out


def create_statements(dialect: str) -> list[str]:
    return _sqlite_create() if dialect == "sqlite" else _pg_create()


def drop_statements(dialect: str) -> list[str]:
    return _sqlite_drop() if dialect == "sqlite" else _pg_drop()
