"""INSERT ... ON CONFLICT DO NOTHING for both dialects."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite

from townsquare.store.db import Tx


async def insert_ignore(tx: Tx, table: Table, rows: list[dict[str, Any]],
                        conflict: list[str]) -> int:
    """Insert rows, skipping those that already exist; returns how many were inserted."""
    if not rows:
        return 0
    dialect = tx.conn.dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(table).values(rows).on_conflict_do_nothing(index_elements=conflict)
    result = await tx.execute(stmt)
    return int(result.rowcount or 0)
