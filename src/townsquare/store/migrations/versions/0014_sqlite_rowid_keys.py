"""SQLite: tables keyed by one integer column are keyed by their rowid

SQLite makes a single-column primary key the table's rowid only when the column is declared
exactly INTEGER; declared BIGINT (as SQLAlchemy renders BigInteger) the table is stored in
rowid order with a second B-tree from the key to the rowid. Every lookup by id then descended
two B-trees, and every insert wrote two. Since store/tables.py declares BigInteger as INTEGER
on SQLite (the same affinity there), new databases get rowid keys from the first migration;
this one rebuilds the tables of older databases the same way (SQLite's documented procedure
for a change ALTER TABLE cannot make: create the new table, copy, drop, rename, then the
table's indexes and triggers again). Measured on the generated 10k network: the home page's
statement 74 -> 60 us; over HTTP, paired, home pages 3,155 / 3,094 -> 3,433 / 3,455 req/s
(9.5 / 9.7% -> 10.3 / 10.6% of hello); posting the same (docs/benchmarks.md, "Eighth
round").

PostgreSQL is unchanged: its primary keys are indexes of a heap in any case.

Revision ID: 0014_sqlite_rowid_keys
Revises: 0013_reposts_index
Create Date: 2026-12-08
"""

from __future__ import annotations

import re
import sys
import time

from alembic import op

revision = "0014_sqlite_rowid_keys"
down_revision = "0013_reposts_index"
branch_labels = None
depends_on = None

_KEY = re.compile(r"CONSTRAINT \w+ PRIMARY KEY \((\w+)\)")


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return
    # Dropping a table with foreign keys enforced would first delete its rows, cascading
    # into every table that references it. Migrations run on connections of their own
    # (env.py), which never turn enforcement on; this says so should that change.
    if conn.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("migration 0014 needs foreign keys unenforced on its connection")
    # Renaming the copy to the table's name must not re-check the triggers of other tables
    # that name the table while it is gone.
    conn.exec_driver_sql("PRAGMA legacy_alter_table=ON")
    rebuilt, began = 0, time.monotonic()
    for name, sql in conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name").all():
        key = _KEY.search(sql or "")
        if key is None:
            continue
        declared = re.compile(rf"^(\s*){key.group(1)} BIGINT\b", re.M)
        if not declared.search(sql):
            continue
        rest = [s for (s,) in conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') "
            "AND sql IS NOT NULL", (name,)).all()]
        new = declared.sub(rf"\1{key.group(1)} INTEGER", sql, count=1)
        new, renamed = re.subn(rf'^CREATE TABLE ("?){re.escape(name)}\1 \(',
                               f"CREATE TABLE _rowid_{name} (", new, count=1)
        if not renamed:
            raise RuntimeError(f"migration 0014 cannot read the definition of {name}")
        started = time.monotonic()
        conn.exec_driver_sql(new)
        copied = conn.exec_driver_sql(f"INSERT INTO _rowid_{name} SELECT * FROM {name}").rowcount
        conn.exec_driver_sql(f"DROP TABLE {name}")
        conn.exec_driver_sql(f"ALTER TABLE _rowid_{name} RENAME TO {name}")
        for statement in rest:
            conn.exec_driver_sql(statement)
        rebuilt += 1
        # A large database takes a while (the 10k network's 70 MB: 2 s): say what is done.
        if copied >= 10_000:
            print(f"migration 0014: {name} keyed by its rowid ({copied:,} rows, "
                  f"{time.monotonic() - started:.1f} s)", file=sys.stderr, flush=True)
    conn.exec_driver_sql("PRAGMA legacy_alter_table=OFF")
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").first()
    if broken is not None:
        raise RuntimeError(f"migration 0014 left a broken reference: {tuple(broken)}")
    if not rebuilt:
        return
    if conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first():
        conn.exec_driver_sql("ANALYZE")  # the planner's statistics went with the old tables
    print(f"migration 0014: {rebuilt} tables keyed by their rowid "
          f"({time.monotonic() - began:.1f} s)", file=sys.stderr, flush=True)


def downgrade() -> None:
    """Nothing to undo: INTEGER and BIGINT have the same affinity on SQLite, and the
    earlier schema reads and writes rowid-keyed tables the same way."""
