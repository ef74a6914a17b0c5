"""Accounts as the API shows them, loaded in one query for any number of ids."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from townsquare.api.entities import Account
from townsquare.config import Settings
from townsquare.model.clock import iso, utc
from townsquare.store.fast import Hot
from townsquare.store.tables import accounts


def account_urls(settings: Settings, username: str) -> tuple[str, str]:
    """(url, uri) of a local account."""
    base = settings.base_url
    return f"{base}/@{username}", f"{base}/users/{username}"


def media_url(settings: Settings, file_name: str | None, fallback: str) -> str:
    if file_name:
        return f"{settings.base_url}/media/{file_name}"
    return f"{settings.base_url}/static/{fallback}"


def account_entity(row: Any, settings: Settings) -> Account:
    url, uri = account_urls(settings, row.username)
    avatar = media_url(settings, row.avatar_file, "avatar.png")
    header = media_url(settings, row.header_file, "header.png")
    suspended = row.suspended_at is not None
    return Account(
        id=str(row.id),
        username=row.username,
        acct=row.username,
        url=url,
        uri=uri,
        display_name="" if suspended else row.display_name,
        note="" if suspended else row.note_html,
        avatar=avatar,
        avatar_static=avatar,
        header=header,
        header_static=header,
        locked=row.locked,
        bot=row.bot,
        discoverable=row.discoverable,
        created_at=iso(utc(row.created_at)),
        last_status_at=utc(row.last_status_at).strftime("%Y-%m-%d") if row.last_status_at else None,
        statuses_count=row.statuses_count,
        followers_count=row.followers_count,
        following_count=row.following_count,
        suspended=True if suspended else None,
    )


class EntityCache:
    """Account entities of this process, reused while the row read for them is unchanged.

    Every page of statuses builds the Account of each author; most of them are the same
    from page to page. An entry is keyed by the whole row just read from the database (and
    the base URL), so a changed profile, counter or suspension - made by this process or any
    other - is a different row and gets a fresh entity: nothing stale can be served. The
    entities are shared between requests, so callers must not modify them."""

    def __init__(self, size: int = 20_000) -> None:
        self._items: dict[int, tuple[tuple[Any, ...], str, Account]] = {}
        self._size = size

    def entity(self, row: Any, settings: Settings) -> Account:
        base = settings.base_url
        hit = self._items.get(row.id)
        if hit is not None and hit[1] == base and hit[0] == row:
            return hit[2]
        account = account_entity(row, settings)
        if len(self._items) >= self._size:
            del self._items[next(iter(self._items))]  # the oldest entry
        self._items[row.id] = (tuple(row), base, account)
        return account


_entities = EntityCache()


async def load_accounts(conn: AsyncConnection, settings: Settings,
                        ids: Iterable[int]) -> dict[int, Account]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await _ACCOUNTS_BY_ID.all(conn, {"ids": list(wanted)})
    entity = _entities.entity
    return {row.id: entity(row, settings) for row in rows}


# Built once, run on the driver (store/fast.py): every page of statuses loads its accounts.
# Only the columns account_entity reads (not the bio's source text, role...): SQLite's cost
# here is mostly turning column values into Python objects.
_a = accounts.c
_ACCOUNTS_BY_ID = Hot(
    select(_a.id, _a.username, _a.display_name, _a.note_html, _a.avatar_file, _a.header_file,
           _a.bot, _a.locked, _a.discoverable, _a.followers_count, _a.following_count,
           _a.statuses_count, _a.last_status_at, _a.suspended_at, _a.created_at)
    .where(_a.id.in_(bindparam("ids", expanding=True))))


async def account_row(conn: AsyncConnection, account_id: int) -> Any:
    return (await conn.execute(select(accounts).where(accounts.c.id == account_id))).first()


async def account_by_username(conn: AsyncConnection, username: str) -> Any:
    return (await conn.execute(
        select(accounts).where(accounts.c.username_lower == username.lower().lstrip("@"))
    )).first()
