"""Alembic environment: runs migrations on the async engine townsquare uses."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy.ext.asyncio import create_async_engine

from townsquare.store.db import async_url
from townsquare.store.tables import metadata

config = context.config
target_metadata = metadata


# Search structures are dialect-specific and written by hand (0002); autogenerate ignores them.
HAND_WRITTEN = {"statuses_fts", "search_vector", "ix_statuses_search_vector"}


def _include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    return not (name in HAND_WRITTEN or (name or "").startswith("statuses_fts"))


def _run(connection: Any) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite",
                      include_object=_include)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_async_engine(async_url(config.get_main_option("sqlalchemy.url") or ""))
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `townsquare migrate`")
asyncio.run(_run_async())
