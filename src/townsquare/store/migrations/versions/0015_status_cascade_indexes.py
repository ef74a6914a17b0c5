"""Deleting a post no longer scans every home timeline; home_timeline without foreign keys

Four tables reference statuses with ON DELETE CASCADE but had no index that starts with
status_id: home_timeline, feed_feedback, filter_statuses and hidden_statuses. Deleting a post,
or taking a repost back (which deletes the repost's row), made the database look through each
of them whole: home_timeline holds a row per follower of every post, so on the 10k network
(608,300 rows) one deletion took 56-137 ms on SQLite, holding its one writer, and it grew with
the network (PostgreSQL without Redis keeps the same table). Each gets an index on status_id.

home_timeline, a cache of what follows and statuses say (timelines/truth.py rebuilds it), also
loses its foreign keys: checking both parents of each of a post's ~100 rows was ~30% of the
time writing them on SQLite, and on PostgreSQL each check locks the reader's account row. A
trigger on statuses deletes a deleted post's rows instead (it runs for the reposts the
deletion cascades to as well); accounts are never deleted (tests/test_status_cascade_indexes.py).
On SQLite the table is rebuilt WITHOUT ROWID (stored as its key, no rowid B-tree beside it).
Measured on a copy of the 10k network (100 rows a post, in a loop of 3,000 posts): deleting a
post's rows 56-71 ms -> 0.3-0.6 ms; the rows of a post written in 535-587 us before,
415-425 us after.

Revision ID: 0015_status_cascade_indexes
Revises: 0014_sqlite_rowid_keys
Create Date: 2026-12-08
"""

from __future__ import annotations

import sys
import time
from typing import Any

from alembic import op

revision = "0015_status_cascade_indexes"
down_revision = "0014_sqlite_rowid_keys"
branch_labels = None
depends_on = None

INDEXES = (("ix_home_timeline_status_id", "home_timeline"),
           ("ix_feed_feedback_status_id", "feed_feedback"),
           ("ix_filter_statuses_status_id", "filter_statuses"),
           ("ix_hidden_statuses_status_id", "hidden_statuses"))
FOREIGN_KEYS = {"fk_home_timeline_account_id_accounts": "(account_id) REFERENCES accounts (id)",
                "fk_home_timeline_status_id_statuses": "(status_id) REFERENCES statuses (id)"}
TRIGGER = "home_timeline_status_deleted"
_SQLITE_TABLE = (
    "CREATE TABLE {name} (account_id INTEGER NOT NULL, status_id INTEGER NOT NULL, "
    "author_id INTEGER NOT NULL, origin_author_id INTEGER NOT NULL, "
    "CONSTRAINT pk_home_timeline PRIMARY KEY (account_id, status_id)) WITHOUT ROWID")


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        _sqlite_home_timeline(conn)
        op.execute(f"CREATE TRIGGER {TRIGGER} AFTER DELETE ON statuses BEGIN "
                   "DELETE FROM home_timeline WHERE status_id = old.id; END")
    else:
        for name in FOREIGN_KEYS:
            op.execute(f"ALTER TABLE home_timeline DROP CONSTRAINT {name}")
        op.execute(f"CREATE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   "BEGIN DELETE FROM home_timeline WHERE status_id = OLD.id; RETURN NULL; "
                   "END $$")
        op.execute(f"CREATE TRIGGER {TRIGGER} AFTER DELETE ON statuses "
                   f"FOR EACH ROW EXECUTE FUNCTION {TRIGGER}()")
    for name, table in INDEXES:
        op.create_index(name, table, ["status_id"], unique=False)


def _sqlite_home_timeline(conn: Any) -> None:
    """SQLite's procedure for a change ALTER TABLE cannot make (as migration 0014): create
    the new table, copy in key order, drop the old, rename."""
    run = conn.exec_driver_sql
    # Dropping the old table with foreign keys enforced would first delete its rows; the
    # migration connections never enforce them (env.py), and this says so should that change.
    if run("PRAGMA foreign_keys").scalar():
        raise RuntimeError("migration 0015 needs foreign keys unenforced on its connection")
    others = run("SELECT name FROM sqlite_master WHERE tbl_name = 'home_timeline' "
                 "AND type IN ('index', 'trigger') AND sql IS NOT NULL").all()
    if others:  # none was ever made: the key's own index has no SQL
        raise RuntimeError(f"migration 0015 does not know {[n for (n,) in others]}")
    began = time.monotonic()
    run("PRAGMA legacy_alter_table=ON")
    run(_SQLITE_TABLE.format(name="_keyed_home_timeline"))
    copied = run("INSERT INTO _keyed_home_timeline SELECT account_id, status_id, author_id, "
                 "origin_author_id FROM home_timeline ORDER BY account_id, status_id").rowcount
    run("DROP TABLE home_timeline")
    run("ALTER TABLE _keyed_home_timeline RENAME TO home_timeline")
    run("PRAGMA legacy_alter_table=OFF")
    if copied >= 10_000:  # a large database takes a while: say what is done
        print(f"migration 0015: home_timeline stored as its key ({copied:,} rows, "
              f"{time.monotonic() - began:.1f} s)", file=sys.stderr, flush=True)


def downgrade() -> None:
    """Drops the indexes and, on PostgreSQL, brings the foreign keys back instead of the
    trigger. SQLite keeps its home_timeline (the earlier schema reads and writes it the
    same way) and the trigger, which does what the foreign key's cascade did."""
    conn = op.get_bind()
    for name, table in INDEXES:
        op.drop_index(name, table_name=table)
    if conn.dialect.name != "sqlite":
        op.execute(f"DROP TRIGGER {TRIGGER} ON statuses")
        op.execute(f"DROP FUNCTION {TRIGGER}()")
        for name, definition in FOREIGN_KEYS.items():
            op.execute(f"ALTER TABLE home_timeline ADD CONSTRAINT {name} FOREIGN KEY "
                       f"{definition} ON DELETE CASCADE")
