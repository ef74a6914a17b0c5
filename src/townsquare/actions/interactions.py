"""Acting on a post: favourite, reblog, bookmark, pin, and their undos.

Each act is idempotent (doing it twice counts once) and changes its counter with
`col = col + 1` in the same transaction as the row it counts, so counts cannot drift.
Acting on a repost acts on the reposted post, as Mastodon does. A post the actor may not see
is a 404.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, delete, func, insert, select, update

from townsquare.actions.errors import Invalid, NotFound
from townsquare.actions.notify import notify
from townsquare.actions.statuses import visible_status
from townsquare.algorithm import community_index
from townsquare.context import Context
from townsquare.model.visibility import OPEN, counted_publicly
from townsquare.store.db import Tx
from townsquare.store.tables import (
    accounts,
    bookmarks,
    favourites,
    notifications,
    pins,
    statuses,
)
from townsquare.store.upsert import insert_ignore
from townsquare.timelines.base import Entry

MAX_PINS = 5
REBLOG_VISIBILITIES = ("public", "unlisted", "private")


async def _target(tx: Tx, status_id: int, account_id: int, *, for_update: bool = False) -> Any:
    """The post acted on: the status itself, or the post it reposts."""
    row = await visible_status(tx, status_id, account_id)
    if row.reblog_of_id is not None:
        return await visible_status(tx, row.reblog_of_id, account_id, for_update=for_update)
    if for_update:
        return await visible_status(tx, row.id, account_id, for_update=True)
    return row


async def _mark(ctx: Context, tx: Tx, table: Any, account_id: int, status_id: int) -> bool:
    """Insert the (account, status) mark unless present; True when it was new."""
    return await insert_ignore(tx, table, [{
        "id": ctx.ids.next(), "account_id": account_id, "status_id": status_id,
        "created_at": ctx.clock.now()}], ["account_id", "status_id"]) > 0


async def _unmark(tx: Tx, table: Any, account_id: int, status_id: int) -> bool:
    result = await tx.execute(delete(table).where(table.c.account_id == account_id,
                                                  table.c.status_id == status_id))
    return bool(result.rowcount)


async def favourite(ctx: Context, account_id: int, status_id: int) -> int:
    """Like a post; returns the id of the post liked."""
    async with ctx.db.write() as tx:
        row = await _target(tx, status_id, account_id)
        if await _mark(ctx, tx, favourites, account_id, row.id):
            await tx.execute(update(statuses).where(statuses.c.id == row.id)
                             .values(favourites_count=statuses.c.favourites_count + 1))
            await community_index.counted(tx, row.id)  # the algorithm's index, same tx
            await notify(ctx, tx, [row.account_id], account_id, "favourite", row.id)
    return int(row.id)


async def unfavourite(ctx: Context, account_id: int, status_id: int) -> int:
    async with ctx.db.write() as tx:
        row = await _target(tx, status_id, account_id)
        if await _unmark(tx, favourites, account_id, row.id):
            await tx.execute(update(statuses).where(statuses.c.id == row.id)
                             .values(favourites_count=statuses.c.favourites_count - 1))
            await community_index.counted(tx, row.id)  # the algorithm's index, same tx
            await tx.execute(delete(notifications).where(
                notifications.c.type == "favourite", notifications.c.status_id == row.id,
                notifications.c.from_account_id == account_id))
    return int(row.id)


async def bookmark(ctx: Context, account_id: int, status_id: int) -> int:
    async with ctx.db.write() as tx:
        row = await _target(tx, status_id, account_id)
        await _mark(ctx, tx, bookmarks, account_id, row.id)
    return int(row.id)


async def unbookmark(ctx: Context, account_id: int, status_id: int) -> int:
    async with ctx.db.write() as tx:
        row = await _target(tx, status_id, account_id)
        await _unmark(tx, bookmarks, account_id, row.id)
    return int(row.id)


def reblog_allowed(row: Any, account_id: int) -> bool:
    """Public and unlisted posts, and one's own followers-only posts (Mastodon's rule)."""
    return row.visibility in OPEN or (row.visibility == "private"
                                      and row.account_id == account_id)


async def reblog(ctx: Context, account_id: int, status_id: int,
                 visibility: str | None = None) -> int:
    """Repost; returns the repost's id (the existing one when reposted already)."""
    if visibility is not None and visibility not in REBLOG_VISIBILITIES:
        raise Invalid("Validation failed: visibility must be one of public, unlisted, private")
    async with ctx.db.write() as tx:
        # The row lock makes two concurrent reposts of one post queue (there is no unique
        # constraint on (account, reblog_of) to catch the second).
        row = await _target(tx, status_id, account_id, for_update=True)
        if not reblog_allowed(row, account_id):
            raise Invalid("Validation failed: this post cannot be reposted")
        existing = (await tx.execute(select(statuses.c.id).where(
            statuses.c.account_id == account_id, statuses.c.reblog_of_id == row.id)
        )).scalar_one_or_none()
        if existing is not None:
            return int(existing)
        # A followers-only post stays followers-only when its author reposts it.
        vis = row.visibility if row.visibility == "private" else (visibility or "public")
        now = ctx.clock.now()
        reblog_id = ctx.ids.next()
        await tx.execute(insert(statuses).values(
            id=reblog_id, account_id=account_id, text="", content="", spoiler_text="",
            visibility=vis, sensitive=False, language=None, reblog_of_id=row.id,
            replies_count=0, reblogs_count=0, favourites_count=0, quotes_count=0,
            created_at=now))
        await tx.execute(update(statuses).where(statuses.c.id == row.id)
                         .values(reblogs_count=statuses.c.reblogs_count + 1))
        await community_index.counted(tx, row.id)  # the algorithm's index, same tx
        await tx.execute(update(accounts).where(accounts.c.id == account_id).values(
            statuses_count=accounts.c.statuses_count + (1 if counted_publicly(vis) else 0),
            last_status_at=now))
        # The notice points at the reposted post (what Mastodon shows); unreblog removes it.
        await notify(ctx, tx, [row.account_id], account_id, "reblog", row.id)
        await ctx.timelines.deliver(tx, Entry(reblog_id, account_id, row.account_id, vis))
    return reblog_id


async def undo_reblog_effects(tx: Tx, reblog_row: Any) -> None:
    """Counters and the notice of one repost that is going away (unreblog or delete)."""
    await tx.execute(update(statuses).where(statuses.c.id == reblog_row.reblog_of_id)
                     .values(reblogs_count=statuses.c.reblogs_count - 1))
    await community_index.counted(tx, reblog_row.reblog_of_id)  # the algorithm's index
    if counted_publicly(reblog_row.visibility):
        await tx.execute(update(accounts).where(accounts.c.id == reblog_row.account_id)
                         .values(statuses_count=accounts.c.statuses_count - 1))
    await tx.execute(delete(notifications).where(
        notifications.c.type == "reblog", notifications.c.status_id == reblog_row.reblog_of_id,
        notifications.c.from_account_id == reblog_row.account_id))


async def unreblog(ctx: Context, account_id: int, status_id: int) -> int:
    """Take a repost back; returns the id of the post that was reposted."""
    async with ctx.db.write() as tx:
        row = await _target(tx, status_id, account_id, for_update=True)
        mine = (await tx.execute(select(statuses).where(
            statuses.c.account_id == account_id, statuses.c.reblog_of_id == row.id))).first()
        if mine is not None:
            await undo_reblog_effects(tx, mine)
            # home_timeline rows go with it (a trigger on statuses, migration 0015).
            await tx.execute(delete(statuses).where(statuses.c.id == mine.id))
    return int(row.id)


async def pin(ctx: Context, account_id: int, status_id: int) -> int:
    async with ctx.db.write() as tx:
        row = await visible_status(tx, status_id, account_id)
        if row.account_id != account_id or row.reblog_of_id is not None:
            raise Invalid("Validation failed: you can only pin your own posts")
        if row.visibility == "direct":
            raise Invalid("Validation failed: direct messages cannot be pinned")
        # Lock the account row so that two concurrent pins cannot both pass the limit.
        await tx.execute(select(accounts.c.id).where(accounts.c.id == account_id)
                         .with_for_update())
        already = (await tx.execute(select(func.count()).select_from(pins).where(
            and_(pins.c.account_id == account_id, pins.c.status_id == row.id)))).scalar_one()
        if already:
            return int(row.id)
        count = (await tx.execute(select(func.count()).select_from(pins)
                                  .where(pins.c.account_id == account_id))).scalar_one()
        if count >= MAX_PINS:
            raise Invalid(f"Validation failed: you can pin at most {MAX_PINS} posts")
        await _mark(ctx, tx, pins, account_id, row.id)
    return int(row.id)


async def unpin(ctx: Context, account_id: int, status_id: int) -> int:
    async with ctx.db.write() as tx:
        row = await visible_status(tx, status_id, account_id)
        if row.account_id != account_id:
            raise NotFound("Status")
        await _unmark(tx, pins, account_id, row.id)
    return int(row.id)
