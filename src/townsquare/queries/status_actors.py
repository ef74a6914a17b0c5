"""Who liked or reposted a post (GET /api/v1/statuses/:id/favourited_by, /reblogged_by).

Paged by the like's (or repost's) id, newest first, as Mastodon does; accounts the viewer
blocks or is blocked by, and suspended accounts, are left out.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncConnection

from townsquare.api.entities import Account
from townsquare.api.pagination import Page, apply, ordered
from townsquare.context import Context
from townsquare.model.visibility import OPEN
from townsquare.queries.accounts import load_accounts
from townsquare.queries.visibility import blocked_either_way
from townsquare.store.tables import accounts, favourites, statuses


async def _page(ctx: Context, conn: AsyncConnection, stmt: Select[Any], key: Any,
                page: Page) -> tuple[list[int], list[Account]]:
    rows = (await conn.execute(apply(stmt, key, page))).all()
    keys = ordered([int(r[0]) for r in rows], page)
    owner = {int(r[0]): int(r[1]) for r in rows}
    loaded = await load_accounts(conn, ctx.settings, owner.values())
    return keys, [loaded[owner[k]] for k in keys if owner[k] in loaded]


async def favourited_by(ctx: Context, conn: AsyncConnection, status_id: int,
                        viewer_id: int | None, page: Page) -> tuple[list[int], list[Account]]:
    """(page keys for the Link header, accounts)."""
    stmt = (select(favourites.c.id, favourites.c.account_id)
            .join(accounts, accounts.c.id == favourites.c.account_id)
            .where(favourites.c.status_id == status_id, accounts.c.suspended_at.is_(None),
                   ~blocked_either_way(viewer_id, favourites.c.account_id)))
    return await _page(ctx, conn, stmt, favourites.c.id, page)


async def reblogged_by(ctx: Context, conn: AsyncConnection, status_id: int,
                       viewer_id: int | None, page: Page) -> tuple[list[int], list[Account]]:
    # An author's repost of their own followers-only post is not listed (as on Mastodon).
    stmt = (select(statuses.c.id, statuses.c.account_id)
            .join(accounts, accounts.c.id == statuses.c.account_id)
            .where(statuses.c.reblog_of_id == status_id, statuses.c.visibility.in_(OPEN),
                   accounts.c.suspended_at.is_(None),
                   ~blocked_either_way(viewer_id, statuses.c.account_id)))
    return await _page(ctx, conn, stmt, statuses.c.id, page)
